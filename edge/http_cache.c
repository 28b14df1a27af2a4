/*
 * The generic upstream mode's handler (see http_cache.h): look the target
 * up, answer from the store, or relay to the upstream and store what may
 * be stored.  The rules are http_cache_policy.c's; the entries are
 * http_cache_store.c's.
 */
#include "http_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cache_status.h"
#include "http_cache_policy.h"
#include "http_cache_store.h"
#include "http_cond.h"
#include "http_date.h"
#include "http_range.h"
#include "serve.h"

#define HC_MAGIC      0x48636368U /* "Hcch" */
#define XCHG_MAGIC    0x48637867U /* "Hcxg" */
#define CACHE_NAME    "reel-edge"
#define MAX_FORWARD   96   /* request header lines relayed */
#define HC_TARGET_MAX 8192 /* bytes of "/path?query" (the request line's own limit is lower) */

struct edge_http_cache {
	uint32_t magic;
	struct edge_http_cache_config cfg;
	struct hc_xchg *pending; /* exchanges waiting for the upstream */
};

enum hc_mode {
	HC_PASS,     /* another method: relay, invalidate after an unsafe one */
	HC_FILL,     /* nothing usable stored: relay, store the answer when allowed */
	HC_VALIDATE, /* a stored response asked about with its validators */
};

/* The request, copied: the connection may go while the upstream answers. */
struct req_copy {
	struct http_request r;
	char *bytes;
};

/* One exchange with the upstream. */
struct hc_xchg {
	uint32_t magic;
	struct edge_http_cache *hc;
	struct hc_xchg *prev, *next;
	struct httpd_deferred *d;
	struct edge_fetch *fetch;
	enum hc_mode mode;
	const char *fwd; /* Cache-Status fwd= of a miss */
	struct req_copy req;
	struct cache_control rcc; /* the request's, Pragma folded in */
	char key[HC_KEY_MAX];
	struct hc_entry stored; /* HC_VALIDATE: what is asked about */
	int64_t request_time;
	int status;
	struct buf head, body; /* the answer's kept header lines and body */
	int64_t head_length;   /* the answer's Content-Length (HEAD), -1 none */
};

/* What is sent to the client. */
struct hc_answer {
	int status;
	const char *head; /* kept lines (no Content-Length) */
	size_t hlen;
	struct hc_body body;
	int64_t age;	     /* -1: no Age line of ours */
	int64_t head_length; /* Content-Length of an answer to HEAD without a body here (-1) */
	bool partial;	     /* BODY is the piece [range_first, ...) of complete_len */
	uint64_t range_first, complete_len;
	bool stored_answer; /* from the store: Content-Range and Age are ours */
	struct cache_status cs;
};

static struct edge_http_cache *hc_of(void *arg)
{
	struct edge_http_cache *hc = arg;

	if (hc->magic != HC_MAGIC)
		abort();
	return hc;
}

static struct hc_xchg *xchg_of(void *arg)
{
	struct hc_xchg *r = arg;

