/*
 * Pull-through, one per worker: a request for an object the store does not
 * have is answered from one fetch from the upstream, shared by every
 * request for that object in every worker, as its bytes reach the disk.
 *
 * The first request claims the object in the shared table (inflight.h),
 * reserves room, opens a temporary file and starts the fetch; the fetch
 * writes to the file at the upstream's pace.  Every request for the object
 * (this worker's directly, other workers' through the table) is a reader:
 * it opens the temporary file and sends, with sendfile, the bytes that are
 * there, whole or the range it asked for, at its own pace; a slow reader
 * never slows the fetch.  The last byte is held back until the object has
 * been verified against the title's manifest (size and SHA-256) and
 * indexed, so a reader never gets a whole object that is wrong: a failed
 * fetch cuts every answer short, and nothing of it is ever served again.
 *
 * An object is verified against its title's manifest.json, which is pulled
 * first when the store has none (and checked against the version the
 * request's stream token names): requests then wait for it and are
 * answered again from the start once it is in.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_PULL_H
#define EDGE_PULL_H

#include <event2/event.h>
#include <stdbool.h>

#include "cache.h"
#include "httpd.h"
#include "inflight.h"
#include "metrics.h"
#include "upstream.h"

struct edge_pull_config {
	struct edge_cache *cache;
	struct edge_upstream *upstream;
	struct edge_inflight *inflight;
	int wake_slot; /* this process's, in INFLIGHT */
	struct metrics_slot *metrics;
};

/* What the request handler provides. */
struct edge_pull_ops {
	/*
	 * Begin an answer to X for the object KEY while it is being fetched:
	 * status line (STATUS) and the object's header lines with ETAG and
	 * a Cache-Status of fwd=miss, COLLAPSED when it joined another
	 * request's fetch, but no Content-* line about the body and no end of
	 * the head.
	 */
	void (*head)(void *arg, struct httpd_exchange *x, const char *key, int status,
		     const char *etag, bool collapsed);
	/*
	 * Answer X (deferred as D) again from the start: what it waited for is
	 * in the store now.  Returns true when X was answered (then the handler
	 * called httpd_resume_done), false when it waits again.
	 */
	bool (*again)(void *arg, struct httpd_exchange *x, struct httpd_deferred *d);
	/*
	 * The upstream failed while X waited for a new version of its title:
	 * answer X (deferred as D) from what the store has, stale.  As AGAIN
	 * returns.
	 */
	bool (*stale)(void *arg, struct httpd_exchange *x, struct httpd_deferred *d);
};

struct edge_pull;

/*
 * Pull-through on BASE for CFG (copied; what it points to is borrowed and
 * must outlive it), answering through OPS with ARG.  The caller owns the
 * result and frees it with edge_pull_free(); NULL with errno set.
 */
struct edge_pull *edge_pull_new(struct event_base *base, const struct edge_pull_config *cfg,
				const struct edge_pull_ops *ops, void *arg);

/*
 * Stop: fetches in flight fail (readers elsewhere are told), waiting
 * answers get 503.  NULL does nothing.
 */
void edge_pull_free(struct edge_pull *p);

/*
 * X asks for KEY ("<title>/<path>"), which the store does not have.  D is
 * X's deferred handle when X was deferred already (answered again), else
 * NULL (then this runs inside the handler).  VERSION is the title version
 * the request's stream token names ("" when none).  Returns true when X was
 * answered now (404 for what the title's manifest does not list, or an
 * error), false when the answer comes later.
 */
bool edge_pull_request(struct edge_pull *p, struct httpd_exchange *x, struct httpd_deferred *d,
		       const char *key, const char *version);

/*
 * X asks for KEY of a title the store has at another version than
 * VERSION (the one its stream token names): pull the title's manifest of
 * VERSION (which retires the objects of the old one it does not share),
 * then answer X again from the start.  When the upstream fails, X gets
 * what the store has, stale (stale-if-error).  D and the result as for
 * edge_pull_request().
 */
bool edge_pull_refresh(struct edge_pull *p, struct httpd_exchange *x, struct httpd_deferred *d,
		       const char *key, const char *version);

/*
 * Give FD to X's answer (httpd_hold): it closes once the answer is sent or
 * dropped (at once when no memory is left, which cuts the answer short).
 */
void edge_pull_hold_fd(struct httpd_exchange *x, int fd);

#endif
