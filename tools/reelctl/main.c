/*
 * reelctl: the admin CLI of reel, over the origin's admin API.  Parse the
 * line, answer --help and --version, run the command, exit with its status
 * (ctl.h: 0 done, 1 failed, 2 usage, 3 not found, 4 refused).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ctl.h"
#include "help.h"
#include "reel_config.h"

/* --help, --version or a usage error: the status to exit with, or -1 to run the command. */
static int answer_early(const struct ctl_line *l, int parsed, const char *err)
{
	if (l->global[CTL_G_HELP].set) {
		if (l->cmd)
			ctl_help_cmd(l->cmd, stdout);
		else if (l->nwords)
			ctl_help_group(ctl_commands, ctl_ncommands, l->words, l->nwords, stdout);
		else
			ctl_help_all(ctl_commands, ctl_ncommands, stdout);
		return CTL_OK;
	}
	if (l->global[CTL_G_VERSION].set) {
		printf("reelctl %s\n", REEL_VERSION);
		return CTL_OK;
	}
	if (parsed == 0)
		return -1;
	fprintf(stderr, "reelctl: %s\n", err);
	if (l->cmd)
		ctl_usage_line(l->cmd, stderr);
	else if (l->nwords)
		ctl_help_group(ctl_commands, ctl_ncommands, l->words, l->nwords, stderr);
	fprintf(stderr, "Run 'reelctl %s%s--help' for more.\n", l->cmd ? l->cmd->name : "",
		l->cmd ? " " : "");
	return CTL_USAGE;
}

int main(int argc, char **argv)
{
	struct ctl_line line;
	struct ctl c;
	char err[256];
	int status, parsed;

	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return ctl_complete(ctl_commands, ctl_ncommands, argc - 2, argv + 2, stdout);
	parsed = ctl_args_parse(ctl_commands, ctl_ncommands, argc, argv, &line, err, sizeof(err));
	if ((status = answer_early(&line, parsed, err)) >= 0)
		return status;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ctl_error(CTL_FAILED, "cannot set up libcurl");
	ctl_init(&c, &line);
	status = line.cmd->run(&c, &line);
	ctl_free(&c);
	curl_global_cleanup();
	if (fflush(stdout) != 0 && status == CTL_OK)
		status = ctl_error(CTL_FAILED, "cannot write the output");
	return status;
}
