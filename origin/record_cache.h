/*
 * A read cache of decoded records by their string key: direct-mapped (a
 * collision just costs a store read) and emptied at once by a generation
 * count.  For records only this process changes, so that its writer can
 * empty the cache after each change and an entry is never stale.  One
 * thread's: no locking.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_RECORD_CACHE_H
#define ORIGIN_RECORD_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#define RECORD_CACHE_KEY_MAX 64 /* longer keys are never cached */

struct record_cache;

/*
 * An empty cache of SLOTS (a power of two) values of VALUE_SIZE bytes each,
 * or NULL on ENOMEM; free it with record_cache_free().
 */
struct record_cache *record_cache_new(size_t slots, size_t value_size);

/* Free C.  NULL is a no-op. */
void record_cache_free(struct record_cache *c);

/* Forget every entry (after a change).  C may be NULL. */
void record_cache_clear(struct record_cache *c);

/* Copy the value cached for KEY into OUT (VALUE_SIZE bytes): true, or false when not cached. */
bool record_cache_get(const struct record_cache *c, const char *key, void *out);

/* Cache a copy of VALUE (VALUE_SIZE bytes) for KEY, in place of what its slot held. */
void record_cache_put(struct record_cache *c, const char *key, const void *value);

#endif
