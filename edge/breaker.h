/*
 * A circuit breaker for one upstream, in memory shared by every worker, so
 * that all of them stop calling a dead upstream together.  Closed: calls go
 * out; FAILURES consecutive failures open it.  Open: calls are refused at
 * once for OPEN_MS.  Then half-open: one call (the probe) goes out; its
 * success closes the breaker, its failure opens it again.  Times are
 * CLOCK_MONOTONIC milliseconds, the same in every process.  Lock-free: the
 * races it allows (two probes at once, a failure counted twice) are benign.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_BREAKER_H
#define EDGE_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

enum edge_breaker_state { EDGE_BREAKER_CLOSED, EDGE_BREAKER_OPEN, EDGE_BREAKER_HALF_OPEN };

struct edge_breaker {
	uint32_t state;	   /* enum edge_breaker_state */
	uint32_t failures; /* consecutive, while closed */
	uint64_t since_ms; /* opened at (open), probe sent at (half-open) */
	uint64_t opened;   /* how many times it opened */
};

struct edge_breaker_config {
	uint32_t failures; /* consecutive failures that open it */
	uint64_t open_ms;  /* time open before a probe */
};

/*
 * May a call go out at NOW_MS?  True when closed, and for the one probe when
 * the open time is over (or a probe went unanswered for as long).
 */
bool edge_breaker_allow(struct edge_breaker *b, const struct edge_breaker_config *cfg,
			uint64_t now_ms);

/* The outcome of a call that was allowed. */
void edge_breaker_report(struct edge_breaker *b, const struct edge_breaker_config *cfg, bool ok,
			 uint64_t now_ms);

/* The state now, for metrics. */
enum edge_breaker_state edge_breaker_state(const struct edge_breaker *b);

#endif
