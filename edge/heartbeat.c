/*
 * The heartbeat process (see heartbeat.h): a timer on its own libevent
 * loop starts each report; the answer, when it comes, feeds the shared
 * revocations.  Reports never overlap: a tick that finds one in flight
 * waits for the next.
 */
#include "heartbeat.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "bgp.h"
#include "buf.h"
#include "index.h"
#include "index_record.h"
#include "log.h"
#include "manifest.h"
#include "upstream.h"

#define HB_PATH		"edge/v1/heartbeat"
#define HB_ANSWER_MAX	(8 << 20)
#define HB_INTERVAL_MAX 600 /* seconds: the longest interval an answer may set */
#define HB_KEEP_DEFAULT 86400

typedef char lease_id[STREAM_ID_MAX + 1];

struct hb {
	const struct edge_heartbeat_ctx *ctx;
	const struct edge_config *cfg;
	struct event_base *base;
	struct edge_upstream *up;
	struct edge_breaker breaker; /* never opens: each report is tried */
	struct event *timer, *sigterm, *sigint;
	struct edge_fetch *inflight;
	struct buf answer;
	char cursor[EDGE_HB_CURSOR_MAX + 1];
	uint64_t interval_ms;
	lease_id *pending; /* taken from the workers, not yet delivered */
	size_t npending, cap;
	uint64_t last_bytes, last_ms;
	struct edge_index *ix; /* the store's, NULL for a folder root */
	bool failing;	       /* the last report failed (logged once) */
	bool bgp_failing;      /* likewise the last question to BIRD */
	json_t *learned;       /* the prefixes of its last answer, sent again while it fails */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the answer ----------------------------------------------------------------- */

static bool id_ok(const json_t *v, size_t max)
{
	const char *s = json_string_value(v);

	return s && s[0] && strlen(s) <= max;
}

/* Check every member of answer O, so that a bad one applies nothing. */
static const char *answer_bad(json_t *o)
{
	json_t *v, *e;
	size_t i;

	if (!json_is_object(o))
		return "the answer is not a JSON object";
	if ((v = json_object_get(o, "interval")) &&
	    (!json_is_integer(v) || json_integer_value(v) < 1 ||
	     json_integer_value(v) > HB_INTERVAL_MAX))
		return "interval: not a whole number of seconds from 1 to 600";
	if ((v = json_object_get(o, "keep")) &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 ||
	     json_integer_value(v) > 10 * 86400))
		return "keep: not a whole number of seconds from 0 to 864000";
	if ((v = json_object_get(o, "cursor")) &&
	    (!json_is_string(v) || strlen(json_string_value(v)) > EDGE_HB_CURSOR_MAX))
		return "cursor: not a string of at most 128 characters";
	if ((v = json_object_get(o, "more")) && !json_is_boolean(v))
		return "more: not a boolean";
	if ((v = json_object_get(o, "state")) && !json_is_string(v))
		return "state: not a string";
	if ((v = json_object_get(o, "leases")) && !json_is_array(v))
		return "leases: not an array";
	json_array_foreach(v, i, e) if (!id_ok(e, STREAM_ID_MAX)) return "leases: not a lease id";
	if ((v = json_object_get(o, "kids")) && !json_is_array(v))
		return "kids: not an array";
	json_array_foreach(v, i, e) if (!id_ok(e, PASETO_KID_MAX)) return "kids: not a key id";
	if ((v = json_object_get(o, "users")) && !json_is_array(v))
		return "users: not an array";
	json_array_foreach(v, i, e)
	{
		if (!json_is_object(e) || !id_ok(json_object_get(e, "user"), STREAM_ID_MAX) ||
		    !json_is_integer(json_object_get(e, "before")))
			return "users: not {\"user\": ID, \"before\": SECONDS}";
	}
	return NULL;
}

