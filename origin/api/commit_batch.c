/*
 * Group commit of deferred answers (commit_batch.h): the waiters of the
 * next batch gather while at most one write runs on the batch's thread (a
 * pool of one, accounts/pwhash_pool.h); when it is done, the next batch
 * starts at once if anything is waiting, and then its waiters are answered.
 */
#include "array.h"
#include "api/commit_batch.h"

#include <errno.h>
#include <stdlib.h>

#include "accounts/pwhash_pool.h"

struct waiter {
	struct httpd_deferred *d;
	commit_batch_answer_fn *answer;
	void *item;
};

/* One batch: its waiters and the job PREPARE made, while its write runs. */
struct batch {
	struct commit_batch *owner;
	struct waiter *w;
	size_t n, cap;
	void *job;
	int rc;
};

struct commit_batch {
	struct commit_ops ops;
	void *arg;
	struct pwhash_pool *thread; /* one thread, one job at a time */
	struct event *start;	    /* a zero timeout: after the I/O of this turn */
	struct batch next;	    /* gathering */
	struct batch *flying;	    /* being written, or NULL */
	bool kicked;		    /* a write is wanted with no waiter */
};

static void start(struct commit_batch *b);

/* Answer the waiters of BT with RC and free them. */
static void answer_all(struct batch *bt, int rc)
{
	for (size_t i = 0; i < bt->n; i++) {
		struct httpd_exchange *x = httpd_resume(bt->w[i].d);

		bt->w[i].answer(x, bt->w[i].item, rc);
		if (x)
			httpd_resume_done(x);
	}
	free(bt->w);
	bt->w = NULL;
	bt->n = bt->cap = 0;
}

static void write_job(void *arg)
{
	struct batch *bt = arg;

	bt->rc = bt->owner->ops.write(bt->owner->arg, bt->job);
}

/* The write of BT is done (RC -ECANCELED: the thread stopped before it ran), on the loop. */
static void written(void *arg, int rc)
{
	struct batch *bt = arg;
	struct commit_batch *b = bt->owner;

	if (rc != 0)
		bt->rc = rc;
	b->ops.finish(b->arg, bt->job, bt->rc);
	b->flying = NULL;
	/* the next write first: its sync runs while these answers are made and sent */
	if (b->next.n || b->kicked)
		start(b);
	answer_all(bt, bt->rc);
	free(bt);
}

/* Start writing what the waiters gathered so far, unless a write is in flight. */
static void start(struct commit_batch *b)
{
	struct batch *bt;
	int rc;

	if (b->flying || (!b->next.n && !b->kicked))
		return;
	if (!(bt = calloc(1, sizeof(*bt)))) {
		answer_all(&b->next, -ENOMEM);
		return;
	}
	*bt = b->next;
	bt->owner = b;
	b->next = (struct batch){0};
	b->kicked = false;
	if ((rc = b->ops.prepare(b->arg, &bt->job)) != 0 || !bt->job) {
		b->ops.finish(b->arg, bt->job, rc);
		answer_all(bt, rc);
		free(bt);
		return;
	}
	b->flying = bt;
	if (!b->thread || pwhash_pool_submit(b->thread, write_job, written, bt) != 0) {
		write_job(bt); /* the thread cannot take it: write on the loop */
		written(bt, 0);
	}
}

static void on_start(evutil_socket_t fd, short what, void *arg)
{
	start(arg);
}

/* Start soon: after the I/O of this turn, so the turn's requests share the write. */
static void schedule(struct commit_batch *b)
{
	static const struct timeval zero = {0, 0};

	if (!b->flying && !evtimer_pending(b->start, NULL) && evtimer_add(b->start, &zero) != 0)
		start(b); /* no timer: start now (resuming inside a handler is allowed) */
}

struct commit_batch *commit_batch_new(struct event_base *base, const struct commit_ops *ops,
				      void *arg)
{
	struct commit_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->ops = *ops;
	b->arg = arg;
	if (!(b->thread = pwhash_pool_new(base, 1, 0)) ||
	    !(b->start = evtimer_new(base, on_start, b))) {
		commit_batch_free(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

void commit_batch_free(struct commit_batch *b)
{
	if (!b)
		return;
	pwhash_pool_free(b->thread); /* the write in flight finishes and is answered */
	b->thread = NULL;
	while (b->next.n || b->kicked)
		start(b); /* on the loop now, with no thread */
	if (b->start)
		event_free(b->start);
	free(b);
}

void commit_batch_add(struct commit_batch *b, struct httpd_exchange *x,
		      commit_batch_answer_fn *answer, void *item)
{
	struct batch *bt = &b->next;
	struct httpd_deferred *d;
	void *job = NULL;
	int rc;

	if (array_reserve((void **)&bt->w, &bt->cap, bt->n, sizeof(*bt->w), 64) != 0)
		goto now;
	if (!(d = httpd_defer(x)))
		goto now;
	bt->w[bt->n++] = (struct waiter){d, answer, item};
	schedule(b);
	return;
now:
	/* on the loop, behind the write in flight (LMDB serializes writers) */
	if ((rc = b->ops.prepare(b->arg, &job)) == 0 && job)
		rc = b->ops.write(b->arg, job);
	b->ops.finish(b->arg, job, rc);
	answer(x, item, rc);
}

void commit_batch_kick(struct commit_batch *b)
{
	b->kicked = true;
	schedule(b);
}
