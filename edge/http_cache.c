/*
 * The generic upstream mode's handler (see http_cache.h): look the target
 * (and its variant) up and answer from the store, or hand the request to
 * an exchange with the upstream (http_cache_xchg.c).  The rules are
 * http_cache_policy.c's; the entries are http_cache_store.c's.
 */
#include "http_cache_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http_cache_policy.h"
#include "http_cache_store.h"
#include "http_cond.h"
#include "http_date.h"
#include "http_range.h"
#include "serve.h"

#define HC_MAGIC 0x48636368U /* "Hcch" */

static struct edge_http_cache *hc_of(void *arg)
{
	struct edge_http_cache *hc = arg;

	if (hc->magic != HC_MAGIC)
		abort();
	return hc;
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
int hc_req_copy(struct req_copy *c, const struct http_request *r)
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

int hc_relay_lines(const struct http_request *r, const struct hc_entry *stored, struct buf *out,
		   const char *lines[HC_MAX_FORWARD + 5])
{
	size_t offs[HC_MAX_FORWARD + 4], n = 0;
	struct http_str v;
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < r->nheaders && n < HC_MAX_FORWARD; i++) {
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

void hc_target_of(const struct http_request *r, char *out, size_t cap)
{
	snprintf(out, cap, "%.*s%s%.*s", (int)r->path.len, r->path.p, r->query.len ? "?" : "",
		 (int)r->query.len, r->query.p);
}

/* ---- invalidation ------------------------------------------------------------------ */

/* The target of a FIELD (Location, Content-Location) of block H, as a key: false when another
 * origin's (HOST: the request's). */
static bool location_key(const char *h, size_t len, struct http_str host, const char *field,
			 char key[HC_KEY_MAX])
{
	struct http_str v;
	const char *p;
	size_t n;

	if (!hc_head_get(h, len, field, &v) || !v.len)
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

void hc_invalidate(struct edge_cache *c, const char *key, const char *h, size_t len,
		   struct http_str host)
{
	static const char *const fields[] = {"Location", "Content-Location"};
	char lkey[HC_KEY_MAX];

	hc_entry_remove(c, key);
	for (size_t i = 0; i < 2; i++)
		if (location_key(h, len, host, fields[i], lkey))
			hc_entry_remove(c, lkey);
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
				  const struct hc_answer *a)
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

bool hc_no_body_status(int status)
{
	return status == 204 || status == 304 || (status >= 100 && status < 200);
}

bool hc_answer_head(struct httpd_exchange *x, const struct http_request *req,
		    const struct hc_answer *a, uint64_t *off, uint64_t *len)
{
	struct http_range rg = {0};
	struct http_validators v = {.last_modified = -1};
	struct http_str et;
	int status;

	if (answered_precondition(x, req, a))
		return false;
	if (hc_head_get(a->head, a->hlen, "ETag", &et)) {
		v.etag[0] = et.p;
		v.etag_len[0] = et.len;
	}
	status = (a->stored_answer && (a->status == 200 || a->partial) && http_if_range(req, &v))
		     ? pick_range(req, a, off, len, &rg)
		     : (*off = 0, *len = a->body.len, a->status);
	if (status == 416) {
		httpd_begin_relayed(x, 416);
		send_head_lines(x, a, 416);
		httpd_headerf(x, "Content-Range: bytes */%llu\r\n",
			      (unsigned long long)a->body.len);
		httpd_end_head(x, 0);
		return false;
	}
	httpd_begin_relayed(x, status);
	send_head_lines(x, a, status);
	if (a->stored_answer && status == 206)
		httpd_headerf(x, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)rg.first, (unsigned long long)rg.last,
			      (unsigned long long)(a->partial ? a->complete_len : a->body.len));
	send_cache_status(x, a);
	if (hc_no_body_status(status)) {
		httpd_end_head(x, -1);
		return false;
	}
	if (req->method == HTTP_HEAD && a->head_length >= 0 && *len == 0) {
		httpd_end_head(x, a->head_length);
		return false;
	}
	httpd_end_head(x, (int64_t)*len);
	return *len && req->method != HTTP_HEAD;
}

/* answer() once the file's holder is there (*HOLD, taken when the file is sent). */
static void answer_parts(struct httpd_exchange *x, const struct http_request *req,
			 struct hc_answer *a, int **hold)
{
	uint64_t off, len;

	if (hc_answer_head(x, req, a, &off, &len))
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
void hc_answer_stored(struct httpd_exchange *x, const struct http_request *req,
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

/* X's answer was given now: the deferred exchange D (NULL: inside the handler) goes on. */
static void answered(struct httpd_exchange *x, struct httpd_deferred *d)
{
	if (d)
		httpd_resume_done(x);
}

/*
 * Open what the store has for REQ under the target's KEY into *E: the
 * response, or the variant the target's variant list names for REQ (its
 * key into SKEY, which is KEY otherwise).  0, or a negative errno (none).
 */
static int open_stored(struct edge_cache *c, const char *key, const struct http_request *req,
		       struct hc_entry *e, char skey[HC_KEY_MAX])
{
	struct buf cap = {0};
	int rc = hc_entry_open(c, key, e);

	snprintf(skey, HC_KEY_MAX, "%s", key);
	if (rc != 0 || !e->m.variants)
		return rc;
	if ((rc = hc_vary_capture(e->head, e->m.head_len, req, &cap)) == 0)
		rc = hc_variant_find(e, key, cap.p ? cap.p : "", cap.len, skey);
	buf_free(&cap);
	hc_entry_close(e);
	return rc == 0 ? hc_entry_open(c, skey, e) : rc;
}

/*
 * Answer X (deferred as D, or NULL) from the stored entry E when it may:
 * true when answered (or relayed to validate it, as RA says).  False when
 * X is a miss (E closed): RA's fwd says why.
 */
static bool answer_entry(struct edge_http_cache *hc, struct httpd_exchange *x,
			 struct httpd_deferred *d, struct hc_entry *e,
			 const struct cache_control *rcc, struct hc_relay_args *ra)
{
	const struct http_request *req = x->req;
	struct hc_times t = {e->m.status, e->m.request_time, e->m.response_time};
	enum hc_use use = HC_USE_REFETCH;
	bool judged = false;

	if (e->m.variants ||
	    !hc_vary_match(e->head, e->m.head_len, req, e->head + e->m.head_len, e->m.vary_len))
		ra->fwd = "vary-miss";
	else if (e->m.partial && !covers(req, e))
		ra->fwd = "partial";
	else {
		use = hc_usable(e->head, e->m.head_len, &t, rcc, now_s());
		judged = true;
	}
	if (use == HC_USE_VALIDATE && e->m.partial)
		use = HC_USE_REFETCH;
	if (use == HC_USE_FRESH || use == HC_USE_STALE) {
		metrics_add(&hc->cfg.metrics->store_hits, 1);
		hc_answer_stored(x, req, e, use == HC_USE_STALE ? "stale" : NULL, 0,
				 use == HC_USE_STALE ? "max-stale" : NULL);
		hc_entry_close(e);
		answered(x, d);
		return true;
	}
	if (use == HC_USE_VALIDATE) {
		ra->mode = HC_VALIDATE;
		ra->fwd = "stale";
		ra->stored = e;
		hc_relay(hc, x, d, ra);
		return true;
	}
	if (judged)
		ra->fwd = (rcc->flags & CC_NO_CACHE) || rcc->max_age != CC_UNSET ? "request" : "stale";
	hc_entry_close(e);
	return false;
}

void hc_serve(struct edge_http_cache *hc, struct httpd_exchange *x, struct httpd_deferred *d,
	      bool collapse)
{
	const struct http_request *req = x->req;
	struct cache_control rcc;
	struct hc_entry e;
	char key[HC_KEY_MAX], skey[HC_KEY_MAX], target[HC_TARGET_MAX];
	struct hc_relay_args ra = {HC_PASS, "method", NULL, &rcc, key, key, collapse};

	request_cc(req, &rcc);
	hc_target_of(req, target, sizeof(target));
	hc_key(target, strlen(target), key);
	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		hc_relay(hc, x, d, &ra);
		return;
	}
	ra.mode = HC_FILL;
	ra.fwd = "uri-miss";
	ra.skey = skey;
	if (open_stored(hc->cfg.cache, key, req, &e, skey) != 0)
		ra.fwd = strcmp(skey, key) != 0 ? "vary-miss" : "uri-miss";
	else if (answer_entry(hc, x, d, &e, &rcc, &ra))
		return;
	if (rcc.flags & CC_ONLY_IF_CACHED) {
		httpd_error(x, 504, "not in the cache (only-if-cached)", NULL, false);
		answered(x, d);
		return;
	}
	metrics_add(&hc->cfg.metrics->store_misses, 1);
	hc_relay(hc, x, d, &ra);
}

void edge_http_cache_serve(struct httpd_exchange *x, void *arg)
{
	struct edge_http_cache *hc = hc_of(arg);
	const struct http_request *req = x->req;

	if (!req->path.len || req->path.p[0] != '/' ||
	    req->path.len + req->query.len + 2 > HC_TARGET_MAX) {
		httpd_error(x, 400, "an origin-form path is needed", NULL, false);
		return;
	}
	if (req->path.len == 8 && memcmp(req->path.p, "/healthz", 8) == 0 &&
	    (req->method == HTTP_GET || req->method == HTTP_HEAD)) {
		edge_serve_health(x); /* a reserved name here too */
		return;
	}
	hc_serve(hc, x, NULL, true);
}

struct edge_http_cache *edge_http_cache_new(const struct edge_http_cache_config *cfg)
{
	struct edge_http_cache *hc = calloc(1, sizeof(*hc));

	if (!hc)
		return NULL;
	hc->magic = HC_MAGIC;
	hc->cfg = *cfg;
	if (hc_remote_start(hc) != 0) {
		edge_http_cache_free(hc);
		return NULL;
	}
	return hc;
}

void edge_http_cache_free(struct edge_http_cache *hc)
{
	if (!hc)
		return;
	hc_xchg_stop_all(hc);
	hc->magic = 0;
	free(hc);
}
