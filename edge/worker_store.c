/* The cache store's part of a worker (see worker_store.h). */
#include "worker_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define HITS_MS	 2000 /* hits reach the index this often */
#define HITS_MAX 4096 /* objects per report */

int edge_worker_store_open(struct edge_worker_store *ws, const struct edge_config *cfg,
			   const struct edge_store_ctx *ctx)
{
	char err[512];

	memset(ws, 0, sizeof(*ws));
	ws->cfg = cfg;
	if (!cfg->store)
		return 0;
	ws->cache_cfg = (struct edge_cache_config){
	    .root = cfg->root,
	    .index_dir = cfg->store_index,
	    .map_size = cfg->store_map_size,
	    .max_size = cfg->store_max_size,
	    .min_free = cfg->store_min_free,
	    .sync_each = cfg->store_sync_each,
	    .sync_interval_ms = cfg->store_sync_interval_ms,
	    .shared = &ctx->shared->cache,
	};
	ws->shared = ctx->shared;
	if (edge_cache_open(&ws->cache_cfg, &ws->cache, err, sizeof(err)) != 0) {
		log_warnx("store: %s", err);
		return -1;
	}
	return 0;
}

/* The hits of the last period, to the index in one transaction. */
struct hits {
	struct edge_touch t[HITS_MAX];
	size_t n;
	int64_t now;
};

static void hit_cb(void *arg, const char *key, uint32_t n)
{
	struct hits *h = arg;

	if (h->n < HITS_MAX)
		h->t[h->n++] = (struct edge_touch){key, n, h->now};
}

static void hits_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edge_worker_store *ws = arg;
	static struct hits h;
	int rc;

	h.n = 0;
	h.now = edge_record_time();
	edge_filecache_hits(ws->files, hit_cb, &h);
	if (h.n && (rc = edge_index_touch(edge_cache_index(ws->cache), h.t, h.n)) != 0)
		log_warnx("store: cannot record hits: %s", strerror(-rc));
}

static int start_upstream(struct edge_worker_store *ws, struct event_base *base,
			  const struct edge_store_ctx *ctx)
{
	const struct edge_config *cfg = ws->cfg;
	struct edge_upstream_config uc;
	size_t n;

	snprintf(ws->url, sizeof(ws->url), "%s", cfg->upstream_url);
	n = strlen(ws->url);
	while (n && ws->url[n - 1] == '/')
		ws->url[--n] = '\0';
	uc = (struct edge_upstream_config){
	    .url = ws->url,
	    .edge_id = ctx->secret ? cfg->edge_id : NULL,
	    .secret = ctx->secret,
	    .secret_len = ctx->secret_len,
	    .connect_timeout_ms = cfg->upstream_connect_timeout_ms,
	    .read_timeout_ms = cfg->upstream_read_timeout_ms,
	    .retries = cfg->upstream_retries,
	    .backoff_ms = cfg->upstream_backoff_ms,
	    .max_connections = cfg->upstream_connections,
	    .breaker = &ctx->shared->breaker,
	    .breaker_cfg = {cfg->breaker_failures, cfg->breaker_open_ms},
	};
	if (!(ws->upstream = edge_upstream_new(base, &uc))) {
		log_warn("upstream %s", ws->url);
		return -1;
	}
	return 0;
}