	if (r->magic != XCHG_MAGIC)
		abort();
	return r;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* ---- the request ----------------------------------------------------------------- */

static void rebase(struct http_str *s, const char *start, const char *end, const char *base)
{
	if (s->p >= start && s->p <= end)
		s->p = base + (s->p - start);
	else
		*s = (struct http_str){NULL, 0};
}

/* Copy R's head into C (every field points into C->bytes).  0 or -ENOMEM. */
static int req_copy(struct req_copy *c, const struct http_request *r)
{
	const char *start = r->line.p, *end = r->line.p + r->line.len;
	struct http_str *fields[] = {
	    &c->r.line,
	    &c->r.method_str,
	    &c->r.target,
	    &c->r.path,
	    &c->r.query,
	    &c->r.host,
	    &c->r.range,
	    &c->r.if_range,
	    &c->r.if_none_match,
	    &c->r.if_modified_since,
	    &c->r.if_match,
	    &c->r.if_unmodified_since,
	    &c->r.accept_encoding,
	    &c->r.origin,
	    &c->r.user_agent,
	    &c->r.referer,
	    &c->r.authorization,
	    &c->r.content_type,
	    &c->r.ac_request_method,
	    &c->r.ac_request_headers,
	};

	for (unsigned i = 0; i < r->nheaders; i++)
		if (r->headers[i].value.p + r->headers[i].value.len > end)
			end = r->headers[i].value.p + r->headers[i].value.len;
	if (!(c->bytes = malloc((size_t)(end - start) + 1)))
		return -ENOMEM;
	memcpy(c->bytes, start, (size_t)(end - start));
	c->r = *r;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		rebase(fields[i], start, end, c->bytes);
	for (unsigned i = 0; i < c->r.nheaders; i++) {
		rebase(&c->r.headers[i].name, start, end, c->bytes);
		rebase(&c->r.headers[i].value, start, end, c->bytes);
	}
	return 0;
}

/* The request's Cache-Control, with Pragma: no-cache as no-cache when it has none. */
static void request_cc(const struct http_request *r, struct cache_control *cc)
{
	bool has_cc = false, pragma = false;

	cache_control_init(cc);
	for (unsigned i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];

		if (http_str_ieq(h->name, "Cache-Control")) {
			has_cc = true;
			cache_control_parse(cc, h->value.p, h->value.len);
		} else if (http_str_ieq(h->name, "Pragma") && http_list_has(h->value, "no-cache")) {
			pragma = true;
		}
	}
	if (pragma && !has_cc)
		cc->flags |= CC_NO_CACHE;
}

/* Request fields never relayed: hop-by-hop, framing, and what curl sets itself. */
static bool not_relayed(const struct http_request *r, struct http_str name, bool validating)
{
	static const char *const never[] = {
	    "Connection",	   "Keep-Alive", "Proxy-Connection", "TE",   "Trailer",
	    "Transfer-Encoding",   "Upgrade",	 "Content-Length",   "Host", "Expect",
	    "Proxy-Authorization",
	};
	static const char *const conditional[] = {
	    "If-None-Match",	   "If-Modified-Since", "If-Match",
	    "If-Unmodified-Since", "If-Range",		"Range",
	};
	char tok[64];

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (http_str_ieq(name, never[i]))
			return true;
	for (size_t i = 0; validating && i < sizeof(conditional) / sizeof(conditional[0]); i++)
		if (http_str_ieq(name, conditional[i]))
			return true;
	if (name.len >= sizeof(tok))
		return false;
	memcpy(tok, name.p, name.len);
	tok[name.len] = '\0';
	for (unsigned i = 0; i < r->nheaders; i++)
		if (http_str_ieq(r->headers[i].name, "Connection") &&
		    http_list_has(r->headers[i].value, tok))
			return true;
	return false;
}

/*
 * The header lines relayed for R into LINES (NUL-separated in OUT; LINES
 * points into it, NULL-terminated), with the validators of STORED when
 * validating.  0 or -ENOMEM.
 */
static int relay_lines(const struct http_request *r, const struct hc_entry *stored, struct buf *out,
		       const char *lines[MAX_FORWARD + 5])
{
	size_t offs[MAX_FORWARD + 4], n = 0;
	struct http_str v;
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < r->nheaders && n < MAX_FORWARD; i++) {
		const struct http_header *h = &r->headers[i];

		if (not_relayed(r, h->name, stored != NULL))
			continue;
		offs[n++] = out->len;
		rc = buf_printf(out, "%.*s: %.*s%c", (int)h->name.len, h->name.p, (int)h->value.len,
				h->value.p, 0);
	}
	if (rc == 0) {
		offs[n++] = out->len;
		rc = buf_printf(out, "Surrogate-Capability: %s=\"Surrogate/1.0\"%c",
				HC_SURROGATE_TOKEN, 0);
	}
	if (rc == 0) { /* RFC 9110 section 7.6.3: a gateway says so in what it forwards */
		offs[n++] = out->len;
		rc = buf_printf(out, "Via: 1.%u %s%c", (unsigned)r->version_minor, CACHE_NAME, 0);
	}
	if (rc == 0 && stored && hc_head_get(stored->head, stored->m.head_len, "ETag", &v)) {
		offs[n++] = out->len;
		rc = buf_printf(out, "If-None-Match: %.*s%c", (int)v.len, v.p, 0);
	}
	if (rc == 0 && stored &&
	    hc_head_get(stored->head, stored->m.head_len, "Last-Modified", &v)) {
		offs[n++] = out->len;
		rc = buf_printf(out, "If-Modified-Since: %.*s%c", (int)v.len, v.p, 0);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		lines[i] = out->p + offs[i];
	lines[rc == 0 ? n : 0] = NULL;
	return rc;
}

