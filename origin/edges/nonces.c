/* Nonces of signed requests seen lately, in two generations (nonces.h). */
#include "edges/nonces.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strhash.h"

/* An open-addressing set of non-zero hashes. */
struct set {
	uint64_t *h;
	size_t cap, n; /* cap: a power of two, or 0 */
};

struct nonce_cache {
	uint32_t span;
	int64_t started; /* of the current generation */
	struct set cur, prev;
};

static bool set_has(const struct set *s, uint64_t h)
{
	for (size_t i = h & (s->cap - 1); s->cap && s->h[i]; i = (i + 1) & (s->cap - 1))
		if (s->h[i] == h)
			return true;
	return false;
}

static void set_put(struct set *s, uint64_t h)
{
	size_t i = h & (s->cap - 1);

	while (s->h[i])
		i = (i + 1) & (s->cap - 1);
	s->h[i] = h;
	s->n++;
}

/* Make room for one more (kept at most half full). */
static int set_reserve(struct set *s)
{
	struct set big;

	if (2 * (s->n + 1) <= s->cap)
		return 0;
	big.cap = s->cap ? 2 * s->cap : 1024;
	big.n = 0;
	if (!(big.h = calloc(big.cap, sizeof(*big.h))))
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->h[i])
			set_put(&big, s->h[i]);
	free(s->h);
	*s = big;
	return 0;
}

struct nonce_cache *nonce_cache_new(uint32_t span_s, int64_t now)
{
	struct nonce_cache *c = calloc(1, sizeof(*c));

	if (c) {
		c->span = span_s;
		c->started = now;
	}
	return c;
}

void nonce_cache_free(struct nonce_cache *c)
{
	if (!c)
		return;
	free(c->cur.h);
	free(c->prev.h);
	free(c);
}

/* Start a new generation when the current one has spanned its time. */
static void rotate(struct nonce_cache *c, int64_t now)
{
	if (now - c->started < (int64_t)c->span)
		return;
	free(c->prev.h);
	c->prev = c->cur;
	memset(&c->cur, 0, sizeof(c->cur));
	if (now - c->started >= 2 * (int64_t)c->span) { /* idle for long: forget both */
		free(c->prev.h);
		memset(&c->prev, 0, sizeof(c->prev));
	}
	c->started = now;
}

int nonce_cache_claim(struct nonce_cache *c, const char *keyid, const char *nonce, int64_t now)
{
	uint64_t h = str_hash(keyid);

	h ^= 0xff; /* the separator: "ab","c" and "a","bc" differ */
	h *= 1099511628211ULL;
	for (const char *p = nonce; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 1099511628211ULL;
	}
	h = h ? h : 1;
	rotate(c, now);
	if (set_has(&c->cur, h) || set_has(&c->prev, h))
		return -EALREADY;
	if (set_reserve(&c->cur) != 0)
		return -ENOMEM;
	set_put(&c->cur, h);
	return 0;
}
