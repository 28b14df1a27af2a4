/*
 * reel-edge, the cache server an ISP deploys: the pieces main.c puts
 * together.  config.h (settings and listener roles), filecache.h (open
 * objects), serve.h (the request handlers), token_keyring.h (stream-token
 * keys), and the worker process below.
 */
#ifndef EDGE_EDGE_H
#define EDGE_EDGE_H

#include "config.h"
#include "httpd.h"
#include "metrics.h"
#include "paseto.h"
#include "revocations.h"
#include "worker_store.h"

/* The listening sockets of one worker, each with the role it serves. */
struct edge_listeners {
	struct httpd_listener l[EDGE_MAX_LISTEN * 2 * EDGE_ROLE_COUNT];
	enum edge_role role[EDGE_MAX_LISTEN * 2 * EDGE_ROLE_COUNT];
	int n;
};

/*
 * Run worker INDEX until it has drained after SIGTERM: serve CFG on the
 * listening sockets LS, each by its role, counting into slot INDEX of
 * METRICS, checking stream tokens against RING (NULL: no keys) and the
 * heartbeat's revocations REV (NULL: no heartbeat), with the
 * cache store's shared state and keys in STORE.  The fds of LS are the
 * worker's from here on (they close with it); CFG, METRICS, RING, STORE and
 * the TLS contexts in LS stay the caller's and must outlive the call.
 * Returns the process exit status: 0 after a drain, 1 when setup failed
 * (logged).
 */
int edge_worker_run(const struct edge_config *cfg, unsigned index, const struct edge_listeners *ls,
		    struct metrics *metrics, const struct paseto_keyring *ring, struct edge_rev *rev,
		    const struct edge_store_ctx *store);

#endif
