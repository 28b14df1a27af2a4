/* The daemons' common command line. */
#include "daemon_args.h"

#include <getopt.h>
#include <unistd.h>

#include "reel_config.h"

int daemon_args(int argc, char **argv, const char *prog, const char *default_conf,
		void (*usage)(FILE *out), const char **path, bool *test)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"test", no_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {"version", no_argument, NULL, 'v'},
					     {NULL, 0, NULL, 0}};
	int c;

	*path = NULL;
	*test = false;
	while ((c = getopt_long(argc, argv, "c:thv", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*path = optarg;
			break;
		case 't':
			*test = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("%s %s\n", prog, REEL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!*path && access(default_conf, R_OK) == 0)
		*path = default_conf;
	return -1;
}
