/* The upstream circuit breaker (see breaker.h), on atomic words in shared memory. */
#include "breaker.h"

static uint32_t load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static bool cas32(uint32_t *p, uint32_t expect, uint32_t want)
{
	return __atomic_compare_exchange_n(p, &expect, want, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static void store64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

bool edge_breaker_allow(struct edge_breaker *b, const struct edge_breaker_config *cfg,
			uint64_t now_ms)
{
	uint32_t state = load32(&b->state);
	uint64_t since = __atomic_load_n(&b->since_ms, __ATOMIC_ACQUIRE);

	if (state == EDGE_BREAKER_CLOSED)
		return true;
	if (now_ms - since < cfg->open_ms)
		return false;
	/* open long enough, or a probe lost: whoever flips the state sends the probe */
	if (!cas32(&b->state, state, EDGE_BREAKER_HALF_OPEN))
		return false;
	store64(&b->since_ms, now_ms);
	return true;
}

void edge_breaker_report(struct edge_breaker *b, const struct edge_breaker_config *cfg, bool ok,
			 uint64_t now_ms)
{
	uint32_t state = load32(&b->state);

	if (ok) {
		__atomic_store_n(&b->failures, 0, __ATOMIC_RELEASE);
		if (state != EDGE_BREAKER_CLOSED)
			__atomic_store_n(&b->state, EDGE_BREAKER_CLOSED, __ATOMIC_RELEASE);
		return;
	}
	if (state == EDGE_BREAKER_HALF_OPEN ||
	    (state == EDGE_BREAKER_CLOSED &&
	     __atomic_add_fetch(&b->failures, 1, __ATOMIC_ACQ_REL) >= cfg->failures)) {
		if (cas32(&b->state, state, EDGE_BREAKER_OPEN)) {
			store64(&b->since_ms, now_ms);
			__atomic_add_fetch(&b->opened, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&b->failures, 0, __ATOMIC_RELEASE);
		}
	}
}

enum edge_breaker_state edge_breaker_state(const struct edge_breaker *b)
{
	return (enum edge_breaker_state)load32(&b->state);
}
