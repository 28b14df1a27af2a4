/*
 * The history changes not yet saved: one entry per viewer and title
 * touched since the last save, holding the record as it is now and as the
 * store has it, so that the save (once a tick, in one transaction) writes
 * each record once and knows what changed (a new finish, a new day of
 * plays).  Reads see these entries over the store's.  In memory, the event
 * loop's; a crash loses at most the last tick of them, as leases do.
 *
 * Ownership: the table owns its entries; an entry pointer lives until
 * pending_clear() or pending_free().
 */
#ifndef ORIGIN_VIEWING_PENDING_H
#define ORIGIN_VIEWING_PENDING_H

#include <stdbool.h>
#include <stddef.h>

#include "viewing/watch.h"

#define PENDING_USER_MAX  24
#define PENDING_TITLE_MAX 64

struct pending_entry {
	char user[PENDING_USER_MAX + 1];
	char title[PENDING_TITLE_MAX + 1];
	struct watch now;	    /* the record as it is */
	struct watch before;	    /* as the store has it (zeroed when it has none) */
	bool stored;		    /* the store has a record */
	struct pending_entry *next; /* the hash chain */
};

struct pending;

/* An empty table, or NULL on ENOMEM; free it with pending_free(). */
struct pending *pending_new(void);

/* Free P and its entries.  NULL is a no-op. */
void pending_free(struct pending *p);

/* USER's entry for TITLE, or NULL. */
struct pending_entry *pending_find(const struct pending *p, const char *user, const char *title);

/*
 * A new zeroed entry for USER and TITLE (none may exist yet), or NULL when
 * either is too long or on ENOMEM.
 */
struct pending_entry *pending_add(struct pending *p, const char *user, const char *title);

/* Entries in P. */
size_t pending_count(const struct pending *p);

/* The I-th entry (0 <= I < pending_count()), in the order they were added. */
struct pending_entry *pending_at(const struct pending *p, size_t i);

/* Forget every entry (after a save). */
void pending_clear(struct pending *p);

#endif
