/*
 * The fill scheduler (fill.h).  Each tick: the titles are the catalog's
 * whose package is in content_dir (manifest re-read when it changes); the
 * edges are the registry's with a fill URL, up; each edge's inventory
 * (GET /fill/) is asked every rescan_s; placement says what each edge
 * wants; a job is made for each title an edge wants and does not hold
 * complete in the package's version (a fill), and for each it holds and
 * should not (a delete).  Jobs start by urgency, then popularity, while the
 * edge has fewer than parallel transfers in flight.
 *
 * A fill job: LIST (GET /fill/<title>: what the edge has of it), then PUT
 * each file missing or different (several in flight), then PUT the
 * manifest.  Any failure ends the attempt: the job waits its backoff and
 * starts again from LIST, so nothing already sent is sent again.
 *
 * Where each file comes from with peer fill (a copy order, a wait, or the
 * origin) is peer.c's; the Prometheus figures are metrics.c's.
 */
#include "fill/fill.h"
#include "fill/internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "catalog/catalog.h"
#include "curl_loop.h"
#include "edges/edges.h"
#include "fill/placement.h"
#include "hex.h"
#include "httpsig.h"
#include "keyfiles.h"
#include "log.h"
#include "manifest.h"
#include "paseto.h"
#include "viewing/viewing.h"

static void plan(struct fill *f);

/* ---- titles ------------------------------------------------------------------ */

