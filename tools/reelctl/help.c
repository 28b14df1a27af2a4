/* --help texts and completion candidates, from the command table. */
#include "help.h"

#include <ctype.h>
#include <string.h>

#include "commands.h"
#include "ctl.h"
#include "reel_config.h"

#define COL 32 /* where descriptions start */

void ctl_usage_line(const struct ctl_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: reelctl %s%s%s%s\n", cmd->name, cmd->args && cmd->args[0] ? " " : "",
		cmd->args ? cmd->args : "", cmd->opts ? " [options]" : "");
}

/* "  LEFT" padded to COL, then TEXT. */
static void item(FILE *out, const char *left, const char *text)
{
	int n = fprintf(out, "  %s", left);

	fprintf(out, "%*s%s\n", n < COL ? COL - n : 1, "", text);
}

static void options(const struct ctl_opt *o, FILE *out)
{
	char left[96], text[256];

	for (; o && o->name; o++) {
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		snprintf(text, sizeof(text), "%s%s", o->help, o->required ? " (required)" : "");
		item(out, left, text);
	}
}

static void command_line(const struct ctl_cmd *cmd, FILE *out)
{
	char left[96];

	if (cmd->name[0] == '_')
		return;
	snprintf(left, sizeof(left), "%s%s%s", cmd->name, cmd->args && cmd->args[0] ? " " : "",
		 cmd->args ? cmd->args : "");
	item(out, left, cmd->summary);
}

void ctl_help_group(const struct ctl_cmd *cmds, size_t n, const char *const *words, int nwords,
		    FILE *out)
{
	if (nwords)
		fprintf(out, "usage: reelctl %s COMMAND [ARGS] [options]\n\nCommands:\n", words[0]);
	for (size_t i = 0; i < n; i++)
		if (ctl_args_in_group(&cmds[i], words, nwords))
			command_line(&cmds[i], out);
}

void ctl_help_all(const struct ctl_cmd *cmds, size_t n, FILE *out)
{
	fprintf(out, "usage: reelctl COMMAND [ARGS] [options]\n"
		     "\n"
		     "Administer a reel CDN through the admin API of its origin (reel-origin).\n"
		     "\n"
		     "Commands:\n");
	ctl_help_group(cmds, n, NULL, 0, out);
	fprintf(out, "\nGlobal options (before or after the command):\n");
	options(ctl_global_opts, out);
	fprintf(out,
		"\n"
		"Credentials come from the config file ([admin] url, token or token_file, ca,\n"
		"insecure), then REEL_ADMIN_URL and REEL_ADMIN_TOKEN, then the options above;\n"
		"a later source overrides an earlier one.  The URL defaults to %s.\n"
		"A file that holds a token must be readable by its owner only (chmod 600).\n"
		"\n"
		"Exit status:\n",
		CTL_DEFAULT_URL);
#define X(name, value, meaning) fprintf(out, "  %d  %s\n", value, meaning);
	CTL_EXITS(X)
#undef X
	fprintf(out, "\nRun 'reelctl COMMAND --help' for the options of a command.\n");
}

/* "Global options: --config FILE, --url URL, ..." wrapped at 80 columns. */
static void global_line(FILE *out)
{
	int col = fprintf(out, "\nGlobal options:") - 1;

	for (const struct ctl_opt *o = ctl_global_opts; o->name; o++) {
		int w = (int)strlen(o->name) + 3 + (o->metavar ? (int)strlen(o->metavar) + 1 : 0);

		if (col + w > 79) {
			fputc('\n', out);
			col = 0;
		}
		col += fprintf(out, "%s--%s%s%s%s", col ? " " : "", o->name, o->metavar ? " " : "",
			       o->metavar ? o->metavar : "", o[1].name ? "," : "");
	}
	fprintf(out, "%s(see reelctl --help).\n", col + 22 > 79 ? "\n" : " ");
}

void ctl_help_cmd(const struct ctl_cmd *cmd, FILE *out)
{
	ctl_usage_line(cmd, out);
	fprintf(out, "\n%c%s.\n", toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->help)
		fprintf(out, "\n%s", cmd->help);
	if (cmd->opts) {
		fprintf(out, "\nOptions:\n");
		options(cmd->opts, out);
	}
	global_line(out);
}

