/* Login throttling with exponential backoff per key, in a keyed hash table (throttle.h). */
#include "accounts/throttle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define TAG_LEN 16

struct entry {
	uint8_t tag[TAG_LEN]; /* the first bytes of the key's HMAC; all zero: free */
	uint32_t failures;
	int64_t last;  /* the last failure */
	int64_t until; /* no attempt before this time */
};

struct throttle {
	size_t slots;
	unsigned free_failures, max_wait_s;
	uint8_t secret[32]; /* the HMAC key, random per table */
	struct entry e[];
};

struct throttle *throttle_new(size_t slots, unsigned free_failures, unsigned max_wait_s)
{
	struct throttle *t;

	if (slots == 0 || slots % THROTTLE_PROBE)
		return NULL;
	if (!(t = calloc(1, sizeof(*t) + slots * sizeof(t->e[0]))))
		return NULL;
	t->slots = slots;
	t->free_failures = free_failures;
	t->max_wait_s = max_wait_s;
	if (RAND_bytes(t->secret, sizeof(t->secret)) != 1) {
		throttle_free(t);
		return NULL;
	}
	return t;
}

void throttle_free(struct throttle *t)
{
	if (t)
		OPENSSL_cleanse(t->secret, sizeof(t->secret));
	free(t);
}

/* Is E counting failures at NOW (a free slot is not)? */
static int live(const struct entry *e, int64_t now)
{
	return e->failures && (e->until > now || now - e->last < THROTTLE_FORGET);
}

/* KEY's tag into TAG and the first slot of its window. */
static size_t place(const struct throttle *t, const void *key, size_t len, uint8_t tag[TAG_LEN])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mlen = 0;
	uint64_t h;

	HMAC(EVP_sha256(), t->secret, sizeof(t->secret), key, len, mac, &mlen);
	memcpy(tag, mac, TAG_LEN);
	tag[0] |= 1; /* never all zero */
	memcpy(&h, mac + TAG_LEN, sizeof(h));
	return (size_t)(h % (t->slots / THROTTLE_PROBE)) * THROTTLE_PROBE;
}

/* KEY's entry, or NULL; with ROOM, a slot for it (free, or a forgotten key's) when it has none. */
static struct entry *find(struct throttle *t, const void *key, size_t len, int64_t now, int room)
{
	uint8_t tag[TAG_LEN];
	size_t base = place(t, key, len, tag);
	struct entry *spare = NULL;

	for (size_t i = 0; i < THROTTLE_PROBE; i++) {
		struct entry *e = &t->e[base + i];

		if (memcmp(e->tag, tag, TAG_LEN) == 0)
			return e;
		if (!spare && !live(e, now))
			spare = e;
	}
	if (!room || !spare)
		return NULL;
	memset(spare, 0, sizeof(*spare));
	memcpy(spare->tag, tag, TAG_LEN);
	return spare;
}

unsigned throttle_wait(struct throttle *t, const void *key, size_t len, int64_t now)
{
	struct entry *e = find(t, key, len, now, 0);

	if (!e || e->until <= now)
		return 0;
	return (unsigned)(e->until - now);
}

int throttle_failure(struct throttle *t, const void *key, size_t len, int64_t now)
{
	struct entry *e = find(t, key, len, now, 1);
	uint64_t wait;

	if (!e)
		return -ENOSPC;
	if (!live(e, now))
		e->failures = 0; /* forgotten */
	e->failures++;
	e->last = now;
	if (e->failures <= t->free_failures)
		return 0;
	/* 2 s, 4 s, 8 s ...: at least 2, since times here are whole seconds */
	wait = e->failures - t->free_failures >= 20 ? t->max_wait_s
						    : 1ULL << (e->failures - t->free_failures);
	if (wait > t->max_wait_s)
		wait = t->max_wait_s;
	e->until = now + (int64_t)wait;
	return 0;
}

void throttle_clear(struct throttle *t, const void *key, size_t len)
{
	struct entry *e = find(t, key, len, 0, 0);

	if (e)
		memset(e, 0, sizeof(*e));
}