int edge_heartbeat_apply(struct edge_rev *rev, const char *json, size_t len, int64_t now,
			 struct edge_hb_answer *a, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr), *v, *e;
	const char *bad;
	int64_t until;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (!o) {
		snprintf(err, errlen, "the answer is not JSON: %s", jerr.text);
		return -EINVAL;
	}
	if ((bad = answer_bad(o)) != NULL) {
		snprintf(err, errlen, "%s", bad);
		json_decref(o);
		return -EINVAL;
	}
	v = json_object_get(o, "keep");
	until = now + (v ? (int64_t)json_integer_value(v) : HB_KEEP_DEFAULT);
	json_array_foreach(json_object_get(o, "leases"), i, e)
	{
		edge_rev_add(rev, EDGE_REV_LEASE, json_string_value(e), 0, until, now);
		a->leases++;
	}
	json_array_foreach(json_object_get(o, "kids"), i, e)
	{
		edge_rev_add(rev, EDGE_REV_KID, json_string_value(e), 0, until, now);
		a->kids++;
	}
	json_array_foreach(json_object_get(o, "users"), i, e)
	{
		edge_rev_add(rev, EDGE_REV_USER, json_string_value(json_object_get(e, "user")),
			     (int64_t)json_integer_value(json_object_get(e, "before")), until, now);
		a->users++;
	}
	if ((v = json_object_get(o, "interval")))
		a->interval_ms = (uint64_t)json_integer_value(v) * 1000;
	if ((v = json_object_get(o, "cursor")))
		snprintf(a->cursor, sizeof(a->cursor), "%s", json_string_value(v));
	a->more = json_is_true(json_object_get(o, "more"));
	v = json_object_get(o, "state");
	a->draining = v && strcmp(json_string_value(v), "draining") == 0;
	json_decref(o);
	return 0;
}

/* ---- the report ------------------------------------------------------------------ */

static int add_title(void *arg, const char *title, const struct edge_title *t)
{
	if (t && (t->flags & EDGE_TITLE_COMPLETE))
		json_array_append_new(arg, json_string(title));
	return 0;
}

