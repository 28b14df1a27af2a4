/*
 * The command line every reel daemon takes: -c/--config FILE, -t/--test,
 * -h/--help, -v/--version.
 */
#ifndef REEL_DAEMON_ARGS_H
#define REEL_DAEMON_ARGS_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Parse ARGV for PROG.  Sets *TEST, and *PATH to the -c file (a string of
 * ARGV), else to DEFAULT_CONF itself (e.g. REEL_SYSCONFDIR "/edge.conf") when
 * it is readable, else NULL (built-in defaults only): nothing to free.  Returns -1
 * to go on, or the exit status when the program should stop now: 0 after
 * printing the help (USAGE(stdout)) or the version, 2 after a usage error
 * (USAGE(stderr)).
 */
int daemon_args(int argc, char **argv, const char *prog, const char *default_conf,
		void (*usage)(FILE *out), const char **path, bool *test);

#endif
