/*
 * The worker pool of pwhash_pool.h: one mutex guards a queue of waiting jobs
 * and a list of finished ones; workers wait on a condition variable, and a
 * finished job wakes the loop by adding 1 to an eventfd, whose callback runs
 * the completions on the loop's thread.
 */
#include "accounts/pwhash_pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define PWHASH_POOL_MAGIC 0x48506f6fU /* "HPoo" */

struct pwhash_pool_job {
	void (*work)(void *arg);
	void (*done)(void *arg, int rc);
	void *arg;
	struct pwhash_pool_job *next;
};

struct job_list {
	struct pwhash_pool_job *head, *tail;
};

struct pwhash_pool {
	uint32_t magic;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	/* under mu */
	struct job_list waiting, finished;
	unsigned running, queued;
	uint64_t submitted, rejected, completed;
	bool stop;
	/* set once */
	unsigned nthreads, queue_max, started;
	int efd;
	struct event *ev;
	pthread_t tids[];
};

static void list_push(struct job_list *l, struct pwhash_pool_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

/* Take the whole list. */
static struct pwhash_pool_job *list_take(struct job_list *l)
{
	struct pwhash_pool_job *j = l->head;

	l->head = l->tail = NULL;
	return j;
}

static void *worker(void *arg)
{
	struct pwhash_pool *p = arg;
	struct pwhash_pool_job *j;
	uint64_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && !p->waiting.head)
			pthread_cond_wait(&p->wake, &p->mu);
		if (p->stop)
			break;
		j = p->waiting.head;
		if (!(p->waiting.head = j->next))
			p->waiting.tail = NULL;
		p->queued--;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		j->work(j->arg);
		pthread_mutex_lock(&p->mu);
		p->running--;
		list_push(&p->finished, j);
		pthread_mutex_unlock(&p->mu);
		n = write(p->efd, &one, sizeof(one)); /* fails only past 2^64 - 2 */
		(void)n;
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Run the completions of the jobs finished so far, on the loop's thread. */
static void run_finished(struct pwhash_pool *p)
{
	struct pwhash_pool_job *j, *next;

	pthread_mutex_lock(&p->mu);
	j = list_take(&p->finished);
	for (next = j; next; next = next->next)
		p->completed++;
	pthread_mutex_unlock(&p->mu);
	for (; j; j = next) {
		next = j->next;
		j->done(j->arg, 0);
		free(j);
	}
}

static void finished_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pwhash_pool *p = arg;
	uint64_t count;
	ssize_t n;

	if (p->magic != PWHASH_POOL_MAGIC)
		abort();
	n = read(fd, &count, sizeof(count)); /* resets the counter; EAGAIN if already read */
	(void)n;
	run_finished(p);
}

/* Start the workers with every signal blocked: signals belong to the loop. */
static int start_threads(struct pwhash_pool *p)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; p->started < p->nthreads; p->started++) {
		if ((rc = pthread_create(&p->tids[p->started], NULL, worker, p)) != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

struct pwhash_pool *pwhash_pool_new(struct event_base *base, unsigned threads, unsigned queue_max)
{
	struct pwhash_pool *p;
	int rc;

	if (threads == 0 || threads > 4096) {
		errno = EINVAL;
		return NULL;
	}
	if (!(p = calloc(1, sizeof(*p) + threads * sizeof(p->tids[0]))))
		return NULL;
	p->magic = PWHASH_POOL_MAGIC;
	p->nthreads = threads;
	p->queue_max = queue_max;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->wake, NULL);
	if ((p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto fail_errno;
	if (!(p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, finished_cb, p)) ||
	    event_add(p->ev, NULL) != 0) {
		errno = ENOMEM;
		goto fail_errno;
	}
	if ((rc = start_threads(p)) != 0) {
		pwhash_pool_free(p);
		errno = -rc;
		return NULL;
	}
	return p;
fail_errno:
	rc = errno;
	pwhash_pool_free(p);
	errno = rc;
	return NULL;
}

int pwhash_pool_submit(struct pwhash_pool *p, void (*work)(void *arg),
		       void (*done)(void *arg, int rc), void *arg)
{
	struct pwhash_pool_job *j;
	int rc = 0;

	if (p->magic != PWHASH_POOL_MAGIC)
		abort();
	if (!(j = malloc(sizeof(*j))))
		return -ENOMEM;
	*j = (struct pwhash_pool_job){.work = work, .done = done, .arg = arg};
	pthread_mutex_lock(&p->mu);
	if (p->stop) {
		rc = -ESHUTDOWN;
	} else if (p->running + p->queued >= p->nthreads + p->queue_max) {
		p->rejected++;
		rc = -EBUSY;
	} else {
		list_push(&p->waiting, j);
		p->queued++;
		p->submitted++;
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->mu);
	if (rc != 0)
		free(j);
	return rc;
}

void pwhash_pool_stats(struct pwhash_pool *p, struct pwhash_pool_stats *s)
{
	pthread_mutex_lock(&p->mu);
	*s = (struct pwhash_pool_stats){
	    .threads = p->nthreads,
	    .queue_max = p->queue_max,
	    .running = p->running,
	    .queued = p->queued,
	    .submitted = p->submitted,
	    .rejected = p->rejected,
	    .completed = p->completed,
	};
	pthread_mutex_unlock(&p->mu);
}

void pwhash_pool_free(struct pwhash_pool *p)
{
	struct pwhash_pool_job *j, *next;

	if (!p)
		return;
	if (p->magic != PWHASH_POOL_MAGIC)
		abort();
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->tids[i], NULL);
	if (p->ev)
		event_free(p->ev);
	run_finished(p);
	for (j = list_take(&p->waiting); j; j = next) {
		next = j->next;
		j->done(j->arg, -ECANCELED);
		free(j);
	}
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->mu);
	p->magic = 0;
	free(p);
}
