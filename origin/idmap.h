/*
 * A hash table from ids (title ids, at most IDMAP_KEY_MAX bytes) to values
 * of a fixed size, for the work of one request or one batch: the scores of
 * candidate titles, the matches of a search, the plays of a window.  Open
 * addressing; it grows as it fills; no removal.  One thread's.
 *
 * Ownership: every output is the caller's storage; a value pointer lives
 * until the next idmap_put() or idmap_free().
 */
#ifndef ORIGIN_IDMAP_H
#define ORIGIN_IDMAP_H

#include <stdbool.h>
#include <stddef.h>

#define IDMAP_KEY_MAX 64

struct idmap;

/* An empty map of VALUE_SIZE-byte values, or NULL on ENOMEM; free it with idmap_free(). */
struct idmap *idmap_new(size_t value_size);

/* Free M.  NULL is a no-op. */
void idmap_free(struct idmap *m);

/* KEY's value, or NULL when M has none. */
void *idmap_get(const struct idmap *m, const char *key);

/*
 * KEY's value, made (zeroed, *CREATED true) when M had none; NULL when KEY
 * is empty or longer than IDMAP_KEY_MAX, or on ENOMEM.  CREATED may be NULL.
 */
void *idmap_put(struct idmap *m, const char *key, bool *created);

/* Entries in M. */
size_t idmap_count(const struct idmap *m);

/*
 * The entry in slot I (0 <= I < idmap_slots(M)), for walking every entry:
 * its key (M's: valid while M is) with its value in *VALUE, or NULL when
 * the slot is empty.
 */
const char *idmap_slot(const struct idmap *m, size_t i, void **value);
size_t idmap_slots(const struct idmap *m);

#endif
