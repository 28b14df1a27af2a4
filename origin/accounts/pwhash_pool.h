/*
 * A bounded pool of worker threads for CPU-heavy jobs that must not run on
 * the event loop (argon2id password hashing).  A job is a WORK function run
 * on a worker thread, then a DONE function run on the loop's thread, handed
 * back through an eventfd registered with the loop's event_base.  At most
 * THREADS jobs run and QUEUE_MAX wait; past that pwhash_pool_submit() refuses
 * (the caller answers 503), so a burst never stalls the loop nor piles up.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_PWHASH_POOL_H
#define ORIGIN_PWHASH_POOL_H

#include <event2/event.h>
#include <stdint.h>

struct pwhash_pool;

/* Counters, for metrics. */
struct pwhash_pool_stats {
	unsigned threads, queue_max;
	unsigned running; /* jobs whose WORK runs now */
	unsigned queued;  /* jobs waiting for a thread */
	uint64_t submitted, rejected, completed;
};

/*
 * Start THREADS workers (1 or more) on behalf of the loop BASE (not owned),
 * with room for QUEUE_MAX waiting jobs (0: none wait).  The workers block
 * every signal.  Returns NULL with errno set (EINVAL, ENOMEM, or
 * pthread_create's error).
 */
struct pwhash_pool *pwhash_pool_new(struct event_base *base, unsigned threads, unsigned queue_max);

/*
 * Queue a job: WORK(ARG) runs on a worker thread, then DONE(ARG, RC) on the
 * loop's thread, with RC 0, or -ECANCELED when the pool was freed before
 * WORK started (WORK then never runs).  WORK must not touch state the loop
 * uses; the loop must not touch ARG until DONE.  DONE is called exactly
 * once for every accepted job, never from inside pwhash_pool_submit().  Call
 * only from the loop's thread.  Returns 0, -EBUSY when THREADS jobs run and
 * QUEUE_MAX wait (nothing is queued), -ENOMEM, or -ESHUTDOWN while the
 * pool is being freed.
 */
int pwhash_pool_submit(struct pwhash_pool *p, void (*work)(void *arg),
		       void (*done)(void *arg, int rc), void *arg);

/* Fill *S with the pool's counters now. */
void pwhash_pool_stats(struct pwhash_pool *p, struct pwhash_pool_stats *s);

/*
 * Stop the pool, from the loop's thread (not from a DONE): running jobs
 * finish (this waits for them, joining every thread) and their DONE runs
 * with 0; jobs still waiting never run and their DONE runs with -ECANCELED.
 * Every DONE runs here, in order, before P is freed; BASE must still exist.
 * NULL is a no-op.
 */
void pwhash_pool_free(struct pwhash_pool *p);

#endif
