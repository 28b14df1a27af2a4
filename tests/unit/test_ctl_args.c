/* Unit tests for reelctl's command line: the parser, the command table, completion. */
#include <ctype.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "help.h"
#include "test.h"

static struct ctl_line l;
static char err[256];

/* Parse the words of LINE (space-separated) against the real command table. */
static int parse(const char *line)
{
	static char buf[1024];
	char *argv[64] = {"reelctl"};
	int argc = 1;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok(buf, " "); w && argc < 63; w = strtok(NULL, " "))
		argv[argc++] = strcmp(w, "''") == 0 ? "" : w;
	return ctl_args_parse(ctl_commands, ctl_ncommands, argc, argv, &l, err, sizeof(err));
}

static bool is(const char *name)
{
	return l.cmd && strcmp(l.cmd->name, name) == 0;
}

static void commands(void)
{
	CHECK(parse("plan add gold --max-streams 2 --max-height=1080 --downloads --json") == 0);
	CHECK(is("plan add"));
	CHECK_INT(l.npos, 1);
	CHECK_STR(l.pos[0], "gold");
	CHECK(ctl_opt(&l, "max-streams")->set && ctl_opt(&l, "max-streams")->num == 2);
	CHECK(ctl_opt(&l, "max-height")->num == 1080);
	CHECK_STR(ctl_opt(&l, "max-height")->str, "1080");
	CHECK(ctl_opt(&l, "downloads")->set);
	CHECK(!ctl_opt(&l, "replace")->set);
	CHECK(l.global[CTL_G_JSON].set);

	CHECK(parse("--json --url http://x:1 plan list") == 0 && is("plan list"));
	CHECK(l.global[CTL_G_JSON].set);
	CHECK_STR(l.global[CTL_G_URL].str, "http://x:1");
	CHECK(parse("grant --days 7 alice@example.com gold") == 0 && is("grant"));
	CHECK_STR(l.pos[0], "alice@example.com");
	CHECK_STR(l.pos[1], "gold");
	CHECK(ctl_opt(&l, "days")->num == 7);
	CHECK(parse("title register t1 - --name=A=B") == 0 && is("title register"));
	CHECK_STR(l.pos[1], "-");
	CHECK_STR(ctl_opt(&l, "name")->str, "A=B");
	CHECK(parse("title register t1 -- --odd-file") == 0);
	CHECK_STR(l.pos[1], "--odd-file");
	CHECK(parse("title register t1 m --name --looks-like-an-option") == 0);
	CHECK_STR(ctl_opt(&l, "name")->str, "--looks-like-an-option");
	CHECK(parse("plan show ''") == 0 && l.npos == 1 && l.pos[0][0] == '\0');
	CHECK(parse("help plan add") == 0 && is("help") && l.npos == 2);
}

static void errors(void)
{
	CHECK(parse("") == -1);
	CHECK_STR(err, "missing a command");
	CHECK(parse("foo") == -1 && !l.cmd);
	CHECK_STR(err, "unknown command 'foo'");
	CHECK(parse("plan foo") == -1);
	CHECK_STR(err, "unknown command 'plan foo'");
	CHECK(parse("plan") == -1 && !l.cmd && l.nwords == 1);
	CHECK_STR(err, "'plan' needs a subcommand");
	CHECK(parse("grant alice") == -1 && is("grant"));
	CHECK_STR(err, "missing PLAN");
	CHECK(parse("plan show") == -1);
	CHECK_STR(err, "missing NAME");
	CHECK(parse("plan show a b") == -1);
	CHECK_STR(err, "unexpected argument 'b'");
	CHECK(parse("plan add gold --max-height 720") == -1);
	CHECK_STR(err, "missing --max-streams N");
	CHECK(parse("grant a b --days 0") == -1);
	CHECK_STR(err, "--days: expected a whole number in 1..3660");
	CHECK(parse("grant a b --days=3661") == -1);
	CHECK(parse("grant a b --days 1x") == -1);
	CHECK(parse("grant a b --days") == -1);
	CHECK_STR(err, "--days needs a value (N)");
	CHECK(parse("plan list --json=yes") == -1);
	CHECK_STR(err, "--json takes no value");
	CHECK(parse("plan list --nope") == -1);
	CHECK_STR(err, "unknown option '--nope'");
	CHECK(parse("plan list -x") == -1);
	CHECK_STR(err, "unknown option '-x'");
	CHECK(parse("--days 3 grant a b") == -1); /* a command's option before the command */
	CHECK_STR(err, "unknown option '--days'");
	CHECK(parse("plan list --replace") == -1); /* another command's option */
	/* the first error is the one reported */
	CHECK(parse("foo --nope") == -1);
	CHECK_STR(err, "unknown command 'foo'");
}

static void help(void)
{
	CHECK(parse("plan add --help") == 0 && is("plan add") && l.global[CTL_G_HELP].set);
	CHECK(parse("plan -h") == 0 && !l.cmd && l.nwords == 1 && l.global[CTL_G_HELP].set);
	CHECK(parse("foo bar --help") == 0 && l.global[CTL_G_HELP].set);
	CHECK(parse("grant --days x -h") == 0);
	CHECK(parse("--version") == 0 && l.global[CTL_G_VERSION].set);
}

