/* Login throttling with exponential backoff per key. */
#include "accounts/throttle.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

struct entry {
	uint8_t key[16]; /* truncated SHA-256 of the key */
	uint32_t failures;
	int64_t until; /* no attempt before this time */
};

struct throttle {
	size_t slots;
	unsigned free_failures, max_wait_s;
	struct entry e[];
};

struct throttle *throttle_new(size_t slots, unsigned free_failures, unsigned max_wait_s)
{
	struct throttle *t = calloc(1, sizeof(*t) + slots * sizeof(t->e[0]));

	if (t) {
		t->slots = slots;
		t->free_failures = free_failures;
		t->max_wait_s = max_wait_s;
	}
	return t;
}

void throttle_free(struct throttle *t)
{
	free(t);
}

static struct entry *find(struct throttle *t, const void *key, size_t len, uint8_t digest[16])
{
	uint8_t full[SHA256_DIGEST_LENGTH];
	uint64_t h;

	SHA256(key, len, full);
	memcpy(digest, full, 16);
	memcpy(&h, full + 16, sizeof(h));
	return &t->e[h % t->slots];
}

unsigned throttle_wait(struct throttle *t, const void *key, size_t len, int64_t now)
{
	uint8_t d[16];
	struct entry *e = find(t, key, len, d);

	if (memcmp(e->key, d, 16) != 0 || e->until <= now)
		return 0;
	return (unsigned)(e->until - now);
}

void throttle_failure(struct throttle *t, const void *key, size_t len, int64_t now)
{
	uint8_t d[16];
	struct entry *e = find(t, key, len, d);
	uint64_t wait;

	if (memcmp(e->key, d, 16) != 0) {
		memcpy(e->key, d, 16);
		e->failures = 0;
		e->until = 0;
	}
	e->failures++;
	if (e->failures <= t->free_failures)
		return;
	/* 2 s, 4 s, 8 s ...: at least 2, since times here are whole seconds */
	wait = e->failures - t->free_failures >= 20 ? t->max_wait_s
						    : 1ULL << (e->failures - t->free_failures);
	if (wait > t->max_wait_s)
		wait = t->max_wait_s;
	e->until = now + (int64_t)wait;
}

void throttle_clear(struct throttle *t, const void *key, size_t len)
{
	uint8_t d[16];
	struct entry *e = find(t, key, len, d);

	if (memcmp(e->key, d, 16) == 0)
		memset(e, 0, sizeof(*e));
}
