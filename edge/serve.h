/*
 * The edge's request handlers: packages from the content root (GET, HEAD,
 * conditional and range requests, gzip for text, CORS) and /healthz on the
 * content listeners; /metrics and /healthz on the metrics listeners.
 */
#ifndef EDGE_SERVE_H
#define EDGE_SERVE_H

#include "config.h"
#include "filecache.h"
#include "httpd.h"
#include "metrics.h"
#include "pull.h"
#include "ratelimit.h"
#include "revocations.h"
#include "stream_token.h"
#include "versions.h"
#include "worker_store.h"

/*
 * The handlers' state, one per worker.  The handlers only read it (the
 * caches change inside): whoever fills it owns every pointer and frees
 * FILES, TOKENS and FAILURES after the servers using it are gone; CFG,
 * METRICS, RING and the strings must outlive them.
 */
struct edge_serve {
	uint32_t magic;
	const struct edge_config *cfg;
	struct edge_filecache *files;
	struct metrics *metrics;
	struct metrics_slot *slot;
	char boundary[24];	 /* multipart/byteranges boundary of this worker */
	const char *cors_static; /* header lines for every object when origins is "*" */
	uint64_t (*now_ms)(void);
	const struct paseto_keyring *ring; /* stream-token keys, NULL when none */
	struct token_cache *tokens;	   /* verified tokens of this worker */
	struct edge_ratelimit *failures;   /* failed verifications per client address */
	struct edge_index *index;	   /* the cache store's, NULL when the root is a folder */
	struct edge_pull *pull;		   /* pull-through, NULL when off */
	struct edge_versions *versions;	   /* the store's title versions; with pull-through */
	struct edge_worker_store *store;   /* for the store's gauges; NULL when off */
	struct edge_rev *rev;		   /* the heartbeat's revocations, NULL when off */
	struct edge_rev_seen *seen;	   /* leases this worker noted for the report */
};

#define EDGE_SERVE_MAGIC 0x53727665U /* "Srve" */

/*
 * The content listeners' httpd handler; ARG is a struct edge_serve.  Answers
 * every request synchronously; /metrics only with [metrics] on_content.
 */
void edge_serve(struct httpd_exchange *x, void *arg);

/* The answer to /healthz: 200 "ok", never stored. */
void edge_serve_health(struct httpd_exchange *x);

/* The metrics listeners' handler: /metrics and /healthz, 404 for the rest. */
void edge_serve_metrics(struct httpd_exchange *x, void *arg);

/* What pull-through calls back (pull.h); ARG is the struct edge_serve. */
extern const struct edge_pull_ops edge_serve_pull_ops;

/*
 * This cache's name in Cache-Status (RFC 9211), the line a hit carries and
 * the one of the store's object served when the upstream failed to give the
 * version the stream token names (stale-if-error).
 */
#define EDGE_CACHE_NAME	      "reel-edge"
#define EDGE_CACHE_STATUS_HIT "Cache-Status: " EDGE_CACHE_NAME "; hit\r\n"
#define EDGE_CACHE_STATUS_STALE                                                                    \
	"Cache-Status: " EDGE_CACHE_NAME "; fwd=stale; detail=stale-if-error\r\n"

#endif
