/*
 * What the master process does for the cache store: read the keys the
 * workers need (the origin's control public keys, this edge's secret),
 * check that the store opens, and run the store manager as a child.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_MASTER_STORE_H
#define EDGE_MASTER_STORE_H

#include <sys/types.h>

#include "config.h"
#include "shared.h"
#include "worker_store.h"

#define EDGE_SECRET_MIN 16   /* bytes of a per-edge secret, at least */
#define EDGE_SECRET_MAX 1024 /* and at most */

struct edge_store_keys {
	struct paseto_keyring *control; /* NULL when none configured */
	uint8_t secret[EDGE_SECRET_MAX];
	size_t secret_len; /* 0 when none configured */
};

/*
 * Read the keys CFG names into *K (zeroed first): [origin] control_keys (a
 * keyring file as [tokens] keys) and secret_file (the secret as the origin
 * issued it; trailing whitespace is not part of it).  0, or -1 with "FILE:
 * problem" in ERR.
 */
int edge_store_keys_load(const struct edge_config *cfg, struct edge_store_keys *k, char *err,
			 size_t errlen);
void edge_store_keys_free(struct edge_store_keys *k);

/* The context each worker gets from K, SH and its WAKE_SLOT. */
struct edge_store_ctx edge_store_ctx(const struct edge_store_keys *k, struct edge_shared *sh,
				     int wake_slot);

/*
 * Can the store of CFG be opened (its index folder and environment)?  0, or
 * -1 with the problem in ERR.  Opens and closes the index: call before any
 * fork, never with it open in this process.
 */
int edge_store_check(const struct edge_config *cfg, char *err, size_t errlen);

/*
 * Fork the store manager for CFG with SH; in the child, CHILD_SETUP() runs
 * first (signal dispositions, closing what the child must not hold).
 * Returns its pid, or -1 (logged).
 */
pid_t edge_store_manager_spawn(const struct edge_config *cfg, struct edge_shared *sh,
			       void (*child_setup)(void));

#endif
