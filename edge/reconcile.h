/*
 * Reconciling the cache index with the files under the content root, as
 * the store manager does at startup while the workers already serve: files
 * without a record (orphans: a crash between placing and committing) and
 * temporary files nobody will finish are removed, records whose file is
 * gone or has another size are dropped, and the index's counts are checked
 * (and rebuilt if wrong).  Anything placed or recorded after STARTED is
 * left alone: it is a writer's work in progress, not a leftover.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_RECONCILE_H
#define EDGE_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cache.h"

struct edge_reconcile_stats {
	uint64_t files;	  /* object files looked at */
	uint64_t orphans; /* files removed: no record, or a record of another size */
	uint64_t tmp;	  /* temporary files removed */
	uint64_t records; /* records looked at */
	uint64_t dropped; /* records dropped: their file is gone */
	bool rebuilt;	  /* the counts were wrong and were rebuilt */
	uint64_t ms;	  /* how long it took */
};

/* Reconcile C once.  0, or a negative errno (what was done stays done). */
int edge_reconcile(struct edge_cache *c, time_t started, struct edge_reconcile_stats *st);

#endif
