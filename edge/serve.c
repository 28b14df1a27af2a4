/*
 * The edge's request handler.  For an object it emits, in order:
 *
 *   HTTP/1.1 200 OK | 206 Partial Content | 304 Not Modified | 416 ...
 *   Server, Date                               (httpd core)
 *   Content-Type, ETag, Last-Modified, Cache-Control, Accept-Ranges,
 *   Vary, Access-Control-*                     (prebuilt per cached file)
 *   Access-Control-Allow-Origin, Cache-Status  (per request)
 *   Content-Range | Content-Encoding           (per request)
 *   Content-Length, Connection                 (httpd core)
 *
 * Preconditions, ranges (several as one multipart/byteranges body) and the
 * gzip form are common/http_file.c's, the answer every server of the
 * project gives for a file.
 */
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_status.h"
#include "http_file.h"
#include "http_date.h"
#include "http_path.h"
#include "master_filter.h"

#define ALLOW "Allow: GET, HEAD, OPTIONS\r\n"

static void unref_file(void *f)
{
	edge_file_unref(f);
}

/* Access-Control-Allow-Origin for a configured origin list (not "*"). */
static void cors_dynamic(struct httpd_exchange *x, const struct edge_serve *s)
{
	const struct http_request *r = x->req;
	const char *list = s->cfg->cors_origins;
	size_t n = r->origin.len;

	if (!r->origin.p || !list[0] || s->cors_static[0])
		return;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " \t,");

		if (len == n && memcmp(p, r->origin.p, n) == 0) {
			httpd_headerf(
			    x,
			    "Access-Control-Allow-Origin: %.*s\r\nVary: Origin\r\n"
			    "Access-Control-Expose-Headers: Content-Length, Content-Range, "
			    "Accept-Ranges, ETag\r\n",
			    (int)n, r->origin.p);
			return;
		}
		p += len;
		p += strspn(p, " \t,");
	}
}

static void serve_options(struct httpd_exchange *x, const struct edge_serve *s)
{
	const struct http_request *r = x->req;
	bool allowed = false;

	httpd_begin(x, 204);
	httpd_header(x, ALLOW, sizeof(ALLOW) - 1);
	if (r->origin.p && r->ac_request_method.p) {
		if (s->cors_static[0]) {
			httpd_header_lit(x, "Access-Control-Allow-Origin: *\r\n");
			allowed = true;
		} else if (s->cfg->cors_origins[0]) {
			cors_dynamic(x, s);
			allowed = true;
		}
	}
	if (allowed) {
		httpd_header_lit(x, "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
				    "Access-Control-Max-Age: 86400\r\n");
		if (r->ac_request_headers.p && r->ac_request_headers.len < 512)
			httpd_headerf(x, "Access-Control-Allow-Headers: %.*s\r\n",
				      (int)r->ac_request_headers.len, r->ac_request_headers.p);
	}
	httpd_end_head(x, -1);
}

static void serve_metrics(struct httpd_exchange *x, const struct edge_serve *s)
{
	struct buf b = {0};

	if (metrics_render(s->metrics, &b) != 0 ||
	    (s->store && edge_worker_store_metrics(s->store, &b) != 0) ||
	    (s->rev && edge_rev_metrics(s->rev, &b) != 0)) {
		buf_free(&b);
		httpd_error(x, 500, "out of memory", NULL, false);
		return;
	}
	httpd_begin(x, 200);
	httpd_header_lit(x, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			    "Cache-Control: no-store\r\n");
	httpd_end_head(x, (int64_t)b.len);
	httpd_body_mem(x, b.p, b.len);
	buf_free(&b);
}

void edge_serve_health(struct httpd_exchange *x)
{
	httpd_begin(x, 200);
	httpd_header_lit(x,
			 "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n");
	httpd_end_head(x, 3);
	httpd_body_mem(x, "ok\n", 3);
}

/* The object F as http_file_answer() takes it. */
static struct http_file object_of(const struct edge_file *f)
{
	return (struct http_file){
	    .size = f->size,
	    .fd = f->fd,
	    .data = f->data,
	    .content_type = f->content_type,
	    .hdr = &f->hdr,
	    .gz = f->gz,
	    .gz_len = f->gz_len,
	    .gz_hdr = f->gz ? &f->gz_hdr : NULL,
	    .v = {.etag = {f->etag, f->gz ? f->gz_etag : NULL},
		  .etag_len = {f->etag_len, f->gz ? f->gz_etag_len : 0},
		  .last_modified = f->mtime},
	};
}