static void posnames(void)
{
	char b[32];

	CHECK_STR(ctl_args_posname("USER PLAN", 0, b, sizeof(b)), "USER");
	CHECK_STR(ctl_args_posname("USER PLAN", 1, b, sizeof(b)), "PLAN");
	CHECK_STR(ctl_args_posname("ID [NAME]", 1, b, sizeof(b)), "NAME");
	CHECK_STR(ctl_args_posname("FILE...", 3, b, sizeof(b)), "FILE");
	CHECK_STR(ctl_args_posname("[COMMAND...]", 0, b, sizeof(b)), "COMMAND");
	CHECK_STR(ctl_args_posname("", 0, b, sizeof(b)), "ARG");
}

/* Every line of the table can be parsed, documented and completed as the others. */
static void table(void)
{
	const struct ctl_cmd *found;

	for (size_t i = 0; i < ctl_ncommands; i++) {
		const struct ctl_cmd *c = &ctl_commands[i];
		int nopts = 0;
		size_t sl = strlen(c->summary);

		for (const struct ctl_opt *o = c->opts; o && o->name; o++, nopts++) {
			CHECK(o->help && (o->type == CTL_FLAG) == (o->metavar == NULL));
			CHECK(ctl_args_option(NULL, o->name, strlen(o->name)) == NULL);
			CHECK(ctl_args_find(c, o->name) == o);
		}
		CHECK(nopts <= CTL_MAX_OPTS);
		CHECK(c->run && c->args);
		CHECK(c->min_pos >= 0 && (c->max_pos < 0 || c->min_pos <= c->max_pos));
		CHECK(sl > 0 && islower((unsigned char)c->summary[0]) && c->summary[sl - 1] != '.');
		CHECK(!c->help || c->help[strlen(c->help) - 1] == '\n');
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(ctl_commands[j].name, c->name) != 0);
	}
	CHECK_INT(ctl_args_lookup(ctl_commands, ctl_ncommands, (const char *[]){"plan"}, 1, &found),
		  0);
	CHECK_INT(
	    ctl_args_lookup(ctl_commands, ctl_ncommands, (const char *[]){"plan", "rm"}, 2, &found),
	    1);
	CHECK(found && strcmp(found->name, "plan rm") == 0);
	CHECK_INT(ctl_args_lookup(ctl_commands, ctl_ncommands, (const char *[]){"pla"}, 1, &found),
		  -1);
}

/* The candidates for WORDS (space-separated; a trailing space: an empty last word). */
static const char *complete(const char *line)
{
	static char out[4096], buf[256];
	char *words[16];
	int n = 0;
	FILE *f;
	char *p = buf;

	memset(out, 0, sizeof(out));
	f = fmemopen(out, sizeof(out) - 1, "w");
	snprintf(buf, sizeof(buf), "%s", line);
	words[n++] = p;
	for (; *p; p++)
		if (*p == ' ') {
			*p = '\0';
			words[n++] = p + 1;
		}
	ctl_complete(ctl_commands, ctl_ncommands, n, words, f);
	fclose(f);
	return out;
}

static void completion(void)
{
	CHECK_STR(complete(""), "user\nplan\ngrant\ntitle\njob\nkey\nedge\nfill\nsteer\ntoken\nhelp\n");
	CHECK_STR(complete("pl"),
		  "user\nplan\ngrant\ntitle\njob\nkey\nedge\nfill\nsteer\ntoken\nhelp\n"); /* bash filters */
	CHECK_STR(complete("key "), "add\nlist\n");
	CHECK(strncmp(complete("token mint u t --"), "--ttl\n", 6) == 0);
	CHECK_STR(complete("plan "), "add\nlist\nshow\nrm\n");
	CHECK_STR(complete("fill "), "status\n");
	CHECK_STR(complete("--json title "), "list\nshow\nrm\nregister\nadd\n");
	CHECK(strstr(complete("plan add gold --"), "--max-streams\n") != NULL);
	CHECK(strstr(complete("plan add gold --"), "--json\n") != NULL);
	CHECK(strstr(complete("plan list --"), "--max-streams\n") == NULL);
	CHECK_STR(complete("title register t1 "), "__file__\n");
	CHECK_STR(complete("title register "), "");
	CHECK_STR(complete("title add "), "__file__\n");
	CHECK_STR(complete("title add f --id "), "");
	CHECK_STR(complete("job "), "list\nshow\ncancel\nretry\nlogs\n");
	CHECK_STR(complete("title register t1 m "), "");
	CHECK_STR(complete("--config "), "__file__\n");
	CHECK_STR(complete("key add t k --save "), "__file__\n");
	CHECK_STR(complete("grant --days "), "");
	CHECK_STR(complete("grant --days 3 a "), "");
	CHECK_STR(complete("nope "), "");
}

int main(void)
{
	commands();
	errors();
	help();
	posnames();
	table();
	completion();
	return test_done();
}
