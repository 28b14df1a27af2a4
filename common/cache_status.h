/*
 * The Cache-Status response field (RFC 9211): a list of one member per
 * cache the response went through, nearest the origin first, each a cache
 * name with parameters:
 *
 *   Cache-Status: OriginCache; hit; ttl=1100, reel-edge; fwd=miss; collapsed
 *
 * This reads a field (to keep an upstream's members and add ours after
 * them) and writes our member.  Parameters kept: hit, fwd (a token:
 * bypass, method, uri-miss, vary-miss, miss, request, stale, partial),
 * fwd-status, ttl, stored, collapsed, key, detail; others are ignored.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_CACHE_STATUS_H
#define REEL_CACHE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CACHE_STATUS_MAX     16 /* members kept */
#define CACHE_STATUS_STR_MAX 64 /* longest name, fwd, key or detail kept */

struct cache_status {
	char name[CACHE_STATUS_STR_MAX + 1]; /* token or string, as sent */
	bool hit, stored, collapsed;
	char fwd[CACHE_STATUS_STR_MAX + 1]; /* "" when absent */
	int fwd_status;			    /* 0 when absent */
	int64_t ttl;			    /* when has_ttl */
	bool has_ttl;
	char key[CACHE_STATUS_STR_MAX + 1], detail[CACHE_STATUS_STR_MAX + 1];
};

/*
 * Read the field value V (LEN bytes) into OUT[0..MAX); *N gets how many.
 * Members beyond MAX, and parameters of the wrong type, are left out.
 * Returns 0, or -EINVAL when V is not a structured-field list, -ENOMEM.
 */
int cache_status_parse(const char *v, size_t len, struct cache_status *out, unsigned max,
		       unsigned *n);

/* Append the member CS to OUT (", " first when OUT is not empty).  0, -EINVAL, -ENOMEM. */
int cache_status_write(struct buf *out, const struct cache_status *cs);

#endif
