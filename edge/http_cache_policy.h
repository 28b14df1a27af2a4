/*
 * The rules of a shared HTTP cache (RFC 9111) for the generic upstream
 * mode, as pure functions over header blocks: what may be stored, how long
 * it is fresh, how old it is, whether a stored response answers a request
 * or must be validated first, what a 304 updates.  No I/O; http_cache.c
 * does the exchanges.
 *
 * A header block is a run of "Name: value\r\n" lines, without a status
 * line and without the blank line that ends a head.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_HTTP_CACHE_POLICY_H
#define EDGE_HTTP_CACHE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cache_control.h"
#include "http_parser.h"

/* The next line of the block H[0..LEN) from *POS: its name and value (trimmed); false at the end.
 */
bool hc_head_next(const char *h, size_t len, size_t *pos, struct http_str *name,
		  struct http_str *value);

/* The value of the first line named NAME in H: true and *VALUE, or false. */
bool hc_head_get(const char *h, size_t len, const char *name, struct http_str *value);

/* The Cache-Control of H: every line of it, in order. */
void hc_head_cache_control(const char *h, size_t len, struct cache_control *cc);

/* This cache's device token in Surrogate-Capability and Surrogate-Control targets. */
#define HC_SURROGATE_TOKEN "reel-edge"

/*
 * The Surrogate-Control of H (Edge Architecture 1.0) as it applies to this
 * cache: the members without a target and those targeted at
 * HC_SURROGATE_TOKEN, into SC.  Its max-age and no-store take precedence
 * over Cache-Control and Expires (hc_storable, hc_freshness_lifetime).
 */
void hc_head_surrogate(const char *h, size_t len, struct cache_control *sc);

/*
 * The lines of H worth keeping with a stored response, appended to OUT:
 * without the hop-by-hop fields (Connection and what it names, Keep-Alive,
 * Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) and Content-Length
 * (the cache sends its own).  0 or -ENOMEM.
 */
int hc_head_storable(const char *h, size_t len, struct buf *out);

/*
 * The block STORED updated by the 304 block FRESH (RFC 9111 section 3.2):
 * every field FRESH has replaces the stored lines of that name, except the
 * ones that describe the stored body (Content-Length, Content-Encoding,
 * Content-Range, Content-MD5, ETag) and the hop-by-hop ones; into OUT.
 * 0 or -ENOMEM.
 */
int hc_head_update(const char *stored, size_t slen, const char *fresh, size_t flen,
		   struct buf *out);

/* A stored response's times and status, what freshness and age need. */
struct hc_times {
	int status;
	int64_t request_time, response_time; /* Unix seconds, when the exchange began and ended */
};

/* Does a shared cache understand STATUS (for must-understand)? */
bool hc_status_understood(int status);

/* Is STATUS heuristically cacheable (RFC 9110 section 15.1)? */
bool hc_status_heuristic(int status);

/*
 * May a shared cache store the answer STATUS with block H to a GET whose
 * request had REQ_CC and AUTHORIZED (an Authorization field)?  206 counts
 * as storable here when the rest allows it (the caller checks its
 * Content-Range).
 */
bool hc_storable(int status, const char *h, size_t len, const struct cache_control *req_cc,
		 bool authorized);

/*
 * The freshness lifetime of a stored response, in seconds (RFC 9111
 * section 4.2.1): s-maxage, max-age, Expires minus Date, or a heuristic of
 * a tenth of the time since Last-Modified (at most a day) for statuses that
 * allow it.  0 when none applies; *HEURISTIC (may be NULL) tells which.
 */
int64_t hc_freshness_lifetime(const char *h, size_t len, const struct hc_times *t, bool *heuristic);

/* The current age in seconds at NOW (RFC 9111 section 4.2.3). */
int64_t hc_current_age(const char *h, size_t len, const struct hc_times *t, int64_t now);

enum hc_use {
	HC_USE_FRESH,	 /* answer from the store */
	HC_USE_STALE,	 /* answer from the store although stale (the client allows it) */
	HC_USE_VALIDATE, /* ask the upstream with the stored validators first */
	HC_USE_REFETCH,	 /* stale or refused and nothing to validate with: fetch anew */
};

/*
 * How a stored response (block H, times T) may answer a request with
 * REQ_CC (Pragma: no-cache already folded in as no-cache) at NOW.
 */
enum hc_use hc_usable(const char *h, size_t len, const struct hc_times *t,
		      const struct cache_control *req_cc, int64_t now);

/*
 * The Vary of block H against the request headers REQ and the block
 * STORED_REQ that holds the request lines the stored response was chosen
 * for: does the stored response fit? "Vary: *" never does.
 */
bool hc_vary_match(const char *h, size_t len, const struct http_request *req,
		   const char *stored_req, size_t srlen);

/*
 * The request lines of REQ that block H's Vary names, appended to OUT as
 * a header block (one line per field, values of repeated lines joined
 * with ", ").  0 or -ENOMEM.
 */
int hc_vary_capture(const char *h, size_t len, const struct http_request *req, struct buf *out);

#endif
