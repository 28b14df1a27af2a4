/*
 * Conditional requests (RFC 9110 section 13): entity-tag lists (If-None-Match
 * with the weak comparison, If-Match and If-Range with the strong one) and
 * the evaluation of a request's preconditions in the order of section 13.2.2.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HTTP_COND_H
#define REEL_HTTP_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http_parser.h"

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

#define HTTP_VALIDATOR_ETAGS 2

/*
 * The validators of a target resource's current representation (RFC 9110
 * section 8.8).  ETAG[0] is the entity-tag of the representation ranges
 * apply to (the identity coding); ETAG[1] may name another form of the same
 * state (its gzip coding), or be NULL.  Entity-tags carry their quotes.
 * LAST_MODIFIED < 0: none.  The strings are borrowed from the caller.
 */
struct http_validators {
	const char *etag[HTTP_VALIDATOR_ETAGS];
	size_t etag_len[HTTP_VALIDATOR_ETAGS];
	time_t last_modified;
};

enum http_precondition {
	HTTP_PRECOND_PASS,	   /* no precondition failed: answer as without them */
	HTTP_PRECOND_FAILED,	   /* 412 Precondition Failed */
	HTTP_PRECOND_NOT_MODIFIED, /* 304 Not Modified (GET and HEAD only) */
};

/*
 * Evaluate REQ's preconditions against the current representation V (NULL:
 * the target resource has none) in the order of RFC 9110 section 13.2.2:
 * If-Match (strong comparison against every V->etag; a weak tag never
 * matches; "*" holds only when V exists), else If-Unmodified-Since (fails
 * when V was modified after the date); then If-None-Match (weak comparison;
 * "*" fails when V exists; a failure is 304 for GET and HEAD, else 412), else
 * If-Modified-Since (GET and HEAD only: 304 unless V was modified after the
 * date).  Dates that are not a valid HTTP-date, and dates when V has no
 * LAST_MODIFIED, are ignored.  For 304, *ETAG_INDEX (may be NULL) gets the
 * index of the V->etag that If-None-Match named (0 otherwise), so the
 * caller can send that representation's headers.  An If-Match or
 * If-None-Match split over several lines is one list (section 5.3: the
 * lines joined with commas); lines past the request's HTTP_MAX_HEADERS or
 * over 8 KiB together make it malformed, so it matches nothing.
 *
 * Section 13.2.1: call only when the answer without preconditions would be
 * 2xx.  A GET for a missing object answers 404 whatever its preconditions;
 * V = NULL is for methods that would succeed without a representation
 * (PUT), where If-Match fails and If-None-Match: * holds.
 */
enum http_precondition http_preconditions(const struct http_request *req,
					  const struct http_validators *v, unsigned *etag_index);

/*
 * RFC 9110 section 13.1.5: may REQ's Range apply to V?  True without
 * If-Range, or when If-Range is an entity-tag that strongly matches
 * V->etag[0], or an HTTP-date equal to V->last_modified.
 */
bool http_if_range(const struct http_request *req, const struct http_validators *v);

#endif
