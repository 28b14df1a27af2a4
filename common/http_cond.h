/*
 * Entity-tag lists for conditional requests (RFC 9110 section 13):
 * If-None-Match (weak comparison), If-Match and If-Range (strong comparison).
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HTTP_COND_H
#define REEL_HTTP_COND_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Does the field value LIST (LEN bytes: "*" or a comma-separated list of
 * entity-tags such as "abc", W/"abc") match ETAG (ETLEN bytes, quotes
 * included, e.g. "\"5f-1a\"")?  WEAK selects the weak comparison function
 * (W/ prefixes ignored on both sides); otherwise a weak tag never matches.
 * "*" (alone, OWS allowed) matches whatever ETAG is, so call only when a
 * current representation exists.  Otherwise the list must be well formed as a
 * whole (OWS around commas and empty elements allowed, at least one tag) and
 * ETAG must be exactly one entity-tag; a malformed list or ETAG matches
 * nothing.  "W/" and the opaque tag compare case-sensitively, byte for byte.
 * Either pointer may be NULL when its length is 0.
 */
bool http_etag_match(const char *list, size_t len, const char *etag, size_t etlen, bool weak);

#endif