/*
 * The origin-form target of R ("/path?query", also for an absolute-form
 * request) into OUT: what is relayed and what keys a stored response.
 */
static void target_of(const struct http_request *r, char *out, size_t cap)
{
	snprintf(out, cap, "%.*s%s%.*s", (int)r->path.len, r->path.p, r->query.len ? "?" : "",
		 (int)r->query.len, r->query.p);
}

/* ---- answers --------------------------------------------------------------------- */

static void close_fd(void *arg)
{
	int *fd = arg;

	close(*fd);
	free(fd);
}

/* Is this stored header line one the answer writes itself (STATUS: the answer's)? */
static bool answer_writes(const struct hc_answer *a, int status, struct http_str name)
{
	return a->stored_answer &&
	       (http_str_ieq(name, "Age") ||
		(http_str_ieq(name, "Content-Range") && (status == 206 || status == 416)));
}

static void send_head_lines(struct httpd_exchange *x, const struct hc_answer *a, int status)
{
	bool not_modified = status == 304 || status == 416;
	struct http_str n, v;
	size_t pos = 0;
	char date[HTTP_DATE_LEN + 1];
	bool dated = false;

	while (hc_head_next(a->head, a->hlen, &pos, &n, &v)) {
		if (answer_writes(a, status, n) ||
		    (not_modified &&
		     (http_str_ieq(n, "Content-Type") || http_str_ieq(n, "Content-Encoding"))))
			continue;
		dated |= http_str_ieq(n, "Date");
		httpd_headerf(x, "%.*s: %.*s\r\n", (int)n.len, n.p, (int)v.len, v.p);
	}
	if (!dated) {
		http_date_format(time(NULL), date);
		date[HTTP_DATE_LEN] = '\0';
		httpd_headerf(x, "Date: %s\r\n", date);
	}
	if (a->age >= 0)
		httpd_headerf(x, "Age: %lld\r\n", (long long)a->age);
}

static void send_cache_status(struct httpd_exchange *x, const struct hc_answer *a)
{
	struct buf st = {0};

	if (cache_status_write(&st, &a->cs) == 0)
		httpd_headerf(x, "Cache-Status: %.*s\r\n", (int)st.len, st.p);
	buf_free(&st);
}

/* The body part [OFF, OFF+LEN) of A's body; a file's goes with *HOLD, taken. */
static void send_body(struct httpd_exchange *x, struct hc_answer *a, uint64_t off, uint64_t len,
		      int **hold)
{
	int *fd = *hold;

	if (a->body.mem) {
		httpd_body_mem(x, (const char *)a->body.mem + off, (size_t)len);
		return;
	}
	*hold = NULL;
	*fd = a->body.fd;
	a->body.fd = -1; /* the answer's now */
	httpd_body_file(x, *fd, a->body.off + off, len);
	httpd_hold(x, close_fd, fd);
}

/* The client's preconditions against A: true when answered (304 or 412). */
static bool answered_precondition(struct httpd_exchange *x, const struct http_request *req,
				  struct hc_answer *a)
{
	struct http_validators v = {.last_modified = -1};
	struct http_str et, lm;
	time_t t;

	if (a->status != 200 || (req->method != HTTP_GET && req->method != HTTP_HEAD))
		return false;
	if (hc_head_get(a->head, a->hlen, "ETag", &et)) {
		v.etag[0] = et.p;
		v.etag_len[0] = et.len;
	}
	if (hc_head_get(a->head, a->hlen, "Last-Modified", &lm) &&
	    http_date_parse(lm.p, lm.len, &t) == 0)
		v.last_modified = t;
	switch (http_preconditions(req, &v, NULL)) {
	case HTTP_PRECOND_NOT_MODIFIED:
		httpd_begin_relayed(x, 304);
		send_head_lines(x, a, 304);
		send_cache_status(x, a);
		httpd_end_head(x, -1);
		return true;
	case HTTP_PRECOND_FAILED:
		httpd_error(x, 412, "a precondition failed", NULL, false);
		return true;
	default:
		return false;
	}
}