struct ftitle *fill_title_find(const struct fill *f, const char *id)
{
	for (struct ftitle *t = f->titles; t; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static struct ftitle *title_get(struct fill *f, const char *id)
{
	struct ftitle *t = fill_title_find(f, id);

	if (t || !(t = calloc(1, sizeof(*t))))
		return t;
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->next = f->titles;
	f->titles = t;
	return t;
}

/* (Re)read T's manifest when it changed: true when T has a package. */
static bool title_load(struct fill *f, struct ftitle *t)
{
	char path[4200], err[256];
	struct stat st;
	struct manifest *m;
	FILE *fp;
	char *text;

	snprintf(path, sizeof(path), "%s/%s/%s", f->p.content_dir, t->id, MANIFEST_NAME);
	if (stat(path, &st) != 0 || st.st_size <= 0 || st.st_size > MANIFEST_MAX_SIZE)
		return false;
	if (t->m && st.st_size == t->fsize && st.st_mtim.tv_sec == t->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == t->mtime.tv_nsec)
		return true;
	if (!(text = malloc((size_t)st.st_size + 1)) || !(fp = fopen(path, "rb"))) {
		free(text);
		return false;
	}
	if (fread(text, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
		fclose(fp);
		free(text);
		return false;
	}
	fclose(fp);
	if (manifest_parse(text, (size_t)st.st_size, &m, err, sizeof(err)) != 0) {
		log_warnx("fill: %s: %s", path, err);
		free(text);
		return false;
	}
	manifest_free(t->m);
	free(t->text);
	t->m = m;
	t->text = text;
	t->len = (size_t)st.st_size;
	t->fsize = st.st_size;
	t->mtime = st.st_mtim;
	manifest_version(text, t->len, t->version);
	return true;
}

/* T's plays in the viewing service's popularity window: placement's order. */
static uint64_t title_plays(const struct fill *f, const struct ftitle *t)
{
	return f->p.viewing ? viewing_plays(f->p.viewing, t->id) : 0;
}

/* The catalog's titles with a package, marked present. */
static void titles_refresh(struct fill *f)
{
	json_t *list = NULL, *v;
	size_t i;

	for (struct ftitle *t = f->titles; t; t = t->next)
		t->present = false;
	if (catalog_titles(f->catalog, NULL, NULL, 0, SIZE_MAX, &list) != 0 || !list)
		return;
	json_array_foreach(json_object_get(list, "titles"), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		struct ftitle *t = id ? title_get(f, id) : NULL;

		if (t)
			t->present = title_load(f, t);
	}
	json_decref(list);
}

/* ---- requests ------------------------------------------------------------------ */

/* The Signature-Input (IN) and Signature (SIG) values of METHOD PATH with DIGEST for edge E. */
int fill_sign(struct fill *f, const struct fedge *e, const char *method, const char *path,
	      const char *digest, struct buf *in, struct buf *sig)
{
	const struct paseto_key *key = keyset_signer(f->p.keys);
	struct httpsig_signer s = {HTTPSIG_ED25519, paseto_key_kid(key), key, NULL, 0};
	struct httpsig_msg m = {method, strlen(method), path, strlen(path), NULL, 0, digest,
				strlen(digest)};

	return httpsig_sign(&s, &m, (int64_t)time(NULL), e->id, NULL, in, sig);
}

/* "Content-Digest", "Signature-Input" and "Signature" for METHOD PATH to edge E. */
static struct curl_slist *signed_headers(struct fill *f, const struct fedge *e, const char *method,
					 const char *path, const char *digest)
{
	struct buf in = {0}, sig = {0}, line = {0};
	struct curl_slist *h = NULL, *ok = NULL;

	if (fill_sign(f, e, method, path, digest, &in, &sig) == 0 &&
	    buf_printf(&line, "Content-Digest: %s", digest) == 0 && (h = curl_slist_append(h, line.p))) {
		line.len = 0;
		if (buf_printf(&line, "Signature-Input: %.*s", (int)in.len, in.p) == 0 &&
		    (ok = curl_slist_append(h, line.p))) {
			line.len = 0;
			if (buf_printf(&line, "Signature: %.*s", (int)sig.len, sig.p) != 0 ||
			    !(ok = curl_slist_append(h, line.p)))
				ok = NULL;
			if (ok)
				ok = curl_slist_append(h, "Expect:");
		}
	}
	buf_free(&in);
	buf_free(&sig);
	buf_free(&line);
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	if (x->resp.len + size * n > RESP_MAX || buf_append(&x->resp, p, size * n) != 0)
		return 0;
	return size * n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = arg;

	if (ulnow > x->counted) {
		x->e->sent += (uint64_t)(ulnow - x->counted);
		if (x->kind == X_PUT && x->j)
			x->j->bytes_done += (uint64_t)(ulnow - x->counted);
		x->counted = ulnow;
	}
	return 0;
}

/* Start METHOD PATH (already percent-safe) on edge E for job J (or none). */
struct xfer *fill_xfer_start(struct fill *f, struct fedge *e, struct fjob *j,
			     enum xfer_kind kind, const char *method, const char *path,
			     const char *digest, FILE *body, uint64_t size)
{
	struct xfer *x = calloc(1, sizeof(*x));
	char url[EDGE_URL_MAX + 512];

	if (!x)
		return NULL;
	*x = (struct xfer){.f = f, .e = e, .j = j, .kind = kind, .body = body};
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	snprintf(url, sizeof(url), "%s%s", e->url, path);
	if (!(x->easy = curl_easy_init()) ||
	    !(x->hdr = signed_headers(f, e, method, path, digest ? digest : EMPTY_DIGEST))) {
		if (x->easy)
			curl_easy_cleanup(x->easy);
		free(x);
		return NULL;
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdr);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME,
			 (long)(f->p.timeout_ms ? (f->p.timeout_ms + 999) / 1000 : 60));
	/* an edge that takes a request and never answers holds its cluster's first plan */
	if (!body && f->p.timeout_ms)
		curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)f->p.timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x->easy, CURLOPT_XFERINFODATA, x);
	if (body) {
		curl_easy_setopt(x->easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->easy, CURLOPT_READDATA, body);
		curl_easy_setopt(x->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
		curl_easy_setopt(x->easy, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
		if (strcmp(method, "PUT") != 0)
			curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, method);
		if (f->p.rate)
			curl_easy_setopt(x->easy, CURLOPT_MAX_SEND_SPEED_LARGE,
					 (curl_off_t)(f->p.rate / (f->p.parallel ? f->p.parallel : 1)));
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, method);
	}
	if (curl_multi_add_handle(curl_loop_multi(f->loop), x->easy) != CURLM_OK) {
		curl_slist_free_all(x->hdr);
		curl_easy_cleanup(x->easy);
		free(x);
		return NULL;
	}
	e->inflight++;
	if (j)
		j->inflight++;
	x->next = f->xfers;
	if (f->xfers)
		f->xfers->prev = x;
	f->xfers = x;
	return x;
}

static void xfer_free(struct xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(curl_loop_multi(x->f->loop), x->easy);
		curl_easy_cleanup(x->easy);
	}
	if (x->hold)
		event_free(x->hold);
	curl_slist_free_all(x->hdr);
	if (x->body)
		fclose(x->body);
	free(x->text);
	buf_free(&x->resp);
	x->e->inflight--;
	if (x->j)
		x->j->inflight--;
	if (x->prev)
		x->prev->next = x->next;
	else
		x->f->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	free(x);
}

/* ---- jobs ---------------------------------------------------------------------- */

struct fjob *fill_job_find(struct fedge *e, const char *title)
{
	for (struct fjob *j = e->jobs; j; j = j->next)
		if (strcmp(j->title, title) == 0)
			return j;
	return NULL;
}

static void job_unlink_free(struct fjob *j)
{
	struct fjob **pp = &j->e->jobs;

	while (*pp && *pp != j)
		pp = &(*pp)->next;
	if (*pp)
		*pp = j->next;
	free(j->missing);
	free(j->have);
	free(j);
}