/* CORS for an origin list; Cache-Status for an object of the store. */
static void object_extras(struct httpd_exchange *x, void *arg)
{
	const struct edge_serve *s = arg;

	cors_dynamic(x, s);
	if (!s->index)
		return;
	if (strcmp(x->cache_status, "STALE") == 0)
		httpd_header(x, EDGE_CACHE_STATUS_STALE, strlen(EDGE_CACHE_STATUS_STALE));
	else
		httpd_header(x, EDGE_CACHE_STATUS_HIT, strlen(EDGE_CACHE_STATUS_HIT));
}

/* Answer X with the representation F (ranges, validators, gzip). */
static void serve_object(struct httpd_exchange *x, struct edge_serve *s, const struct http_file *f)
{
	const struct http_file_how how = {
	    .max_ranges = s->cfg->max_ranges < HTTP_FILE_MAX_RANGES ? s->cfg->max_ranges
								    : HTTP_FILE_MAX_RANGES,
	    .boundary = s->boundary,
	    .extras = object_extras,
	    .arg = s,
	};

	http_file_answer(x, f, &how);
}

static const char *token_error(int rc)
{
	switch (rc) {
	case -ENOKEY:
		return "stream token signed with an unknown key";
	case -EBADMSG:
		return "stream token signature does not verify";
	case -ETIMEDOUT:
		return "stream token expired";
	case -EACCES:
		return "stream token not valid for this title";
	default:
		return "malformed stream token";
	}
}

/*
 * "/s/<token>/<title>/<path>" (REL is "<title>/<path>"): check the token for
 * the title and the rendition height against its claims.  Returns 0 with
 * the claims in *C, or answers the request and returns -1.
 */
static int check_token(struct httpd_exchange *x, struct edge_serve *s, const char *rel,
		       struct stream_claims *c)
{
	const struct http_request *r = x->req;
	const char *tok = r->path.p + 3, *end = r->path.p + r->path.len;
	const char *slash = memchr(tok, '/', (size_t)(end - tok));
	const char *title_end = strchr(rel, '/'), *why;
	time_t now = time(NULL); /* one clock for the token's and the revocations' checks */
	unsigned h, retry;
	int rc;

	if (!s->ring) {
		httpd_error(x, 404, NULL, NULL, false);
		return -1;
	}
	if (edge_ratelimit_blocked(s->failures, httpd_peer(x), s->now_ms(), &retry)) {
		char hdr[48];

		snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", retry);
		httpd_error(x, 429, "too many bad stream tokens from this address", hdr, false);
		return -1;
	}
	rc = token_cache_check(s->tokens, s->ring, tok, (size_t)(slash - tok), now, rel,
			       title_end ? (size_t)(title_end - rel) : strlen(rel), c);
	if (rc != 0) {
		metrics_add(&s->slot->token_failures, 1);
		if (rc == -EBADMSG || rc == -EINVAL || rc == -ENOKEY)
			edge_ratelimit_failure(s->failures, httpd_peer(x), s->now_ms());
		httpd_error(x, 403, token_error(rc), NULL, false);
		return -1;
	}
	if (title_end && (h = master_rendition_height(title_end + 1)) > c->max_height) {
		httpd_error(x, 403, "rendition above the height the plan allows", NULL, false);
		return -1;
	}
	if (!s->rev)
		return 0;
	if ((why = edge_rev_refused(s->rev, c, (int64_t)now)) != NULL) {
		metrics_add(&s->slot->token_failures, 1);
		httpd_error(x, 403, why, NULL, false);
		return -1;
	}
	edge_rev_note(s->rev, s->seen, c->lease);
	return 0;
}

/*
 * A tokenized request for "<title>/key" (the AES-128 key URI the packages
 * use, "../key" from a media playlist): keys never live on an edge, so the
 * player is sent to the origin's key endpoint with the token it presented.
 */
static bool redirect_key(struct httpd_exchange *x, const struct edge_serve *s, const char *rel)
{
	const struct http_request *r = x->req;
	const char *slash = strchr(rel, '/'), *tok = r->path.p + 3;
	const char *tok_end = memchr(tok, '/', r->path.len - 3);

	if (!slash || strcmp(slash + 1, "key") != 0)
		return false;
	if (!s->cfg->origin_url[0]) {
		httpd_error(x, 404, "no origin configured for content keys", NULL, false);
		return true;
	}
	httpd_begin(x, 302);
	httpd_headerf(x, "Location: %s/api/v1/keys/%.*s?token=%.*s\r\n", s->cfg->origin_url,
		      (int)(slash - rel), rel, (int)(tok_end - tok), tok);
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	if (s->cors_static[0])
		httpd_header(x, s->cors_static, strlen(s->cors_static));
	else
		cors_dynamic(x, s);
	httpd_end_head(x, 0);
	return true;
}

