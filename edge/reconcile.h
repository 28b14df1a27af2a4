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

struct edge_recheck_stats {
	uint64_t checked; /* objects read and hashed */
	uint64_t bad;	  /* of which dropped: missing, another size, another digest */
	uint64_t bytes;	  /* bytes read */
	uint64_t ms;	  /* how long it took */
};

/*
 * After a system crash (edge_cache_boot): re-verify, size and SHA-256, every
 * object of a generation that was not durable, drop and unlink the bad
 * ones, end the check (their objects are served again).  0, or a negative
 * errno (the check then stays, and runs again at the next start).
 */
int edge_recheck(struct edge_cache *c, struct edge_recheck_stats *st);

#endif
