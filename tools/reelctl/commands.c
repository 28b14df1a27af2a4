/*
 * The command table: one line per command.  A new command is a handler (in
 * the file of its kind of object) and a line here; parsing, --help, usage
 * errors and completion come from the line.
 */
#include "commands.h"

#include <stdint.h>

#define N UINT32_MAX /* numbers are checked by the origin */

static const struct ctl_opt plan_add_opts[] = {
    CTL_OPT_UINT("max-streams", "concurrent streams", 0, N, true),
    CTL_OPT_UINT("max-height", "largest rendition height, such as 1080", 0, N, true),
    CTL_OPT_FLAG("downloads", "allow offline downloads"),
    CTL_OPT_UINT("max-devices", "devices holding downloads at once (default 0)", 0, N, false),
    CTL_OPT_UINT("max-downloads", "active downloads at once (default 0)", 0, N, false),
    CTL_OPT_UINT("downloads-per-title-year", "licenses of one title in any 365 days (default 0)", 0,
		 N, false),
    CTL_OPT_UINT("period-days", "subscription period (default 30)", 0, N, false),
    CTL_OPT_STR("title", "TEXT", "the plan's name for people"),
    CTL_OPT_FLAG("replace", "replace a plan of that name"),
    CTL_OPT_END,
};

static const struct ctl_opt grant_opts[] = {
    CTL_OPT_UINT("days", "days from now (default: one period of the plan)", 1, 3660, false),
    CTL_OPT_END,
};

static const struct ctl_opt title_register_opts[] = {
    CTL_OPT_STR("name", "NAME", "display name instead of the manifest's \"title\""),
    CTL_OPT_END,
};

static const struct ctl_opt title_add_opts[] = {
    CTL_OPT_STR_REQ("id", "ID", "the title's id"),
    CTL_OPT_STR("name", "NAME", "its display name (default: the id)"),
    CTL_OPT_STR("ladder", "LADDER", "renditions WxH@KBPS,... (default: the origin's)"),
    CTL_OPT_STR("format", "FORMAT", "segments: fmp4 (default) or ts"),
    CTL_OPT_FLAG("encrypt", "encrypt with a new content key the origin keeps"),
    CTL_OPT_FLAG("urgent", "run first; fill the edges at once, even outside the fill window"),
    CTL_OPT_FLAG("wait", "return once the title is complete on the edges, showing the progress"),
    CTL_OPT_UINT("timeout", "with --wait: give up (exit 1) after N seconds", 1, N, false),
    CTL_OPT_FLAG("on-origin", "FILE is a path on the origin host, under its import_dir"),
    CTL_OPT_END,
};

static const struct ctl_opt job_list_opts[] = {
    CTL_OPT_STR("state", "STATE", "only jobs queued, running, done, failed or cancelled"),
    CTL_OPT_END,
};

static const struct ctl_opt key_add_opts[] = {
    CTL_OPT_STR("key", "HEX", "import this AES-128 key (32 hex digits); default: a new one"),
    CTL_OPT_STR("save", "FILE", "write the key to FILE (mode 600, never replaced)"),
    CTL_OPT_END,
};

static const struct ctl_opt token_mint_opts[] = {
    CTL_OPT_UINT("ttl", "seconds the token lives at most, 60..3600 (default 600)", 60, 3600,
		 false),
    CTL_OPT_END,
};

static const char token_mint_help[] =
    "Plays TITLE on behalf of USER (id or email), to try an edge with a real\n"
    "token: the user's subscription and the plan's limits apply and the lease\n"
    "counts against the user's streams.  Prints the token and the edge URL of\n"
    "the title's master playlist.  The origin logs it with the admin's name.\n";

static const struct ctl_opt edge_add_opts[] = {
    {"cluster", CTL_STR, "NAME", "the edge's cluster (its site)", 0, 0, true},
    CTL_OPT_UINT("capacity", "what the edge can send, in Mb/s", 1, 10000000, true),
    CTL_OPT_STR("prefixes", "LIST", "client prefixes it serves, CIDR, comma-separated"),
    CTL_OPT_STR("prefixes-file", "FILE", "client prefixes, one a line ('#' comments)"),
    CTL_OPT_STR("fill-url", "URL", "its fill API ([fill] listen): the origin fills it"),
    CTL_OPT_STR("save", "FILE", "write the credential to FILE (mode 600, never replaced)"),
    CTL_OPT_END,
};

static const struct ctl_opt edge_secret_opts[] = {
    CTL_OPT_STR("save", "FILE", "write the credential to FILE (mode 600, never replaced)"),
    CTL_OPT_END,
};

static const char edge_add_help[] =
    "Registers an edge and prints the lines of its edge.conf [origin] section:\n"
    "its id and, shown once, its credential (keep it with --save FILE, the\n"
    "edge's secret_file).  URL is the edge's base URL for players (http:// or\n"
    "https://); --cluster is required.  The edge gets players once it reports\n"
    "(state up).  With --fill-url the origin's fill scheduler sends it titles.\n";

static const char edge_secret_help[] =
    "Gives the edge a new credential, printed as edge add prints it; the old\n"
    "one is refused from the next request on.\n";

static const char edge_help[] = "EDGE is an edge's id or name.\n";

static const char steer_help[] =
    "Shows where POST /api/v1/play would send a player at ADDRESS (IPv4 or\n"
    "IPv6) for TITLE now: the edge chosen first, then the alternates.\n";

static const char plan_add_help[] =
    "Writes the whole plan: options left out take their defaults.  A plan that\n"
    "exists is replaced only with --replace; the change applies to every\n"
    "subscriber at once.\n";