/* A's body as a whole, or the range REQ asks for: the status, *OFF and *LEN. */
static int pick_range(const struct http_request *req, const struct hc_answer *a, uint64_t *off,
		      uint64_t *len, struct http_range *rg)
{
	uint64_t total = a->partial ? a->complete_len : a->body.len;
	unsigned n = 0;

	*off = 0;
	*len = a->body.len;
	if (a->status != 200 && !(a->status == 206 && a->partial))
		return a->status;
	if (!req->range.len)
		return a->status;
	switch (http_range_parse(req->range.p, req->range.len, total, rg, 1, &n)) {
	case HTTP_RANGE_OK:
		if (rg->first < (a->partial ? a->range_first : 0) ||
		    rg->last >= (a->partial ? a->range_first : 0) + a->body.len)
			return a->status; /* not in the piece: cannot happen after covers() */
		*off = rg->first - (a->partial ? a->range_first : 0);
		*len = rg->last - rg->first + 1;
		return 206;
	case HTTP_RANGE_UNSATISFIABLE:
		return a->partial ? a->status : 416;
	default:
		return a->status;
	}
}

static bool no_body_status(int status)
{
	return status == 204 || status == 304 || (status >= 100 && status < 200);
}

/* answer() once the file's holder is there (*HOLD, taken when the file is sent). */
static void answer_parts(struct httpd_exchange *x, const struct http_request *req,
			 struct hc_answer *a, int **hold)
{
	struct http_range rg = {0};
	struct http_validators v = {.last_modified = -1};
	struct http_str et;
	uint64_t off, len;
	int status;

	if (answered_precondition(x, req, a))
		return;
	if (hc_head_get(a->head, a->hlen, "ETag", &et)) {
		v.etag[0] = et.p;
		v.etag_len[0] = et.len;
	}
	status = (a->stored_answer && (a->status == 200 || a->partial) && http_if_range(req, &v))
		     ? pick_range(req, a, &off, &len, &rg)
		     : (off = 0, len = a->body.len, a->status);
	if (status == 416) {
		httpd_begin_relayed(x, 416);
		send_head_lines(x, a, 416);
		httpd_headerf(x, "Content-Range: bytes */%llu\r\n",
			      (unsigned long long)a->body.len);
		httpd_end_head(x, 0);
		return;
	}
	httpd_begin_relayed(x, status);
	send_head_lines(x, a, status);
	if (a->stored_answer && status == 206)
		httpd_headerf(x, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)rg.first, (unsigned long long)rg.last,
			      (unsigned long long)(a->partial ? a->complete_len : a->body.len));
	send_cache_status(x, a);
	if (no_body_status(status)) {
		httpd_end_head(x, -1);
		return;
	}
	if (req->method == HTTP_HEAD && a->head_length >= 0 && len == 0) {
		httpd_end_head(x, a->head_length);
		return;
	}
	httpd_end_head(x, (int64_t)len);
	if (len && req->method != HTTP_HEAD)
		send_body(x, a, off, len, hold);
}

/* Answer X with A (ranges and preconditions of REQ applied to a 200). */
static void answer(struct httpd_exchange *x, const struct http_request *req, struct hc_answer *a)
{
	int *hold = NULL;

	if (!a->body.mem && !(hold = malloc(sizeof(*hold)))) {
		httpd_error(x, 503, "out of memory", NULL, false);
		return;
	}
	answer_parts(x, req, a, &hold);
	free(hold);
}

/*
 * The answer from stored entry E (its file passes to the answer): a hit,
 * or with FWD (and FWD_STATUS, DETAIL: may be 0 and NULL) what was asked.
 */
