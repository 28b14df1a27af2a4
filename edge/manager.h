/*
 * The store manager: a child process of the master beside the workers (as
 * nginx has its cache loader and manager).  It reconciles the index with
 * the files once at startup, in the background while the workers already
 * serve (first re-checking, after a system crash, what was not yet
 * durable: reconcile.h's edge_recheck); then, every second, it keeps
 * min_free when something else fills the file system (and max_size when
 * it was lowered), removes temporary files of processes that died,
 * forgets nonces older than the signature window allows, releases LMDB
 * reader slots of dead processes, and flushes the index to the disk (its
 * commits do not wait for it); every
 * sync_interval, and when a title's manifest was committed, it makes what
 * was written durable (edge_cache_sync: the background sync).
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_MANAGER_H
#define EDGE_MANAGER_H

#include "cache.h"

/*
 * Run the manager for the store CFG (its strings and shared memory
 * outlive the call) until SIGTERM or SIGINT.  Logs what it does.  Returns
 * the process exit status.
 */
int edge_manager_run(const struct edge_cache_config *cfg);

#endif
