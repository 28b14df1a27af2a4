/* reelctl's command-line parser: command words, then options and positionals. */
#include "args.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

const struct ctl_opt ctl_global_opts[CTL_G_COUNT + 1] = {
    [CTL_G_CONFIG] = {"config", CTL_STR, "FILE",
		      "config file (default ~/.config/reel/reelctl.conf)"},
    [CTL_G_URL] = {"url", CTL_STR, "URL", "the origin's admin API (or REEL_ADMIN_URL)"},
    [CTL_G_TOKEN] = {"token", CTL_STR, "TOKEN", "admin token (or REEL_ADMIN_TOKEN)"},
    [CTL_G_TOKEN_FILE] = {"token-file", CTL_STR, "FILE", "read the admin token from FILE"},
    [CTL_G_CA] = {"ca", CTL_STR, "FILE", "CA certificates to verify an HTTPS origin with"},
    [CTL_G_INSECURE] = {"insecure", CTL_FLAG, NULL, "do not verify an HTTPS origin"},
    [CTL_G_JSON] = {"json", CTL_FLAG, NULL, "print the API's JSON instead of text"},
    [CTL_G_HELP] = {"help", CTL_FLAG, NULL, "show help (also -h)"},
    [CTL_G_VERSION] = {"version", CTL_FLAG, NULL, "show the version"},
    [CTL_G_COUNT] = {NULL, 0, NULL, NULL},
};

