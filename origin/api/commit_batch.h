/*
 * Group commit for answers that may go out only once a store write has
 * committed: a handler defers its exchange into the batch, and one write
 * makes every change of the requests decided meanwhile durable, then each
 * of them is answered with its result.  The write runs on a thread of its
 * own while the loop goes on deciding the next batch (one write at a time),
 * so a synced LMDB commit (~0.4 ms here, more on a busy disk) costs the
 * loop nothing and is shared by every request of its batch.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_API_COMMIT_BATCH_H
#define ORIGIN_API_COMMIT_BATCH_H

#include <event2/event.h>

#include "httpd.h"

/*
 * The store write of a batch, in three steps.  PREPARE(ARG, &JOB), on the
 * loop: take the changes to write (0 with *JOB; NULL when there are none);
 * WRITE(ARG, JOB), on the batch's thread: write them in one transaction, 0
 * or a negative errno, touching nothing the loop uses; FINISH(ARG, JOB, RC),
 * on the loop: after the write (or a PREPARE that failed with RC), free JOB.
 */
struct commit_ops {
	int (*prepare)(void *arg, void **job);
	int (*write)(void *arg, void *job);
	void (*finish)(void *arg, void *job, int rc);
};

struct commit_batch;

/*
 * The answer to one deferred exchange once its batch was written with
 * result RC: X is the exchange (NULL when its client is gone or the batch
 * is being freed).  The function answers X (if any) and frees ITEM;
 * commit_batch resumes and completes X.
 */
typedef void commit_batch_answer_fn(struct httpd_exchange *x, void *item, int rc);

/*
 * A batch on the loop BASE (not owned) writing with OPS (copied) on ARG,
 * with a thread of its own.  NULL on failure (errno).  Free it with
 * commit_batch_free().
 */
struct commit_batch *commit_batch_new(struct event_base *base, const struct commit_ops *ops,
				      void *arg);

/*
 * Wait for the write in flight, write what is pending, answer every waiting
 * exchange (ANSWER gets NULL for those whose connection is gone) and free
 * B, from the loop's thread.  NULL is a no-op.
 */
void commit_batch_free(struct commit_batch *b);

/*
 * Defer X (from its handler, before any answer) until the next write, which
 * then calls ANSWER(X, ITEM, rc); ITEM is the caller's until then.  When X
 * cannot be deferred (no memory), the write runs at once on the loop and
 * ANSWER answers X before this returns.
 */
void commit_batch_add(struct commit_batch *b, struct httpd_exchange *x,
		      commit_batch_answer_fn *answer, void *item);

/* Have the changes written soon, with no exchange waiting for them (a timer's saves). */
void commit_batch_kick(struct commit_batch *b);

#endif
