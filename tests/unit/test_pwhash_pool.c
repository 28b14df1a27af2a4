/*
 * Unit tests of origin/accounts/pwhash_pool.c: the bound (threads + queue, then -EBUSY),
 * work on worker threads and completions on the loop's thread, in order per
 * job, and pwhash_pool_free with jobs running and waiting.
 */
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "accounts/pwhash_pool.h"
#include "test.h"

static struct event_base *base;
static pthread_t loop_thread;

/* A gate the jobs' work waits on until the test opens it. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

struct job {
	int id;
	bool worked, work_off_loop, done_on_loop;
	int done_calls, rc;
	struct pwhash_pool *resubmit; /* DONE tries to submit again here */
	int resubmit_rc;
};

static int ndone;

static void gate_set(bool open)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = open;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

static void work(void *arg)
{
	struct job *j = arg;

	pthread_mutex_lock(&gate_mu);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	j->work_off_loop = !pthread_equal(pthread_self(), loop_thread);
	j->worked = true;
}

static void nop_work(void *arg)
{
}

static void done(void *arg, int rc)
{
	struct job *j = arg;

	j->done_on_loop = pthread_equal(pthread_self(), loop_thread);
	j->done_calls++;
	j->rc = rc;
	ndone++;
	if (j->resubmit)
		j->resubmit_rc = pwhash_pool_submit(j->resubmit, nop_work, done, j);
}

/* Run the loop until N completions have run (at most 5 s).  Returns whether they did. */
static bool loop_until(int n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ndone < n) {
		event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
		usleep(500);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return false;
	}
	return true;
}

/* Wait until P has RUNNING jobs running (at most 5 s). */
static bool wait_running(struct pwhash_pool *p, unsigned running)
{
	struct pwhash_pool_stats s;

	for (int i = 0; i < 5000; i++) {
		pwhash_pool_stats(p, &s);
		if (s.running == running)
			return true;
		usleep(1000);
	}
	return false;
}

static void test_bounds(void)
{
	struct job jobs[6] = {{0}};
	struct pwhash_pool_stats s;
	struct pwhash_pool *p = pwhash_pool_new(base, 2, 3);
	bool all = true;

	CHECK(p != NULL);
	ndone = 0;
	gate_set(false);
	for (int i = 0; i < 5; i++)
		CHECK_INT(pwhash_pool_submit(p, work, done, &jobs[i]), 0);
	CHECK_INT(pwhash_pool_submit(p, work, done, &jobs[5]), -EBUSY);
	CHECK(wait_running(p, 2));
	pwhash_pool_stats(p, &s);
	CHECK_INT(s.threads, 2);
	CHECK_INT(s.queue_max, 3);
	CHECK_INT(s.queued, 3);
	CHECK_INT(s.submitted, 5);
	CHECK_INT(s.rejected, 1);
	CHECK_INT(s.completed, 0);

	/* nothing completes on its own while the work is blocked */
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(ndone, 0);
	gate_set(true);
	CHECK(loop_until(5));
	for (int i = 0; i < 5; i++)
		all = all && jobs[i].worked && jobs[i].work_off_loop && jobs[i].done_on_loop &&
		      jobs[i].done_calls == 1 && jobs[i].rc == 0;
	CHECK(all);
	CHECK(!jobs[5].worked && jobs[5].done_calls == 0);
	pwhash_pool_stats(p, &s);
	CHECK_INT(s.running + s.queued, 0);
	CHECK_INT(s.completed, 5);

	/* room again once the work is done, even before completions ran */
	gate_set(false);
	for (int i = 0; i < 5; i++)
		jobs[i] = (struct job){.id = i};
	ndone = 0;
	for (int i = 0; i < 5; i++)
		CHECK_INT(pwhash_pool_submit(p, work, done, &jobs[i]), 0);
	gate_set(true);
	CHECK(loop_until(5));
	pwhash_pool_free(p);
}

static void test_no_queue(void)
{
	struct job jobs[3] = {{0}};
	struct pwhash_pool *p = pwhash_pool_new(base, 1, 0);

	ndone = 0;
	gate_set(false);
	CHECK_INT(pwhash_pool_submit(p, work, done, &jobs[0]), 0);
	CHECK_INT(pwhash_pool_submit(p, work, done, &jobs[1]), -EBUSY);
	gate_set(true);
	CHECK(loop_until(1));
	/* a completion may submit the next job */
	jobs[2].resubmit = p;
	CHECK_INT(pwhash_pool_submit(p, work, done, &jobs[2]), 0);
	CHECK(loop_until(2));
	CHECK_INT(jobs[2].resubmit_rc, 0);
	jobs[2].resubmit = NULL;
	CHECK(loop_until(3));
	CHECK_INT(jobs[2].done_calls, 2);
	pwhash_pool_free(p);
}

/* Opens the gate a little after pwhash_pool_free started waiting. */
static void *opener(void *arg)
{
	usleep(50000);
	gate_set(true);
	return NULL;
}

static void test_free_pending(void)
{
	struct job jobs[4] = {{0}};
	struct pwhash_pool *p = pwhash_pool_new(base, 1, 3);
	pthread_t t;

	ndone = 0;
	gate_set(false);
	for (int i = 0; i < 4; i++)
		CHECK_INT(pwhash_pool_submit(p, work, done, &jobs[i]), 0);
	CHECK(wait_running(p, 1));
	jobs[1].resubmit = p; /* during free: refused */
	pthread_create(&t, NULL, opener, NULL);
	pwhash_pool_free(p);
	pthread_join(t, NULL);
	CHECK_INT(ndone, 4);
	CHECK(jobs[0].worked && jobs[0].rc == 0 && jobs[0].done_on_loop);
	CHECK(!jobs[1].worked && jobs[1].rc == -ECANCELED && jobs[1].done_on_loop);
	CHECK_INT(jobs[1].resubmit_rc, -ESHUTDOWN);
	CHECK(!jobs[3].worked && jobs[3].rc == -ECANCELED && jobs[3].done_calls == 1);
}

int main(void)
{
	struct pwhash_pool *p;

	loop_thread = pthread_self();
	base = event_base_new();
	errno = 0;
	CHECK(pwhash_pool_new(base, 0, 4) == NULL && errno == EINVAL);
	pwhash_pool_free(NULL);

	test_bounds();
	test_no_queue();
	test_free_pending();

	/* freed idle, and freed right after new */
	p = pwhash_pool_new(base, 3, 1);
	CHECK(p != NULL);
	pwhash_pool_free(p);

	event_base_free(base);
	return test_done();
}