static void answer_stored(struct httpd_exchange *x, const struct http_request *req,
			  struct hc_entry *e, const char *fwd, int fwd_status, const char *detail)
{
	struct hc_times t = {e->m.status, e->m.request_time, e->m.response_time};
	struct hc_answer a = {
	    .status = e->m.status,
	    .head = e->head,
	    .hlen = e->m.head_len,
	    .body = {NULL, e->fd, e->body_off, e->body_len},
	    .age = hc_current_age(e->head, e->m.head_len, &t, now_s()),
	    .head_length = -1,
	    .partial = e->m.partial,
	    .range_first = e->m.range_first,
	    .complete_len = e->m.complete_len,
	    .stored_answer = true,
	    .cs = {.name = CACHE_NAME, .hit = fwd == NULL, .fwd_status = fwd_status},
	};

	if (fwd)
		snprintf(a.cs.fwd, sizeof(a.cs.fwd), "%s", fwd);
	if (detail)
		snprintf(a.cs.detail, sizeof(a.cs.detail), "%s", detail);
	x->cache_status = fwd ? (fwd_status ? "REVALIDATED" : "STALE") : "HIT";
	answer(x, req, &a);
	if (a.body.fd < 0)
		e->fd = -1; /* the answer holds it */
}

/* ---- the exchange with the upstream --------------------------------------------------- */

static void xchg_free(struct hc_xchg *r)
{
	struct edge_http_cache *hc = r->hc;

	if (r->prev)
		r->prev->next = r->next;
	else if (hc->pending == r)
		hc->pending = r->next;
	if (r->next)
		r->next->prev = r->prev;
	hc_entry_close(&r->stored);
	free(r->req.bytes);
	buf_free(&r->head);
	buf_free(&r->body);
	r->magic = 0;
	free(r);
}

static int relay_head(void *arg, int status, const char *head, size_t len)
{
	struct hc_xchg *r = xchg_of(arg);
	struct http_str v;
	int rc;

	r->status = status;
	if (hc_head_get(head, len, "Content-Length", &v) && v.len && v.len < 20) {
		char num[24];

		snprintf(num, sizeof(num), "%.*s", (int)v.len, v.p);
		r->head_length = strtoll(num, NULL, 10);
	}
	if ((rc = hc_head_storable(head, len, &r->head)) != 0)
		return rc;
	if (!hc_head_get(head, len, "Date", &v)) {
		char date[HTTP_DATE_LEN + 1];

		http_date_format(time(NULL), date);
		date[HTTP_DATE_LEN] = '\0';
		rc = buf_printf(&r->head, "Date: %s\r\n", date);
	}
	return rc;
}

static int relay_data(void *arg, const void *p, size_t n)
{
	struct hc_xchg *r = xchg_of(arg);

	if (r->body.len + n > HC_BODY_MAX)
		return -EFBIG;
	if (buf_reserve(&r->body, n) != 0)
		return -ENOMEM;
	memcpy(r->body.p + r->body.len, p, n);
	r->body.len += n;
	return 0;
}

/* A 206's piece: its first byte and the whole length, from Content-Range.  False when unusable. */
static bool partial_piece(const char *h, size_t len, uint64_t body_len, uint64_t *first,
			  uint64_t *complete)
{
	unsigned long long a, b, l;
	struct http_str v;
	char cr[128];
	int end = 0;

	if (!hc_head_get(h, len, "Content-Range", &v) || v.len >= sizeof(cr))
		return false;
	snprintf(cr, sizeof(cr), "%.*s", (int)v.len, v.p);
	if (sscanf(cr, "bytes %llu-%llu/%llu%n", &a, &b, &l, &end) != 3 || cr[end] != '\0' ||
	    b < a || b >= l || b - a + 1 != body_len)
		return false;
	*first = a;
	*complete = l;
	return true;
}

/* Store R's answer under R->key when the rules allow: true when stored. */
static bool store_answer(struct hc_xchg *r)
{
	struct hc_meta m = {
	    .status = r->status, .request_time = r->request_time, .response_time = now_s()};
	struct hc_body b = {r->body.p ? r->body.p : "", -1, 0, r->body.len};
	struct buf vary = {0};
	bool ok;

	if (r->req.r.method != HTTP_GET || !hc_storable(r->status, r->head.p, r->head.len, &r->rcc,
							r->req.r.authorization.len > 0))
		return false;
	if (r->status == 206 && !(m.partial = partial_piece(r->head.p, r->head.len, r->body.len,
							    &m.range_first, &m.complete_len)))
		return false;
	ok = hc_vary_capture(r->head.p, r->head.len, &r->req.r, &vary) == 0 &&
	     hc_entry_store(r->hc->cfg.cache, r->key, &m, r->head.p, r->head.len,
			    vary.p ? vary.p : "", vary.len, &b) == 0;
	buf_free(&vary);
	return ok;
}

