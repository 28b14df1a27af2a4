/*
 * Help and completion, both made from the command table, so a new command
 * needs nothing here: reelctl --help, a group's and a command's --help, and
 * the candidates the bash completion (reelctl.bash) asks for with the
 * hidden command "reelctl __complete WORD...".
 */
#ifndef REEL_CTL_HELP_H
#define REEL_CTL_HELP_H

#include <stdio.h>

#include "args.h"

/* The whole help: commands, global options, credentials, exit statuses. */
void ctl_help_all(const struct ctl_cmd *cmds, size_t n, FILE *out);

/* The commands of the group WORDS ("plan"), or all when NWORDS is 0. */
void ctl_help_group(const struct ctl_cmd *cmds, size_t n, const char *const *words, int nwords,
		    FILE *out);

/* One command's usage, description and options. */
void ctl_help_cmd(const struct ctl_cmd *cmd, FILE *out);

/* "usage: reelctl plan add NAME [options]" */
void ctl_usage_line(const struct ctl_cmd *cmd, FILE *out);

/*
 * Print to OUT what may come after WORDS (the last one is being typed, may
 * be empty): command words, options, or "__file__" when a file name is
 * wanted.  Returns 0.
 */
int ctl_complete(const struct ctl_cmd *cmds, size_t n, int nwords, char **words, FILE *out);

#endif
