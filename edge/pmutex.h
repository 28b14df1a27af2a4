/*
 * A mutex in memory shared by the edge's processes: process-shared and
 * robust, so a holder that dies (kill -9, a crash) does not leave it locked.
 * The state it guards is then as its last store left it; every user keeps
 * that state valid at each store.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_PMUTEX_H
#define EDGE_PMUTEX_H

#include <pthread.h>

/* Initialize M in shared memory, before the processes fork.  0 or a negative errno. */
int edge_pmutex_init(pthread_mutex_t *m);

/* Lock M, taking it over from a holder that died. */
void edge_pmutex_lock(pthread_mutex_t *m);

void edge_pmutex_unlock(pthread_mutex_t *m);

#endif