static uint32_t backoff(const struct fill *f, unsigned attempts)
{
	uint64_t s = f->p.backoff_s ? f->p.backoff_s : 1;

	for (unsigned i = 1; i < attempts && s < f->p.backoff_max_s; i++)
		s *= 2;
	return (uint32_t)(s < f->p.backoff_max_s ? s : f->p.backoff_max_s);
}

/* J's attempt failed (the first reason is kept); it settles once nothing is in flight. */
void fill_job_fail(struct fjob *j, const char *fmt, ...)
{
	va_list ap;

	if (!j->files_failed) {
		va_start(ap, fmt);
		vsnprintf(j->error, sizeof(j->error), fmt, ap);
		va_end(ap);
	}
	j->files_failed++;
}

/* The attempt of J is over (its last transfer ended): done, or wait and retry. */
static void job_settle(struct fill *f, struct fjob *j, bool done)
{
	if (j->inflight)
		return;
	if (j->dropped || done) {
		if (done)
			log_info("fill: %s %s on %s", j->kind == JOB_FILL ? "filled" : "removed",
				 j->title, j->e->name);
		job_unlink_free(j);
		return;
	}
	j->attempts++;
	j->e->retries++;
	j->state = JOB_WAITING;
	j->next_at = f->now + backoff(f, j->attempts);
	log_warnx("fill: %s on %s: %s; retry %u in %lds", j->title, j->e->name, j->error,
		  j->attempts, (long)(j->next_at - f->now));
	free(j->missing);
	j->missing = NULL;
	j->nmissing = j->next_file = 0;
	j->files_failed = 0;
}

void fill_path(char *out, size_t cap, const char *title, const char *path)
{
	snprintf(out, cap, "/fill/%s%s%s", title, path ? "/" : "", path ? path : "");
}

/* PUT file MF of T to J's edge. */
static struct xfer *push_file(struct fill *f, struct fjob *j, const struct ftitle *t,
			      const struct manifest_file *mf)
{
	char path[600], digest[CONTENT_DIGEST_LEN + 1], file[4400];
	struct xfer *x;
	FILE *body;

	snprintf(file, sizeof(file), "%s/%s/%s", f->p.content_dir, t->id, mf->path);
	if (!(body = fopen(file, "rb"))) {
		fill_job_fail(j, "%s: %s", file, strerror(errno));
		return NULL;
	}
	fill_path(path, sizeof(path), t->id, mf->path);
	content_digest_format(mf->sha256, digest);
	if (!(x = fill_xfer_start(f, j->e, j, X_PUT, "PUT", path, digest, body, mf->size))) {
		fclose(body);
		fill_job_fail(j, "cannot start a transfer");
	}
	return x;
}

/* Start J's next files while the edge has room; the manifest once every file is in. */
static void job_push(struct fill *f, struct fjob *j)
{
	struct ftitle *t = fill_title_find(f, j->title);
	char path[600], digest[CONTENT_DIGEST_LEN + 1];

	if (!t || !t->m || strcmp(t->version, j->version) != 0) {
		fill_job_fail(j, "the package changed");
		job_settle(f, j, false);
		return;
	}
	while (j->state == JOB_PUSHING && !j->files_failed && j->next_file < j->nmissing &&
	       j->e->inflight < f->p.parallel) {
		size_t idx = j->missing[j->next_file];
		bool wait;
		struct fedge *peer = peer_source(f, j, idx, &wait);
		struct xfer *x;

		if (wait)
			break; /* started again when a peer ahead stores a file or fails */
		x = peer ? peer_copy(f, j, t, &t->m->files[idx], peer)
			 : push_file(f, j, t, &t->m->files[idx]);
		if (!x)
			break;
		x->file = idx;
		if (!peer && j->have)
			j->have[idx] = HAVE_SENDING;
		j->next_file++;
	}
	if (j->files_failed) {
		job_settle(f, j, false);
		return;
	}
	if (j->state == JOB_PUSHING && j->next_file == j->nmissing && !j->inflight) {
		uint8_t sha[32];
		FILE *body = fmemopen(t->text, t->len, "rb");

		SHA256((const uint8_t *)t->text, t->len, sha);
		content_digest_format(sha, digest);
		fill_path(path, sizeof(path), t->id, MANIFEST_NAME);
		j->state = JOB_MANIFEST;
		if (!body || !fill_xfer_start(f, j->e, j, X_MANIFEST, "PUT", path, digest, body, t->len)) {
			if (body)
				fclose(body);
			fill_job_fail(j, "cannot start a transfer");
			job_settle(f, j, false);
		}
	}
}

