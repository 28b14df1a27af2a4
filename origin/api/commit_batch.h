/*
 * Group commit for answers that may go out only once a store write has
 * committed: a handler defers its exchange into the batch, and once per
 * turn of the loop one COMMIT call makes every change of that turn durable,
 * then each deferred exchange is answered with the commit's result.  One
 * synced LMDB commit costs ~0.4 ms here; shared by every request decided in
 * the same turn, it does not bound the answers per second.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_API_COMMIT_BATCH_H
#define ORIGIN_API_COMMIT_BATCH_H

#include <event2/event.h>

#include "httpd.h"

struct commit_batch;

/* The store write that makes the batch durable: 0 or a negative errno. */
typedef int commit_batch_commit_fn(void *arg);

/*
 * The answer to one deferred exchange once the commit returned RC: X is
 * the exchange (NULL when its client is gone, or the batch is freed: undo
 * or keep ITEM's change as the commit left it, and free ITEM).  The
 * function answers X and frees ITEM; commit_batch resumes and completes X.
 */
typedef void commit_batch_answer_fn(struct httpd_exchange *x, void *item, int rc);

/*
 * A batch on the loop BASE (not owned) whose commits call COMMIT(ARG).
 * NULL on ENOMEM.  Free it with commit_batch_free().
 */
struct commit_batch *commit_batch_new(struct event_base *base, commit_batch_commit_fn *commit,
				      void *arg);

/*
 * Commit what is pending, answer every waiting exchange (their connections
 * are usually gone by then: ANSWER gets NULL) and free B.  NULL is a no-op.
 */
void commit_batch_free(struct commit_batch *b);

/*
 * Defer X (from its handler, before any answer) until the next commit, which
 * then calls ANSWER(X, ITEM, rc); ITEM is the caller's until then.  When X
 * cannot be deferred (no memory), the commit runs at once and ANSWER answers
 * X inline before this returns.
 */
void commit_batch_add(struct commit_batch *b, struct httpd_exchange *x,
		      commit_batch_answer_fn *answer, void *item);

#endif
