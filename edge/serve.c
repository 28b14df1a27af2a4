/*
 * The edge's request handler.  For an object it emits, in order:
 *
 *   HTTP/1.1 200 OK | 206 Partial Content | 304 Not Modified | 416 ...
 *   Server, Date                               (httpd core)
 *   Content-Type, ETag, Last-Modified, Cache-Control, Accept-Ranges,
 *   Vary, Access-Control-*                     (prebuilt per cached file)
 *   Content-Range | Content-Encoding           (per request)
 *   Content-Length, Connection                 (httpd core)
 *
 * A single range is a 206 with Content-Range; several are one
 * multipart/byteranges body whose parts are
 *   CRLF "--" boundary CRLF Content-Type CRLF Content-Range CRLF CRLF data
 * closed by CRLF "--" boundary "--" CRLF.
 */
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_status.h"
#include "http_accept.h"
#include "http_cond.h"
#include "http_date.h"
#include "http_path.h"
#include "http_range.h"
#include "master_filter.h"

#define ALLOW		"Allow: GET, HEAD, OPTIONS\r\n"
#define MAX_RANGES_HARD 256

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

/* The validators of F: the identity ETag first, then the gzip form's. */
static struct http_validators file_validators(const struct edge_file *f)
{
	return (struct http_validators){
	    .etag = {f->etag, f->gz ? f->gz_etag : NULL},
	    .etag_len = {f->etag_len, f->gz ? f->gz_etag_len : 0},
	    .last_modified = f->mtime,
	};
}

/* CORS for an origin list; Cache-Status for an object of the store. */
static void object_extras(struct httpd_exchange *x, const struct edge_serve *s)
{
	cors_dynamic(x, s);
	if (!s->index)
		return;
	if (strcmp(x->cache_status, "STALE") == 0)
		httpd_header(x, EDGE_CACHE_STATUS_STALE, strlen(EDGE_CACHE_STATUS_STALE));
	else
		httpd_header(x, EDGE_CACHE_STATUS_HIT, strlen(EDGE_CACHE_STATUS_HIT));
}

/* Status line, the object's prebuilt header block HDR, and object_extras(). */
static void begin_object(struct httpd_exchange *x, const struct edge_serve *s, int status,
			 const struct buf *hdr)
{
	httpd_begin(x, status);
	httpd_header(x, hdr->p, hdr->len);
	object_extras(x, s);
}

/*
 * RFC 9110 13.2.2: answer 412 or 304 when a precondition of the request
 * fails against V; HDRS[i] is the header block of the representation
 * V->etag[i] names.  Returns true when it answered.
 */
static bool answer_preconditions(struct httpd_exchange *x, const struct edge_serve *s,
				 const struct http_validators *v, const struct buf *const *hdrs)
{
	unsigned which;

	switch (http_preconditions(x->req, v, &which)) {
	case HTTP_PRECOND_PASS:
		return false;
	case HTTP_PRECOND_FAILED: /* for GET and HEAD: If-Match, or without it If-Unmodified-Since
				   */
		httpd_error(x, 412,
			    x->req->if_match.p ? "If-Match names no current entity-tag"
					       : "modified since If-Unmodified-Since",
			    NULL, false);
		return true;
	case HTTP_PRECOND_NOT_MODIFIED:
		begin_object(x, s, 304, hdrs[which]);
		httpd_end_head(x, -1);
		return true;
	}
	return false;
}

static void send_body(struct httpd_exchange *x, const struct edge_file *f, uint64_t off,
		      uint64_t len)
{
	if (f->data)
		httpd_body_mem(x, f->data + off, len);
	else
		httpd_body_file(x, f->fd, off, len);
}

