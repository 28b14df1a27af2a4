/*
 * A worker process: one libevent loop with an HTTP server per listener role
 * (content, metrics, fill), the open-file cache, the cache store's part
 * (worker_store.h) and the access log.  SIGTERM drains it; SIGUSR1 reopens
 * its logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "edge.h"
#include "filecache.h"
#include "log.h"
#include "serve.h"

#define WORKER_MAGIC 0x576b7273U /* "Wkrs" */

/*
 * Signals the loop handles: TERM and INT (Ctrl-C reaches the whole group)
 * drain, HUP and USR1 reopen the logs.
 */
static const int worker_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
#define NSIGNALS (sizeof(worker_signals) / sizeof(worker_signals[0]))

struct worker {
	uint32_t magic;
	const struct edge_config *cfg;
	struct event_base *base;
	struct httpd *srv[EDGE_ROLE_COUNT]; /* NULL for a role without listeners */
	struct edge_serve serve;
	struct edge_worker_store store;
	struct accesslog *alog;
	struct event *ev[NSIGNALS];
	int rootfd;
	unsigned draining; /* servers still draining after SIGTERM */
	char hsts[sizeof(((struct edge_config *)0)->hsts) + 40];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct worker *worker_of(void *arg)
{
	struct worker *w = arg;

	if (w->magic != WORKER_MAGIC)
		abort();
	return w;
}

static void drained(void *arg)
{
	struct worker *w = worker_of(arg);

	if (w->draining && --w->draining == 0)
		event_base_loopbreak(w->base);
}

static void on_term(struct worker *w)
{
	unsigned n = 0;

	if (w->draining)
		return;
	for (int r = 0; r < EDGE_ROLE_COUNT; r++)
		if (w->srv[r]) {
			n += httpd_connections(w->srv[r]);
			w->draining++;
		}
	log_debug("draining %u connections", n);
	/* each call may report at once (no connection left), so count first */
	for (int r = 0; r < EDGE_ROLE_COUNT; r++)
		if (w->srv[r])
			httpd_drain(w->srv[r], drained, w);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = worker_of(arg);

	if (sig == SIGTERM || sig == SIGINT) {
		on_term(w);
		return;
	}
	log_init("reel-edge", w->cfg->level, w->cfg->error_log);
	if (w->alog && accesslog_reopen(w->alog) != 0)
		log_warn("reopening access log %s", w->cfg->access_log);
}

static void unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void make_boundary(char *out, size_t cap)
{
	unsigned char r[10];

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0x5a, sizeof(r));
	for (size_t i = 0; i < sizeof(r) && 2 * i + 2 < cap; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/*
 * The request handler state: open-file cache (over the store's index when
 * there is a store), token cache and limiter.  0 or -1 (logged).
 */
static int serve_setup(struct worker *w, unsigned index, struct metrics *metrics,
		       const struct paseto_keyring *ring, struct edge_rev *rev,
		       const struct edge_store_ctx *store)
{
	const struct edge_config *cfg = w->cfg;
	struct edge_serve *s = &w->serve;
	struct edge_filecache_config fcc;

	*s = (struct edge_serve){.magic = EDGE_SERVE_MAGIC, .cfg = cfg, .metrics = metrics};
	s->cors_static = strcmp(cfg->cors_origins, "*") == 0
			     ? "Access-Control-Allow-Origin: *\r\n"
			       "Access-Control-Expose-Headers: Content-Length, Content-Range, "
			       "Accept-Ranges, ETag\r\n"
			     : "";
	fcc = (struct edge_filecache_config){
	    .rootfd = w->rootfd,
	    .max_entries = cfg->cache_entries,
	    .inline_max = cfg->inline_max,
	    .revalidate_ms = cfg->revalidate_ms,
	    .gzip = cfg->gzip,
	    .cache_control = {cfg->cc_playlist, cfg->cc_segment, cfg->cc_other},
	    .cors_static = s->cors_static,
	    .index = w->store.cache ? edge_cache_index(w->store.cache) : NULL,
	    .generation = w->store.cache ? &store->shared->cache.generation : NULL,
	};
	s->index = fcc.index;
	s->store = &w->store;
	if (!(s->files = edge_filecache_new(&fcc))) {
		log_warn("open-file cache");
		return -1;
	}
	s->slot = metrics_slot(metrics, index);
	s->ring = ring;
	if (ring && (!(s->tokens = token_cache_new(cfg->token_cache)) ||
		     !(s->failures = edge_ratelimit_new(cfg->token_max_failures,
							cfg->token_failure_window_ms)))) {
		log_warn("token cache");
		return -1;
	}
	s->rev = rev;
	if (rev && !(s->seen = calloc(1, sizeof(*s->seen)))) {
		log_warn("served leases");
		return -1;
	}
	s->now_ms = now_ms;
	make_boundary(s->boundary, sizeof(s->boundary));
	return 0;
}

/* The handler of each listener role. */
static const httpd_handler_fn role_handler[EDGE_ROLE_COUNT] = {
    [EDGE_ROLE_CONTENT] = edge_serve,
    [EDGE_ROLE_METRICS] = edge_serve_metrics,
    [EDGE_ROLE_FILL] = edge_fill_serve,
};

/*
 * The store's part on W's loop: pull-through (answering through serve.c),
 * the fill API's state, the hit reports; the versions table when pulling.
 * 0 or -1 (logged).
 */
static int store_setup(struct worker *w, const struct edge_store_ctx *store)
{
	struct edge_serve *s = &w->serve;

	if (edge_worker_store_start(&w->store, w->base, store, s->slot, s->files,
				    &edge_serve_pull_ops, s) != 0)
		return -1;
	s->pull = w->store.pull;
	if (s->pull && !(s->versions = edge_versions_new(s->index, &store->shared->cache.generation,
							 &store->shared->cache.manifests))) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

/* One HTTP server per role that has listeners in LS (whose fds it takes).  0 or -1 (logged). */
static int servers_setup(struct worker *w, const struct edge_listeners *ls)
{
	for (int r = 0; r < EDGE_ROLE_COUNT; r++) {
		struct httpd_listener mine[EDGE_MAX_LISTEN * 2];
		struct httpd_limits lim;
		httpd_handler_fn handler;
		void *arg;
		int n = 0;

		for (int i = 0; i < ls->n; i++) {
			if (ls->role[i] != (enum edge_role)r)
				continue;
			mine[n] = ls->l[i];
			if (mine[n].tls && w->hsts[0])
				mine[n].headers = w->hsts;
			n++;
		}
		if (n == 0)
			continue;
		lim = w->cfg->limits;
		arg = &w->serve;
		handler = role_handler[r];
		if (r == EDGE_ROLE_FILL) {
			lim.max_body = 0; /* bodies go to temporary files as they come */
			arg = edge_worker_store_fill(&w->store);
		}
		if (r == EDGE_ROLE_CONTENT && w->store.http) {
			/* the generic mode: request bodies are relayed from memory */
			lim.max_body = lim.max_body ? lim.max_body : EDGE_HTTP_BODY_MAX;
			handler = edge_http_cache_serve;
			arg = w->store.http;
		}
		w->srv[r] = httpd_new(w->base, &lim, mine, n, w->serve.slot, w->alog, handler, arg);
		if (!w->srv[r]) {
			log_warn("%s server setup", edge_role_name((enum edge_role)r));
			return -1;
		}
		httpd_set_warn(w->srv[r], log_warnx);
	}
	return 0;
}

static int signals_setup(struct worker *w)
{
	for (size_t i = 0; i < NSIGNALS; i++) {
		w->ev[i] = evsignal_new(w->base, worker_signals[i], on_signal, w);
		if (!w->ev[i] || event_add(w->ev[i], NULL) != 0) {
			log_warnx("cannot install signal handlers");
			return -1;
		}
	}
	return 0;
}

/*
 * Everything the loop needs, from CFG and the master's LS, METRICS and RING.
 * 0, or -1 (logged) with W partly set up: worker_teardown() frees that part
 * (listener fds no server took close when the process exits).
 */
static int worker_setup(struct worker *w, unsigned index, const struct edge_listeners *ls,
			struct metrics *metrics, const struct paseto_keyring *ring,
			struct edge_rev *rev, const struct edge_store_ctx *store)
{
	const struct edge_config *cfg = w->cfg;

	if ((w->rootfd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_warn("content root %s", cfg->root);
		return -1;
	}
	if (edge_worker_store_open(&w->store, cfg, store) != 0 ||
	    serve_setup(w, index, metrics, ring, rev, store) != 0)
		return -1;
	if (cfg->access_log[0] && !(w->alog = accesslog_open(cfg->access_log))) {
		log_warn("access log %s", cfg->access_log);
		return -1;
	}
	if (cfg->hsts[0])
		snprintf(w->hsts, sizeof(w->hsts), "Strict-Transport-Security: %s\r\n", cfg->hsts);
	if (!(w->base = event_base_new())) {
		log_warnx("cannot create the event loop");
		return -1;
	}
	if (store_setup(w, store) != 0 || servers_setup(w, ls) != 0)
		return -1;
	return signals_setup(w);
}

static void worker_loop(struct worker *w)
{
	unblock_signals();
	log_debug("serving");
	event_base_dispatch(w->base);
}

static void worker_teardown(struct worker *w)
{
	/* from here on a late SIGTERM must not cut the access log short */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	unblock_signals();
	for (size_t i = 0; i < NSIGNALS; i++)
		if (w->ev[i])
			event_free(w->ev[i]);
	for (int r = 0; r < EDGE_ROLE_COUNT; r++)
		httpd_free(w->srv[r]);
	edge_worker_store_close(&w->store);
	edge_versions_free(w->serve.versions);
	edge_filecache_free(w->serve.files);
	token_cache_free(w->serve.tokens);
	free(w->serve.seen);
	edge_ratelimit_free(w->serve.failures);
	accesslog_free(w->alog);
	if (w->base)
		event_base_free(w->base);
	if (w->rootfd >= 0)
		close(w->rootfd);
	w->magic = 0;
}

int edge_worker_run(const struct edge_config *cfg, unsigned index, const struct edge_listeners *ls,
		    struct metrics *metrics, const struct paseto_keyring *ring, struct edge_rev *rev,
		    const struct edge_store_ctx *store)
{
	struct worker w = {.magic = WORKER_MAGIC, .cfg = cfg, .rootfd = -1};
	char tag[32];
	int rc;

	snprintf(tag, sizeof(tag), "worker %u", index);
	log_set_tag(tag);
	signal(SIGPIPE, SIG_IGN);
	rc = worker_setup(&w, index, ls, metrics, ring, rev, store);
	if (rc == 0)
		worker_loop(&w);
	worker_teardown(&w);
	return rc == 0 ? 0 : 1;
}
