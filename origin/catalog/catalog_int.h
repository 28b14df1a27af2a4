/* The catalog service's insides, shared by catalog.c and content_keys.c only. */
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

#endif
