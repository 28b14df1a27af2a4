/*
 * reelctl's command line: a table of commands (one line each, commands.c),
 * each with its options, and the global options every command takes.  The
 * parser finds the command from the leading words ("plan add"), then takes
 * options anywhere after it (--name VALUE, --name=VALUE, -h; "--" ends
 * them) and the positional arguments.
 */
#ifndef REEL_CTL_ARGS_H
#define REEL_CTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ctl;

enum ctl_opt_type {
	CTL_FLAG, /* no value */
	CTL_STR,  /* any value */
	CTL_UINT, /* a whole number in [min, max] */
};

/* One option of a command (a table ends with a NULL name). */
struct ctl_opt {
	const char *name; /* without "--" */
	enum ctl_opt_type type;
	const char *metavar; /* "N", "FILE" (FILE values complete as file names) */
	const char *help;
	uint64_t min, max; /* CTL_UINT only */
	bool required;
};

/* Table lines for options. */
/* clang-format off */
#define CTL_OPT_FLAG(name, help)         {name, CTL_FLAG, NULL, help, 0, 0, false}
#define CTL_OPT_STR(name, metavar, help) {name, CTL_STR, metavar, help, 0, 0, false}
#define CTL_OPT_STR_REQ(name, metavar, help) {name, CTL_STR, metavar, help, 0, 0, true}
#define CTL_OPT_UINT(name, help, min, max, required) \
	{name, CTL_UINT, "N", help, min, max, required}
#define CTL_OPT_END {NULL, CTL_FLAG, NULL, NULL, 0, 0, false}
/* clang-format on */

/* A parsed option: whether it was given, and its value. */
struct ctl_val {
	bool set;
	const char *str; /* CTL_STR, CTL_UINT: the text as given (points into argv) */
	uint64_t num;	 /* CTL_UINT */
};

struct ctl_line;

/* One command: a line of the table in commands.c. */
struct ctl_cmd {
	const char *name;	    /* "plan add": the words that select it */
	const char *args;	    /* "NAME [PLAN]": the positionals, for usage lines */
	int min_pos, max_pos;	    /* how many positionals it takes; max -1: any */
	const struct ctl_opt *opts; /* its own options, or NULL */
	int (*run)(struct ctl *c, const struct ctl_line *l);
	const char *summary; /* one line, lowercase, no period */
	const char *help;    /* more paragraphs for --help, or NULL */
};

#define CTL_MAX_OPTS  16 /* options of one command */
#define CTL_MAX_POS   64 /* positionals (max_pos -1: up to this many) */
#define CTL_MAX_WORDS 3	 /* words of a command name */

/* The global options (ctl_global_opts), in this order. */
enum ctl_global {
	CTL_G_CONFIG,
	CTL_G_URL,
	CTL_G_TOKEN,
	CTL_G_TOKEN_FILE,
	CTL_G_CA,
	CTL_G_INSECURE,
	CTL_G_JSON,
	CTL_G_HELP,
	CTL_G_VERSION,
	CTL_G_COUNT
};

extern const struct ctl_opt ctl_global_opts[CTL_G_COUNT + 1];

/* What ctl_args_parse found. */
struct ctl_line {
	const struct ctl_cmd *cmd;	  /* the command, or NULL (only a group, or nothing) */
	const char *words[CTL_MAX_WORDS]; /* the command words read ("plan" for a group) */
	int nwords;
	struct ctl_val global[CTL_G_COUNT];
	struct ctl_val opt[CTL_MAX_OPTS]; /* by index in cmd->opts */
	const char *pos[CTL_MAX_POS];
	int npos;
};

/*
 * Parse ARGV[1..ARGC-1] against the NCMDS commands CMDS into OUT.  Returns
 * 0, or -1 with a one-line reason in ERR ("unknown command 'foo'", "--days:
 * expected a whole number in 1..3660", "missing PLAN"); OUT then still holds
 * what was read (the command, when known, for its usage line).  With --help
 * it returns 0 whatever else is wrong, so help always works.  Nothing is
 * allocated; OUT points into ARGV and the tables.
 */
int ctl_args_parse(const struct ctl_cmd *cmds, size_t ncmds, int argc, char **argv,
		   struct ctl_line *out, char *err, size_t errlen);

/* The option named NAME of CMD (NULL: none); its index is opt - cmd->opts. */
const struct ctl_opt *ctl_args_find(const struct ctl_cmd *cmd, const char *name);

/* The option of CMD (may be NULL) or the global one named by NAMELEN bytes of NAME, or NULL. */
const struct ctl_opt *ctl_args_option(const struct ctl_cmd *cmd, const char *name, size_t namelen);

/*
 * The command named by the NWORDS WORDS: 1 with *CMD set; 0 when they are
 * a group's words ("plan"); -1 when no command begins with them.
 */
int ctl_args_lookup(const struct ctl_cmd *cmds, size_t ncmds, const char *const *words, int nwords,
		    const struct ctl_cmd **cmd);

/* Whether a command's name begins with the NWORDS words WORDS (a group's members). */
bool ctl_args_in_group(const struct ctl_cmd *cmd, const char *const *words, int nwords);

/* The value of option NAME of L's command (an unset value when it has none). */
const struct ctl_val *ctl_opt(const struct ctl_line *l, const char *name);

/*
 * The name of positional I in ARGS ("USER PLAN" → "PLAN" for 1; the last
 * word repeats for "FILE..."), brackets and dots dropped, into BUF.
 */
const char *ctl_args_posname(const char *args, int i, char *buf, size_t len);

#endif
