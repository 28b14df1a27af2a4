/*
 * The fill scheduler's metrics (fill.h, fill_metrics()): one series per
 * edge, labelled with its name and cluster (both of [A-Za-z0-9._-], so
 * they need no escaping).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fill/internal.h"

/* M(ID, name, type, help) in the order they are shown. */
#define FILL_METRICS(M)                                                                            \
	M(SENT_BYTES, "reel_origin_fill_sent_bytes_total", "counter",                              \
	  "Bytes the origin sent the edge: files, manifests and copy orders")                      \
	M(SENT_OBJECTS, "reel_origin_fill_sent_objects_total", "counter",                          \
	  "Files the origin sent the edge")                                                        \
	M(COPY_ORDERS, "reel_origin_fill_copy_orders_total", "counter",                            \
	  "Copy orders sent to the edge (peer fill)")                                              \
	M(COPIED_OBJECTS, "reel_origin_fill_copied_objects_total", "counter",                      \
	  "Files the edge copied from its peers")                                                  \
	M(COPIED_BYTES, "reel_origin_fill_copied_bytes_total", "counter",                          \
	  "Bytes the edge copied from its peers")                                                  \
	M(COPY_FAILURES, "reel_origin_fill_copy_failures_total", "counter",                        \
	  "Copies that failed (the origin sent the rest of the title)")                            \
	M(RETRIES, "reel_origin_fill_retries_total", "counter",                                    \
	  "Fill and removal attempts that failed and wait their backoff")                          \
	M(TITLES_COMPLETE, "reel_origin_fill_titles_complete", "gauge",                            \
	  "Titles the edge holds complete with nothing left to do")                                \
	M(JOBS_WAITING, "reel_origin_fill_jobs_waiting", "gauge",                                  \
	  "Fills and removals of the edge waiting to start")                                       \
	M(JOBS_IN_FLIGHT, "reel_origin_fill_jobs_in_flight", "gauge",                              \
	  "Fills and removals of the edge under way")                                              \
	M(TRANSFERS, "reel_origin_fill_transfers", "gauge",                                        \
	  "Transfers to the edge in flight, copies holding their slot included")

enum {
#define ID(id, name, type, help) FM_##id,
	FILL_METRICS(ID)
#undef ID
	FM_N
};

/* Every value of E, by FM_ index. */
static void edge_values(const struct fedge *e, uint64_t *v)
{
	const char *title;
	json_t *o;

	v[FM_SENT_BYTES] = e->sent;
	v[FM_SENT_OBJECTS] = e->objects_sent;
	v[FM_COPY_ORDERS] = e->copy_orders;
	v[FM_COPIED_OBJECTS] = e->peer_objects;
	v[FM_COPIED_BYTES] = e->peer_bytes;
	v[FM_COPY_FAILURES] = e->peer_failures;
	v[FM_RETRIES] = e->retries;
	v[FM_TITLES_COMPLETE] = v[FM_JOBS_WAITING] = v[FM_JOBS_IN_FLIGHT] = 0;
	v[FM_TRANSFERS] = e->inflight;
	for (const struct fjob *j = e->jobs; j; j = j->next)
		v[j->state == JOB_WAITING ? FM_JOBS_WAITING : FM_JOBS_IN_FLIGHT]++;
	json_object_foreach(e->inv, title, o) {
		const char *st = json_string_value(json_object_get(o, "state"));

		v[FM_TITLES_COMPLETE] += st && strcmp(st, "complete") == 0 &&
					 !fill_job_find((struct fedge *)e, title);
	}
}

int fill_metrics(const struct fill *f, struct buf *b)
{
	static const struct {
		const char *name, *type, *help;
	} defs[] = {
#define DEF(id, name, type, help) {name, type, help},
	    FILL_METRICS(DEF)
#undef DEF
	};
	size_t ne = 0, i = 0;
	uint64_t *v;
	int rc = 0;

	for (const struct fedge *e = f->fedges; e; e = e->next)
		ne += e->present;
	if (!(v = calloc(ne * FM_N + 1, sizeof(*v))))
		return -ENOMEM;
	for (const struct fedge *e = f->fedges; e; e = e->next)
		if (e->present)
			edge_values(e, v + FM_N * i++);
	for (size_t m = 0; rc == 0 && m < FM_N; m++) {
		rc = buf_printf(b, "# HELP %s %s.\n# TYPE %s %s\n", defs[m].name, defs[m].help,
				defs[m].name, defs[m].type);
		i = 0;
		for (const struct fedge *e = f->fedges; rc == 0 && e; e = e->next)
			if (e->present)
				rc = buf_printf(b, "%s{edge=\"%s\",cluster=\"%s\"} %llu\n", defs[m].name,
						e->name, e->cluster,
						(unsigned long long)v[FM_N * i++ + m]);
	}
	free(v);
	return rc ? -ENOMEM : 0;
}
