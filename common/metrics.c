/* Shared-memory server metrics and their Prometheus text rendering. */
#include "metrics.h"

#include <errno.h>
#include <sys/mman.h>
#include <time.h>

struct metrics {
	unsigned nslots;
	time_t started;
	struct metrics_slot slots[];
};

static const int status_codes[] = {
#define X(code) code,
    METRICS_STATUS_LIST(X)
#undef X
};

static const uint64_t bucket_us[] = {
#define X(us) us,
    METRICS_LATENCY_BUCKETS(X)
#undef X
};

struct metrics *metrics_new(unsigned nslots)
{
	size_t size = sizeof(struct metrics) + nslots * sizeof(struct metrics_slot);
	struct metrics *m;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	m->nslots = nslots;
	m->started = time(NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m)
		munmap(m, sizeof(*m) + m->nslots * sizeof(struct metrics_slot));
}

struct metrics_slot *metrics_slot(struct metrics *m, unsigned i)
{
	return &m->slots[i % m->nslots];
}

static unsigned status_index(int status)
{
	for (unsigned i = 0; i < METRICS_S_OTHER; i++)
		if (status_codes[i] == status)
			return i;
	return METRICS_S_OTHER;
}

void metrics_request(struct metrics_slot *s, int status, uint64_t duration_us, uint64_t bytes)
{
	unsigned b = 0;

	while (b < METRICS_B_COUNT && duration_us > bucket_us[b])
		b++;
	metrics_add(&s->requests[status == 200 ? METRICS_S_200 : status_index(status)], 1);
	metrics_add(&s->latency[b], 1);
	metrics_add(&s->latency_sum_us, duration_us);
	metrics_add(&s->bytes_sent, bytes);
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void sum_slots(struct metrics *m, struct metrics_slot *sum)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)sum;
	size_t words = sizeof(*sum) / sizeof(uint64_t);

	for (unsigned i = 0; i < m->nslots; i++) {
		src = (const uint64_t *)&m->slots[i];
		for (size_t w = 0; w < words; w++)
			dst[w] += load(&src[w]);
	}
}

static int render_requests(const struct metrics_slot *s, struct buf *out)
{
	int rc =
	    buf_puts(out, "# HELP reel_http_requests_total Requests answered, by status code.\n"
			  "# TYPE reel_http_requests_total counter\n");

	for (unsigned i = 0; i < METRICS_S_COUNT && rc == 0; i++) {
		if (i == METRICS_S_OTHER)
			rc = buf_printf(out, "reel_http_requests_total{code=\"other\"} %llu\n",
					(unsigned long long)s->requests[i]);
		else
			rc = buf_printf(out, "reel_http_requests_total{code=\"%d\"} %llu\n",
					status_codes[i], (unsigned long long)s->requests[i]);
	}
	return rc;
}

static int render_latency(const struct metrics_slot *s, struct buf *out)
{
	uint64_t cum = 0;
	int rc = buf_puts(out, "# HELP reel_http_request_duration_seconds Time from the first byte "
			       "of a request to the last byte of its response.\n"
			       "# TYPE reel_http_request_duration_seconds histogram\n");

	for (unsigned b = 0; b < METRICS_B_COUNT && rc == 0; b++) {
		cum += s->latency[b];
		rc = buf_printf(out, "reel_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				(double)bucket_us[b] / 1e6, (unsigned long long)cum);
	}
	cum += s->latency[METRICS_B_COUNT];
	if (rc == 0)
		rc = buf_printf(out,
				"reel_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
				"reel_http_request_duration_seconds_sum %.6f\n"
				"reel_http_request_duration_seconds_count %llu\n",
				(unsigned long long)cum, (double)s->latency_sum_us / 1e6,
				(unsigned long long)cum);
	return rc;
}

int metrics_render(struct metrics *m, struct buf *out)
{
	struct metrics_slot sum = {0};
	int rc;

	sum_slots(m, &sum);
	rc = render_requests(&sum, out);
	if (rc == 0)
		rc = render_latency(&sum, out);
#define X(field, name, help)                                                                       \
	if (rc == 0)                                                                               \
		rc = buf_printf(                                                                   \
		    out, "# HELP " name " " help ".\n# TYPE " name " counter\n" name " %llu\n",    \
		    (unsigned long long)sum.field);
	METRICS_COUNTER_LIST(X)
#undef X
	if (rc == 0)
		rc = buf_printf(out,
				"# HELP reel_http_open_connections Connections open now.\n"
				"# TYPE reel_http_open_connections gauge\n"
				"reel_http_open_connections %lld\n"
				"# HELP reel_process_start_time_seconds Start of the server, "
				"in seconds since the epoch.\n"
				"# TYPE reel_process_start_time_seconds gauge\n"
				"reel_process_start_time_seconds %lld\n",
				(long long)sum.open_connections, (long long)m->started);
	return rc == 0 ? 0 : -ENOMEM;
}
