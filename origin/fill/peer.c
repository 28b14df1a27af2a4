/*
 * Peer fill (internal.h; docs/fill.md, "Peer fill"): for each file an edge
 * lacks, a peer of its cluster that holds it is ordered to be copied from
 * (a copy order, signed for the peer); a peer about to have it is waited
 * for; otherwise the origin sends it.  A failed copy sends that file and
 * the rest of the title from the origin.
 */
#include "fill/internal.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_loop.h"
#include "hex.h"
#include "log.h"

/*
 * Where J's edge takes file IDX of its title from (peer fill): a peer of its
 * cluster that holds it (the title complete, or that file stored), or the
 * origin (NULL).  *WAIT when it should wait instead: a peer is being sent
 * that file by the origin, or a peer ahead of it (a lower edge id with the
 * same fill under way or still to start, not one waiting out a backoff)
 * will have the file soon.
 * The lowest id of a cluster waits only for a file already on its way to a
 * peer, so there is no cycle and the origin sends each file into the
 * cluster once; a job whose copy failed takes the rest from the origin.
 */
struct fedge *peer_source(const struct fill *f, const struct fjob *j, size_t idx, bool *wait)
{
	const struct fedge *e = j->e;

	*wait = false;
	if (!f->p.peer || j->no_peer)
		return NULL;
	for (struct fedge *o = f->fedges; o; o = o->next) {
		const struct fjob *oj;

		if (o == e || !o->present || !o->up || strcmp(o->cluster, e->cluster) != 0)
			continue;
		if (fill_edge_holds(o, j->title, j->version))
			return o;
		oj = fill_job_find(o, j->title);
		if (!oj || oj->kind != JOB_FILL || oj->dropped ||
		    strcmp(oj->version, j->version) != 0)
			continue;
		if (oj->have && oj->have[idx] == HAVE_STORED)
			return o;
		if (oj->have && oj->have[idx] == HAVE_SENDING)
			*wait = true; /* whatever the ids: it arrived in the cluster first */
		/* under way, or not started yet; not when it waits out a backoff */
		if ((oj->state != JOB_WAITING || !oj->attempts) && strcmp(o->id, e->id) < 0)
			*wait = true;
	}
	return NULL;
}

/* The copy order for file MF of T from PEER (docs/fill.md, "Peer fill"): its JSON, or NULL. */
static char *copy_order(struct fill *f, const struct ftitle *t, const struct manifest_file *mf,
			const struct fedge *peer)
{
	char path[600], hex[65], *text = NULL;
	struct buf in = {0}, sig = {0};
	json_t *o = NULL;

	fill_path(path, sizeof(path), t->id, mf->path);
	hex_encode(mf->sha256, 32, hex);
	if (fill_sign(f, peer, "GET", path, EMPTY_DIGEST, &in, &sig) == 0 &&
	    (o = json_pack("{s:s, s:I, s:s, s:s%, s:s%}", "peer", peer->url, "size",
			   (json_int_t)mf->size, "sha256", hex, "signature_input", in.p, in.len,
			   "signature", sig.p, sig.len)))
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	buf_free(&in);
	buf_free(&sig);
	return text;
}

/* Order J's edge to copy file MF of T from PEER. */
struct xfer *peer_copy(struct fill *f, struct fjob *j, const struct ftitle *t,
		       const struct manifest_file *mf, struct fedge *peer)
{
	char path[600], digest[CONTENT_DIGEST_LEN + 1];
	char *text = copy_order(f, t, mf, peer);
	FILE *body = text ? fmemopen(text, strlen(text), "rb") : NULL;
	uint8_t sha[32];
	struct xfer *x = NULL;

	if (body) {
		SHA256((const uint8_t *)text, strlen(text), sha);
		content_digest_format(sha, digest);
		fill_path(path, sizeof(path), t->id, mf->path);
		x = fill_xfer_start(f, j->e, j, X_COPY, "POST", path, digest, body, strlen(text));
	}
	if (!x) {
		if (body)
			fclose(body);
		free(text);
		fill_job_fail(j, "cannot start a transfer");
		return NULL;
	}
	x->text = text;
	x->peer = peer;
	j->e->copy_orders++;
	return x;
}

static void hold_over(evutil_socket_t fd, short what, void *arg)
{
	struct xfer *x = arg;

	fill_xfer_end(x->f, x);
}

/*
 * X's edge copied SIZE bytes.  The rate caps what an edge receives whatever
 * its source: each of its PARALLEL transfer slots carries RATE / PARALLEL
 * bytes/s (a PUT is paced by libcurl), so a copy keeps its slot until SIZE
 * at that pace has passed since the order went out.  True when held.
 */
static bool copy_hold(struct fill *f, struct xfer *x, uint64_t size)
{
	struct timespec now;
	double left;
	struct timeval tv;

	if (!f->p.rate)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (double)size * f->p.parallel / (double)f->p.rate -
	       ((double)(now.tv_sec - x->started.tv_sec) +
		(double)(now.tv_nsec - x->started.tv_nsec) / 1e9);
	if (left < 0.001 || !(x->hold = evtimer_new(f->base, hold_over, x)))
		return false;
	curl_multi_remove_handle(curl_loop_multi(f->loop), x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	tv.tv_sec = (time_t)left;
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
	evtimer_add(x->hold, &tv);
	return true;
}

/*
 * The edge answered STATUS (0: no answer) to X's copy order: stored (its
 * slot held while the rate pays for it), or the file goes again, from the
 * origin, and so does the rest of the title (the peer may be gone).
 */
bool peer_copied(struct fill *f, struct xfer *x, long status)
{
	struct fjob *j = x->j;
	struct ftitle *t = fill_title_find(f, j->title);
	uint64_t size = t && t->m && x->file < t->m->n ? t->m->files[x->file].size : 0;

	if (status == 201) {
		fill_file_stored(f, x);
		j->from_peers++;
		j->bytes_done += size;
		snprintf(j->peer, sizeof(j->peer), "%s", x->peer->name);
		x->e->peer_objects++;
		x->e->peer_bytes += size;
		return copy_hold(f, x, size);
	}
	log_warnx("fill: %s on %s: the copy of %s from %s failed (HTTP %ld: %.*s); the rest from "
		  "the origin",
		  j->title, x->e->name,
		  t && t->m && x->file < t->m->n ? t->m->files[x->file].path : "?", x->peer->name,
		  status, (int)(x->resp.len < 120 ? x->resp.len : 120), x->resp.p ? x->resp.p : "");
	x->e->peer_failures++;
	j->no_peer = true;
	j->missing[j->nmissing++] = x->file;
	return false;
}

/*
 * Does E's cluster wait to hear from a peer (peer fill)?  While an up edge
 * of it is asked what it holds for the first time, the cluster's fills do
 * not start: after an origin start the edges answer at different times,
 * and the first to answer would be sent files a peer then takes from the
 * origin too.  One that does not answer holds nothing back after that.
 */
bool peer_cluster_unheard(const struct fill *f, const struct fedge *e)
{
	if (!f->p.peer)
		return false;
	for (const struct fedge *o = f->fedges; o; o = o->next)
		if (o->present && o->up && !o->inv && o->inv_busy && !o->inv_asked &&
		    strcmp(o->cluster, e->cluster) == 0)
			return true;
	return false;
}

void peer_wake(struct fill *f, const struct fedge *e)
{
	if (!f->p.peer)
		return;
	for (struct fedge *o = f->fedges; o; o = o->next)
		if (o != e && strcmp(o->cluster, e->cluster) == 0)
			start_work(f, o);
}