/* LIST answered: which files of the package the edge lacks or holds otherwise. */
static void job_listed(struct fill *f, struct fjob *j, long status, const struct buf *resp)
{
	struct ftitle *t = fill_title_find(f, j->title);
	json_t *doc = NULL, *have = NULL;

	if (!t || !t->m) {
		fill_job_fail(j, "the package is gone");
		return;
	}
	if (status == 200) {
		doc = json_loadb(resp->p, resp->len, 0, NULL);
		have = json_object();
		json_t *v;
		size_t i;

		json_array_foreach(json_object_get(doc, "files"), i, v) {
			const char *p = json_string_value(json_object_get(v, "path"));

			if (p)
				json_object_set(have, p, v);
		}
	} else if (status != 404) {
		fill_job_fail(j, "GET /fill/%s: HTTP %ld", j->title, status);
		return;
	}
	free(j->missing);
	free(j->have);
	/* room for each file twice: a failed copy queues its file again, from the origin */
	j->missing = calloc(2 * t->m->n + 1, sizeof(*j->missing));
	j->have = calloc(t->m->n + 1, 1);
	j->nmissing = j->next_file = j->files_done = 0;
	j->bytes_total = t->m->total_size;
	j->bytes_done = 0;
	for (size_t i = 0; j->missing && i < t->m->n; i++) {
		const struct manifest_file *mf = &t->m->files[i];
		json_t *h = have ? json_object_get(have, mf->path) : NULL;
		char hexsha[65];

		hex_encode(mf->sha256, 32, hexsha);
		if (h && json_integer_value(json_object_get(h, "size")) == (json_int_t)mf->size &&
		    json_string_value(json_object_get(h, "sha256")) &&
		    strcmp(json_string_value(json_object_get(h, "sha256")), hexsha) == 0) {
			j->bytes_done += mf->size;
			j->files_done++;
			if (j->have)
				j->have[i] = HAVE_STORED;
		} else {
			j->missing[j->nmissing++] = i;
		}
	}
	json_decref(have);
	json_decref(doc);
	if (!j->missing || !j->have) {
		fill_job_fail(j, "out of memory");
		return;
	}
	j->state = JOB_PUSHING;
}

/* X's file is on its edge now. */
void fill_file_stored(struct fill *f, struct xfer *x)
{
	struct fjob *j = x->j;
	struct ftitle *t = fill_title_find(f, j->title);

	j->files_done++;
	if (j->have && t && t->m && x->file < t->m->n)
		j->have[x->file] = HAVE_STORED;
}

/* What the edge's answer to X says, for the job or the inventory. */
static void xfer_done(void *arg, CURL *easy, CURLcode result)
{
	struct fill *f = arg;
	struct xfer *x = NULL;
	struct fjob *j;
	struct fedge *e;
	long status = 0;
	bool ok;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	if (!x)
		return;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	on_progress(x, 0, 0, 0, 0);
	{
		curl_off_t up = 0;

		curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &up);
		on_progress(x, 0, 0, 0, up);
	}
	j = x->j;
	e = x->e;
	ok = result == CURLE_OK;
	switch (x->kind) {
	case X_INVENTORY:
		e->inv_busy = false;
		e->inv_asked = true;
		if (ok && status == 200) {
			json_t *doc = json_loadb(x->resp.p, x->resp.len, 0, NULL), *v, *inv = json_object();
			size_t i;
			uint64_t max = (uint64_t)json_integer_value(json_object_get(doc, "max_size")),
				 bytes = (uint64_t)json_integer_value(json_object_get(doc, "bytes")),
				 free_ = (uint64_t)json_integer_value(json_object_get(doc, "disk_free"));

			json_array_foreach(json_object_get(doc, "titles"), i, v) {
				const char *id = json_string_value(json_object_get(v, "title"));

				if (id)
					json_object_set(inv, id, v);
			}
			json_decref(e->inv);
			e->inv = inv;
			e->capacity = max ? max : bytes + free_;
			e->inv_error[0] = '\0';
			json_decref(doc);
		} else {
			snprintf(e->inv_error, sizeof(e->inv_error), "GET /fill/: %s",
				 ok ? "unexpected status" : curl_easy_strerror(result));
			if (ok)
				snprintf(e->inv_error, sizeof(e->inv_error), "GET /fill/: HTTP %ld",
					 status);
		}
		plan(f); /* what it lacks can start now; or its cluster waits for it no more */
		for (struct fedge *o = f->fedges; o; o = o->next)
			if (o != e)
				start_work(f, o);
		break;
	case X_LIST:
		if (!ok)
			fill_job_fail(j, "GET /fill/%s: %s", j->title, curl_easy_strerror(result));
		else
			job_listed(f, j, status, &x->resp);
		break;
	case X_COPY:
		if (peer_copied(f, x, ok ? status : 0))
			return; /* its slot is held a while */
		break;
	case X_PUT:
		if (ok && status == 201) {
			fill_file_stored(f, x);
			j->from_origin++;
			e->objects_sent++;
		} else {
			struct ftitle *t = fill_title_find(f, j->title);

			if (j->have && t && t->m && x->file < t->m->n)
				j->have[x->file] = HAVE_NONE;
			fill_job_fail(j, "PUT %s/%s: %s%.*s", j->title,
				      t && t->m && x->file < t->m->n ? t->m->files[x->file].path : "?",
				      ok ? "" : curl_easy_strerror(result), ok ? 40 : 0,
				      ok ? (x->resp.len ? x->resp.p : "no answer") : "");
		}
		break;
	case X_MANIFEST:
		if (ok && status == 201) {
			json_t *v = json_pack("{s:s, s:s}", "state", "complete", "version", j->version);

			if (e->inv && v)
				json_object_set(e->inv, j->title, v);
			json_decref(v);
		} else {
			fill_job_fail(j, "PUT %s/manifest.json: %s %ld %.*s", j->title,
				      ok ? "HTTP" : curl_easy_strerror(result), status,
				      (int)(x->resp.len < 80 ? x->resp.len : 80), x->resp.p ? x->resp.p : "");
		}
		break;
	case X_DELETE:
		if (ok && (status == 200 || status == 404)) {
			if (e->inv)
				json_object_del(e->inv, j->title);
		} else {
			fill_job_fail(j, "DELETE /fill/%s: %s %ld", j->title,
				      ok ? "HTTP" : curl_easy_strerror(result), status);
		}
		break;
	}
	fill_xfer_end(f, x);
}

