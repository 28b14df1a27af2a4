/*
 * The cache store's part of a worker process: the store (cache.h), the
 * upstream fetcher (upstream.h), pull-through (pull.h), the fill API's
 * state (fill.h; the worker serves it on the fill listeners), and the timer
 * that reports the open-file cache's hits to the index.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_WORKER_STORE_H
#define EDGE_WORKER_STORE_H

#include <event2/event.h>

#include "config.h"
#include "fill.h"
#include "http_cache.h"
#include "filecache.h"
#include "pull.h"
#include "shared.h"

/* What the master gives every worker for its store. */
struct edge_store_ctx {
	struct edge_shared *shared;
	int wake_slot;			      /* this worker's, in shared->inflight */
	const struct paseto_keyring *control; /* the origin's control public keys, or NULL */
	const uint8_t *secret;		      /* this edge's secret, or NULL */
	size_t secret_len;
};

struct edge_worker_store {
	const struct edge_config *cfg;
	struct edge_cache *cache;
	struct edge_upstream *upstream;
	struct edge_pull *pull;
	struct edge_http_cache *http; /* [upstream] mode = http: the content handler's state */
	struct edge_fill fill;
	struct edge_filecache *files; /* the worker's, borrowed: hits come from there */
	struct event *hits;
	struct edge_cache_config cache_cfg;
	struct edge_shared *shared;
	char url[512];
};

/*
 * Open the store of CFG for this worker (nothing when the store is off).
 * 0, or -1 (logged).  Then the open-file cache can be made with
 * edge_cache_index(ws->cache).
 */
int edge_worker_store_open(struct edge_worker_store *ws, const struct edge_config *cfg,
			   const struct edge_store_ctx *ctx);

/*
 * Start the rest on BASE: the upstream and pull-through (answers go through
 * OPS with ARG), the fill API's state, the hit reports from FILES.  0, or
 * -1 (logged).
 */
int edge_worker_store_start(struct edge_worker_store *ws, struct event_base *base,
			    const struct edge_store_ctx *ctx, struct metrics_slot *metrics,
			    struct edge_filecache *files, const struct edge_pull_ops *ops,
			    void *arg);

/*
 * Append the store's gauges in the Prometheus text format to OUT: objects,
 * bytes, the quota, free disk, pulls in flight, the breaker.  Nothing when
 * the store is off.  0 or -ENOMEM.
 */
int edge_worker_store_metrics(struct edge_worker_store *ws, struct buf *out);

/*
 * The fill API's state, edge_fill_serve()'s argument, owned by WS (valid
 * until edge_worker_store_close); NULL when the store is off.
 */
struct edge_fill *edge_worker_store_fill(struct edge_worker_store *ws);

/* Stop and free everything (open or not). */
void edge_worker_store_close(struct edge_worker_store *ws);

#endif