/* The generic upstream mode in place of pull-through.  0, or -1 (logged). */
static int start_http_cache(struct edge_worker_store *ws, struct event_base *base,
			    const struct edge_store_ctx *ctx, struct metrics_slot *metrics)
{
	struct edge_http_cache_config hc = {ws->cache, ws->upstream,	       metrics,
					    base,      &ctx->shared->inflight, ctx->wake_slot};

	if (!(ws->http = edge_http_cache_new(&hc))) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

int edge_worker_store_start(struct edge_worker_store *ws, struct event_base *base,
			    const struct edge_store_ctx *ctx, struct metrics_slot *metrics,
			    struct edge_filecache *files, const struct edge_pull_ops *ops,
			    void *arg)
{
	struct timeval tv = {HITS_MS / 1000, (HITS_MS % 1000) * 1000};

	if (!ws->cache)
		return 0;
	ws->files = files;
	if (!(ws->hits = event_new(base, -1, EV_PERSIST, hits_cb, ws)) ||
	    event_add(ws->hits, &tv) != 0) {
		log_warnx("store: cannot start the hit reports");
		return -1;
	}
	if (ws->cfg->upstream_url[0]) {
		struct edge_pull_config pc = {ws->cache, NULL, &ctx->shared->inflight,
					      ctx->wake_slot, metrics};

		if (start_upstream(ws, base, ctx) != 0)
			return -1;
		pc.upstream = ws->upstream;
		if (ws->cfg->upstream_http) {
			if (start_http_cache(ws, base, ctx, metrics) != 0)
				return -1;
		} else if (!(ws->pull = edge_pull_new(base, &pc, ops, arg))) {
			log_warn("pull-through");
			return -1;
		}
	}
	ws->fill = (struct edge_fill){
	    .magic = EDGE_FILL_MAGIC,
	    .cache = ws->cache,
	    .keys = ctx->control,
	    .edge_id = ws->cfg->edge_id,
	    .metrics = metrics,
	    .max_size = ws->cfg->store_max_size,
	    .peers = edge_peers_new(base),
	};
	if (!ws->fill.peers)
		log_warnx("fill: copies from peers are off: out of memory");
	return 0;
}

int edge_worker_store_metrics(struct edge_worker_store *ws, struct buf *out)
{
	uint64_t bytes = 0, objects = 0;

	if (!ws->cache)
		return 0;
	edge_index_usage(edge_cache_index(ws->cache), &bytes, &objects);
	return buf_printf(
	    out,
	    "# HELP reel_cache_objects Objects in the cache store.\n"
	    "# TYPE reel_cache_objects gauge\nreel_cache_objects %llu\n"
	    "# HELP reel_cache_bytes Bytes of the objects in the cache store.\n"
	    "# TYPE reel_cache_bytes gauge\nreel_cache_bytes %llu\n"
	    "# HELP reel_cache_max_bytes The store's max_size (0: none).\n"
	    "# TYPE reel_cache_max_bytes gauge\nreel_cache_max_bytes %llu\n"
	    "# HELP reel_cache_disk_free_bytes Free bytes of the store's file system.\n"
	    "# TYPE reel_cache_disk_free_bytes gauge\nreel_cache_disk_free_bytes %llu\n"
	    "# HELP reel_cache_pulls_in_flight Objects being fetched from the upstream now.\n"
	    "# TYPE reel_cache_pulls_in_flight gauge\nreel_cache_pulls_in_flight %u\n"
	    "# HELP reel_cache_evictions_total Objects evicted to keep max_size and min_free.\n"
	    "# TYPE reel_cache_evictions_total counter\nreel_cache_evictions_total %llu\n"
	    "# HELP reel_cache_unsynced_bytes Bytes written to the store and not yet durable.\n"
	    "# TYPE reel_cache_unsynced_bytes gauge\nreel_cache_unsynced_bytes %llu\n"
	    "# HELP reel_cache_syncs_total Background syncs that made written objects durable.\n"
	    "# TYPE reel_cache_syncs_total counter\nreel_cache_syncs_total %llu\n"
	    "# HELP reel_upstream_breaker_state The upstream's circuit breaker: 0 closed, 1 open, "
	    "2 half-open.\n"
	    "# TYPE reel_upstream_breaker_state gauge\nreel_upstream_breaker_state %d\n"
	    "# HELP reel_upstream_breaker_opened_total Times the breaker opened.\n"
	    "# TYPE reel_upstream_breaker_opened_total counter\n"
	    "reel_upstream_breaker_opened_total %llu\n",
	    (unsigned long long)objects, (unsigned long long)bytes,
	    (unsigned long long)ws->cfg->store_max_size,
	    (unsigned long long)edge_cache_disk_free(ws->cache),
	    edge_inflight_active(&ws->shared->inflight),
	    (unsigned long long)edge_cache_evicted(ws->cache),
	    (unsigned long long)edge_cache_unsynced_bytes(ws->cache),
	    (unsigned long long)edge_cache_syncs(ws->cache),
	    (int)edge_breaker_state(&ws->shared->breaker),
	    (unsigned long long)__atomic_load_n(&ws->shared->breaker.opened, __ATOMIC_RELAXED));
}

struct edge_fill *edge_worker_store_fill(struct edge_worker_store *ws)
{
	return ws->cache ? &ws->fill : NULL;
}

void edge_worker_store_close(struct edge_worker_store *ws)
{
	if (ws->hits) {
		hits_cb(-1, 0, ws); /* the last period's hits too */
		event_free(ws->hits);
	}
	edge_http_cache_free(ws->http);
	edge_pull_free(ws->pull);
	edge_upstream_free(ws->upstream);
	edge_peers_free(ws->fill.peers); /* before the store: copies drop their files */
	edge_cache_free(ws->cache);
	memset(ws, 0, sizeof(*ws));
}
