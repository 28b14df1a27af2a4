/*
 * reel-edge, the cache server an ISP deploys: the pieces main.c puts
 * together.  config.h (settings), filecache.h (open objects), serve.h (the
 * request handler), and the worker process below.
 */
#ifndef EDGE_EDGE_H
#define EDGE_EDGE_H

#include "config.h"
#include "httpd.h"
#include "metrics.h"
#include "paseto.h"
#include "worker_store.h"

struct edge_listeners {
	struct httpd_listener l[EDGE_MAX_LISTEN * 2];
	int n;
	struct httpd_listener fill[EDGE_MAX_LISTEN]; /* the fill API's */
	int nfill;
};

/*
 * Run worker INDEX until it has drained after SIGTERM: serve CFG's content on
 * the listening sockets LS (owned from here on), counting into slot INDEX of
 * METRICS, checking stream tokens against RING (NULL: no keys), with the
 * cache store's shared state and keys in STORE.  Returns the process exit
 * status.
 */
int edge_worker_run(const struct edge_config *cfg, unsigned index, const struct edge_listeners *ls,
		    struct metrics *metrics, const struct paseto_keyring *ring,
		    const struct edge_store_ctx *store);

#endif
