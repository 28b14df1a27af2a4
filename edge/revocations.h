/*
 * What the edge's processes share about stream tokens besides their keys
 * (docs/distribution.md): the revocations the origin's heartbeat answers
 * carry (ended leases, disabled users with the time before which their
 * tokens were issued, retired key ids), which every worker checks on every
 * tokenized request, and the lease ids the workers served since the last
 * report, which the heartbeat process takes and sends.  One shared mapping,
 * made by the master before it forks.
 *
 * The revocations are a fixed-size open-addressing table of 128-bit
 * digests of (kind, id) with a seqlock: one writer at a time (the heartbeat
 * process, under a robust mutex), readers that never wait, retrying only
 * when a write overlapped.  An entry lives until the "keep" time the origin
 * gave; its slot is then reused.  A probe looks at most EDGE_REV_PROBES
 * slots; a full window evicts its entry that expires first (counted).
 *
 * The served leases are a hash set of id strings under the same kind of
 * mutex; each worker keeps a small cache of what it already put there this
 * period, so a lease costs the lock once per worker and report, not once
 * per segment.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_REVOCATIONS_H
#define EDGE_REVOCATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#include "stream_token.h"

#define EDGE_REV_PROBES	     64
#define EDGE_SEEN_SLOTS	     1024 /* a worker's cache of leases already noted */
#define EDGE_REV_MIN_ENTRIES 64

enum edge_rev_kind { EDGE_REV_LEASE, EDGE_REV_USER, EDGE_REV_KID };

struct edge_rev;

struct edge_rev_stats {
	uint64_t entries;   /* revocations added (an update counts again) */
	uint64_t evicted;   /* live entries pushed out by a full probe window */
	uint64_t dropped;   /* served leases that found the set full */
	uint64_t refused;   /* tokens refused */
	uint64_t period;    /* reports taken */
	uint64_t reports_ok, reports_failed;
	int64_t last_ok; /* Unix seconds of the last answered report, 0: none yet */
};

/*
 * Map the shared state for REVOKED revocations and SERVED distinct leases
 * per report (each rounded up to a power of two, at least
 * EDGE_REV_MIN_ENTRIES).  Returns it, or NULL with errno set.  The master
 * owns it (children inherit it) and frees it with edge_rev_free().
 */
struct edge_rev *edge_rev_new(size_t revoked, size_t served);

/* Unmap R; NULL does nothing. */
void edge_rev_free(struct edge_rev *r);

/*
 * Refuse tokens of KIND with id ID (a lease, a user, a key id): for users,
 * only those issued at or before BEFORE (Unix seconds; ignored for the
 * other kinds); until UNTIL (Unix seconds).  An entry already there keeps
 * the later BEFORE and UNTIL.  NOW decides which slots are free.
 */
void edge_rev_add(struct edge_rev *r, enum edge_rev_kind kind, const char *id, int64_t before,
		  int64_t until, int64_t now);

/*
 * Why the token of claims C is refused at NOW ("stream token revoked: ..."
 * a static string), or NULL when it is not.  Never waits.
 */
const char *edge_rev_refused(struct edge_rev *r, const struct stream_claims *c, int64_t now);

/* A worker's memory of the leases it noted (edge_rev_note); zero it to start. */
struct edge_rev_seen {
	uint64_t hash[EDGE_SEEN_SLOTS];
	uint64_t period[EDGE_SEEN_SLOTS];
};

/* The lease LEASE was served: note it for the next report (once per period and worker). */
void edge_rev_note(struct edge_rev *r, struct edge_rev_seen *seen, const char *lease);

/*
 * Take the leases noted since the last take: *OUT receives a malloc'd
 * array of *N NUL-terminated ids, STREAM_ID_MAX + 1 bytes each (the caller
 * frees it; NULL when N is 0), and the set starts empty for the next
 * period.  0 or -ENOMEM (the set is kept).
 */
int edge_rev_take(struct edge_rev *r, char (**out)[STREAM_ID_MAX + 1], size_t *n);

void edge_rev_stats(struct edge_rev *r, struct edge_rev_stats *st);

/* The heartbeat's report ended: answered and applied (OK) or not, at NOW. */
void edge_rev_reported(struct edge_rev *r, bool ok, int64_t now);

/* Append the Prometheus text of R's counters to OUT: 0 or -ENOMEM. */
int edge_rev_metrics(struct edge_rev *r, struct buf *out);

#endif