/*
 * A 304 to a validation: the stored entry with its header lines updated,
 * stored again and reopened into R->stored.  0 or a negative errno.
 */
static int freshen(struct hc_xchg *r)
{
	struct hc_entry *e = &r->stored;
	struct hc_meta m = e->m;
	struct hc_body b = {NULL, e->fd, e->body_off, e->body_len};
	struct buf head = {0};
	int rc;

	m.request_time = r->request_time;
	m.response_time = now_s();
	if ((rc = hc_head_update(e->head, e->m.head_len, r->head.p ? r->head.p : "", r->head.len,
				 &head)) == 0)
		rc = hc_entry_store(r->hc->cfg.cache, r->key, &m, head.p, head.len,
				    e->head + e->m.head_len, e->m.vary_len, &b);
	buf_free(&head);
	hc_entry_close(e);
	return rc == 0 ? hc_entry_open(r->hc->cfg.cache, r->key, e) : rc;
}

/* The target of a Location or Content-Location of R's answer, as a key: false when another
 * origin's. */
static bool location_key(const struct hc_xchg *r, const char *field, char key[HC_KEY_MAX])
{
	struct http_str v, host = r->req.r.host;
	const char *p;
	size_t n;

	if (!hc_head_get(r->head.p ? r->head.p : "", r->head.len, field, &v) || !v.len)
		return false;
	p = v.p;
	n = v.len;
	if (n > 7 && strncasecmp(p, "http://", 7) == 0) {
		if (n - 7 < host.len || strncasecmp(p + 7, host.p, host.len) != 0 ||
		    (n - 7 > host.len && p[7 + host.len] != '/'))
			return false;
		p += 7 + host.len;
		n -= 7 + host.len;
	}
	if (!n || p[0] != '/')
		return false;
	hc_key(p, n, key);
	return true;
}

/* After an unsafe method's 2xx or 3xx: the target and its locations are stale now. */
static void invalidate(struct hc_xchg *r)
{
	static const char *const fields[] = {"Location", "Content-Location"};
	char key[HC_KEY_MAX];

	hc_entry_remove(r->hc->cfg.cache, r->key);
	for (size_t i = 0; i < 2; i++)
		if (location_key(r, fields[i], key))
			hc_entry_remove(r->hc->cfg.cache, key);
}

static bool unsafe(enum http_method m)
{
	return m != HTTP_GET && m != HTTP_HEAD && m != HTTP_OPTIONS && m != HTTP_TRACE;
}

/* Answer R's client with the upstream's answer (STORED: it was stored). */
static void answer_relayed(struct httpd_exchange *x, struct hc_xchg *r, bool stored)
{
	struct hc_answer a = {
	    .status = r->status,
	    .head = r->head.p ? r->head.p : "",
	    .hlen = r->head.len,
	    .body = {r->body.p ? r->body.p : "", -1, 0, r->body.len},
	    .age = -1,
	    .head_length = r->head_length,
	    .cs = {.name = CACHE_NAME, .stored = stored, .fwd_status = r->status},
	};

	snprintf(a.cs.fwd, sizeof(a.cs.fwd), "%s", r->mode == HC_VALIDATE ? "stale" : r->fwd);
	x->cache_status = r->mode == HC_PASS ? "-" : "MISS";
	answer(x, &r->req.r, &a);
}

