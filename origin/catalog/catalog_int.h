/* The catalog service's insides, shared by the files of catalog/ only. */
#ifndef ORIGIN_CATALOG_INT_H
#define ORIGIN_CATALOG_INT_H

#include "catalog/catalog.h"

struct store_txn;

struct catalog {
	struct store *st;	    /* not owned */
	const uint8_t *master;	    /* 32 bytes, not owned: seals content keys */
	struct record_cache *cache; /* struct title_info by id; emptied on every title change */
};

/* catalog_save() in T (the caller's write transaction; it clears C's cache after). */
int catalog_save_in(struct store_txn *t, json_t *rec, bool *created);
/* ---- the search index (search_index.c), kept in the transactions that change titles ---- */

/* Index the catalog record REC (borrowed) in T.  0 or a negative errno. */
int search_index_put_in(struct store_txn *t, json_t *rec);

/* Remove what search_index_put_in() indexed of REC (borrowed) in T.  0 or a negative errno. */
int search_index_del_in(struct store_txn *t, json_t *rec);

/*
 * Rebuild the index of every title in ST when it is not of the current
 * format (a store from before it, or from an older format).  0 or a
 * negative errno.
 */
int search_index_check(struct store *st);

#endif
