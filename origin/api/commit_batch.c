/* Group commit of deferred answers, once per turn of the loop (commit_batch.h). */
#include "api/commit_batch.h"

#include <errno.h>
#include <stdlib.h>

struct waiter {
	struct httpd_deferred *d;
	commit_batch_answer_fn *answer;
	void *item;
};

struct commit_batch {
	struct event *flush; /* a zero timeout: runs after the I/O of this turn */
	commit_batch_commit_fn *commit;
	void *arg;
	struct waiter *w; /* the exchanges waiting for the next commit */
	size_t n, cap;
};

/* Commit, then answer every waiter with the result. */
static void flush(evutil_socket_t fd, short what, void *arg)
{
	struct commit_batch *b = arg;
	struct waiter *w = b->w;
	size_t n = b->n;
	int rc = b->commit(b->arg);

	b->w = NULL; /* answers may add to a new batch */
	b->n = b->cap = 0;
	for (size_t i = 0; i < n; i++) {
		struct httpd_exchange *x = httpd_resume(w[i].d);

		w[i].answer(x, w[i].item, rc);
		if (x)
			httpd_resume_done(x);
	}
	free(w);
}

struct commit_batch *commit_batch_new(struct event_base *base, commit_batch_commit_fn *commit,
				      void *arg)
{
	struct commit_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->commit = commit;
	b->arg = arg;
	if (!(b->flush = evtimer_new(base, flush, b))) {
		free(b);
		return NULL;
	}
	return b;
}

void commit_batch_free(struct commit_batch *b)
{
	if (!b)
		return;
	if (b->n)
		flush(-1, 0, b);
	event_free(b->flush);
	free(b->w);
	free(b);
}

void commit_batch_add(struct commit_batch *b, struct httpd_exchange *x,
		      commit_batch_answer_fn *answer, void *item)
{
	static const struct timeval zero = {0, 0};
	struct httpd_deferred *d;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct waiter *w = realloc(b->w, cap * sizeof(*w));

		if (!w)
			goto inline_answer;
		b->w = w;
		b->cap = cap;
	}
	if (!(d = httpd_defer(x)))
		goto inline_answer;
	b->w[b->n++] = (struct waiter){d, answer, item};
	if (b->n == 1 && evtimer_add(b->flush, &zero) != 0)
		flush(-1, 0, b); /* no timer: commit now (resuming inside the handler is allowed) */
	return;
inline_answer:
	answer(x, item, b->commit(b->arg));
}