/* The titles held complete: the index's, or for a folder root each folder with a manifest. */
static json_t *titles(struct hb *h)
{
	json_t *a = json_array();
	DIR *d;
	struct dirent *de;
	char path[PATH_MAX + 300];
	struct stat st;

	if (h->ix) {
		edge_index_titles(h->ix, add_title, a);
		return a;
	}
	if (!(d = opendir(h->cfg->root)))
		return a;
	while ((de = readdir(d)) != NULL) {
		if (!manifest_title_ok(de->d_name, strlen(de->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/manifest.json", h->cfg->root, de->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			json_array_append_new(a, json_string(de->d_name));
	}
	closedir(d);
	return a;
}

static void disk(struct hb *h, uint64_t *used, uint64_t *avail)
{
	struct statvfs st;
	uint64_t bytes = 0, objects = 0;

	*used = *avail = 0;
	if (statvfs(h->cfg->root, &st) == 0) {
		*avail = (uint64_t)st.f_bavail * st.f_frsize;
		*used = (uint64_t)(st.f_blocks - st.f_bfree) * st.f_frsize;
	}
	if (h->ix && edge_index_usage(h->ix, &bytes, &objects) == 0) {
		*used = bytes;
		if (h->cfg->store_max_size && h->cfg->store_max_size - bytes < *avail)
			*avail = bytes < h->cfg->store_max_size ? h->cfg->store_max_size - bytes : 0;
	}
}

/* The workers' open connections and bytes per second since the last report. */
static void traffic(struct hb *h, int64_t *conns, uint64_t *rate)
{
	uint64_t bytes = 0, t = now_ms();

	*conns = 0;
	for (unsigned i = 0; i < EDGE_MAX_WORKERS; i++) {
		struct metrics_slot *s = metrics_slot(h->ctx->metrics, i);

		*conns += __atomic_load_n(&s->open_connections, __ATOMIC_RELAXED);
		bytes += __atomic_load_n(&s->bytes_sent, __ATOMIC_RELAXED);
	}
	*rate = h->last_ms && t > h->last_ms && bytes >= h->last_bytes
		    ? (bytes - h->last_bytes) * 1000 / (t - h->last_ms)
		    : 0;
	h->last_bytes = bytes;
	h->last_ms = t;
	if (*conns < 0)
		*conns = 0;
}

/* Move the leases the workers noted into the pending list (bounded: the oldest go first). */
static void take_leases(struct hb *h)
{
	lease_id *ids;
	size_t n, max = (size_t)h->cfg->heartbeat_leases * 4;

	if (edge_rev_take(h->ctx->rev, &ids, &n) != 0 || n == 0)
		return;
	if (h->npending + n > h->cap) {
		size_t cap = h->npending + n;
		lease_id *np = realloc(h->pending, cap * sizeof(*np));

		if (!np) {
			free(ids);
			return;
		}
		h->pending = np;
		h->cap = cap;
	}
	memcpy(h->pending + h->npending, ids, n * sizeof(*ids));
	h->npending += n;
	free(ids);
	if (h->npending > max) {
		memmove(h->pending, h->pending + (h->npending - max), max * sizeof(*h->pending));
		h->npending = max;
	}
}

static json_t *prefixes(struct hb *h)
{
	struct edge_bgp_prefixes p;
	char err[256];
	json_t *a;

	if (!h->cfg->bgp_socket[0])
		return NULL;
	if (edge_bgp_query(h->cfg->bgp_socket, h->cfg->bgp_table, h->cfg->bgp_protocol,
			   (unsigned)h->cfg->heartbeat_timeout_ms, &p, err, sizeof(err)) != 0) {
		if (!h->bgp_failing)
			log_warnx("bgp: %s (the prefixes learned before are reported)", err);
		h->bgp_failing = true;
		edge_bgp_prefixes_free(&p);
		return json_incref(h->learned); /* NULL (absent) before any answer */
	}
	if (h->bgp_failing)
		log_info("bgp: %zu prefixes from %s again", p.n, h->cfg->bgp_socket);
	h->bgp_failing = false;
	a = json_array();
	for (size_t i = 0; i < p.n; i++)
		json_array_append_new(a, json_string(p.p[i]));
	edge_bgp_prefixes_free(&p);
	json_decref(h->learned);
	h->learned = json_incref(a);
	return a;
}

static char *report(struct hb *h)
{
	json_t *o, *leases = json_array(), *pfx;
	uint64_t used, avail, rate;
	int64_t conns;
	char *text;

	take_leases(h);
	for (size_t i = 0; i < h->npending; i++)
		json_array_append_new(leases, json_string(h->pending[i]));
	traffic(h, &conns, &rate);
	disk(h, &used, &avail);
	o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:o, s:o}", "cursor", h->cursor,
		      "health", "ok", "draining", 0, "connections", (json_int_t)conns,
		      "bytes_per_s", (json_int_t)rate, "disk_used", (json_int_t)used, "disk_free",
		      (json_int_t)avail, "titles", titles(h), "leases", leases);
	if (!o)
		return NULL;
	if ((pfx = prefixes(h)) != NULL)
		json_object_set_new(o, "prefixes", pfx);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static void arm(struct hb *h, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(h->timer, &tv);
}

static int on_data(void *arg, uint64_t offset, const void *p, size_t n)
{
	struct hb *h = arg;

	if (h->answer.len + n > HB_ANSWER_MAX)
		return -E2BIG;
	return buf_append(&h->answer, p, n) == 0 ? 0 : -ENOMEM;
}

static void on_done(void *arg, int result, int status)
{
	struct hb *h = arg;
	struct edge_hb_answer a;
	char err[256];

	h->inflight = NULL;
	if (result == 0 && edge_heartbeat_apply(h->ctx->rev, h->answer.p, h->answer.len,
						(int64_t)time(NULL), &a, err, sizeof(err)) != 0) {
		log_warnx("heartbeat: %s%s: %s", h->cfg->heartbeat_url, "/" HB_PATH, err);
		result = -EPROTO;
		status = 0;
	}
	h->answer.len = 0;
	edge_rev_reported(h->ctx->rev, result == 0, (int64_t)time(NULL));
	if (result != 0) {
		if (!h->failing)
			log_warnx("heartbeat to %s failed (%s%s%d); serving goes on, "
				  "retrying every interval",
				  h->cfg->heartbeat_url, strerror(-result), status ? ", status " : "",
				  status);
		h->failing = true;
		return;
	}
	if (h->failing)
		log_info("heartbeat to %s answered again", h->cfg->heartbeat_url);
	h->failing = false;
	h->npending = 0; /* delivered */
	snprintf(h->cursor, sizeof(h->cursor), "%s", a.cursor);
	if (a.leases + a.users + a.kids)
		log_debug("heartbeat: %zu leases, %zu users, %zu key ids revoked", a.leases,
			  a.users, a.kids);
	if (a.interval_ms && a.interval_ms != h->interval_ms) {
		h->interval_ms = a.interval_ms;
		arm(h, h->interval_ms);
	}
	if (a.more)
		arm(h, 0);
}

static const struct edge_fetch_ops hb_ops = {NULL, on_data, on_done};

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct hb *h = arg;
	char *body;

	arm(h, h->interval_ms);
	if (h->inflight)
		return;
	if (!(body = report(h))) {
		log_warnx("heartbeat: no memory for the report");
		return;
	}
	h->inflight =
	    edge_upstream_post(h->up, HB_PATH, "application/json", body, strlen(body), &hb_ops, h);
	free(body);
	if (!h->inflight)
		edge_rev_reported(h->ctx->rev, false, (int64_t)time(NULL));
	if (!h->inflight && !h->failing) {
		log_warn("heartbeat to %s", h->cfg->heartbeat_url);
		h->failing = true;
	}
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static int setup(struct hb *h)
{
	const struct edge_config *cfg = h->cfg;
	struct edge_upstream_config uc = {
	    .url = cfg->heartbeat_url,
	    .edge_id = cfg->edge_id,
	    .secret = h->ctx->secret,
	    .secret_len = h->ctx->secret_len,
	    .connect_timeout_ms = cfg->heartbeat_timeout_ms,
	    .read_timeout_ms = cfg->heartbeat_timeout_ms,
	    .retries = 0,
	    .backoff_ms = 100,
	    .max_connections = 1,
	    .breaker = &h->breaker,
	    .breaker_cfg = {UINT32_MAX, 1000},
	};
	char err[512];

	h->interval_ms = cfg->heartbeat_interval_ms;
	if (cfg->store &&
	    edge_index_open(cfg->store_index, cfg->store_map_size, &h->ix, err, sizeof(err)) != 0)
		log_warnx("heartbeat: %s (titles are not reported)", err);
	if (!(h->base = event_base_new()) || !(h->up = edge_upstream_new(h->base, &uc)) ||
	    !(h->timer = evtimer_new(h->base, tick, h)) ||
	    !(h->sigterm = evsignal_new(h->base, SIGTERM, on_stop, h->base)) ||
	    !(h->sigint = evsignal_new(h->base, SIGINT, on_stop, h->base)) ||
	    event_add(h->sigterm, NULL) != 0 || event_add(h->sigint, NULL) != 0) {
		log_warn("heartbeat setup");
		return -1;
	}
	arm(h, 0);
	return 0;
}

int edge_heartbeat_run(const struct edge_heartbeat_ctx *ctx)
{
	struct hb h = {.ctx = ctx, .cfg = ctx->cfg};
	sigset_t set;
	int rc;

	log_set_tag("heartbeat");
	signal(SIGPIPE, SIG_IGN);
	rc = setup(&h);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (rc == 0) {
		log_info("reporting to %s every %llu ms", ctx->cfg->heartbeat_url,
			 (unsigned long long)h.interval_ms);
		event_base_dispatch(h.base);
	}
	edge_upstream_free(h.up);
	if (h.timer)
		event_free(h.timer);
	if (h.sigterm)
		event_free(h.sigterm);
	if (h.sigint)
		event_free(h.sigint);
	if (h.base)
		event_base_free(h.base);
	edge_index_free(h.ix);
	buf_free(&h.answer);
	free(h.pending);
	json_decref(h.learned);
	return rc == 0 ? 0 : 1;
}

pid_t edge_heartbeat_spawn(const struct edge_heartbeat_ctx *ctx, void (*child_setup)(void))
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork (heartbeat)");
		return -1;
	}
	if (pid > 0)
		return pid;
	child_setup();
	exit(edge_heartbeat_run(ctx));
}