void fill_xfer_end(struct fill *f, struct xfer *x)
{
	struct fjob *j = x->j;
	struct fedge *e = x->e;

	xfer_free(x);
	if (j) {
		if (j->files_failed || j->dropped)
			job_settle(f, j, false);
		else if (j->state == JOB_PUSHING)
			job_push(f, j);
		else if ((j->state == JOB_MANIFEST || j->state == JOB_DELETING) && !j->inflight)
			job_settle(f, j, true);
	}
	start_work(f, e);
	peer_wake(f, e);
}

/* ---- the passes ------------------------------------------------------------------ */

static struct fedge *edge_get(struct fill *f, const char *id)
{
	struct fedge *e;

	for (e = f->fedges; e; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	if (!(e = calloc(1, sizeof(*e))))
		return NULL;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->next = f->fedges;
	f->fedges = e;
	return e;
}

/* Edge T of the registry (ARG the fill) is present, with its state. */
static void edge_seen(void *arg, const struct edges_fill_target *t)
{
	struct fedge *e = edge_get(arg, t->id);

	if (!e)
		return;
	e->present = true;
	e->up = t->up; /* down once it has reported and stopped; one that never reported is tried */
	snprintf(e->url, sizeof(e->url), "%s", t->fill_url);
	snprintf(e->name, sizeof(e->name), "%s", t->name);
	snprintf(e->cluster, sizeof(e->cluster), "%s", t->cluster);
}

/* The registry's edges with a fill URL; up ones are filled. */
static void edges_refresh(struct fill *f)
{
	for (struct fedge *e = f->fedges; e; e = e->next)
		e->present = e->up = false;
	edges_fill_targets(f->edges, f->now, edge_seen, f);
}

/* Is title T complete in version V on E, as E last said? */
bool fill_edge_holds(const struct fedge *e, const char *t, const char *v)
{
	json_t *o = e->inv ? json_object_get(e->inv, t) : NULL;
	const char *st = json_string_value(json_object_get(o, "state")),
		   *ver = json_string_value(json_object_get(o, "version"));

	return st && strcmp(st, "complete") == 0 && ver && strcmp(ver, v) == 0;
}

static void job_add(struct fedge *e, const char *title, const char *version, enum job_kind kind)
{
	struct fjob *j = calloc(1, sizeof(*j));

	if (!j)
		return;
	j->e = e;
	j->kind = kind;
	snprintf(j->title, sizeof(j->title), "%s", title);
	snprintf(j->version, sizeof(j->version), "%s", version ? version : "");
	j->next = e->jobs;
	e->jobs = j;
}

/* Jobs from what placement wants and what each edge holds. */
static void plan(struct fill *f)
{
	size_t ne = 0, nt = 0, i = 0, k;
	struct fedge **ev;
	struct ftitle **tv;
	struct place_edge *pe;
	struct place_title *pt;
	bool *want;

	for (struct fedge *e = f->fedges; e; e = e->next)
		ne += e->present && e->inv;
	for (struct ftitle *t = f->titles; t; t = t->next)
		nt += t->present;
	ev = calloc(ne + 1, sizeof(*ev));
	tv = calloc(nt + 1, sizeof(*tv));
	pe = calloc(ne + 1, sizeof(*pe));
	pt = calloc(nt + 1, sizeof(*pt));
	want = calloc(ne * nt + 1, sizeof(*want));
	if (!ev || !tv || !pe || !pt || !want)
		goto out;
	for (struct fedge *e = f->fedges; e; e = e->next)
		if (e->present && e->inv) {
			ev[i] = e;
			pe[i++] = (struct place_edge){e->id, e->cluster, e->capacity};
		}
	i = 0;
	for (struct ftitle *t = f->titles; t; t = t->next)
		if (t->present) {
			tv[i] = t;
			pt[i++] = (struct place_title){t->id, t->m->total_size + t->len,
						       title_plays(f, t)};
		}
	if (place_titles(pe, ne, pt, nt, f->p.copies, want) != 0)
		goto out;
	for (i = 0; i < ne; i++) {
		struct fedge *e = ev[i];
		bool unheard = peer_cluster_unheard(f, e);
		const char *title;
		json_t *v;

		for (k = 0; k < nt; k++) {
			struct fjob *j = fill_job_find(e, tv[k]->id);

			if (!want[i * nt + k] || fill_edge_holds(e, tv[k]->id, tv[k]->version)) {
				if (j && j->kind == JOB_FILL && !want[i * nt + k])
					j->dropped = true;
				continue;
			}
			if (j && j->kind == JOB_FILL && strcmp(j->version, tv[k]->version) != 0)
				j->dropped = true; /* a new package: its job comes next pass */
			else if (!j && !unheard)
				job_add(e, tv[k]->id, tv[k]->version, JOB_FILL);
		}
		json_object_foreach(e->inv, title, v) {
			struct ftitle *t = fill_title_find(f, title);
			bool wanted = false;

			for (k = 0; t && t->present && k < nt; k++)
				if (tv[k] == t)
					wanted = want[i * nt + k];
			if (!wanted && !fill_job_find(e, title))
				job_add(e, title, NULL, JOB_DELETE);
		}
	}
	for (struct fedge *e = f->fedges; e; e = e->next)
		for (struct fjob *j = e->jobs, *n; j; j = n) {
			n = j->next;
			if (j->dropped && !j->inflight)
				job_unlink_free(j);
		}
out:
	free(ev);
	free(tv);
	free(pe);
	free(pt);
	free(want);
}

/* The waiting job of E to start next: deletes, then urgent titles, then popular ones. */
static struct fjob *job_next(struct fill *f, struct fedge *e, bool window)
{
	struct fjob *best = NULL;
	uint64_t best_plays = 0;
	int best_rank = -1;

