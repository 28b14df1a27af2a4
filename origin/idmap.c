/* The hash table of ids (idmap.h): linear probing over a power of two of slots. */
#include "idmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfield.h"

struct slot {
	char key[IDMAP_KEY_MAX + 1]; /* "" when empty */
	max_align_t value[];	     /* VALUE_SIZE bytes */
};

struct idmap {
	size_t mask, count, value_size, slot_size;
	unsigned char *slots; /* mask + 1 slots of slot_size bytes */
};

static struct slot *slot_at(const struct idmap *m, size_t i)
{
	return (struct slot *)(m->slots + i * m->slot_size);
}

struct idmap *idmap_new(size_t value_size)
{
	size_t a = sizeof(max_align_t);
	struct idmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->mask = 63;
	m->value_size = value_size;
	m->slot_size = (sizeof(struct slot) + value_size + a - 1) / a * a;
	if (!(m->slots = calloc(m->mask + 1, m->slot_size))) {
		free(m);
		return NULL;
	}
	return m;
}

void idmap_free(struct idmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

/* The slot holding KEY, or the empty one where it would go. */
static struct slot *find(const struct idmap *m, const char *key)
{
	size_t i = jf_str_hash(key) & m->mask;
	struct slot *s;

	while ((s = slot_at(m, i))->key[0] && strcmp(s->key, key) != 0)
		i = (i + 1) & m->mask;
	return s;
}

void *idmap_get(const struct idmap *m, const char *key)
{
	struct slot *s = find(m, key);

	return s->key[0] ? s->value : NULL;
}

/* Double M's slots (kept at most half full).  0, or -1 on ENOMEM. */
static int grow(struct idmap *m)
{
	struct idmap big = *m;

	big.mask = 2 * m->mask + 1;
	if (!(big.slots = calloc(big.mask + 1, m->slot_size)))
		return -1;
	for (size_t i = 0; i <= m->mask; i++) {
		struct slot *s = slot_at(m, i);

		if (s->key[0])
			memcpy(find(&big, s->key), s, m->slot_size);
	}
	free(m->slots);
	*m = big;
	return 0;
}

void *idmap_put(struct idmap *m, const char *key, bool *created)
{
	size_t n = strlen(key);
	struct slot *s;

	if (created)
		*created = false;
	if (n == 0 || n > IDMAP_KEY_MAX)
		return NULL;
	if ((s = find(m, key))->key[0])
		return s->value;
	if (2 * (m->count + 1) > m->mask + 1) {
		if (grow(m) != 0)
			return NULL;
		s = find(m, key);
	}
	memcpy(s->key, key, n + 1);
	memset(s->value, 0, m->value_size);
	m->count++;
	if (created)
		*created = true;
	return s->value;
}

size_t idmap_count(const struct idmap *m)
{
	return m->count;
}

size_t idmap_slots(const struct idmap *m)
{
	return m->mask + 1;
}

const char *idmap_slot(const struct idmap *m, size_t i, void **value)
{
	struct slot *s = slot_at(m, i);

	if (!s->key[0])
		return NULL;
	*value = s->value;
	return s->key;
}
