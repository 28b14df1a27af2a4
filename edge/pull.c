/*
 * Pull-through (see pull.h): the fetches this worker runs, and the readers
 * that answer requests from a fetch in flight, its own or another worker's.
 *
 * A reader's answer: once the size is known and the first byte of its range
 * is on the disk, the head (200, or 206 for one satisfiable range), then
 * parts of the temporary file as they come (httpd_resume_part), the last one
 * when the object is complete and indexed.  A reader that is still waiting
 * for its head when the object is complete is answered again from the start
 * (a plain hit then), as are requests that waited for the title's manifest.
 */
#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_date.h"
#include "http_range.h"
#include "log.h"
#include "manifest.h"

#define PULL_MAGIC   0x50756c6cU /* "Pull" */
#define FETCH_MAGIC  0x46657463U /* "Fetc" */
#define READER_MAGIC 0x52656164U /* "Read" */
#define RESCAN_MS    500	 /* remote readers are looked at this often even unwoken */

struct fetch;

/* Where a reader's bytes come from. */
enum source { SRC_LOCAL, SRC_REMOTE, SRC_FINAL };

struct reader {
	uint32_t magic;
	struct edge_pull *p;
	struct httpd_deferred *d;
	struct reader *prev, *next; /* in p->readers */
	struct reader *fnext;	    /* in its local fetch's list */
	enum source src;
	struct fetch *f;	       /* SRC_LOCAL */
	struct edge_inflight_ref ref;  /* SRC_REMOTE */
	struct edge_inflight_view fin; /* SRC_FINAL: the outcome */
	char key[EDGE_KEY_MAX + 1];
	char range[128]; /* the request's Range value, "" when none */
	bool head_only;	 /* a HEAD request */
	bool again;	 /* answer from the start once done (manifests, waits for one) */
	bool stale_ok;	 /* the store's version may answer when the fetch fails */
	bool head_sent, part_out;
	const char *cache_status;
	int fd;	     /* the temporary file while R owns it, or -1 */
	int body_fd; /* the same descriptor, owned by the answer once the head is out */
	uint64_t first, last, sent;
	uint64_t expect; /* the size the manifest lists */
	uint8_t sha[32];
	bool have_sha;
};

struct fetch {
	uint32_t magic;
	struct edge_pull *p;
	struct fetch *next; /* in p->fetches */
	char key[EDGE_KEY_MAX + 1];
	char version[MANIFEST_VERSION_LEN + 1];
	struct edge_inflight_ref ref;
	struct edge_tmp *tmp;
	struct edge_fetch *uf;
	struct event *notify;
	struct reader *readers;
	uint64_t size;	/* expected, 0 when not known */
	uint64_t avail; /* what readers may send */
	uint8_t sha[32];
	bool have_sha, is_manifest, dirty;
	int64_t mtime;
};

struct edge_pull {
	uint32_t magic;
	struct event_base *base;
	struct edge_pull_config cfg;
	const struct edge_pull_ops *ops;
	void *arg;
	struct fetch *fetches;
	struct reader *readers;
	struct event *wake, *rescan;
	pid_t pid; /* this worker's */
};

static void pump(struct reader *r);
static void fetch_finish(struct fetch *f, int result);

/* ---- readers ---------------------------------------------------------------- */

static void reader_free(struct reader *r)
{
	struct edge_pull *p = r->p;

	if (r->f) {
		struct reader **pp = &r->f->readers;

		while (*pp && *pp != r)
			pp = &(*pp)->fnext;
		if (*pp)
			*pp = r->fnext;
	}
	if (r->prev)
		r->prev->next = r->next;
	else
		p->readers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->fd >= 0)
		close(r->fd);
	r->magic = 0;
	free(r);
}

/* The status and reason of a failed pull. */
static int fail_status(int result, const char **why)
{
	switch (result) {
	case -ENOENT:
		*why = "not at the upstream";
		return 404;
	case -ETIMEDOUT:
		*why = "the upstream did not answer in time";
		return 504;
	case -EHOSTUNREACH:
		*why = "the upstream cannot be reached";
		return 502;
	case -ENOSPC:
		*why = "no room in the cache";
		return 503;
	case -EBUSY:
		*why = "too many fetches at once";
		return 503;
	case -EBADMSG:
		*why = "the upstream's bytes do not match the title's manifest";
		return 502;
	default:
		*why = "the upstream failed";
		return 502;
	}
}