	for (struct fjob *j = e->jobs; j; j = j->next) {
		struct ftitle *t = fill_title_find(f, j->title);
		int rank;
		uint64_t plays;

		if (j->state != JOB_WAITING || j->dropped || j->next_at > f->now)
			continue;
		rank = j->kind == JOB_DELETE ? 2 : t && t->urgent ? 1 : 0;
		if (rank == 0 && !window)
			continue;
		plays = t ? title_plays(f, t) : 0;
		if (rank > best_rank || (rank == best_rank && plays > best_plays)) {
			best = j;
			best_rank = rank;
			best_plays = plays;
		}
	}
	return best;
}

void start_work(struct fill *f, struct fedge *e)
{
	bool window = fill_window_open(&f->p, f->now);
	char path[600];

	if (!e->up || !e->present)
		return;
	for (struct fjob *j = e->jobs; j; j = j->next)
		if (j->state == JOB_PUSHING && !j->files_failed && j->next_file < j->nmissing &&
		    e->inflight < f->p.parallel)
			job_push(f, j);
	while (e->inflight < f->p.parallel) {
		struct fjob *j = job_next(f, e, window);

		if (!j)
			break;
		j->error[0] = '\0';
		j->started = f->now;
		fill_path(path, sizeof(path), j->title, NULL);
		if (j->kind == JOB_DELETE) {
			j->state = JOB_DELETING;
			if (!fill_xfer_start(f, e, j, X_DELETE, "DELETE", path, NULL, NULL, 0))
				j->next_at = f->now + backoff(f, ++j->attempts), j->state = JOB_WAITING;
		} else {
			j->state = JOB_LISTING;
			if (!fill_xfer_start(f, e, j, X_LIST, "GET", path, NULL, NULL, 0))
				j->next_at = f->now + backoff(f, ++j->attempts), j->state = JOB_WAITING;
		}
		if (j->state == JOB_WAITING)
			break;
	}
}

void fill_tick(struct fill *f, int64_t now)
{
	if (now < f->now)
		now = f->now;
	f->now = now;
	titles_refresh(f);
	edges_refresh(f);
	for (struct fedge *e = f->fedges; e; e = e->next) {
		if (!e->present || !e->up || e->inv_busy)
			continue;
		if (f->rescan_now || !e->inv || now - e->inv_at >= (int64_t)f->p.rescan_s) {
			e->inv_at = now;
			e->inv_busy = fill_xfer_start(f, e, NULL, X_INVENTORY, "GET", "/fill/", NULL,
						      NULL, 0) != NULL;
		}
		e->rate = 0.7 * e->rate + 0.3 * (double)(e->sent - e->sent_mark);
		e->sent_mark = e->sent;
	}
	f->rescan_now = false;
	plan(f);
	for (struct fedge *e = f->fedges; e; e = e->next)
		start_work(f, e);
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fill *f = arg;

	fill_tick(f, (int64_t)time(NULL));
}

void fill_title_added(struct fill *f, const char *title, bool urgent)
{
	struct ftitle *t = title_get(f, title);
	static const struct timeval now = {0, 0};

	if (t && urgent)
		t->urgent = true;
	f->rescan_now = true;
	evtimer_add(f->kick, &now);
}

bool fill_window_open(const struct fill_params *p, int64_t now)
{
	time_t tt = (time_t)now;
	struct tm tm;
	int m;

	if (p->window_start == p->window_end || !localtime_r(&tt, &tm))
		return true;
	m = tm.tm_hour * 60 + tm.tm_min;
	if (p->window_start < p->window_end)
		return m >= p->window_start && m < p->window_end;
	return m >= p->window_start || m < p->window_end; /* across midnight */
}

/* ---- status ------------------------------------------------------------------------ */

static const char *job_state_name(const struct fjob *j)
{
	static const char *const names[] = {"waiting", "in_flight", "in_flight", "in_flight",
					    "in_flight"};

	return names[j->state];
}

static json_t *job_json(const struct fill *f, const struct fedge *e, const struct fjob *j)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "title", j->title, "state",
			      job_state_name(j), "action", j->kind == JOB_FILL ? "fill" : "remove",
			      "bytes", (json_int_t)j->bytes_total, "bytes_done",
			      (json_int_t)j->bytes_done, "attempts", (json_int_t)j->attempts);
	const struct ftitle *t = fill_title_find(f, j->title);

	if (!o)
		return NULL;
	if (j->kind == JOB_FILL && e->rate > 0 && j->bytes_total > j->bytes_done)
		json_object_set_new(o, "eta_s", json_integer((json_int_t)((double)(j->bytes_total - j->bytes_done) / e->rate + 0.5)));
	if (j->error[0])
		json_object_set_new(o, "error", json_string(j->error));
	if (j->state == JOB_WAITING && j->next_at > f->now)
		json_object_set_new(o, "retry_in_s", json_integer((json_int_t)(j->next_at - f->now)));
	if (t && t->urgent)
		json_object_set_new(o, "urgent", json_true());
	if (j->kind == JOB_FILL) {
		json_object_set_new(o, "from_origin", json_integer((json_int_t)j->from_origin));
		json_object_set_new(o, "from_peers", json_integer((json_int_t)j->from_peers));
		json_object_set_new(o, "source", json_string(!j->from_peers ? "origin"
							     : j->from_origin ? "origin+peer"
									      : "peer"));
		if (j->peer[0])
			json_object_set_new(o, "peer", json_string(j->peer));
	}
	return o;
}