/* The upstream failed (RESULT): the stored response when allowed, else 502 or 504. */
static void answer_failed(struct httpd_exchange *x, struct hc_xchg *r, int result)
{
	struct cache_control cc;

	if (r->mode == HC_VALIDATE) {
		hc_head_cache_control(r->stored.head, r->stored.m.head_len, &cc);
		if (!(cc.flags & (CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE | CC_NO_CACHE)) &&
		    cc.s_maxage == CC_UNSET && !(r->rcc.flags & CC_NO_CACHE)) {
			answer_stored(x, &r->req.r, &r->stored, "stale", 0, "upstream-unreachable");
			return;
		}
	}
	/* a stored response that must be revalidated first: 504 (RFC 9111 section 5.2.2.2) */
	httpd_error(x, result == -ETIMEDOUT || r->mode == HC_VALIDATE ? 504 : 502,
		    result == -EFBIG ? "the upstream's answer is too large"
				     : "the upstream did not answer",
		    NULL, false);
}

static void relay_done(void *arg, int result, int status)
{
	struct hc_xchg *r = xchg_of(arg);
	struct httpd_exchange *x;
	bool stored = false;

	r->fetch = NULL;
	if (result == 0 && r->mode == HC_PASS && unsafe(r->req.r.method) && r->status >= 200 &&
	    r->status < 400)
		invalidate(r);
	if (result == 0 && r->mode == HC_VALIDATE && r->status == 304 && freshen(r) != 0)
		result = -EIO;
	if (result == 0 && r->mode != HC_PASS && r->status != 304)
		stored = store_answer(r);
	if (result == 0 && r->mode == HC_VALIDATE && r->status != 304 && !stored && r->status < 500)
		hc_entry_remove(r->hc->cfg.cache, r->key); /* replaced by something not kept */
	if ((x = httpd_resume(r->d)) != NULL) {
		if (result != 0)
			answer_failed(x, r, result);
		else if (r->mode == HC_VALIDATE && r->status == 304)
			answer_stored(x, &r->req.r, &r->stored, "stale", 304, NULL);
		else
			answer_relayed(x, r, stored);
		httpd_resume_done(x);
	}
	xchg_free(r);
}

static const struct edge_relay_ops relay_ops = {relay_head, relay_data, relay_done};

/*
 * Relay X's request in MODE (with STORED, whose ownership passes on, when
 * validating); the answer comes later.
 */
static void relay(struct edge_http_cache *hc, struct httpd_exchange *x, enum hc_mode mode,
		  const char *fwd, struct hc_entry *stored, const struct cache_control *rcc)
{
	const char *lines[MAX_FORWARD + 5];
	struct hc_xchg *r = calloc(1, sizeof(*r));
	struct buf hdrs = {0};
	char target[HC_TARGET_MAX], method[32];
	struct edge_relay_request rq = {method, target, lines, x->body, x->body_len};
	struct req_copy copy;

	if (!r || req_copy(&copy, x->req) != 0) {
		free(r);
		if (stored)
			hc_entry_close(stored);
		httpd_error(x, 503, "out of memory", NULL, false);
		return;
	}
	*r = (struct hc_xchg){.magic = XCHG_MAGIC,
			      .hc = hc,
			      .mode = mode,
			      .fwd = fwd,
			      .req = copy,
			      .request_time = now_s(),
			      .head_length = -1};
	r->stored = stored ? *stored : (struct hc_entry){.fd = -1};
	if (rcc)
		r->rcc = *rcc;
	else
		request_cc(&r->req.r, &r->rcc);
	target_of(&r->req.r, target, sizeof(target));
	hc_key(target, strlen(target), r->key);
	r->next = hc->pending;
	if (hc->pending)
		hc->pending->prev = r;
	hc->pending = r;
	snprintf(method, sizeof(method), "%.*s", (int)x->req->method_str.len, x->req->method_str.p);
	if (relay_lines(x->req, stored ? &r->stored : NULL, &hdrs, lines) != 0 ||
	    !(r->d = httpd_defer(x))) {
		buf_free(&hdrs);
		xchg_free(r);
		httpd_error(x, 503, "out of memory", NULL, false);
		return;
	}
	r->fetch = edge_upstream_relay(hc->cfg.upstream, &rq, &relay_ops, r);
	buf_free(&hdrs);
	if (!r->fetch) {
		int err = errno;

		if ((x = httpd_resume(r->d)) != NULL) {
			httpd_error(x, err == EHOSTUNREACH ? 502 : 503,
				    err == EHOSTUNREACH ? "the upstream is unreachable"
							: "cannot reach the upstream",
				    NULL, false);
			httpd_resume_done(x);
		}
		xchg_free(r);
	}
}

