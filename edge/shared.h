/*
 * The memory every process of one edge shares, mapped by the master before
 * it forks: the store's quota reservations (cache.h), the upstream's
 * circuit breaker (breaker.h) and the pulls in flight (inflight.h).
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_SHARED_H
#define EDGE_SHARED_H

#include <sys/types.h>

#include "breaker.h"
#include "cache.h"
#include "inflight.h"

struct edge_shared {
	uint32_t magic;
	struct edge_cache_shared cache;
	struct edge_breaker breaker;
	struct edge_inflight inflight;
};

/*
 * Map and initialize the shared memory for a new run (a fresh random run
 * id names its temporary files).  Returns it, or NULL with errno set.
 * The master owns the mapping (the children inherit it) and frees it with
 * edge_shared_free(), in the master only.
 */
struct edge_shared *edge_shared_new(void);

/* Unmap SH (its eventfds close).  NULL does nothing. */
void edge_shared_free(struct edge_shared *sh);

/* The process PID (a worker or the store manager) is gone: release what it held. */
void edge_shared_process_gone(struct edge_shared *sh, pid_t pid);

#endif