json_t *fill_status(const struct fill *f, int64_t now)
{
	json_t *edges = json_array();

	for (const struct fedge *e = f->fedges; edges && e; e = e->next) {
		json_t *titles = json_array(), *o;
		size_t done = 0, inflight = 0, waiting = 0;
		const char *id;
		json_t *v;

		if (!e->present)
			continue;
		for (const struct fjob *j = e->jobs; j; j = j->next) {
			json_array_append_new(titles, job_json(f, e, j));
			if (j->state == JOB_WAITING)
				waiting++;
			else
				inflight++;
		}
		json_object_foreach(e->inv, id, v) {
			if (fill_job_find((struct fedge *)e, id))
				continue;
			done++;
			json_array_append_new(titles, json_pack("{s:s, s:s, s:s}", "title", id, "state",
								"done", "version",
								json_string_value(json_object_get(v, "version")) ?: ""));
		}
		o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "id",
			      e->id, "name", e->name, "cluster", e->cluster, "fill_url", e->url, "up",
			      e->up, "capacity", (json_int_t)e->capacity, "in_flight_transfers",
			      (json_int_t)e->inflight, "rate_bps", (json_int_t)(e->rate * 8),
			      "bytes_sent", (json_int_t)e->sent, "objects_sent",
			      (json_int_t)e->objects_sent, "done", (json_int_t)done, "in_flight",
			      (json_int_t)inflight, "titles", titles);
		if (o)
			json_object_set_new(o, "waiting", json_integer((json_int_t)waiting));
		if (o && e->inv_error[0])
			json_object_set_new(o, "error", json_string(e->inv_error));
		if (o)
			json_object_update_new(
			    o, json_pack("{s:I, s:I, s:I}", "peer_objects", (json_int_t)e->peer_objects,
					 "peer_bytes", (json_int_t)e->peer_bytes, "peer_failures",
					 (json_int_t)e->peer_failures));
		json_array_append_new(edges, o);
	}
	return edges ? json_pack("{s:b, s:I, s:I, s:b, s:o}", "window_open",
				 fill_window_open(&f->p, now), "copies", (json_int_t)f->p.copies,
				 "parallel", (json_int_t)f->p.parallel, "peer", f->p.peer, "edges",
				 edges)
		     : NULL;
}

