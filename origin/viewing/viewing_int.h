/*
 * The viewing service's insides, shared by the files of viewing/ only: the
 * service, the history as reads see it (history.c), the co-watching counts
 * (cowatch.c) and popularity (popular.c).
 *
 * Ownership: every output is the caller's storage; a call that allocates
 * says so and who frees what it returns.
 */
#ifndef ORIGIN_VIEWING_INT_H
#define ORIGIN_VIEWING_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "viewing/pending.h"
#include "viewing/viewing.h"
#include "viewing/watch.h"

struct store_txn;
struct idmap;

#define DAY_S		  86400
#define POPULAR_REFRESH_S 60 /* the popularity window is counted again this often */

/* A title and its plays in the window. */
struct popular_title {
	char id[TITLE_ID_MAX + 1];
	uint32_t plays;
};

struct viewing {
	struct store *st;    /* not owned */
	struct catalog *cat; /* not owned */
	struct playback *pb; /* not owned */
	struct viewing_params p;
	struct pending *pending; /* unsaved history changes */

	/* popularity, counted every POPULAR_REFRESH_S (popular.c) */
	struct idmap *plays;	   /* title -> uint32_t plays in the window */
	struct popular_title *top; /* every title with plays, the most played first */
	size_t ntop;
	int64_t counted;     /* when; 0 never */
	uint32_t pruned_day; /* days before it have no plays left in the store */
};

/* ---- the history as reads see it: the store's with the unsaved changes over it (history.c) ----
 */

/* UID's record of TITLE into *W, read in T: 0, -ENOENT, or a negative errno. */
int history_get_in(struct viewing *v, struct store_txn *t, const char *uid, const char *title,
		   struct watch *w);

/*
 * Call FN(ARG, TITLE, W) for each of UID's records, read in T (in no
 * particular order); FN returns 0 to go on or a negative errno to stop.
 */
int history_each_in(struct viewing *v, struct store_txn *t, const char *uid,
		    int (*fn)(void *arg, const char *title, const struct watch *w), void *arg);

/* ---- co-watching (cowatch.c) ---- */

/*
 * UID finished TITLE: it joins the end of UID's finishes (its place into
 * *SEQ), counts one more finisher, and pairs with each of the FANOUT
 * finishes before it.  In T; 0 or a negative errno.
 */
int cowatch_finish_in(struct store_txn *t, const char *uid, const char *title, uint32_t fanout,
		      uint32_t *seq);

/*
 * Undo UID's finish SEQ of TITLE: it leaves UID's finishes with one
 * finisher less and its pairs with the FANOUT finishes on each side, and the
 * finishes it kept more than FANOUT apart now pair.  In T; 0 or a negative
 * errno.
 */
int cowatch_forget_in(struct store_txn *t, const char *uid, const char *title, uint32_t seq,
		      uint32_t fanout);

/* The viewers who finished TITLE into *N (0 when none), read in T.  0 or a negative errno. */
int cowatch_finishers_in(struct store_txn *t, const char *title, uint32_t *n);

/*
 * Call FN(ARG, OTHER, COUNT) for each title finished with TITLE (COUNT
 * viewers), read in T; OTHER is valid during the call.  FN returns 0 to go
 * on or a negative errno to stop.
 */
int cowatch_row_in(struct store_txn *t, const char *title,
		   int (*fn)(void *arg, const char *other, uint32_t count), void *arg);

/*
 * Call FN(ARG, TITLE) for UID's last N finishes, the latest first, read in
 * T.  FN returns 0 to go on or a negative errno to stop.
 */
int cowatch_recent_in(struct store_txn *t, const char *uid, size_t n,
		      int (*fn)(void *arg, const char *title), void *arg);

/* ---- popularity (popular.c) ---- */

/* Add DELTA to TITLE's plays of DAY, in T (a count that reaches 0 goes).  0 or a negative errno. */
int popular_add_in(struct store_txn *t, uint32_t day, const char *title, int delta);

/* Delete the plays of the days before DAY, in T.  0 or a negative errno. */
int popular_prune_in(struct store_txn *t, uint32_t day);

/* Count the plays of the window that ends on DAY again, read in T.  0 or a negative errno. */
int popular_count_in(struct viewing *v, struct store_txn *t, uint32_t day);

/* qsort() order of struct popular_title: the most played first, then by id. */
int popular_by_plays(const void *a, const void *b);


/* Free what popular_count_in() made. */
void popular_free(struct viewing *v);

/* ---- shared ---- */

/*
 * Add DELTA to the count (4 bytes, big-endian) under KEY[0..KLEN) in table
 * DB, in T; a count that reaches 0 is deleted, and one that would go below
 * it (a day already pruned) stays away.  0 or a negative errno.
 */
int viewing_count_add_in(struct store_txn *t, unsigned db, const void *key, size_t klen, int delta);

/* The count (4 bytes, big-endian) VAL[0..VLEN), 0 when it is not one. */
uint32_t viewing_count_of(const void *val, size_t vlen);

/* Title ID's name and duration into *TI when it is in the catalog: true, else false. */
bool viewing_title_in(struct viewing *v, struct store_txn *t, const char *id,
		      struct title_info *ti);

#endif
