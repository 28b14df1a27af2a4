/*
 * Server metrics in shared memory: one slot per worker process, updated with
 * relaxed atomic adds by its owner alone, summed by whoever renders the
 * Prometheus text exposition format.
 */
#ifndef REEL_METRICS_H
#define REEL_METRICS_H

#include <stdint.h>

#include "buf.h"

/* The statuses counted by code; anything else counts as "other". */
#define METRICS_STATUS_LIST(X)                                                                     \
	X(200)                                                                                     \
	X(204)                                                                                     \
	X(206)                                                                                     \
	X(301)                                                                                     \
	X(304)                                                                                     \
	X(400) X(403) X(404) X(405) X(408) X(411) X(412) X(413) X(414) X(416) X(431) X(500) X(501) \
	    X(502) X(503) X(504) X(505)

enum metrics_status_index {
#define X(code) METRICS_S_##code,
	METRICS_STATUS_LIST(X)
#undef X
	    METRICS_S_OTHER,
	METRICS_S_COUNT,
};

/* Upper bounds of the request-duration histogram, in microseconds. */
#define METRICS_LATENCY_BUCKETS(X)                                                                 \
	X(100)                                                                                     \
	X(250)                                                                                     \
	X(500)                                                                                     \
	X(1000)                                                                                    \
	X(2500)                                                                                    \
	X(5000) X(10000) X(25000) X(50000) X(100000) X(250000) X(500000) X(1000000) X(2500000)     \
	    X(5000000) X(10000000)

enum {
#define X(us) METRICS_B_##us,
	METRICS_LATENCY_BUCKETS(X)
#undef X
	    METRICS_B_COUNT,
};

/* Counters with their Prometheus names and help texts. */
#define METRICS_COUNTER_LIST(X)                                                                    \
	X(bytes_sent, "reel_http_response_bytes_total", "Bytes of responses sent (head and body)") \
	X(accepted, "reel_http_connections_accepted_total", "Connections accepted")                \
	X(cache_hits, "reel_open_file_cache_hits_total",                                           \
	  "Requests served from the open-file cache")                                              \
	X(cache_misses, "reel_open_file_cache_misses_total", "Requests that opened the file")      \
	X(tls_handshakes, "reel_tls_handshakes_total", "Completed TLS handshakes")                 \
	X(tls_failures, "reel_tls_handshake_failures_total", "Failed TLS handshakes")              \
	X(timeouts, "reel_http_timeouts_total", "Connections closed by a timeout")                 \
	X(token_failures, "reel_stream_token_failures_total",                                      \
	  "Requests refused for their stream token")                                               \
	X(store_hits, "reel_cache_hits_total", "Requests answered from the cache store")           \
	X(store_misses, "reel_cache_misses_total",                                                 \
	  "Requests that started a fetch from the upstream")                                       \
	X(store_collapsed, "reel_cache_collapsed_total",                                           \
	  "Requests answered from a fetch another request started")                                \
	X(store_purged, "reel_cache_purged_total", "Objects removed by purge or fill requests")    \
	X(pull_bytes, "reel_cache_pull_bytes_total", "Bytes fetched from the upstream")            \
	X(pull_failures, "reel_cache_pull_failures_total",                                         \
	  "Fetches from the upstream that failed or did not verify")                               \
	X(fill_bytes, "reel_cache_fill_bytes_total", "Bytes of objects stored by fill requests")   \
	X(fill_peer_bytes, "reel_cache_fill_peer_bytes_total",                                     \
	  "Bytes of objects stored by fill that were copied from a peer edge")                     \
	X(fill_peer_served_bytes, "reel_fill_peer_served_bytes_total",                             \
	  "Bytes of objects sent to peer edges copying them (peer fill)")                          \
	X(fill_refused, "reel_fill_refused_total",                                                 \
	  "Fill and purge requests refused (signature, replay, digest)")

struct metrics_slot {
	uint64_t requests[METRICS_S_COUNT];
	uint64_t latency[METRICS_B_COUNT + 1]; /* last: above the largest bound */
	uint64_t latency_sum_us;
#define X(field, name, help) uint64_t field;
	METRICS_COUNTER_LIST(X)
#undef X
	int64_t open_connections;
	uint64_t pad[4];
};

struct metrics;

/*
 * Map a shared, zeroed region with NSLOTS slots; child processes forked later
 * share it.  Returns NULL with errno set on failure.  Free with metrics_free().
 */
struct metrics *metrics_new(unsigned nslots);
void metrics_free(struct metrics *m);

/* Slot I (I < NSLOTS), owned by one process at a time. */
struct metrics_slot *metrics_slot(struct metrics *m, unsigned i);

static inline void metrics_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* Count one finished request: STATUS, DURATION_US, BYTES sent. */
void metrics_request(struct metrics_slot *s, int status, uint64_t duration_us, uint64_t bytes);

/* Append the text exposition of all slots' sums to the caller's buffer OUT: 0 or -ENOMEM. */
int metrics_render(struct metrics *m, struct buf *out);

#endif