static const char title_register_help[] =
    "Registers the package whose manifest.json is MANIFEST (a package folder\n"
    "stands for its manifest.json; - reads standard input) as title ID, or\n"
    "updates it.  The package itself reaches the edges separately.\n";

static const char title_add_help[] =
    "Onboards the source FILE as title ID: sends it to the origin (streamed from\n"
    "the file in pieces, the SHA-256 checked at the origin; an interrupted\n"
    "upload goes on where it stopped, within the run or when run again) and\n"
    "starts a transcode job.  With --on-origin, FILE is a file on the origin\n"
    "host under its [jobs] import_dir (relative: from there), and nothing is sent.\n"
    "Without --wait it returns once the job is queued.  With --wait it shows the\n"
    "job's progress (rate and time left as the transcoder reports them), then\n"
    "the fill's (bytes sent to the edges), and returns once every edge that\n"
    "should hold the title has it complete (at once with no edges), or exits 1\n"
    "with the transcoder's reason when the job fails, or when --timeout passes.\n";

static const char job_cancel_help[] =
    "A queued job is dropped; a running one's reel-transcode is killed and its\n"
    "partial output removed.  The source stays, for job retry.\n";

static const char key_add_help[] =
    "Stores a content key for title ID under KID and makes it current; the title\n"
    "need not be registered yet.  The key is shown once, for reel-transcode\n"
    "--key-file: keep it with --save FILE.\n";

const struct ctl_cmd ctl_commands[] = {
    {"user list", "", 0, 0, NULL, ctl_user_list, "list the accounts", NULL},
    {"user show", "USER", 1, 1, NULL, ctl_user_show, "show an account (by id or email)", NULL},
    {"user disable", "USER", 1, 1, NULL, ctl_user_disable,
     "disable an account: its sessions and streams end at once", NULL},
    {"user enable", "USER", 1, 1, NULL, ctl_user_enable, "enable a disabled account", NULL},
    {"plan add", "NAME", 1, 1, plan_add_opts, ctl_plan_add, "create a plan", plan_add_help},
    {"plan list", "", 0, 0, NULL, ctl_plan_list, "list the plans", NULL},
    {"plan show", "NAME", 1, 1, NULL, ctl_plan_show, "show a plan", NULL},
    {"plan rm", "NAME", 1, 1, NULL, ctl_plan_rm, "delete a plan no subscription names", NULL},
    {"grant", "USER PLAN", 2, 2, grant_opts, ctl_grant,
     "give a user a plan for some days, without renewal", NULL},
    {"title list", "", 0, 0, NULL, ctl_title_list, "list the catalog", NULL},
    {"title show", "ID", 1, 1, NULL, ctl_title_show, "show a title", NULL},
    {"title rm", "ID", 1, 1, NULL, ctl_title_rm, "delete a title and its content keys", NULL},
    {"title register", "ID MANIFEST", 2, 2, title_register_opts, ctl_title_register,
     "register a packaged title from its manifest.json", title_register_help},
    {"title add", "FILE", 1, 1, title_add_opts, ctl_title_add,
     "onboard a source file: upload it and transcode it into a title", title_add_help},
    {"job list", "", 0, 0, job_list_opts, ctl_job_list, "list the transcode jobs, newest first",
     NULL},
    {"job show", "JOB", 1, 1, NULL, ctl_job_show, "show a job, with its progress while it runs",
     NULL},
    {"job cancel", "JOB", 1, 1, NULL, ctl_job_cancel, "cancel a queued or running job",
     job_cancel_help},
    {"job retry", "JOB", 1, 1, NULL, ctl_job_retry, "queue a failed or cancelled job again", NULL},
    {"job logs", "JOB", 1, 1, NULL, ctl_job_logs, "show the last lines of a job's log", NULL},
    {"key add", "ID KID", 2, 2, key_add_opts, ctl_key_add,
     "add a content key to a title and make it current", key_add_help},
    {"key list", "ID", 1, 1, NULL, ctl_key_list, "list a title's content key ids and dates", NULL},
    {"edge add", "NAME URL", 2, 2, edge_add_opts, ctl_edge_add, "register an edge", edge_add_help},
    {"edge list", "", 0, 0, NULL, ctl_edge_list, "list the edges with their state", NULL},
    {"edge show", "EDGE", 1, 1, NULL, ctl_edge_show, "show an edge and its last report", edge_help},
    {"edge drain", "EDGE", 1, 1, NULL, ctl_edge_drain,
     "send no new players to an edge (those on it go on)", edge_help},
    {"edge resume", "EDGE", 1, 1, NULL, ctl_edge_resume, "end an edge's draining", edge_help},
    {"edge secret", "EDGE", 1, 1, edge_secret_opts, ctl_edge_secret,
     "give an edge a new credential, revoking the old", edge_secret_help},
    {"edge rm", "EDGE", 1, 1, NULL, ctl_edge_rm, "remove an edge; its credential is refused",
     edge_help},
    {"fill status", "", 0, 0, NULL, ctl_fill_status,
     "what each edge holds, is sent and waits for, with rates and ETA", NULL},
    {"steer", "ADDRESS TITLE", 2, 2, NULL, ctl_steer,
     "show where a player at an address is sent for a title", steer_help},
    {"token mint", "USER TITLE", 2, 2, token_mint_opts, ctl_token_mint,
     "a stream token of a user for a title, to try an edge", token_mint_help},
    {"help", "[COMMAND...]", 0, CTL_MAX_WORDS, NULL, ctl_help, "show the help of a command", NULL},
};

const size_t ctl_ncommands = sizeof(ctl_commands) / sizeof(ctl_commands[0]);