struct parse {
	const struct ctl_cmd *cmds;
	size_t ncmds;
	struct ctl_line *out;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep the first error only: the rest of the line is still read for --help. */
static void fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

bool ctl_args_in_group(const struct ctl_cmd *cmd, const char *const *words, int nwords)
{
	const char *s = cmd->name;

	for (int i = 0; i < nwords; i++) {
		size_t n = strlen(words[i]);

		if (strncmp(s, words[i], n) != 0 || (s[n] != ' ' && s[n] != '\0'))
			return false;
		s += n;
		if (*s == ' ')
			s++;
		else if (i + 1 < nwords)
			return false;
	}
	return true;
}

static int name_words(const char *name)
{
	int n = 1;

	for (; *name; name++)
		n += *name == ' ';
	return n;
}

int ctl_args_lookup(const struct ctl_cmd *cmds, size_t ncmds, const char *const *words, int nwords,
		    const struct ctl_cmd **cmd)
{
	int found = -1;

	*cmd = NULL;
	for (size_t i = 0; i < ncmds; i++) {
		if (!ctl_args_in_group(&cmds[i], words, nwords))
			continue;
		if (name_words(cmds[i].name) == nwords) {
			*cmd = &cmds[i];
			return 1;
		}
		found = 0;
	}
	return found;
}

/* Take WORD as the next command word: the command it completes, or a group, or an error. */
static void take_word(struct parse *p, const char *word)
{
	struct ctl_line *l = p->out;

	if (l->nwords == CTL_MAX_WORDS) {
		fail(p, "unknown command '%s %s'", l->words[0], word);
		return;
	}
	l->words[l->nwords++] = word;
	if (ctl_args_lookup(p->cmds, p->ncmds, l->words, l->nwords, &l->cmd) >= 0)
		return;
	l->nwords--;
	if (l->nwords == 0)
		fail(p, "unknown command '%s'", word);
	else
		fail(p, "unknown command '%s %s'", l->words[0], word);
}

const struct ctl_opt *ctl_args_find(const struct ctl_cmd *cmd, const char *name)
{
	for (const struct ctl_opt *o = cmd ? cmd->opts : NULL; o && o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

const struct ctl_opt *ctl_args_option(const struct ctl_cmd *cmd, const char *name, size_t namelen)
{
	for (const struct ctl_opt *o = cmd ? cmd->opts : NULL; o && o->name; o++)
		if (strlen(o->name) == namelen && strncmp(o->name, name, namelen) == 0)
			return o;
	for (const struct ctl_opt *o = ctl_global_opts; o->name; o++)
		if (strlen(o->name) == namelen && strncmp(o->name, name, namelen) == 0)
			return o;
	return NULL;
}

/* The option --NAME (NAMELEN bytes): its table entry and where its value goes. */
static const struct ctl_opt *find_opt(struct parse *p, const char *name, size_t namelen,
				      struct ctl_val **val)
{
	const struct ctl_opt *o = ctl_args_option(p->out->cmd, name, namelen);

	if (o && o >= ctl_global_opts && o < ctl_global_opts + CTL_G_COUNT)
		*val = &p->out->global[o - ctl_global_opts];
	else if (o)
		*val = &p->out->opt[o - p->out->cmd->opts];
	return o;
}

static void set_value(struct parse *p, const struct ctl_opt *o, struct ctl_val *v, const char *text)
{
	v->set = true;
	v->str = text;
	if (o->type == CTL_UINT && conf_parse_uint(text, o->min, o->max, &v->num) != 0)
		fail(p, "--%s: expected a whole number in %llu..%llu", o->name,
		     (unsigned long long)o->min, (unsigned long long)o->max);
}

/* The option ARGV[*I] (and its value, which may be the next word). */
static void take_option(struct parse *p, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *name = a + 2, *eq;
	const struct ctl_opt *o;
	struct ctl_val *v = NULL;

	if (strcmp(a, "-h") == 0) {
		p->out->global[CTL_G_HELP].set = true;
		return;
	}
	if (a[1] != '-') {
		fail(p, "unknown option '%s'", a);
		return;
	}
	eq = strchr(name, '=');
	if (!(o = find_opt(p, name, eq ? (size_t)(eq - name) : strlen(name), &v))) {
		fail(p, "unknown option '--%.*s'", eq ? (int)(eq - name) : (int)strlen(name), name);
		return;
	}
	if (o->type == CTL_FLAG) {
		if (eq)
			fail(p, "--%s takes no value", o->name);
		v->set = true;
	} else if (eq) {
		set_value(p, o, v, eq + 1);
	} else if (*i + 1 < argc) {
		set_value(p, o, v, argv[++*i]);
	} else {
		fail(p, "--%s needs a value (%s)", o->name, o->metavar);
	}
}

const char *ctl_args_posname(const char *args, int i, char *buf, size_t len)
{
	const char *s = args ? args : "", *word = "ARG";
	size_t wlen = 3;

	for (int k = 0; *s; k++) {
		s += strspn(s, " [");
		if (!*s)
			break;
		word = s;
		wlen = strcspn(s, " ]");
		s += wlen;
		s += strspn(s, "]");
		if (k == i)
			break;
	}
	while (wlen > 0 && word[wlen - 1] == '.')
		wlen--;
	snprintf(buf, len, "%.*s", (int)wlen, word);
	return buf;
}

static void take_positional(struct parse *p, const char *a)
{
	struct ctl_line *l = p->out;
	int max = l->cmd->max_pos < 0 ? CTL_MAX_POS : l->cmd->max_pos;

	if (l->npos >= max) {
		fail(p, "unexpected argument '%s'", a);
		return;
	}
	l->pos[l->npos++] = a;
}

static void finish(struct parse *p)
{
	const struct ctl_line *l = p->out;
	char name[64];

	if (!l->cmd && l->nwords == 0)
		fail(p, "missing a command");
	else if (!l->cmd)
		fail(p, "'%s' needs a subcommand", l->words[0]);
	else if (l->npos < l->cmd->min_pos)
		fail(p, "missing %s", ctl_args_posname(l->cmd->args, l->npos, name, sizeof(name)));
	for (int i = 0; l->cmd && l->cmd->opts && l->cmd->opts[i].name; i++)
		if (l->cmd->opts[i].required && !l->opt[i].set)
			fail(p, "missing --%s %s", l->cmd->opts[i].name, l->cmd->opts[i].metavar);
}

int ctl_args_parse(const struct ctl_cmd *cmds, size_t ncmds, int argc, char **argv,
		   struct ctl_line *out, char *err, size_t errlen)
{
	struct parse p = {cmds, ncmds, out, err, errlen, false};
	bool options = true;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && strcmp(a, "--") == 0)
			options = false;
		else if (options && a[0] == '-' && a[1])
			take_option(&p, argc, argv, &i);
		else if (p.failed)
			continue;
		else if (!out->cmd)
			take_word(&p, a);
		else
			take_positional(&p, a);
	}
	if (out->global[CTL_G_HELP].set || out->global[CTL_G_VERSION].set)
		return 0;
	finish(&p);
	return p.failed ? -1 : 0;
}

const struct ctl_val *ctl_opt(const struct ctl_line *l, const char *name)
{
	static const struct ctl_val unset;
	const struct ctl_opt *o = ctl_args_find(l->cmd, name);

	assert(o && "a command asks for an option its table does not list");
	return o ? &l->opt[o - l->cmd->opts] : &unset;
}