static bool is_master(const char *rel)
{
	const char *slash = strchr(rel, '/');

	return slash && strcmp(slash + 1, "master.m3u8") == 0;
}

/* The master playlist F cut to MAXH, made once per entry and height. */
static const struct edge_variant *master_variant(const struct edge_serve *s, struct edge_file *f,
						 unsigned maxh)
{
	struct edge_variant *v = &f->variants[maxh % EDGE_VARIANTS];
	char date[HTTP_DATE_LEN + 1];

	if (v->max_height == maxh)
		return v;
	v->max_height = 0;
	v->hdr.len = 0;
	v->removed = master_filter(f->data, f->size, maxh, &v->body);
	http_date_format(f->mtime, date);
	if (v->removed > 0 &&
	    buf_printf(&v->hdr,
		       "Content-Type: %s\r\nETag: %.*s-h%u\"\r\nLast-Modified: %s\r\n"
		       "Cache-Control: %s\r\n%s",
		       f->content_type, (int)f->etag_len - 1, f->etag, maxh, date,
		       s->cfg->cc_playlist, s->cors_static) != 0)
		v->removed = -ENOMEM;
	v->max_height = maxh;
	return v;
}

/*
 * A tokenized master playlist lists only the renditions the token's plan
 * allows.  Returns false when the whole playlist applies (serve it as usual).
 */
static bool serve_master_variant(struct httpd_exchange *x, struct edge_serve *s,
				 struct edge_file *f, const struct stream_claims *c)
{
	const struct edge_variant *v = master_variant(s, f, c->max_height);
	struct http_file vf = {.fd = -1, .content_type = f->content_type, .hdr = &v->hdr};

	if (v->removed == 0 || v->removed == -EINVAL)
		return false; /* all of it applies, or it is no master playlist */
	if (v->removed < 0) {
		httpd_error(x, v->removed == -ENOENT ? 403 : 500,
			    v->removed == -ENOENT ? "no rendition within the height the plan allows"
						  : "cannot filter the master playlist",
			    NULL, false);
		return true;
	}
	vf.size = v->body.len;
	vf.data = v->body.p;
	vf.v.etag[0] = strstr(v->hdr.p, "ETag: ") + 6;
	vf.v.etag_len[0] = strcspn(vf.v.etag[0], "\r");
	vf.v.last_modified = f->mtime;
	serve_object(x, s, &vf);
	return true;
}

/* Answer X with an error; true (answered), for serve_file's returns. */
static bool fail(struct httpd_exchange *x, int status, const char *why)
{
	httpd_error(x, status, why, NULL, false);
	return true;
}

/*
 * The object request X, in the handler (D NULL) or answered again after a
 * wait (D its deferred handle); REFRESH_FAILED: the upstream failed to give
 * the version X's token names, so the store's answers, marked stale.
 * Returns true when X is answered now, false when pull-through answers it
 * later.
 */
static bool serve_file(struct httpd_exchange *x, struct edge_serve *s, struct httpd_deferred *d,
		       bool refresh_failed)
{
	const struct http_request *r = x->req;
	bool tokenized = r->path.len > 3 && memcmp(r->path.p, "/s/", 3) == 0 &&
			 memchr(r->path.p + 3, '/', r->path.len - 3);
	size_t skip = 0;
	char rel[4096];
	struct stream_claims claims = {0};
	struct edge_file *f;
	struct http_file obj;
	bool hit, stale = false;
	int rc;

	if (tokenized)
		skip =
		    (size_t)((const char *)memchr(r->path.p + 3, '/', r->path.len - 3) - r->path.p);
	else if (s->cfg->require_token)
		return fail(x, 403, "a stream token is required: /s/<token>/<title>/...");
	rc = http_path_decode(r->path.p + skip, r->path.len - skip, rel, sizeof(rel));
	if (rc == -ENAMETOOLONG)
		return fail(x, 414, "path too long");
	if (rc == -EINVAL)
		return fail(x, 400, "invalid path");
	if (rc <= 0)
		return fail(x, 404, NULL);
	if (tokenized && check_token(x, s, rel, &claims) != 0)
		return true;
	if (tokenized && redirect_key(x, s, rel))
		return true;
	if (tokenized && s->versions && refresh_failed) {
		edge_versions_failed(s->versions, rel, strcspn(rel, "/"), claims.version,
				     s->now_ms());
		stale = true;
	} else if (tokenized && s->versions) {
		switch (edge_versions_check(s->versions, rel, strcspn(rel, "/"), claims.version,
					    s->now_ms())) {
		case EDGE_VERSION_REFRESH:
			return edge_pull_refresh(s->pull, x, d, rel, claims.version);
		case EDGE_VERSION_STALE:
			stale = true;
			break;
		case EDGE_VERSION_SERVE:
			break;
		}
	}
	rc = edge_filecache_get(s->files, rel, s->now_ms(), &f, &hit);
	if (rc == -ENODATA && s->pull)
		return edge_pull_request(s->pull, x, d, rel, claims.version);
	if (rc == -ENOENT || rc == -ENODATA)
		return fail(x, 404, NULL);
	if (rc == -EACCES)
		return fail(x, 403, NULL);
	if (rc != 0)
		return fail(x, rc == -EMFILE ? 503 : 500, "cannot open the object");
	x->cache_status = stale ? "STALE" : s->index || hit ? "HIT" : "MISS";
	metrics_add(hit ? &s->slot->cache_hits : &s->slot->cache_misses, 1);
	if (s->index)
		metrics_add(&s->slot->store_hits, 1);
	httpd_hold(x, unref_file, f);
	if (tokenized && f->data && is_master(rel) && serve_master_variant(x, s, f, &claims))
		return true;
	obj = object_of(f);
	serve_object(x, s, &obj);
	return true;
}

