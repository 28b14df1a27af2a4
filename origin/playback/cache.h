/*
 * What every playback authorization reads of the catalog, kept in memory:
 * titles' playback facts by id, parsed once from the store.  Only the admin
 * API changes titles, in this process, and it empties the cache after each
 * change, so an entry is never stale.
 * Direct-mapped tables: a collision just costs a store read.
 */
#ifndef ORIGIN_CACHE_H
#define ORIGIN_CACHE_H

#include "catalog/catalog.h"

struct origin_cache;

/* An empty cache, or NULL on ENOMEM. */
struct origin_cache *origin_cache_new(void);
void origin_cache_free(struct origin_cache *c);

/* Forget every entry (after an admin change). */
void origin_cache_clear(struct origin_cache *c);

/* catalog_info() through C: 0, -ENOENT, or a negative errno. */
int origin_cache_title(struct origin_cache *c, struct store_txn *t, const char *id,
		       struct title_info *out);

#endif