/* ---- the handler ------------------------------------------------------------------ */

/* Does the partial entry E hold the one range REQ asks for? */
static bool covers(const struct http_request *req, const struct hc_entry *e)
{
	struct http_range rg;
	unsigned n = 0;

	return req->range.len &&
	       http_range_parse(req->range.p, req->range.len, e->m.complete_len, &rg, 1, &n) ==
		   HTTP_RANGE_OK &&
	       n == 1 && rg.first >= e->m.range_first && rg.last < e->m.range_first + e->body_len;
}

void edge_http_cache_serve(struct httpd_exchange *x, void *arg)
{
	struct edge_http_cache *hc = hc_of(arg);
	const struct http_request *req = x->req;
	struct cache_control rcc;
	struct hc_entry e;
	struct hc_times t;
	char key[HC_KEY_MAX], target[HC_TARGET_MAX];
	enum hc_use use = HC_USE_REFETCH;
	const char *fwd = "uri-miss";
	bool judged = false;

	if (!req->path.len || req->path.p[0] != '/' ||
	    req->path.len + req->query.len + 2 > HC_TARGET_MAX) {
		httpd_error(x, 400, "an origin-form path is needed", NULL, false);
		return;
	}
	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		relay(hc, x, HC_PASS, "method", NULL, NULL);
		return;
	}
	if (req->path.len == 8 && memcmp(req->path.p, "/healthz", 8) == 0) {
		edge_serve_health(x); /* a reserved name here too */
		return;
	}
	request_cc(req, &rcc);
	target_of(req, target, sizeof(target));
	hc_key(target, strlen(target), key);
	if (hc_entry_open(hc->cfg.cache, key, &e) == 0) {
		t = (struct hc_times){e.m.status, e.m.request_time, e.m.response_time};
		if (!hc_vary_match(e.head, e.m.head_len, req, e.head + e.m.head_len, e.m.vary_len))
			fwd = "vary-miss";
		else if (e.m.partial && !covers(req, &e))
			fwd = "partial";
		else {
			use = hc_usable(e.head, e.m.head_len, &t, &rcc, now_s());
			judged = true;
		}
		if (use == HC_USE_VALIDATE && e.m.partial)
			use = HC_USE_REFETCH;
		if (use == HC_USE_FRESH || use == HC_USE_STALE) {
			metrics_add(&hc->cfg.metrics->store_hits, 1);
			answer_stored(x, req, &e, use == HC_USE_STALE ? "stale" : NULL, 0,
				      use == HC_USE_STALE ? "max-stale" : NULL);
			hc_entry_close(&e);
			return;
		}
		if (use == HC_USE_VALIDATE) {
			relay(hc, x, HC_VALIDATE, "stale", &e, &rcc);
			return;
		}
		if (judged)
			fwd = (rcc.flags & CC_NO_CACHE) || rcc.max_age != CC_UNSET ? "request"
										   : "stale";
		hc_entry_close(&e);
	}
	if (rcc.flags & CC_ONLY_IF_CACHED) {
		httpd_error(x, 504, "not in the cache (only-if-cached)", NULL, false);
		return;
	}
	metrics_add(&hc->cfg.metrics->store_misses, 1);
	relay(hc, x, HC_FILL, fwd, NULL, &rcc);
}

struct edge_http_cache *edge_http_cache_new(const struct edge_http_cache_config *cfg)
{
	struct edge_http_cache *hc = calloc(1, sizeof(*hc));

	if (!hc)
		return NULL;
	hc->magic = HC_MAGIC;
	hc->cfg = *cfg;
	return hc;
}

void edge_http_cache_free(struct edge_http_cache *hc)
{
	if (!hc)
		return;
	while (hc->pending) {
		struct hc_xchg *r = hc->pending;
		struct httpd_exchange *x;

		edge_fetch_cancel(r->fetch);
		if ((x = httpd_resume(r->d)) != NULL) {
			httpd_error(x, 502, "shutting down", NULL, true);
			httpd_resume_done(x);
		}
		xchg_free(r);
	}
	hc->magic = 0;
	free(hc);
}