/* ---- pull-through's calls back ---------------------------------------------------- */

static struct edge_serve *serve_of(void *arg)
{
	struct edge_serve *s = arg;

	if (s->magic != EDGE_SERVE_MAGIC)
		abort();
	return s;
}

static void pull_head(void *arg, struct httpd_exchange *x, const char *key, int status,
		      const char *etag, bool collapsed)
{
	struct edge_serve *s = serve_of(arg);
	struct cache_status cs = {.name = EDGE_CACHE_NAME, .fwd = "miss", .collapsed = collapsed};
	struct buf hdr = {0}, st = {0};

	httpd_begin(x, status);
	if (edge_filecache_headers(s->files, key, etag, 0, &hdr) == 0)
		httpd_header(x, hdr.p, hdr.len);
	buf_free(&hdr);
	cors_dynamic(x, s);
	if (cache_status_write(&st, &cs) == 0)
		httpd_headerf(x, "Cache-Status: %.*s\r\n", (int)st.len, st.p);
	buf_free(&st);
}

static bool pull_again(void *arg, struct httpd_exchange *x, struct httpd_deferred *d)
{
	struct edge_serve *s = serve_of(arg);

	if (!serve_file(x, s, d, false))
		return false;
	httpd_resume_done(x);
	return true;
}

static bool pull_stale(void *arg, struct httpd_exchange *x, struct httpd_deferred *d)
{
	struct edge_serve *s = serve_of(arg);

	if (!serve_file(x, s, d, true))
		return false;
	httpd_resume_done(x);
	return true;
}

const struct edge_pull_ops edge_serve_pull_ops = {pull_head, pull_again, pull_stale};

static bool path_is(const struct http_request *r, const char *lit)
{
	size_t n = strlen(lit);

	return r->path.len == n && memcmp(r->path.p, lit, n) == 0;
}

void edge_serve(struct httpd_exchange *x, void *arg)
{
	struct edge_serve *s = arg;
	const struct http_request *r = x->req;

	if (s->magic != EDGE_SERVE_MAGIC)
		abort();
	switch (r->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		break;
	case HTTP_OPTIONS:
		serve_options(x, s);
		return;
	default:
		httpd_error(x, 405, "this server only reads", ALLOW, false);
		return;
	}
	if (path_is(r, "/healthz"))
		edge_serve_health(x);
	else if (path_is(r, "/metrics") && s->cfg->metrics_on_content)
		serve_metrics(x, s);
	else if (path_is(r, "/metrics"))
		httpd_error(x, 404, "metrics are served on the [metrics] listeners", NULL, false);
	else
		serve_file(x, s, NULL, false);
}

void edge_serve_metrics(struct httpd_exchange *x, void *arg)
{
	struct edge_serve *s = arg;
	const struct http_request *r = x->req;

	if (s->magic != EDGE_SERVE_MAGIC)
		abort();
	if (r->method != HTTP_GET && r->method != HTTP_HEAD)
		httpd_error(x, 405, "this server only reads", "Allow: GET, HEAD\r\n", false);
	else if (path_is(r, "/metrics"))
		serve_metrics(x, s);
	else if (path_is(r, "/healthz"))
		edge_serve_health(x);
	else
		httpd_error(x, 404, "this listener serves /metrics and /healthz", NULL, false);
}