/* ---- one title's fill ----------------------------------------------------------------- */

/* E's part in the fill of T (VERSION): its entry in *ON and whether it holds T complete. */
static int title_on_edge(const struct fill *f, const struct fedge *e, const struct ftitle *t,
			 json_t *on, uint64_t *done)
{
	const struct fjob *j = fill_job_find((struct fedge *)e, t->id);
	uint64_t size = t->m->total_size + t->len, got = 0;
	const char *state, *error = NULL;
	json_t *o;

	if (!e->inv) {
		if (!e->up)
			return 0; /* never asked: placement does not count it either */
		state = "unknown";
		error = e->inv_error[0] ? e->inv_error : NULL;
	} else if (j && j->kind == JOB_FILL && !j->dropped && strcmp(j->version, t->version) == 0) {
		state = !e->up ? "down" : j->state == JOB_WAITING ? "waiting" : "in_flight";
		got = j->bytes_done < size ? j->bytes_done : size;
		error = j->error[0] ? j->error : NULL;
	} else if (fill_edge_holds(e, t->id, t->version) && !(j && j->kind == JOB_DELETE)) {
		state = "complete";
		got = size;
	} else {
		return 0; /* placement gives it elsewhere */
	}
	*done += got;
	o = json_pack("{s:s, s:s, s:s, s:I}", "edge", e->id, "name", e->name, "state", state,
		      "bytes_done", (json_int_t)got);
	if (o && error)
		json_object_set_new(o, "error", json_string(error));
	json_array_append_new(on, o);
	return got == size && strcmp(state, "complete") == 0 ? 2 : 1;
}

json_t *fill_title_state(const struct fill *f, const char *title, const char *version,
			 int64_t now)
{
	const struct ftitle *t = fill_title_find(f, title);
	json_t *on = json_array();
	size_t edges = 0, complete = 0;
	uint64_t done = 0, size;
	const char *state;

	if (!on)
		return NULL;
	if (!t || !t->present || !t->m || strcmp(t->version, version) != 0) {
		state = t && t->present && t->m ? "superseded" : "pending";
		return json_pack("{s:s, s:i, s:i, s:i, s:i, s:o}", "state", state, "edges", 0,
				 "complete", 0, "bytes", 0, "bytes_done", 0, "by_edge", on);
	}
	for (const struct fedge *e = f->fedges; e; e = e->next) {
		int part = e->present ? title_on_edge(f, e, t, on, &done) : 0;

		edges += part > 0;
		complete += part == 2;
	}
	size = t->m->total_size + t->len;
	state = complete == edges ? "complete" : "filling";
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "state", state, "edges",
			 (json_int_t)edges, "complete", (json_int_t)complete, "bytes",
			 (json_int_t)(size * edges), "bytes_done", (json_int_t)done, "by_edge", on);
}

/* ---- life ----------------------------------------------------------------------------- */

struct fill *fill_new(struct event_base *base, struct edges *e, struct catalog *c,
		      const struct fill_params *p)
{
	struct fill *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->base = base;
	f->edges = e;
	f->catalog = c;
	f->p = *p;
	if (!f->p.parallel)
		f->p.parallel = 1;
	if (!(f->loop = curl_loop_new(base, xfer_done, f)) ||
	    !(f->kick = evtimer_new(base, kick_cb, f))) {
		curl_loop_free(f->loop);
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

void fill_free(struct fill *f)
{
	if (!f)
		return;
	while (f->xfers)
		xfer_free(f->xfers);
	while (f->titles) {
		struct ftitle *t = f->titles;

		f->titles = t->next;
		manifest_free(t->m);
		free(t->text);
		free(t);
	}
	while (f->fedges) {
		struct fedge *e = f->fedges;

		f->fedges = e->next;
		while (e->jobs)
			job_unlink_free(e->jobs);
		json_decref(e->inv);
		free(e);
	}
	curl_loop_free(f->loop);
	event_free(f->kick);
	free(f);
}