/* Answer R's request with an error, or cut it short when its head is out; free R. */
static void reader_fail(struct reader *r, int result)
{
	struct httpd_exchange *x = httpd_resume(r->d);
	const char *why;
	int status = fail_status(result, &why);

	if (x && r->head_sent) {
		httpd_resume_abort(x);
	} else if (x) {
		x->cache_status = "MISS";
		httpd_error(x, status, why, NULL, false);
		httpd_resume_done(x);
	}
	reader_free(r);
}

/*
 * Answer R's request again from the start; STALE: the fetch R waited on
 * failed, so from what the store has, stale.  Frees R.
 */
static void reader_again(struct reader *r, bool stale)
{
	struct httpd_deferred *d = r->d;
	struct edge_pull *p = r->p;
	struct httpd_exchange *x = httpd_resume(d);

	reader_free(r);
	if (x && stale)
		p->ops->stale(p->arg, x, d);
	else if (x)
		p->ops->again(p->arg, x, d);
}

static struct reader *reader_new(struct edge_pull *p, struct httpd_deferred *d,
				 const struct httpd_exchange *x, const char *key, bool again)
{
	struct reader *r = calloc(1, sizeof(*r));
	const struct http_request *req = x->req;

	if (!r)
		return NULL;
	r->magic = READER_MAGIC;
	r->p = p;
	r->d = d;
	r->fd = -1;
	r->again = again;
	r->head_only = req->method == HTTP_HEAD;
	snprintf(r->key, sizeof(r->key), "%s", key);
	if (req->range.p && req->range.len < sizeof(r->range) && !req->if_range.p)
		snprintf(r->range, sizeof(r->range), "%.*s", (int)req->range.len, req->range.p);
	r->next = p->readers;
	if (p->readers)
		p->readers->prev = r;
	p->readers = r;
	return r;
}

/* ---- what a reader sees ------------------------------------------------------ */

/*
 * R's remote fetch is no longer in its slot (claimed again since, maybe for
 * the same key after this fetch failed): how it ended, from the store.  R
 * reads that fetch's own file: it may go on only when that very file is now
 * the object at R's key, never when another fetch stored another file there
 * after this one failed.  Before its head R can let its file go and be
 * answered again from the start, as R without a file is, for which the
 * index says enough.
 */
static void remote_outcome(struct reader *r, struct edge_inflight_view *v)
{
	struct edge_cache *c = r->p->cfg.cache;
	int fd = r->head_sent ? r->body_fd : r->fd;
	struct edge_object o;
	uint64_t size;

	*v = (struct edge_inflight_view){EDGE_IF_FAILED, -EIO, 0, 0};
	if (edge_index_get(edge_cache_index(c), r->key, &o) != 0)
		return;
	if (fd >= 0 && (!edge_inflight_stored(edge_cache_rootfd(c), r->key, fd, &size) ||
			size != o.size)) {
		if (r->head_sent)
			return;
		close(r->fd); /* another fetch's object: answered again, from the store */
		r->fd = -1;
	}
	*v = (struct edge_inflight_view){EDGE_IF_DONE, 0, o.size, o.size};
}

/* The state of R's source now. */
static void reader_view(struct reader *r, struct edge_inflight_view *v)
{
	switch (r->src) {
	case SRC_LOCAL:
		v->state = EDGE_IF_FETCHING;
		v->size = r->f->size;
		v->avail = r->f->avail;
		v->result = 0;
		return;
	case SRC_REMOTE:
		if (edge_inflight_peek(r->p->cfg.inflight, r->ref, v) == 0)
			return;
		remote_outcome(r, v);
		r->src = SRC_FINAL;
		r->fin = *v;
		return;
	case SRC_FINAL:
		*v = r->fin;
		return;
	}
}

