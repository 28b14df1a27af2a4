/*
 * Internals shared by index.c (reads, commits, removals, eviction) and
 * index_check.c (reconciling and rebuilding the counts).  Not for use
 * outside the index.  Every function works inside the caller's transaction.
 */
#ifndef EDGE_INDEX_INT_H
#define EDGE_INDEX_INT_H

#include "index.h"
#include "store.h"

enum { IX_OBJECTS, IX_TITLES, IX_MANIFEST, IX_LRU, IX_NONCES, IX_META, IX_NDBS };

#define IX_LRU_KEY_MAX (8 + EDGE_KEY_MAX)

struct edge_index {
	struct store *s;
};

struct usage {
	uint64_t bytes, objects;
};

/* Keys of a database, collected (store_scan forbids changes while it runs). */
struct keys {
	char **k;
	size_t n, cap;
};

/* The length of the title part of KEY ("<title>/<path>"), or 0 when KEY is not one. */
size_t ix_title_len(const char *key);
bool ix_is_manifest(const char *key);
/* Pulled objects other than manifests are the ones in the lru list. */
bool ix_in_lru(const char *key, const struct edge_object *o);
/* The lru key of KEY hit last at LAST_HIT into OUT (IX_LRU_KEY_MAX bytes); its length. */
size_t ix_lru_key(uint8_t *out, int64_t last_hit, const char *key);

/* Records: 0, -ENOENT, -EIO (does not decode), or a store error. */
int ix_get_object(struct store_txn *t, const char *key, struct edge_object *o);
int ix_put_object(struct store_txn *t, const char *key, const struct edge_object *o);
/* The title record TITLE (TLEN bytes); a missing one reads as zeroed. */
int ix_get_title(struct store_txn *t, const char *title, size_t tlen, struct edge_title *out);
int ix_put_title(struct store_txn *t, const char *title, size_t tlen, const struct edge_title *rec);
int ix_lru_put(struct store_txn *t, const char *key, int64_t last_hit);
/* Delete the lru record; a missing one is no error. */
int ix_lru_del(struct store_txn *t, const char *key, int64_t last_hit);
/* The meta record KEY of LEN bytes into OUT (left as it is when missing): 0, -EIO, an error. */
int ix_get_meta(struct store_txn *t, const char *key, void *out, size_t len);
int ix_put_meta(struct store_txn *t, const char *key, const void *val, size_t len);
int ix_get_usage(struct store_txn *t, struct usage *u);
int ix_put_usage(struct store_txn *t, const struct usage *u);

/* The durability state (index_sync.c); a missing one reads as a new store's. */
int ix_get_sync(struct store_txn *t, struct edge_sync_state *s);
int ix_put_sync(struct store_txn *t, const struct edge_sync_state *s);
/*
 * O as committed into *OUT: unless O->synced, stamped with the current
 * generation, which counts it.
 */
int ix_sync_stamp(struct store_txn *t, const struct edge_object *o, struct edge_object *out);

void ix_keys_free(struct keys *ks);
int ix_keys_add(struct keys *ks, const void *key, size_t klen);
/* The keys of DB starting with PREFIX (PLEN bytes) appended to *OUT. */
int ix_collect(struct store_txn *t, unsigned db, const char *prefix, size_t plen, struct keys *out);
/* Delete every record of DB under PREFIX. */
int ix_delete_prefix(struct store_txn *t, unsigned db, const char *prefix, size_t plen);

/* Remove the object KEY and what hangs on it (counts, lru, flags); OUT may be NULL. */
int ix_drop_object(struct store_txn *t, const char *key, struct edge_removed *out);
/*
 * After removals from TITLE: a title with no object goes; so does a title
 * of pulled objects left with nothing but its manifest (unless it is KEEP).
 */
int ix_title_gc(struct store_txn *t, const char *title, size_t tlen, const char *keep,
		struct edge_removed *out);

#endif
