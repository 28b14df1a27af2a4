/* The store manager process (see manager.h), on a libevent timer. */
#include "manager.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "httpsig.h"
#include "log.h"
#include "reconcile.h"

#define TICK_MS 1000

struct manager {
	struct edge_cache *c;
	const struct edge_cache_config *cfg;
	struct event_base *base;
	unsigned ticks;
	uint64_t last_sync_ms, manifests; /* at the last background sync */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* After a system crash: verify what was not durable before anything else looks at it. */
static void recheck(struct manager *m)
{
	struct edge_recheck_stats st;
	int rc = edge_recheck(m->c, &st);

	if (rc != 0)
		log_warnx("store: re-checking objects written before a system crash failed: %s",
			  strerror(-rc));
	else if (st.checked)
		log_info("store: re-checked %llu objects (%llu bytes) written before a system "
			 "crash in %llu ms: dropped %llu that were lost or damaged",
			 (unsigned long long)st.checked, (unsigned long long)st.bytes,
			 (unsigned long long)st.ms, (unsigned long long)st.bad);
}

/* Make what was written durable every sync_interval and when a title's manifest came. */
static void background_sync(struct manager *m)
{
	uint64_t now = mono_ms(), interval = m->cfg->sync_interval_ms ? m->cfg->sync_interval_ms
								      : EDGE_SYNC_INTERVAL_MS;
	uint64_t manifests = __atomic_load_n(&m->cfg->shared->manifests, __ATOMIC_RELAXED);
	int rc;

	if (now - m->last_sync_ms < interval && manifests == m->manifests)
		return;
	m->last_sync_ms = now;
	m->manifests = manifests;
	if ((rc = edge_cache_sync(m->c)) != 0)
		log_warnx("store: background sync failed: %s", strerror(-rc));
}

static void reconcile(struct manager *m)
{
	struct edge_reconcile_stats st;
	uint64_t bytes = 0, objects = 0;
	int rc = edge_reconcile(m->c, time(NULL), &st);

	edge_index_usage(edge_cache_index(m->c), &bytes, &objects);
	if (rc != 0)
		log_warnx("store: reconcile failed: %s", strerror(-rc));
	log_info("store: reconciled in %llu ms: %llu files, %llu records; removed %llu orphan "
		 "and %llu temporary files, dropped %llu records%s; %llu objects, %llu bytes",
		 (unsigned long long)st.ms, (unsigned long long)st.files,
		 (unsigned long long)st.records, (unsigned long long)st.orphans,
		 (unsigned long long)st.tmp, (unsigned long long)st.dropped,
		 st.rebuilt ? ", counts rebuilt" : "", (unsigned long long)objects,
		 (unsigned long long)bytes);
}

/* Evict when the disk or the quota is past its bound without a writer's doing. */
static void keep_bounds(struct manager *m)
{
	uint64_t free = edge_cache_disk_free(m->c), used = 0, objects = 0, need = 0;
	int rc;

	if (m->cfg->min_free && free && free < m->cfg->min_free)
		need = m->cfg->min_free - free;
	if (m->cfg->max_size && edge_index_usage(edge_cache_index(m->c), &used, &objects) == 0 &&
	    used > m->cfg->max_size && used - m->cfg->max_size > need)
		need = used - m->cfg->max_size;
	if (!need)
		return;
	rc = edge_cache_evict(m->c, need);
	if (rc != 0)
		log_warnx("store: cannot free %llu bytes: %s", (unsigned long long)need,
			  rc == -ENOSPC ? "nothing left that may go" : strerror(-rc));
	else
		log_info("store: evicted %llu bytes to keep min_free and max_size",
			 (unsigned long long)need);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct manager *m = arg;
	unsigned n;

	m->ticks++;
	background_sync(m);
	edge_index_sync(edge_cache_index(m->c)); /* bounds what a system crash can undo */
	keep_bounds(m);
	if (m->ticks % 5 == 0 && (n = edge_cache_sweep(m->c)) > 0)
		log_info("store: removed %u abandoned temporary files", n);
	if (m->ticks % 60 == 0)
		edge_index_nonce_prune(edge_cache_index(m->c),
				       (int64_t)time(NULL) - 2 * HTTPSIG_WINDOW);
	if (m->ticks % 10 == 0)
		edge_index_reader_check(edge_cache_index(m->c));
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

int edge_manager_run(const struct edge_cache_config *cfg)
{
	struct manager m = {.cfg = cfg};
	struct event *ev_tick = NULL, *ev_term = NULL, *ev_int = NULL;
	struct timeval tv = {TICK_MS / 1000, (TICK_MS % 1000) * 1000};
	char err[512];
	sigset_t none;
	int rc = 1;

	log_set_tag("store manager");
	signal(SIGPIPE, SIG_IGN);
	if (edge_cache_open(cfg, &m.c, err, sizeof(err)) != 0) {
		log_warnx("store: %s", err);
		goto out;
	}
	if (!(m.base = event_base_new()) ||
	    !(ev_tick = event_new(m.base, -1, EV_PERSIST, tick, &m)) ||
	    !(ev_term = evsignal_new(m.base, SIGTERM, on_term, m.base)) ||
	    !(ev_int = evsignal_new(m.base, SIGINT, on_term, m.base)) || event_add(ev_term, NULL) ||
	    event_add(ev_int, NULL)) {
		log_warnx("store manager: cannot set up its event loop");
		goto out;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	recheck(&m); /* before the reconcile, which takes unchecked objects for orphans */
	reconcile(&m);
	m.last_sync_ms = mono_ms();
	m.manifests = __atomic_load_n(&cfg->shared->manifests, __ATOMIC_RELAXED);
	event_add(ev_tick, &tv);
	event_base_dispatch(m.base);
	rc = 0;
out:
	if (ev_tick)
		event_free(ev_tick);
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	if (m.base)
		event_base_free(m.base);
	edge_cache_free(m.c);
	return rc;
}
