/*
 * The generic upstream mode: reel-edge as an RFC 9111 shared cache in
 * front of any HTTP origin ([upstream] mode = http).  Every request on the
 * content listeners is answered from the store when a stored response may
 * answer it, else relayed to the upstream (edge_upstream_relay), whose
 * answer is stored when RFC 9111 allows it:
 *
 *   GET, HEAD   stored response fresh (or stale within the client's
 *               max-stale): answered from it, with Age and
 *               Cache-Status: reel-edge; hit, ranges cut from it, the
 *               client's own conditionals evaluated against it;
 *               stale or no-cache: revalidated with its ETag and
 *               Last-Modified, a 304 updating the stored header lines;
 *               otherwise fetched (Cache-Status: reel-edge; fwd=miss,
 *               "stored" when kept).  A 206 is stored as a partial entry
 *               that answers later ranges inside it.  A target whose
 *               responses vary keeps up to HC_VARIANTS of them.
 *
 * Every answer from the upstream goes to a temporary file of the store as
 * it arrives and the clients read it from there at their own pace: sent
 * as its bytes come when its length is known (else once it is complete),
 * then stored, or dropped when it may not be stored.  Concurrent plain
 * GETs of one target (no Authorization, Range, conditionals or no-cache,
 * no-store) are collapsed into one fetch, across the workers (inflight.h):
 * the others read the first one's file; when its answer turns out not to
 * be shareable (not storable, or another Vary variant) they are answered
 * again on their own, each with its own fetch.
 *   others      relayed with their bodies; a 2xx or 3xx answer to an
 *               unsafe method invalidates the target and the same-origin
 *               Location and Content-Location.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_HTTP_CACHE_H
#define EDGE_HTTP_CACHE_H

#include "cache.h"
#include "httpd.h"
#include "inflight.h"
#include "metrics.h"
#include "upstream.h"

#define EDGE_HTTP_BODY_MAX (1u << 20)  /* request bodies relayed, unless [limits] max_body says */

struct edge_http_cache_config {
	struct edge_cache *cache;	/* borrowed: outlives the cache's handler */
	struct edge_upstream *upstream; /* borrowed, likewise */
	struct metrics_slot *metrics;	/* this worker's */
	struct event_base *base;	/* this worker's loop */
	struct edge_inflight *inflight; /* shared by the workers: a miss is fetched once */
	int wake_slot;			/* this process's, in INFLIGHT (-1: none) */
};

struct edge_http_cache;

/* A handler state for CFG (copied): the caller's, freed with edge_http_cache_free(); NULL: ENOMEM.
 */
struct edge_http_cache *edge_http_cache_new(const struct edge_http_cache_config *cfg);

/*
 * Answer every exchange still waiting for the upstream with 502 and free
 * HC.  Call it before the upstream is freed.  NULL does nothing.
 */
void edge_http_cache_free(struct edge_http_cache *hc);

/* The content role's handler in the generic mode (ARG: the struct edge_http_cache). */
void edge_http_cache_serve(struct httpd_exchange *x, void *arg);

#endif
