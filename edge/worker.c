/*
 * A worker process: one libevent loop with the HTTP core, the open-file
 * cache and the access log.  SIGTERM drains it; SIGUSR1 reopens its logs.
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

struct worker {
	struct event_base *base;
	struct httpd *srv;
	struct accesslog *alog;
	const struct edge_config *cfg;
	struct edge_worker_store store;
	unsigned draining; /* servers still draining */
	bool ktls_reported;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void drained(void *arg)
{
	struct worker *w = arg;

	if (w->draining && --w->draining == 0)
		event_base_loopbreak(w->base);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = arg;
	struct httpd *fill = edge_worker_store_fill_server(&w->store);

	if (w->draining)
		return;
	w->draining = fill ? 2 : 1;
	log_debug("draining %u connections", httpd_connections(w->srv));
	httpd_drain(w->srv, drained, w);
	if (fill)
		httpd_drain(fill, drained, w);
}

static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = arg;

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

int edge_worker_run(const struct edge_config *cfg, unsigned index, const struct edge_listeners *ls,
		    struct metrics *metrics, const struct paseto_keyring *ring,
		    const struct edge_store_ctx *store)
{
	struct worker w = {.cfg = cfg};
	struct edge_serve serve = {.magic = EDGE_SERVE_MAGIC, .cfg = cfg, .metrics = metrics};
	struct edge_filecache_config fcc = {0};
	struct event *ev_term = NULL, *ev_int = NULL, *ev_usr1 = NULL, *ev_hup = NULL;
	char tag[32];
	int rootfd = -1, rc = 1;

	snprintf(tag, sizeof(tag), "worker %u", index);
	log_set_tag(tag);
	signal(SIGPIPE, SIG_IGN);
	if ((rootfd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_warn("content root %s", cfg->root);
		goto out;
	}
	if (edge_worker_store_open(&w.store, cfg, store) != 0)
		goto out;
	serve.cors_static = strcmp(cfg->cors_origins, "*") == 0
				? "Access-Control-Allow-Origin: *\r\n"
				  "Access-Control-Expose-Headers: Content-Length, Content-Range, "
				  "Accept-Ranges, ETag\r\n"
				: "";
	fcc = (struct edge_filecache_config){
	    .rootfd = rootfd,
	    .max_entries = cfg->cache_entries,
	    .inline_max = cfg->inline_max,
	    .revalidate_ms = cfg->revalidate_ms,
	    .gzip = cfg->gzip,
	    .cache_control = {cfg->cc_playlist, cfg->cc_segment, cfg->cc_other},
	    .cors_static = serve.cors_static,
	    .index = w.store.cache ? edge_cache_index(w.store.cache) : NULL,
	    .generation = w.store.cache ? &store->shared->cache.generation : NULL,
	};
	serve.index = fcc.index;
	if (!(serve.files = edge_filecache_new(&fcc))) {
		log_warn("open-file cache");
		goto out;
	}
	serve.slot = metrics_slot(metrics, index);
	serve.ring = ring;
	if (ring && (!(serve.tokens = token_cache_new(cfg->token_cache)) ||
		     !(serve.failures = edge_ratelimit_new(cfg->token_max_failures,
							   cfg->token_failure_window_ms)))) {
		log_warn("token cache");
		goto out;
	}
	serve.now_ms = now_ms;
	make_boundary(serve.boundary, sizeof(serve.boundary));
	if (cfg->access_log[0] && !(w.alog = accesslog_open(cfg->access_log))) {
		log_warn("access log %s", cfg->access_log);
		goto out;
	}
	if (!(w.base = event_base_new())) {
		log_warnx("cannot create the event loop");
		goto out;
	}
	w.srv =
	    httpd_new(w.base, &cfg->limits, ls->l, ls->n, serve.slot, w.alog, edge_serve, &serve);
	if (!w.srv) {
		log_warn("server setup");
		goto out;
	}
	httpd_set_warn(w.srv, log_warnx);
	if (edge_worker_store_start(&w.store, w.base, store, serve.slot, serve.files,
				    &edge_serve_pull_ops, &serve, ls->fill, ls->nfill, w.alog) != 0)
		goto out;
	serve.pull = w.store.pull;
	serve.store = &w.store;
	if (serve.pull && !(serve.versions = edge_versions_new(serve.index, fcc.generation))) {
		log_warnx("out of memory");
		goto out;
	}
	ev_term = evsignal_new(w.base, SIGTERM, on_term, &w);
	ev_int = evsignal_new(w.base, SIGINT, on_term, &w); /* Ctrl-C reaches the whole group */
	ev_hup = evsignal_new(w.base, SIGHUP, on_usr1, &w);
	ev_usr1 = evsignal_new(w.base, SIGUSR1, on_usr1, &w);
	if (!ev_term || !ev_int || !ev_hup || !ev_usr1 || event_add(ev_term, NULL) ||
	    event_add(ev_int, NULL) || event_add(ev_hup, NULL) || event_add(ev_usr1, NULL)) {
		log_warnx("cannot install signal handlers");
		goto out;
	}
	unblock_signals();
	log_debug("started with %d listeners", ls->n);
	event_base_dispatch(w.base);
	rc = 0;
out:
	/* from here on a late SIGTERM must not cut the access log short */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	unblock_signals();
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	if (ev_hup)
		event_free(ev_hup);
	if (ev_usr1)
		event_free(ev_usr1);
	httpd_free(w.srv);
	edge_worker_store_close(&w.store);
	edge_filecache_free(serve.files);
	edge_versions_free(serve.versions);
	token_cache_free(serve.tokens);
	edge_ratelimit_free(serve.failures);
	accesslog_free(w.alog);
	if (w.base)
		event_base_free(w.base);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}
