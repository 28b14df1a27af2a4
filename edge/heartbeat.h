/*
 * The heartbeat: a child process of the master beside the workers (as the
 * store manager is) that reports to the origin's edge API every interval
 * (docs/distribution.md, "The heartbeat"): health, open connections,
 * bytes/s, disk used and free, the titles held complete, the lease ids the
 * workers served since the last report (revocations.h) and, with [bgp],
 * the prefixes BIRD learned (bgp.h); signed with this edge's secret
 * (docs/fill.md).  The answer's revocations go into the shared table every
 * worker checks; its interval sets the next report's time.
 *
 * It has its own loop, timer and connection (upstream.h's libcurl multi
 * fetcher): no worker ever waits for it or for the origin.  An origin that
 * does not answer only delays the revocations; the served leases of failed
 * reports go with the next one.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_HEARTBEAT_H
#define EDGE_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "metrics.h"
#include "revocations.h"

#define EDGE_HB_CURSOR_MAX 128

struct edge_heartbeat_ctx {
	const struct edge_config *cfg;
	struct edge_rev *rev;
	struct metrics *metrics; /* the workers' counters (connections, bytes sent) */
	const uint8_t *secret;
	size_t secret_len;
};

/* What an answer said besides its revocations. */
struct edge_hb_answer {
	uint64_t interval_ms;		     /* 0 when absent */
	char cursor[EDGE_HB_CURSOR_MAX + 1]; /* "" when absent */
	bool more;
	bool draining; /* "state": "draining" */
	size_t leases, users, kids;
};

/*
 * Apply the heartbeat answer JSON (LEN bytes) at NOW (Unix seconds): every
 * revocation it lists into REV, kept for its "keep" seconds, and the rest
 * into *A.  0, or -EINVAL with the member at fault in ERR (nothing of a
 * malformed answer is applied).
 */
int edge_heartbeat_apply(struct edge_rev *rev, const char *json, size_t len, int64_t now,
			 struct edge_hb_answer *a, char *err, size_t errlen);

/* Run the heartbeat of CTX (which outlives it) until SIGTERM or SIGINT; the exit status. */
int edge_heartbeat_run(const struct edge_heartbeat_ctx *ctx);

/*
 * Fork the heartbeat process; in the child CHILD_SETUP() runs first.  Its
 * pid, or -1 (logged).
 */
pid_t edge_heartbeat_spawn(const struct edge_heartbeat_ctx *ctx, void (*child_setup)(void));

#endif
