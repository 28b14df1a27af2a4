/*
 * The fill scheduler (docs/fill.md, "The fill scheduler"): decides what each
 * registered edge with a fill URL holds (placement.h) and pushes it over the
 * edge's fill API, signed with the origin's control key: for each title it
 * asks the edge what it has (GET /fill/<title>), PUTs the files that are
 * missing or differ, then manifest.json; titles an edge should no longer
 * hold are DELETEd.  At most PARALLEL transfers per edge, their sending
 * rate capped at RATE bytes/s per edge; outside the fill window only urgent
 * titles are sent.  A failure is retried with exponential backoff; as every
 * pass starts from what the edge says it holds, a fill cut by an edge or
 * origin restart resumes where it stopped.
 *
 * One per origin, on its libevent loop (libcurl's multi interface).
 *
 * Ownership: every output is the caller's storage; a call that allocates
 * says so and who frees what it returns.
 */
#ifndef ORIGIN_FILL_H
#define ORIGIN_FILL_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct buf;
struct edges;
struct catalog;
struct keyset;
struct viewing;

struct fill_params {
	const char *content_dir;	/* packages: content_dir/TITLE/ (borrowed) */
	const struct keyset *keys;	/* the control key set: its signer signs (borrowed) */
	unsigned copies;		/* k: copies of a title per cluster when it cannot hold all */
	unsigned parallel;		/* transfers in flight per edge */
	uint64_t rate;			/* bytes/s per edge; 0 = no cap */
	int window_start, window_end;	/* minutes after local midnight; equal = always open */
	uint32_t rescan_s;		/* ask each edge what it holds this often */
	uint32_t backoff_s, backoff_max_s; /* retries: first wait, longest wait */
	uint32_t timeout_ms; /* a request without a body (inventory, listing, removal) is
				answered within this, a transfer moves a byte within it;
				0: no limit but a transfer stalled for 60 s */
	const struct viewing *viewing;	   /* popularity: its plays in the window (borrowed) */
	bool peer; /* peer fill: an edge copies what a peer of its cluster has */
};

struct fill;

/*
 * The scheduler for the edges of E and the titles of C (borrowed; they
 * outlive it) on BASE with P (copied, its strings borrowed).  NULL with
 * errno set; free it with fill_free().
 */
struct fill *fill_new(struct event_base *base, struct edges *e, struct catalog *c,
		      const struct fill_params *p);

/* Stop every transfer and free F.  NULL does nothing. */
void fill_free(struct fill *f);

/* Once a second: look at the catalog, the edges and the clock, start what may start. */
void fill_tick(struct fill *f, int64_t now);

/*
 * Title TITLE was registered or packaged anew (the hook of the transcode
 * jobs and of the admin's title PUT): schedule it at once; URGENT lets it
 * fill outside the window.
 */
void fill_title_added(struct fill *f, const char *title, bool urgent);

/* What is done, in flight and waiting, per edge and title, at NOW: a new reference or NULL. */
json_t *fill_status(const struct fill *f, int64_t now);

/*
 * Where version VERSION of TITLE's package stands on the edges that should
 * hold it, at NOW: a new {"state", "edges", "complete", "bytes",
 * "bytes_done", "by_edge": [{"edge", "name", "state", "bytes_done", "error"?}]}
 * (NULL without memory).  The edges are those placement gives the title and
 * those whose holdings are not known yet (asked, not answered); "bytes" is
 * the package's size times their number.  state: "pending" (the scheduler
 * has not seen that version yet), "filling", "complete" (on every one of
 * them; with none, at once) or "superseded" (the package changed since).
 * An edge's state: "complete", "in_flight", "waiting" (its next attempt, or
 * the window), "down" or "unknown" (its holdings are not known yet).
 */
json_t *fill_title_state(const struct fill *f, const char *title, const char *version,
			 int64_t now);

/*
 * The scheduler's counters and gauges per edge, in the Prometheus text
 * format, appended to B (docs/fill.md, "Metrics"): 0, or -ENOMEM.
 */
int fill_metrics(const struct fill *f, struct buf *b);

/* Is NOW (unix seconds) inside the fill window of P (local time)? */
bool fill_window_open(const struct fill_params *p, int64_t now);

#endif