/* Decide R's range for an object of SIZE bytes: 0, or the status to answer (416). */
static int reader_range(struct reader *r, uint64_t size)
{
	struct http_range rg;
	unsigned n = 0;

	r->first = 0;
	r->last = size - 1;
	if (!r->range[0])
		return 200;
	switch (http_range_parse(r->range, strlen(r->range), size, &rg, 1, &n)) {
	case HTTP_RANGE_OK:
		r->first = rg.first;
		r->last = rg.last;
		return 206;
	case HTTP_RANGE_UNSATISFIABLE:
		return 416;
	default:
		return 200; /* several ranges, or none that parses: the whole object */
	}
}

static void reader_sent(void *arg, bool closed)
{
	struct reader *r = arg;

	if (r->magic != READER_MAGIC)
		abort();
	r->part_out = false;
	if (closed) {
		httpd_resume(r->d); /* frees the handle: the connection is gone */
		reader_free(r);
		return;
	}
	pump(r);
}

static void close_held(void *arg)
{
	int *fd = arg;

	close(*fd);
	free(fd);
}

void edge_pull_hold_fd(struct httpd_exchange *x, int fd)
{
	int *held = malloc(sizeof(*held));

	if (!held) {
		close(fd); /* the answer is cut short then, as for a failed fetch */
		return;
	}
	*held = fd;
	httpd_hold(x, close_held, held);
}

/* The head of R's answer for an object of SIZE bytes.  False when R is done with. */
static bool send_head(struct reader *r, struct httpd_exchange *x, uint64_t size)
{
	struct edge_pull *p = r->p;
	char etag[EDGE_ETAG_MAX + 1];
	int status = reader_range(r, size);

	if (status == 416) {
		httpd_begin(x, 416);
		httpd_headerf(x, "Content-Range: bytes */%llu\r\n", (unsigned long long)size);
		httpd_end_head(x, 0);
		httpd_resume_done(x);
		reader_free(r);
		return false;
	}
	if (r->have_sha)
		edge_etag_for(r->sha, etag);
	else
		etag[0] = '\0';
	/* the answer keeps the file open until its last byte is out, whatever happens to R */
	r->body_fd = r->fd;
	edge_pull_hold_fd(x, r->fd);
	r->fd = -1;
	x->cache_status = r->cache_status;
	p->ops->head(p->arg, x, r->key, status, etag, strcmp(r->cache_status, "MISS") != 0);
	if (status == 206)
		httpd_headerf(x, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)r->first, (unsigned long long)r->last,
			      (unsigned long long)size);
	httpd_end_head(x, (int64_t)(r->last - r->first + 1));
	r->head_sent = true;
	r->sent = r->first;
	if (r->head_only) {
		httpd_resume_done(x);
		reader_free(r);
		return false;
	}
	return true;
}

/* Send what R may send now, or finish it. */
static void pump(struct reader *r)
{
	struct edge_inflight_view v;
	struct httpd_exchange *x;
	uint64_t end;

	if (r->part_out)
		return;
	reader_view(r, &v);
	if (v.state == EDGE_IF_FAILED && r->stale_ok && !r->head_sent) {
		reader_again(r, true);
		return;
	}
	if (v.state == EDGE_IF_FAILED) {
		reader_fail(r, v.result);
		return;
	}
	if (!r->head_sent && (r->again || r->fd < 0)) {
		if (v.state == EDGE_IF_DONE)
			reader_again(r, false); /* in the store now: answered as a hit */
		return;
	}
	if (!r->head_sent && (v.size == 0 || v.avail == 0))
		return; /* nothing to show yet */
	end = v.avail < r->last + 1 ? v.avail : r->last + 1;
	if (r->head_sent && end <= r->sent)
		return; /* nothing new: the next progress brings more */
	if (!(x = httpd_resume(r->d))) {
		reader_free(r);
		return;
	}
	if (!r->head_sent) {
		if (!send_head(r, x, v.size))
			return;
		end = v.avail < r->last + 1 ? v.avail : r->last + 1;
	}
	if (end > r->sent) {
		httpd_body_file(x, r->body_fd, r->sent, end - r->sent);
		r->sent = end;
	}
	if (r->sent == r->last + 1) {
		httpd_resume_done(x);
		reader_free(r);
		return;
	}
	r->part_out = true;
	httpd_resume_part(x, reader_sent, r);
}

