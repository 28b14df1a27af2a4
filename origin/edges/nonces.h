/*
 * The nonces of signed requests seen lately (docs/fill.md: each (keyid,
 * nonce) is accepted once): two generations of a hash set, the current one
 * and the one before, each spanning SPAN seconds, so a nonce is remembered
 * at least SPAN and at most twice SPAN seconds.  Sets hold 64-bit hashes of
 * keyid and nonce; two pairs that collide are one (a refusal, never an
 * acceptance).  In memory, owned by the loop.  Library code: no logging.
 */
#ifndef ORIGIN_EDGES_NONCES_H
#define ORIGIN_EDGES_NONCES_H

#include <stdint.h>

struct nonce_cache;

/* A cache whose generations span SPAN_S seconds from NOW; NULL on ENOMEM. */
struct nonce_cache *nonce_cache_new(uint32_t span_s, int64_t now);
void nonce_cache_free(struct nonce_cache *c);

/*
 * Claim (KEYID, NONCE) at NOW: 0 the first time, -EALREADY when seen
 * before, -ENOMEM (not recorded: refused).
 */
int nonce_cache_claim(struct nonce_cache *c, const char *keyid, const char *nonce, int64_t now);

#endif