int ctl_help(struct ctl *c, const struct ctl_line *l)
{
	const struct ctl_cmd *cmd;
	int r = ctl_args_lookup(ctl_commands, ctl_ncommands, l->pos,
				l->npos < CTL_MAX_WORDS ? l->npos : CTL_MAX_WORDS, &cmd);

	if (l->npos == 0)
		ctl_help_all(ctl_commands, ctl_ncommands, c->out);
	else if (r == 1 && l->npos <= CTL_MAX_WORDS)
		ctl_help_cmd(cmd, c->out);
	else if (r == 0)
		ctl_help_group(ctl_commands, ctl_ncommands, l->pos, l->npos, c->out);
	else
		return ctl_error(CTL_USAGE, "help: unknown command '%s'", l->pos[0]);
	return CTL_OK;
}

/* ---- completion ---- */

static bool wants_file(const char *name)
{
	return strcmp(name, "FILE") == 0 || strcmp(name, "MANIFEST") == 0;
}

static void complete_options(const struct ctl_cmd *cmd, FILE *out)
{
	for (const struct ctl_opt *o = cmd ? cmd->opts : NULL; o && o->name; o++)
		fprintf(out, "--%s\n", o->name);
	for (const struct ctl_opt *o = ctl_global_opts; o->name; o++)
		fprintf(out, "--%s\n", o->name);
}

/* The word after the NWORDS WORDS of each command of that group, once each. */
static void complete_words(const struct ctl_cmd *cmds, size_t n, const char *const *words,
			   int nwords, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *w = cmds[i].name;
		size_t len;
		bool seen = false;

		if (w[0] == '_' || !ctl_args_in_group(&cmds[i], words, nwords))
			continue;
		for (int k = 0; k < nwords; k++)
			w = strchr(w, ' ') + 1;
		len = strcspn(w, " ");
		for (size_t j = 0; j < i && !seen; j++) {
			const char *v = cmds[j].name;

			if (!ctl_args_in_group(&cmds[j], words, nwords))
				continue;
			for (int k = 0; k < nwords; k++)
				v = strchr(v, ' ') + 1;
			seen = strcspn(v, " ") == len && strncmp(v, w, len) == 0;
		}
		if (!seen)
			fprintf(out, "%.*s\n", (int)len, w);
	}
}

/* Whether the word A is an option that takes the next word as its value; its entry in *O. */
static bool takes_value(const struct ctl_cmd *cmd, const char *a, const struct ctl_opt **o)
{
	if (a[0] != '-' || a[1] != '-' || strchr(a, '='))
		return false;
	*o = ctl_args_option(cmd, a + 2, strlen(a + 2));
	return *o && (*o)->type != CTL_FLAG;
}

int ctl_complete(const struct ctl_cmd *cmds, size_t n, int nwords, char **words, FILE *out)
{
	const char *cur = nwords ? words[nwords - 1] : "", *cw[CTL_MAX_WORDS];
	const struct ctl_cmd *cmd = NULL;
	const struct ctl_opt *o = NULL;
	char name[64];
	int ncw = 0, npos = 0;

	for (int i = 0; i + 1 < nwords; i++) {
		if (takes_value(cmd, words[i], &o)) {
			if (i + 2 == nwords) {
				if (o->metavar && wants_file(o->metavar))
					fprintf(out, "__file__\n");
				return 0;
			}
			i++;
		} else if (words[i][0] == '-') {
			continue;
		} else if (!cmd) {
			if (ncw == CTL_MAX_WORDS)
				return 0;
			cw[ncw++] = words[i];
			if (ctl_args_lookup(cmds, n, cw, ncw, &cmd) < 0)
				return 0;
		} else {
			npos++;
		}
	}
	if (cur[0] == '-')
		complete_options(cmd, out);
	else if (!cmd)
		complete_words(cmds, n, cw, ncw, out);
	else if ((cmd->max_pos < 0 || npos < cmd->max_pos) &&
		 wants_file(ctl_args_posname(cmd->args, npos, name, sizeof(name))))
		fprintf(out, "__file__\n");
	return 0;
}