/* ---- fetches ---------------------------------------------------------------- */

/* Publish F's progress to its readers here and elsewhere (once per loop turn). */
static void fetch_publish(struct fetch *f)
{
	struct reader *r, *next;

	f->dirty = false;
	edge_inflight_progress(f->p->cfg.inflight, f->ref, f->avail, f->size, f->p->cfg.wake_slot);
	for (r = f->readers; r; r = next) {
		next = r->fnext;
		pump(r);
	}
}

static void notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	int rc;

	if (f->magic != FETCH_MAGIC)
		abort();
	/* what arrived since the last turn of the loop goes to the file in one write */
	if (f->tmp && (rc = edge_cache_tmp_flush(f->p->cfg.cache, f->tmp)) != 0) {
		if (f->uf)
			edge_fetch_cancel(f->uf);
		f->uf = NULL;
		fetch_finish(f, rc);
		return;
	}
	/* the last byte waits for the verification; manifests wait whole */
	if (f->tmp && f->size && !f->is_manifest)
		f->avail = f->tmp->on_disk < f->size ? f->tmp->on_disk : f->size - 1;
	fetch_publish(f);
}

static void fetch_dirty(struct fetch *f)
{
	if (!f->dirty) {
		f->dirty = true;
		event_active(f->notify, EV_TIMEOUT, 0);
	}
}

