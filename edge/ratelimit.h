/*
 * Failed token verifications per client address: an Ed25519 verify costs
 * ~80 us, so an address that keeps sending bad tokens is refused (429) for
 * the rest of a window instead of costing a verify per request.  A fixed
 * direct-mapped table per worker; a collision only forgets an address.
 */
#ifndef EDGE_RATELIMIT_H
#define EDGE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct edge_ratelimit;

/*
 * At most MAX_FAILURES per WINDOW_MS per address.  The caller owns the
 * limiter and frees it with edge_ratelimit_free() (NULL: no-op).  NULL on
 * allocation failure.
 */
struct edge_ratelimit *edge_ratelimit_new(unsigned max_failures, uint64_t window_ms);
void edge_ratelimit_free(struct edge_ratelimit *rl);

/*
 * Is ADDR over its budget at NOW_MS?  Then *RETRY_S (the caller's) gets the
 * seconds until its window ends (at least 1); otherwise it is untouched.
 * ADDR is only read during the call.
 */
bool edge_ratelimit_blocked(struct edge_ratelimit *rl, const struct sockaddr *addr, uint64_t now_ms,
			    unsigned *retry_s);

/* Count one failed verification for ADDR at NOW_MS. */
void edge_ratelimit_failure(struct edge_ratelimit *rl, const struct sockaddr *addr,
			    uint64_t now_ms);

#endif
