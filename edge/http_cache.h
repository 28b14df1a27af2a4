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
 *               that answers later ranges inside it.
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
#include "metrics.h"
#include "upstream.h"

#define HC_BODY_MAX	   (64u << 20) /* answers larger than this are 502 (held in memory) */
#define EDGE_HTTP_BODY_MAX (1u << 20)  /* request bodies relayed, unless [limits] max_body says */

struct edge_http_cache_config {
	struct edge_cache *cache;	/* borrowed: outlives the cache's handler */
	struct edge_upstream *upstream; /* borrowed, likewise */
	struct metrics_slot *metrics;	/* this worker's */
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