/* F ended with RESULT (0: done and indexed): tell everyone, free F. */
static void fetch_finish(struct fetch *f, int result)
{
	struct edge_pull *p = f->p;
	struct reader *r, *next;
	struct fetch **pp;

	if (result != 0) {
		const char *why;

		metrics_add(&p->cfg.metrics->pull_failures, 1);
		fail_status(result, &why);
		log_warnx("pull %s: %s (%s)", f->key, why, strerror(-result));
	}
	edge_cache_tmp_abort(p->cfg.cache, f->tmp); /* NULL once committed */
	f->tmp = NULL;
	edge_inflight_finish(p->cfg.inflight, f->ref, result, p->cfg.wake_slot);
	for (pp = &p->fetches; *pp && *pp != f; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = f->next;
	for (r = f->readers; r; r = r->fnext) {
		r->f = NULL;
		r->src = SRC_FINAL;
		r->fin = (struct edge_inflight_view){result ? EDGE_IF_FAILED : EDGE_IF_DONE, result,
						     f->size, result ? 0 : f->size};
	}
	r = f->readers;
	f->readers = NULL;
	event_free(f->notify);
	f->magic = 0;
	free(f);
	/* each pump may free its reader: take the next one first */
	for (; r; r = next) {
		next = r->fnext;
		r->fnext = NULL;
		pump(r);
	}
}

static int on_head(void *arg, int64_t length, const char *etag, const char *last_modified)
{
	struct fetch *f = arg;
	time_t t;

	if (f->size && length >= 0 && (uint64_t)length != f->size)
		return -EBADMSG; /* not the object the manifest lists */
	if (!f->size && length > 0 && !f->is_manifest)
		f->size = (uint64_t)length;
	if (last_modified && http_date_parse(last_modified, strlen(last_modified), &t) == 0)
		f->mtime = (int64_t)t;
	return 0;
}

static int on_data(void *arg, uint64_t offset, const void *data, size_t n)
{
	struct fetch *f = arg;
	int rc;

	if (f->size && offset + n > f->size)
		return -EBADMSG;
	if ((rc = edge_cache_tmp_write(f->p->cfg.cache, f->tmp, data, n)) != 0)
		return rc;
	metrics_add(&f->p->cfg.metrics->pull_bytes, n);
	fetch_dirty(f);
	return 0;
}

/* Read and check the manifest F fetched: 0 and *OUT, or a negative errno. */
static int fetch_manifest(struct fetch *f, struct manifest **out)
{
	char *text = NULL, err[256];
	int rc = edge_cache_tmp_contents(f->p->cfg.cache, f->tmp, MANIFEST_MAX_SIZE, &text);

	if (rc == -EFBIG)
		rc = -EBADMSG;
	if (rc == 0 && manifest_parse(text, f->tmp->written, out, err, sizeof(err)) != 0)
		rc = -EBADMSG;
	if (rc == 0 && f->version[0] && strcmp((*out)->version, f->version) != 0) {
		manifest_free(*out);
		*out = NULL;
		rc = -EBADMSG; /* not the version the stream token names */
	}
	free(text);
	return rc;
}

/* The whole body is in: verify it and move it into the store. */
static int fetch_commit(struct fetch *f)
{
	struct edge_object o = {.origin = EDGE_ORIGIN_PULL};
	struct manifest *m = NULL;
	int rc;

	o.size = f->tmp->written;
	edge_cache_tmp_digest(f->tmp, o.sha256);
	if (f->is_manifest && (rc = fetch_manifest(f, &m)) != 0)
		return rc;
	if (!f->is_manifest && (o.size != f->size || memcmp(o.sha256, f->sha, 32) != 0))
		return -EBADMSG;
	o.stored = o.last_hit = edge_record_time();
	o.mtime = f->mtime ? f->mtime : o.stored / 1000;
	edge_etag_for(o.sha256, o.etag);
	f->size = o.size;
	rc = edge_cache_tmp_commit(f->p->cfg.cache, f->tmp, f->key, &o, m, EDGE_SYNC_NONE, NULL);
	f->tmp = NULL; /* freed by the commit, whatever it gave */
	manifest_free(m);
	if (rc == 0)
		f->avail = f->size;
	return rc == -EPIPE ? -EBADMSG : rc;
}

static void on_done(void *arg, int result, int status)
{
	struct fetch *f = arg;

	f->uf = NULL;
	if (result == 0)
		result = fetch_commit(f);
	fetch_finish(f, result);
}

static const struct edge_fetch_ops fetch_ops = {on_head, on_data, on_done};

/* ---- starting and joining ---------------------------------------------------- */

static struct fetch *local_fetch(struct edge_pull *p, const char *key)
{
	for (struct fetch *f = p->fetches; f; f = f->next)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static void attach_local(struct reader *r, struct fetch *f)
{
	r->src = SRC_LOCAL;
	r->f = f;
	r->fnext = f->readers;
	f->readers = r;
	r->fd = f->tmp ? dup(f->tmp->fd) : -1;
}

/*
 * Join the fetch of R's key in another worker (REF, its file TMP).  When
 * TMP no longer leads to that file (the fetch ended since the claim), R has
 * no file and is answered again from the start once it sees the outcome.
 */
static void join_remote(struct edge_pull *p, struct reader *r, struct edge_inflight_ref ref,
			const char *tmp)
{
	int fd = edge_inflight_open(p->cfg.inflight, ref, edge_cache_rootfd(p->cfg.cache), tmp);

	r->src = SRC_REMOTE;
	r->ref = ref;
	r->cache_status = "COLLAPSED";
	r->fd = fd >= 0 ? fd : -1;
	edge_inflight_watch(p->cfg.inflight, ref, p->cfg.wake_slot);
	metrics_add(&p->cfg.metrics->store_collapsed, 1);
}

/*
 * Give R a source: a new fetch of its key, or the one another worker
 * claimed first (joined), or the one that just finished.  The temporary
 * file is made before the claim so that it is there for every joiner.
 * 0, or a negative errno (R has no source then).
 */
/* Is R's object in the index (with the digest R expects, when it does)?  Its size then. */
static bool indexed(struct edge_pull *p, const struct reader *r, uint64_t *size)
{
	struct edge_object o;

	if (edge_index_get(edge_cache_index(p->cfg.cache), r->key, &o) != 0 ||
	    (r->have_sha && memcmp(o.sha256, r->sha, 32) != 0))
		return false;
	*size = o.size;
	return true;
}

static int fetch_start(struct edge_pull *p, struct reader *r, const char *version)
{
	struct fetch *f = calloc(1, sizeof(*f));
	char title[MANIFEST_TITLE_MAX + 1], tmp_other[80];
	struct edge_inflight_file file;
	uint64_t size_other, done_size = 0;
	int rc, claim;

	if (!f || !(f->notify = event_new(p->base, -1, 0, notify_cb, f))) {
		free(f);
		return -ENOMEM;
	}
	f->magic = FETCH_MAGIC;
	f->p = p;
	snprintf(f->key, sizeof(f->key), "%s", r->key);
	snprintf(f->version, sizeof(f->version), "%s", version ? version : "");
	snprintf(title, sizeof(title), "%.*s", (int)strcspn(r->key, "/"), r->key);
	f->is_manifest = strcmp(r->key + strlen(title), "/" MANIFEST_NAME) == 0;
	f->size = r->have_sha ? r->expect : 0;
	f->have_sha = r->have_sha;
	memcpy(f->sha, r->sha, 32);
	if ((rc = edge_cache_tmp_open(p->cfg.cache, title, f->size, &f->tmp)) != 0)
		goto out;
	file = (struct edge_inflight_file){f->tmp->path, f->tmp->fd};
	claim = edge_inflight_claim(p->cfg.inflight, f->key, &file, f->size, r->stale_ok, p->pid,
				    &f->ref, tmp_other, &size_other);
	if (claim == EDGE_CLAIM_DONE && !indexed(p, r, &done_size))
		/* finished a moment ago but gone again (evicted, or of a version retired since) */
		claim = edge_inflight_claim(p->cfg.inflight, f->key, &file, f->size, true, p->pid,
					    &f->ref, tmp_other, &size_other);
	rc = claim < 0 ? claim : 0;
	if (claim == EDGE_CLAIM_JOIN) {
		join_remote(p, r, f->ref, tmp_other);
	} else if (claim == EDGE_CLAIM_DONE) {
		r->src = SRC_FINAL;
		r->fin = (struct edge_inflight_view){EDGE_IF_DONE, 0, done_size, done_size};
	}
	if (claim != EDGE_CLAIM_FETCH)
		goto out;
	f->next = p->fetches;
	p->fetches = f;
	r->cache_status = "MISS";
	attach_local(r, f);
	metrics_add(&p->cfg.metrics->store_misses, 1);
	if (!(f->uf = edge_upstream_fetch(p->cfg.upstream, f->key, &fetch_ops, f))) {
		/* nothing sent (the breaker is open): R is answered by the caller */
		rc = errno == EHOSTUNREACH ? -EHOSTUNREACH : -EIO;
		r->f = NULL;
		r->fnext = NULL;
		f->readers = NULL;
		fetch_finish(f, rc);
		return rc;
	}
	return 0;
out:
	edge_cache_tmp_abort(p->cfg.cache, f->tmp);
	event_free(f->notify);
	free(f);
	return rc;
}

/* Find R a source: this worker's fetch of its key, or fetch_start().  0 or a negative errno. */
static int attach(struct edge_pull *p, struct reader *r, const char *version)
{
	struct fetch *f = local_fetch(p, r->key);

	if (!f)
		return fetch_start(p, r, version);
	r->cache_status = "COLLAPSED";
	attach_local(r, f);
	metrics_add(&p->cfg.metrics->store_collapsed, 1);
	return 0;
}

/* ---- requests ----------------------------------------------------------------- */

/*
 * Wait for KEY (an object listed with SIZE and SHA, or a manifest when SHA
 * is NULL) on behalf of X.  True when X was answered now.
 */
static bool wait_for(struct edge_pull *p, struct httpd_exchange *x, struct httpd_deferred *d,
		     const char *key, bool again, uint64_t size, const uint8_t *sha,
		     const char *version, bool stale_ok)
{
	struct reader *r;
	int rc;

	if (!d && !(d = httpd_defer(x))) {
		httpd_error(x, 503, "out of memory", NULL, false);
		return true;
	}
	if (!(r = reader_new(p, d, x, key, again))) {
		x = httpd_resume(d);
		httpd_error(x, 503, "out of memory", NULL, false);
		httpd_resume_done(x);
		return true;
	}
	r->stale_ok = stale_ok;
	if (sha) {
		r->have_sha = true;
		r->expect = size;
		memcpy(r->sha, sha, 32);
	}
	if ((rc = attach(p, r, version)) != 0) {
		if (stale_ok)
			reader_again(r, true);
		else
			reader_fail(r, rc);
		return true;
	}
	pump(r);
	return false;
}

bool edge_pull_request(struct edge_pull *p, struct httpd_exchange *x, struct httpd_deferred *d,
		       const char *key, const char *version)
{
	size_t tlen = strcspn(key, "/");
	char mkey[EDGE_KEY_MAX + 1];
	uint64_t size;
	uint8_t sha[32];
	int rc;

	if (p->magic != PULL_MAGIC)
		abort();
	if (strcmp(key + tlen, "/" MANIFEST_NAME) == 0)
		return wait_for(p, x, d, key, true, 0, NULL, version, false);
	/*
	 * The entry and the title's manifest flag in one read: looked up one
	 * after the other, a manifest committed in between (a request of
	 * another worker pulled it) showed as stored but not listing KEY.
	 */
	rc = edge_index_listed(edge_cache_index(p->cfg.cache), key, &size, sha);
	if (rc == 0)
		return wait_for(p, x, d, key, false, size, sha, version, false);
	if (rc == -ENOENT) {
		httpd_error(x, 404, "not in the title's package", NULL, false);
		if (d)
			httpd_resume_done(x);
		return true;
	}
	/* the title's manifest first; then this request starts over */
	snprintf(mkey, sizeof(mkey), "%.*s/%s", (int)tlen, key, MANIFEST_NAME);
	return wait_for(p, x, d, mkey, true, 0, NULL, version, false);
}

bool edge_pull_refresh(struct edge_pull *p, struct httpd_exchange *x, struct httpd_deferred *d,
		       const char *key, const char *version)
{
	char mkey[EDGE_KEY_MAX + 1];

	if (p->magic != PULL_MAGIC)
		abort();
	snprintf(mkey, sizeof(mkey), "%.*s/%s", (int)strcspn(key, "/"), key, MANIFEST_NAME);
	return wait_for(p, x, d, mkey, true, 0, NULL, version, true);
}

/* ---- waking ------------------------------------------------------------------- */

/* Another worker's fetch moved on (or the rescan timer fired): look at every remote reader. */
static void remote_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edge_pull *p = arg;
	struct reader *r, *next;
	uint64_t n;

	if (p->magic != PULL_MAGIC)
		abort();
	if (fd >= 0 && read(fd, &n, sizeof(n)) < 0)
		n = 0;
	for (r = p->readers; r; r = next) {
		next = r->next;
		if (r->src != SRC_LOCAL)
			pump(r);
	}
}

struct edge_pull *edge_pull_new(struct event_base *base, const struct edge_pull_config *cfg,
				const struct edge_pull_ops *ops, void *arg)
{
	struct edge_pull *p = calloc(1, sizeof(*p));
	struct timeval tv = {0, RESCAN_MS * 1000};
	int wfd = cfg->wake_slot >= 0 ? cfg->inflight->wake_fd[cfg->wake_slot] : -1;

	if (!p)
		return NULL;
	p->magic = PULL_MAGIC;
	p->pid = getpid();
	p->base = base;
	p->cfg = *cfg;
	p->ops = ops;
	p->arg = arg;
	if ((wfd >= 0 && (!(p->wake = event_new(base, wfd, EV_READ | EV_PERSIST, remote_cb, p)) ||
			  event_add(p->wake, NULL) != 0)) ||
	    !(p->rescan = event_new(base, -1, EV_PERSIST, remote_cb, p)) ||
	    event_add(p->rescan, &tv) != 0) {
		edge_pull_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void edge_pull_free(struct edge_pull *p)
{
	if (!p)
		return;
	while (p->fetches) {
		struct fetch *f = p->fetches;

		edge_fetch_cancel(f->uf);
		f->uf = NULL;
		fetch_finish(f, -ECANCELED); /* also takes F off the list */
	}
	while (p->readers) {
		struct reader *r = p->readers;
		struct httpd_exchange *x = httpd_resume(r->d);

		if (x && r->head_sent) {
			httpd_resume_abort(x);
		} else if (x) {
			httpd_error(x, 503, "shutting down", NULL, true);
			httpd_resume_done(x);
		}
		reader_free(r);
	}
	if (p->wake)
		event_free(p->wake);
	if (p->rescan)
		event_free(p->rescan);
	p->magic = 0;
	free(p);
}