static void serve_ranges(struct httpd_exchange *x, const struct edge_serve *s,
			 const struct edge_file *f, const struct http_range *rg, unsigned n)
{
	char part[256];
	uint64_t total = 0;
	int plen[MAX_RANGES_HARD];
	const char *after_type;

	if (n == 1) {
		begin_object(x, s, 206, &f->hdr);
		httpd_headerf(x, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)rg[0].first, (unsigned long long)rg[0].last,
			      (unsigned long long)f->size);
		httpd_end_head(x, (int64_t)(rg[0].last - rg[0].first + 1));
		send_body(x, f, rg[0].first, rg[0].last - rg[0].first + 1);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		plen[i] = snprintf(part, sizeof(part),
				   "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes "
				   "%llu-%llu/%llu\r\n\r\n",
				   s->boundary, f->content_type, (unsigned long long)rg[i].first,
				   (unsigned long long)rg[i].last, (unsigned long long)f->size);
		total += (uint64_t)plen[i] + rg[i].last - rg[i].first + 1;
	}
	total += 8 + strlen(s->boundary);
	/* every header but the first, Content-Type, which the parts carry */
	after_type = memchr(f->hdr.p, '\n', f->hdr.len) + 1;
	httpd_begin(x, 206);
	httpd_header(x, after_type, f->hdr.len - (size_t)(after_type - f->hdr.p));
	object_extras(x, s);
	httpd_headerf(x, "Content-Type: multipart/byteranges; boundary=%s\r\n", s->boundary);
	httpd_end_head(x, (int64_t)total);
	for (unsigned i = 0; i < n; i++) {
		snprintf(
		    part, sizeof(part),
		    "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
		    s->boundary, f->content_type, (unsigned long long)rg[i].first,
		    (unsigned long long)rg[i].last, (unsigned long long)f->size);
		httpd_body_mem(x, part, (size_t)plen[i]);
		send_body(x, f, rg[i].first, rg[i].last - rg[i].first + 1);
	}
	snprintf(part, sizeof(part), "\r\n--%s--\r\n", s->boundary);
	httpd_body_mem(x, part, 8 + strlen(s->boundary));
}

static void serve_object(struct httpd_exchange *x, const struct edge_serve *s,
			 const struct edge_file *f)
{
	const struct http_request *r = x->req;
	struct http_range rg[MAX_RANGES_HARD];
	struct http_validators v = file_validators(f);
	const struct buf *hdrs[HTTP_VALIDATOR_ETAGS] = {&f->hdr, &f->gz_hdr};
	unsigned n = 0;
	bool use_gz;

	if (answer_preconditions(x, s, &v, hdrs))
		return;
	if (r->range.p && http_if_range(r, &v)) {
		switch (http_range_parse(r->range.p, r->range.len, f->size, rg, s->cfg->max_ranges,
					 &n)) {
		case HTTP_RANGE_OK:
			serve_ranges(x, s, f, rg, n);
			return;
		case HTTP_RANGE_UNSATISFIABLE:
			begin_object(x, s, 416, &f->hdr);
			httpd_headerf(x, "Content-Range: bytes */%llu\r\n",
				      (unsigned long long)f->size);
			httpd_end_head(x, 0);
			return;
		case HTTP_RANGE_IGNORE:
			break;
		}
	}
	use_gz = f->gz && r->accept_encoding.p &&
		 http_accepts_gzip(r->accept_encoding.p, r->accept_encoding.len);
	begin_object(x, s, 200, use_gz ? &f->gz_hdr : &f->hdr);
	if (use_gz) {
		httpd_end_head(x, (int64_t)f->gz_len);
		httpd_body_mem(x, f->gz, f->gz_len);
	} else {
		httpd_end_head(x, (int64_t)f->size);
		send_body(x, f, 0, f->size);
	}
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

/* The height a rendition folder names ("720p", "1080p_6000k"), or 0. */
static unsigned folder_height(const char *seg)
{
	unsigned h = 0;
	const char *p = seg;

	while (*p >= '0' && *p <= '9' && h < 100000)
		h = h * 10 + (unsigned)(*p++ - '0');
	return p > seg && *p == 'p' && (p[1] == '/' || p[1] == '_') ? h : 0;
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
	if (title_end && (h = folder_height(title_end + 1)) > c->max_height) {
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
	v->removed = edge_master_filter(f->data, f->size, maxh, &v->body);
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
static bool serve_master_variant(struct httpd_exchange *x, const struct edge_serve *s,
				 struct edge_file *f, const struct stream_claims *c)
{
	const struct edge_variant *v = master_variant(s, f, c->max_height);
	const struct buf *hdrs[HTTP_VALIDATOR_ETAGS] = {&v->hdr, NULL};
	struct http_validators val = {.last_modified = f->mtime};

	if (v->removed == 0 || v->removed == -EINVAL)
		return false; /* all of it applies, or it is no master playlist */
	if (v->removed < 0) {
		httpd_error(x, v->removed == -ENOENT ? 403 : 500,
			    v->removed == -ENOENT ? "no rendition within the height the plan allows"
						  : "cannot filter the master playlist",
			    NULL, false);
		return true;
	}
	val.etag[0] = strstr(v->hdr.p, "ETag: ") + 6;
	val.etag_len[0] = strcspn(val.etag[0], "\r");
	if (answer_preconditions(x, s, &val, hdrs))
		return true;
	begin_object(x, s, 200, &v->hdr);
	httpd_end_head(x, (int64_t)v->body.len);
	httpd_body_mem(x, v->body.p, v->body.len);
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
	serve_object(x, s, f);
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
