/* The direct-mapped read cache (record_cache.h). */
#include "record_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfield.h"

struct slot {
	uint64_t gen; /* the entry is empty unless it is the cache's */
	char key[RECORD_CACHE_KEY_MAX + 1];
	max_align_t value[]; /* VALUE_SIZE bytes */
};

struct record_cache {
	uint64_t gen;
	size_t mask, value_size, slot_size;
	max_align_t slots[]; /* mask + 1 slots of slot_size bytes */
};

struct record_cache *record_cache_new(size_t slots, size_t value_size)
{
	size_t a = sizeof(max_align_t),
	       slot_size = (sizeof(struct slot) + value_size + a - 1) / a * a;
	struct record_cache *c = calloc(1, sizeof(*c) + slots * slot_size);

	if (c)
		*c = (struct record_cache){1, slots - 1, value_size, slot_size};
	return c;
}

void record_cache_free(struct record_cache *c)
{
	free(c);
}

void record_cache_clear(struct record_cache *c)
{
	if (c)
		c->gen++;
}

static struct slot *slot_of(const struct record_cache *c, const char *key)
{
	return (struct slot *)((unsigned char *)c->slots +
			       (jf_str_hash(key) & c->mask) * c->slot_size);
}

bool record_cache_get(const struct record_cache *c, const char *key, void *out)
{
	const struct slot *s = slot_of(c, key);

	if (s->gen != c->gen || strcmp(s->key, key) != 0)
		return false;
	memcpy(out, s->value, c->value_size);
	return true;
}

void record_cache_put(struct record_cache *c, const char *key, const void *value)
{
	struct slot *s = slot_of(c, key);
	size_t n = strlen(key);

	if (n > RECORD_CACHE_KEY_MAX)
		return;
	memcpy(s->key, key, n + 1);
	memcpy(s->value, value, c->value_size);
	s->gen = c->gen;
}
