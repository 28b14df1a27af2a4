/*
 * The generic upstream mode's exchanges with the upstream (see
 * http_cache.h): the request relayed, the answer written to a temporary
 * file of the store as it arrives and stored from it when the rules
 * allow, and the clients that read it from that file at their own pace,
 * this worker's directly and other workers' through the table of fetches
 * in flight (inflight.h), which the first request of a collapsible miss
 * claims.
 */
#include "http_cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http_cache_policy.h"
#include "http_date.h"
#include "pull.h"

#define XCHG_MAGIC   0x48637867U /* "Hcxg" */
#define READER_MAGIC 0x48637264U /* "Hcrd" */
#define RESCAN_MS    500	 /* remote readers are looked at this often even unwoken */
#define NOT_SHARED   (-EAGAIN)	 /* an answer the waiters may not have: each fetches its own */

/* One exchange with the upstream. */
struct hc_xchg {
	uint32_t magic;
	struct edge_http_cache *hc;
	struct hc_xchg *prev, *next;
	struct edge_fetch *fetch;
	enum hc_mode mode;
	const char *fwd; /* Cache-Status fwd= of a miss */
	struct req_copy req;
	struct cache_control rcc; /* the request's, Pragma folded in */
	char key[HC_KEY_MAX];	  /* the target's */
	char skey[HC_KEY_MAX];	  /* the validated entry's, or the variant's a miss is for */
	struct hc_entry stored;	  /* HC_VALIDATE: what is asked about */
	int64_t request_time;
	int status;
	struct buf head, vary; /* the answer's kept header lines; the request lines its Vary names */
	int64_t head_length;   /* the answer's Content-Length, -1 none */
	bool have_head, storable, dirty;
	struct hc_meta m;	/* the answer's record once its head is in */
	int64_t body_len;	/* -1: not known until the end */
	struct edge_tmp *tmp;	/* the header blocks, then the body; NULL when no body comes */
	uint64_t avail;		/* bytes of the file readers may send */
	bool shared, noted;	/* claimed in the table of fetches in flight, as REF; told M */
	struct edge_inflight_ref ref;
	enum edge_inflight_state state;
	int result;
	struct event *notify;
	struct hc_reader *readers;
};

/* A client answered from an exchange's file as it arrives. */
struct hc_reader {
	uint32_t magic;
	struct edge_http_cache *hc;
	struct hc_reader *next; /* in its exchange's readers, or in hc->remote */
	struct hc_xchg *xg;	/* this worker's exchange, until it ends */
	bool remote;		/* another worker's, through REF */
	struct edge_inflight_ref ref;
	bool final; /* the source is gone: FIN tells how it ended */
	struct edge_inflight_view fin;
	struct httpd_deferred *d;
	struct req_copy req;
	bool own; /* the request the exchange was made for */
	bool head_sent, part_out;
	int fd;	     /* the file, until the answer holds it (-1) */
	int body_fd; /* the same, held by the answer once the head is out */
	uint64_t sent, end;
	char key[HC_KEY_MAX]; /* remote: where the answer is stored */
	struct hc_meta m;     /* remote: the answer's record, once noted */
	bool have_m;
	char *blocks; /* remote: its header blocks, read from the file */
};

/* What a reader sees of its source. */
struct hc_view {
	enum edge_inflight_state state;
	int result;
	const struct hc_meta *m; /* NULL: no head yet */
	const char *head, *vary;
	int64_t body_len; /* -1: not known yet */
	uint64_t avail;	  /* bytes of the file that may be sent */
};

static struct hc_xchg *xchg_of(void *arg)
{
	struct hc_xchg *g = arg;

	if (g->magic != XCHG_MAGIC)
		abort();
	return g;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static uint64_t body_off(const struct hc_meta *m)
{
	return (uint64_t)m->head_len + m->vary_len;
}

/* ---- storing ------------------------------------------------------------------------ */

/* A 206's piece: its first byte and the whole length, from Content-Range.  False when unusable. */
static bool partial_piece(const char *h, size_t len, int64_t body_len, uint64_t *first,
			  uint64_t *complete)
{
	unsigned long long a, b, l;
	struct http_str v;
	char cr[128];
	int end = 0;

	if (body_len < 0 || !hc_head_get(h, len, "Content-Range", &v) || v.len >= sizeof(cr))
		return false;
	snprintf(cr, sizeof(cr), "%.*s", (int)v.len, v.p);
	if (sscanf(cr, "bytes %llu-%llu/%llu%n", &a, &b, &l, &end) != 3 || cr[end] != '\0' ||
	    b < a || b >= l || b - a + 1 != (uint64_t)body_len)
		return false;
	*first = a;
	*complete = l;
	return true;
}

/* May G's answer be stored (its record's partial piece set when a 206)? */
static bool may_store(struct hc_xchg *g)
{
	struct hc_meta *m = &g->m;

	if (g->req.r.method != HTTP_GET || g->mode == HC_PASS || g->status == 304 ||
	    !hc_storable(g->status, g->head.p, g->head.len, &g->rcc,
			 g->req.r.authorization.len > 0))
		return false;
	return g->status != 206 || (m->partial = partial_piece(g->head.p, g->head.len, g->body_len,
							       &m->range_first, &m->complete_len));
}

/* Store G's answer from its file (which this takes): true when stored. */
static bool store_answer(struct hc_xchg *g)
{
	struct edge_tmp *t = g->tmp;

	g->tmp = NULL;
	g->m.response_time = now_s();
	return hc_entry_commit_target(g->hc->cfg.cache, t, g->key, &g->m, g->head.p ? g->head.p : "",
				      g->head.len, g->vary.p ? g->vary.p : "", g->vary.len,
				      strcmp(g->skey, g->key) != 0) == 0;
}

/*
 * A 304 to a validation: the stored entry with its header lines updated,
 * stored again and reopened into G->stored.  0 or a negative errno.
 */
static int freshen(struct hc_xchg *g)
{
	struct hc_entry *e = &g->stored;
	struct hc_meta m = e->m;
	struct hc_body b = {NULL, e->fd, e->body_off, e->body_len};
	struct buf head = {0};
	int rc;

	m.request_time = g->request_time;
	m.response_time = now_s();
	if ((rc = hc_head_update(e->head, e->m.head_len, g->head.p ? g->head.p : "", g->head.len,
				 &head)) == 0)
		rc = hc_entry_store(g->hc->cfg.cache, g->skey, &m, head.p, head.len,
				    e->head + e->m.head_len, e->m.vary_len, &b);
	buf_free(&head);
	hc_entry_close(e);
	return rc == 0 ? hc_entry_open(g->hc->cfg.cache, g->skey, e) : rc;
}

static bool unsafe(enum http_method m)
{
	return m != HTTP_GET && m != HTTP_HEAD && m != HTTP_OPTIONS && m != HTTP_TRACE;
}

/* ---- readers ------------------------------------------------------------------------ */

static void reader_pump(struct hc_reader *r);

static void reader_free(struct hc_reader *r)
{
	struct hc_reader **pp = r->xg ? &r->xg->readers : &r->hc->remote;

	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	if (r->xg && !r->xg->dirty && r->xg->notify) {
		r->xg->dirty = true; /* an exchange nobody reads may end */
		event_active(r->xg->notify, EV_TIMEOUT, 0);
	}
	if (r->fd >= 0)
		close(r->fd);
	free(r->req.bytes);
	free(r->blocks);
	r->magic = 0;
	free(r);
}

static struct hc_reader *reader_new(struct edge_http_cache *hc, struct httpd_deferred *d,
				    const struct http_request *req)
{
	struct hc_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (hc_req_copy(&r->req, req) != 0) {
		free(r);
		return NULL;
	}
	r->magic = READER_MAGIC;
	r->hc = hc;
	r->d = d;
	r->fd = r->body_fd = -1;
	return r;
}

static void reader_attach(struct hc_reader *r, struct hc_xchg *g)
{
	r->xg = g;
	r->next = g->readers;
	g->readers = r;
	if (g->tmp)
		r->fd = dup(g->tmp->fd);
}

/*
 * The upstream failed (RESULT) for X's request: the stored response of G
 * (the exchange X's request made; NULL for a reader that joined it) when
 * it may answer, else 502, 503 or 504.
 */
static void answer_failed(struct httpd_exchange *x, struct hc_xchg *g,
			  const struct http_request *req, int result)
{
	struct hc_entry *e = g ? &g->stored : NULL;
	struct cache_control cc;

	if (g && g->mode == HC_VALIDATE) {
		hc_head_cache_control(e->head, e->m.head_len, &cc);
		if (!(cc.flags & (CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE | CC_NO_CACHE)) &&
		    cc.s_maxage == CC_UNSET && !(g->rcc.flags & CC_NO_CACHE)) {
			hc_answer_stored(x, req, e, "stale", 0, "upstream-unreachable");
			return;
		}
	}
	if (result == -ENOSPC || result == -ECANCELED || result == -ENOMEM) {
		httpd_error(x, 503,
			    result == -ENOSPC ? "no room in the cache for the answer"
					      : "cannot relay the answer now",
			    NULL, result == -ECANCELED);
		return;
	}
	/* a stored response that must be revalidated first: 504 (RFC 9111 section 5.2.2.2) */
	httpd_error(x, result == -ETIMEDOUT || (g && g->mode == HC_VALIDATE) ? 504 : 502,
		    "the upstream did not answer", NULL, false);
}

/* R's source failed (RESULT): an error answer, or the answer cut short once its head is out. */
static void reader_fail(struct hc_reader *r, int result)
{
	struct httpd_exchange *x = httpd_resume(r->d);

	if (x && r->head_sent) {
		httpd_resume_abort(x);
	} else if (x) {
		x->cache_status = "MISS";
		answer_failed(x, r->own ? r->xg : NULL, &r->req.r, result);
		httpd_resume_done(x);
	}
	reader_free(r);
}

/* R may not have the answer it waited for: answer its request again, on its own. */
static void reader_again(struct hc_reader *r)
{
	struct edge_http_cache *hc = r->hc;
	struct httpd_deferred *d = r->d;
	struct httpd_exchange *x;

	reader_free(r);
	if ((x = httpd_resume(d)) != NULL)
		hc_serve(hc, x, d, false);
}

/* Read a remote R's record and header blocks once the fetcher has them out.  0 or < 0. */
static int remote_head(struct hc_reader *r, const struct edge_inflight_view *v)
{
	uint8_t note[EDGE_INFLIGHT_NOTE];
	int n;
	size_t len;

	if (!r->have_m) {
		if ((n = edge_inflight_note_get(r->hc->cfg.inflight, r->ref, note)) <= 0)
			return n < 0 ? NOT_SHARED : 0; /* the slot moved on meanwhile */
		if (hc_meta_decode(note, (size_t)n, &r->m) != 0)
			return -EIO;
		r->have_m = true;
	}
	len = (size_t)body_off(&r->m);
	if (r->blocks || (v->avail < len && v->state != EDGE_IF_DONE))
		return 0;
	if (!(r->blocks = malloc(len + 1)))
		return -ENOMEM;
	if (pread(r->fd, r->blocks, len, 0) != (ssize_t)len) {
		free(r->blocks);
		r->blocks = NULL;
		return -EIO;
	}
	r->blocks[len] = '\0';
	return 0;
}

/* A remote R's source, from the table (or the index once its slot moved on). */
static void remote_view(struct hc_reader *r, struct hc_view *v)
{
	struct edge_inflight_view iv;
	struct edge_object o;
	uint64_t size;
	int rc;

	if (edge_inflight_peek(r->hc->cfg.inflight, r->ref, &iv) != 0) {
		/* the slot moved on: done when the file R reads is the one stored at its key */
		if (r->have_m &&
		    edge_inflight_stored(edge_cache_rootfd(r->hc->cfg.cache), r->key,
					 r->fd >= 0 ? r->fd : r->body_fd, &size) &&
		    edge_index_get(edge_cache_index(r->hc->cfg.cache), r->key, &o) == 0 &&
		    o.size == size && o.size >= body_off(&r->m))
			iv = (struct edge_inflight_view){EDGE_IF_DONE, 0, o.size, o.size};
		else
			iv = (struct edge_inflight_view){EDGE_IF_FAILED, NOT_SHARED, 0, 0};
	}
	if (iv.state != EDGE_IF_FAILED && (rc = remote_head(r, &iv)) != 0)
		iv = (struct edge_inflight_view){EDGE_IF_FAILED, rc, 0, 0};
	*v = (struct hc_view){iv.state, iv.result, NULL, NULL, NULL, -1, iv.avail};
	if (r->have_m && r->blocks) {
		v->m = &r->m;
		v->head = r->blocks;
		v->vary = r->blocks + r->m.head_len;
		if (iv.size)
			v->body_len = (int64_t)(iv.size - body_off(&r->m));
	}
}

/* The state of R's source now. */
static void reader_view(struct hc_reader *r, struct hc_view *v)
{
	const struct hc_xchg *g = r->xg;

	if (r->final) {
		*v = (struct hc_view){r->fin.state, r->fin.result, NULL, NULL, NULL, -1,
				      r->fin.avail};
	} else if (r->remote) {
		remote_view(r, v);
	} else {
		*v = (struct hc_view){g->state, g->result, NULL, NULL, NULL, g->body_len, g->avail};
		if (g->have_head) {
			v->m = &g->m;
			v->head = g->head.p ? g->head.p : "";
			v->vary = g->vary.p ? g->vary.p : "";
		}
	}
}

static void reader_sent(void *arg, bool closed)
{
	struct hc_reader *r = arg;

	if (r->magic != READER_MAGIC)
		abort();
	r->part_out = false;
	if (closed) {
		httpd_resume(r->d); /* frees the handle: the connection is gone */
		reader_free(r);
		return;
	}
	reader_pump(r);
}

/* The head of R's answer on X, from V.  False when X is answered whole (done with, as R). */
static bool reader_head(struct hc_reader *r, struct httpd_exchange *x, const struct hc_view *v)
{
	const struct hc_xchg *g = r->own ? r->xg : NULL;
	struct hc_answer a = {
	    .status = v->m->status,
	    .head = v->head,
	    .hlen = v->m->head_len,
	    .body = {r->fd >= 0 ? NULL : "", r->fd, body_off(v->m), (uint64_t)v->body_len},
	    .age = -1,
	    .head_length = g ? g->head_length : -1,
	    .cs = {.name = CACHE_NAME,
		   .stored = g && g->storable,
		   .collapsed = !g,
		   .fwd_status = v->m->status},
	};
	uint64_t off, len;

	snprintf(a.cs.fwd, sizeof(a.cs.fwd), "%s",
		 !g ? "miss" : g->mode == HC_VALIDATE ? "stale" : g->fwd);
	x->cache_status = !g ? "COLLAPSED" : g->mode == HC_PASS ? "-" : "MISS";
	if (!hc_answer_head(x, &r->req.r, &a, &off, &len)) {
		httpd_resume_done(x);
		return false;
	}
	if (r->fd < 0) { /* no file although a body was announced: cannot happen */
		httpd_resume_abort(x);
		return false;
	}
	r->body_fd = r->fd;
	edge_pull_hold_fd(x, r->fd);
	r->fd = -1;
	r->head_sent = true;
	r->sent = body_off(v->m) + off;
	r->end = r->sent + len;
	return true;
}

/* May R's answer go out now?  True when it waits; R may be gone when it does not. */
static bool reader_waits(struct hc_reader *r, const struct hc_view *v)
{
	if (v->state == EDGE_IF_FAILED && !r->head_sent && v->result == NOT_SHARED) {
		reader_again(r);
		return true;
	}
	if (v->state == EDGE_IF_FAILED) {
		reader_fail(r, v->result);
		return true;
	}
	if (r->head_sent)
		return false;
	if (!r->own && r->xg && r->xg->have_head && !r->xg->storable) {
		reader_again(r); /* joined before the answer showed it may not be shared */
		return true;
	}
	/* a head with a length, or the whole answer; a validation's 304 is answered at the end */
	if (!v->m || v->body_len < 0 || (r->own && r->xg->mode == HC_VALIDATE && v->m->status == 304))
		return true;
	if (!r->own && !hc_vary_match(v->head, v->m->head_len, &r->req.r, v->vary, v->m->vary_len)) {
		reader_again(r); /* another variant than this request's */
		return true;
	}
	return false;
}

/* Send what R may send now, or finish it. */
static void reader_pump(struct hc_reader *r)
{
	struct httpd_exchange *x;
	struct hc_view v;
	uint64_t end;

	if (r->part_out)
		return;
	reader_view(r, &v);
	if (reader_waits(r, &v))
		return;
	end = v.avail < r->end ? v.avail : r->end;
	if (r->head_sent && end <= r->sent)
		return; /* nothing new: the next progress brings more */
	if (!(x = httpd_resume(r->d))) {
		reader_free(r);
		return;
	}
	if (!r->head_sent && !reader_head(r, x, &v)) {
		reader_free(r);
		return;
	}
	end = v.avail < r->end ? v.avail : r->end;
	if (end > r->sent) {
		httpd_body_file(x, r->body_fd, r->sent, end - r->sent);
		r->sent = end;
	}
	if (r->sent == r->end) {
		httpd_resume_done(x);
		reader_free(r);
		return;
	}
	r->part_out = true;
	httpd_resume_part(x, reader_sent, r);
}

/* ---- the exchange -------------------------------------------------------------------- */

static void xchg_free(struct hc_xchg *g)
{
	struct edge_http_cache *hc = g->hc;

	if (g->prev)
		g->prev->next = g->next;
	else if (hc->pending == g)
		hc->pending = g->next;
	if (g->next)
		g->next->prev = g->prev;
	edge_cache_tmp_abort(hc->cfg.cache, g->tmp);
	if (g->notify)
		event_free(g->notify);
	hc_entry_close(&g->stored);
	free(g->req.bytes);
	buf_free(&g->head);
	buf_free(&g->vary);
	g->magic = 0;
	free(g);
}

static void pump_all(struct hc_xchg *g)
{
	struct hc_reader *r, *next;

	for (r = g->readers; r; r = next) {
		next = r->next; /* each pump may free its reader */
		reader_pump(r);
	}
}

/* The bytes of G's file there will be in the end (0: not known yet). */
static uint64_t xchg_total(const struct hc_xchg *g)
{
	return g->have_head && g->body_len >= 0 ? body_off(&g->m) + (uint64_t)g->body_len : 0;
}

/* The answers of G's own request that the end decides: a failure, a validation's 304. */
static void answer_own(struct hc_xchg *g)
{
	struct hc_reader *r;
	struct httpd_exchange *x;

	for (r = g->readers; r && !r->own; r = r->next)
		;
	if (!r || r->head_sent || (g->result == 0 && !(g->mode == HC_VALIDATE && g->status == 304)))
		return;
	if ((x = httpd_resume(r->d)) != NULL) {
		if (g->result != 0) {
			x->cache_status = "MISS";
			answer_failed(x, g, &r->req.r, g->result);
		} else {
			hc_answer_stored(x, &r->req.r, &g->stored, "stale", 304, NULL);
		}
		httpd_resume_done(x);
	}
	reader_free(r);
}

/* Tell the other workers' readers of G the answer's record (once, before they may read). */
static void publish_note(struct hc_xchg *g)
{
	uint8_t note[HC_META_LEN];

	if (g->noted)
		return;
	hc_meta_encode(&g->m, note);
	edge_inflight_note(g->hc->cfg.inflight, g->ref, note, sizeof(note));
	g->noted = true;
}

/* G ended with RESULT: store what may be, tell every reader, free G. */
static void xchg_end(struct hc_xchg *g, int result)
{
	struct edge_http_cache *hc = g->hc;
	struct hc_reader *r;
	bool stored = false;
	int result_shared;

	if (result == 0 && g->tmp && (result = edge_cache_tmp_flush(hc->cfg.cache, g->tmp)) == 0 &&
	    g->have_head) {
		int64_t said = g->body_len;

		g->body_len = (int64_t)(g->tmp->written - body_off(&g->m));
		if (said >= 0 && said != g->body_len)
			result = -EPROTO; /* not the length the readers were promised */
	}
	if (g->have_head && g->mode == HC_PASS && unsafe(g->req.r.method) && g->status >= 200 &&
	    g->status < 400)
		hc_invalidate(g->hc->cfg.cache, g->key, g->head.p ? g->head.p : "", g->head.len,
			      g->req.r.host);
	if (result == 0 && !g->have_head)
		result = -EPROTO;
	if (result == 0 && g->mode == HC_VALIDATE && g->status == 304 && freshen(g) != 0)
		result = -EIO;
	g->avail = xchg_total(g);
	if (result == 0 && g->storable && g->tmp)
		stored = store_answer(g);
	if (result == 0 && g->mode == HC_VALIDATE && g->status != 304 && !stored && g->status < 500)
		hc_entry_remove(hc->cfg.cache, g->skey); /* replaced by something not kept */
	g->state = result == 0 ? EDGE_IF_DONE : EDGE_IF_FAILED;
	g->result = result_shared = result;
	if (g->shared && g->have_head && !g->storable) {
		result_shared = NOT_SHARED;
	} else if (g->shared && result == 0) {
		publish_note(g);
		edge_inflight_progress(hc->cfg.inflight, g->ref, g->avail, g->avail, hc->cfg.wake_slot);
	}
	if (g->shared)
		edge_inflight_finish(hc->cfg.inflight, g->ref, result_shared, hc->cfg.wake_slot);
	answer_own(g);
	pump_all(g);
	while ((r = g->readers) != NULL) { /* parts still out: the rest from the file */
		g->readers = r->next;
		r->xg = NULL;
		r->final = true;
		r->fin = (struct edge_inflight_view){g->state, result, g->avail, g->avail};
		r->next = hc->remote;
		hc->remote = r;
	}
	xchg_free(g);
}

/* What arrived since the last turn of the loop: to the file in one write, then to the readers. */
static void notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hc_xchg *g = xchg_of(arg);
	struct edge_http_cache *hc = g->hc;
	uint64_t total = xchg_total(g);
	int rc;

	g->dirty = false;
	if (g->tmp && (rc = edge_cache_tmp_flush(hc->cfg.cache, g->tmp)) != 0) {
		edge_fetch_cancel(g->fetch);
		g->fetch = NULL;
		xchg_end(g, rc);
		return;
	}
	if (g->shared && g->have_head && !g->storable) {
		edge_inflight_finish(hc->cfg.inflight, g->ref, NOT_SHARED, hc->cfg.wake_slot);
		g->shared = false;
	}
	if (!g->readers && g->have_head && !g->storable) {
		edge_fetch_cancel(g->fetch); /* nobody wants it any more */
		g->fetch = NULL;
		xchg_end(g, -ECANCELED);
		return;
	}
	if (g->have_head && g->tmp) /* the last byte waits for the end */
		g->avail = total && g->tmp->on_disk >= total ? total - 1 : g->tmp->on_disk;
	if (g->shared && g->have_head) {
		publish_note(g);
		edge_inflight_progress(hc->cfg.inflight, g->ref, g->avail, total, hc->cfg.wake_slot);
	}
	pump_all(g);
}

static void xchg_dirty(struct hc_xchg *g)
{
	if (!g->dirty) {
		g->dirty = true;
		event_active(g->notify, EV_TIMEOUT, 0);
	}
}

/* The length of the answer's body G's head announces (-1: none said). */
static int64_t said_length(const char *head, size_t len)
{
	struct http_str v;
	char num[24];

	if (!hc_head_get(head, len, "Content-Length", &v) || !v.len || v.len >= 20)
		return -1;
	snprintf(num, sizeof(num), "%.*s", (int)v.len, v.p);
	return strtoll(num, NULL, 10);
}

/* G's header blocks (the answer's kept lines, with a Date, and its Vary's request lines). */
static int xchg_blocks(struct hc_xchg *g, const char *head, size_t len)
{
	char date[HTTP_DATE_LEN + 1];
	struct http_str v;
	int rc;

	if ((rc = hc_head_storable(head, len, &g->head)) != 0)
		return rc;
	if (!hc_head_get(head, len, "Date", &v)) {
		http_date_format(time(NULL), date);
		date[HTTP_DATE_LEN] = '\0';
		if ((rc = buf_printf(&g->head, "Date: %s\r\n", date)) != 0)
			return rc;
	}
	return hc_vary_capture(g->head.p, g->head.len, &g->req.r, &g->vary);
}

static int relay_head(void *arg, int status, const char *head, size_t len)
{
	struct hc_xchg *g = xchg_of(arg);
	bool body = !hc_no_body_status(status) && g->req.r.method != HTTP_HEAD;
	int rc;

	g->status = status;
	g->head_length = said_length(head, len);
	if ((rc = xchg_blocks(g, head, len)) != 0)
		return rc;
	g->body_len = body ? g->head_length : 0;
	g->m = (struct hc_meta){.status = status, .request_time = g->request_time};
	g->storable = may_store(g);
	if (body && !g->tmp && (rc = hc_entry_begin(g->hc->cfg.cache, &g->tmp)) != 0)
		return rc;
	if (g->tmp) {
		if ((rc = hc_entry_head(g->hc->cfg.cache, g->tmp, &g->m, g->head.p ? g->head.p : "",
					g->head.len, g->vary.p ? g->vary.p : "", g->vary.len)) != 0)
			return rc;
		for (struct hc_reader *r = g->readers; r; r = r->next)
			if (r->fd < 0)
				r->fd = dup(g->tmp->fd);
	} else {
		g->m.head_len = (uint32_t)g->head.len;
		g->m.vary_len = (uint32_t)g->vary.len;
	}
	g->have_head = true;
	xchg_dirty(g);
	return 0;
}

static int relay_data(void *arg, const void *p, size_t n)
{
	struct hc_xchg *g = xchg_of(arg);
	int rc;

	if (!g->tmp)
		return 0; /* a body where none may be (a HEAD's): dropped */
	if ((rc = edge_cache_tmp_write(g->hc->cfg.cache, g->tmp, p, n)) != 0)
		return rc;
	xchg_dirty(g);
	return 0;
}

static void relay_done(void *arg, int result, int status)
{
	struct hc_xchg *g = xchg_of(arg);

	(void)status;
	g->fetch = NULL;
	xchg_end(g, result);
}

static const struct edge_relay_ops relay_ops = {relay_head, relay_data, relay_done};

/* ---- starting, collapsing ------------------------------------------------------------ */

/* May request REQ (with REQ_CC) share a fetch with others, and they with it? */
static bool collapsible(const struct http_request *req, const struct cache_control *rcc)
{
	return req->method == HTTP_GET && !req->authorization.len && !req->range.len &&
	       !req->if_range.len && !req->if_none_match.len && !req->if_modified_since.len &&
	       !req->if_match.len && !req->if_unmodified_since.len &&
	       !(rcc->flags & (CC_NO_STORE | CC_NO_CACHE));
}

/* This worker's exchange for the miss SKEY that readers may still join. */
static struct hc_xchg *local_xchg(struct edge_http_cache *hc, const char *skey)
{
	for (struct hc_xchg *g = hc->pending; g; g = g->next)
		if (g->shared && (!g->have_head || g->storable) && strcmp(g->skey, skey) == 0)
			return g;
	return NULL;
}

/* R joins another worker's fetch of KEY (REF, its file TMP).  0 or a negative errno. */
static int join_remote(struct edge_http_cache *hc, struct hc_reader *r, const char *key,
		       struct edge_inflight_ref ref, const char *tmp)
{
	int fd = edge_inflight_open(hc->cfg.inflight, ref, edge_cache_rootfd(hc->cfg.cache), tmp);

	if (fd < 0)
		return fd; /* gone, or its path leads elsewhere by now: the fetch ended */
	r->fd = fd;
	r->remote = true;
	r->ref = ref;
	snprintf(r->key, sizeof(r->key), "%s", key);
	edge_inflight_watch(hc->cfg.inflight, ref, hc->cfg.wake_slot);
	r->next = hc->remote;
	hc->remote = r;
	return 0;
}

/* The exchange for A, with its own reader R (not started).  NULL: out of memory. */
static struct hc_xchg *xchg_new(struct edge_http_cache *hc, struct hc_reader *r,
				const struct hc_relay_args *a)
{
	struct hc_xchg *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	*g = (struct hc_xchg){.magic = XCHG_MAGIC,
			      .hc = hc,
			      .mode = a->mode,
			      .fwd = a->fwd,
			      .rcc = *a->rcc,
			      .request_time = now_s(),
			      .head_length = -1,
			      .body_len = -1,
			      .state = EDGE_IF_FETCHING};
	if (hc_req_copy(&g->req, &r->req.r) != 0 ||
	    !(g->notify = event_new(hc->cfg.base, -1, 0, notify_cb, g))) {
		free(g->req.bytes);
		free(g);
		return NULL;
	}
	g->stored = a->stored ? *a->stored : (struct hc_entry){.fd = -1};
	snprintf(g->key, sizeof(g->key), "%s", a->key);
	snprintf(g->skey, sizeof(g->skey), "%s", a->skey);
	g->next = hc->pending;
	if (hc->pending)
		hc->pending->prev = g;
	hc->pending = g;
	r->own = true;
	reader_attach(r, g);
	return g;
}

enum start { START_FETCH, START_JOINED, START_AGAIN };

/*
 * Claim G's miss in the table of fetches in flight, with G's file: the
 * fetch is G's (START_FETCH, also when the table is full), another
 * worker's that R joined, or one that just finished (START_AGAIN: look in
 * the store again).  Negative errno: R and G are done with.
 */
static int claim(struct edge_http_cache *hc, struct hc_xchg *g, struct hc_reader *r)
{
	char tmp_other[80];
	uint64_t size_other;
	int rc = hc_entry_begin(hc->cfg.cache, &g->tmp);

	if (rc == 0)
		rc = edge_inflight_claim(hc->cfg.inflight, g->skey,
					 &(struct edge_inflight_file){g->tmp->path, g->tmp->fd}, 0,
					 false, hc->pid, &g->ref, tmp_other, &size_other);
	if (rc == EDGE_CLAIM_FETCH || rc == -EBUSY) {
		g->shared = rc == EDGE_CLAIM_FETCH;
		if (r->fd < 0)
			r->fd = dup(g->tmp->fd);
		return START_FETCH;
	}
	r->own = false;
	r->xg = NULL;
	g->readers = NULL;
	if (rc == EDGE_CLAIM_JOIN)
		rc = join_remote(hc, r, g->skey, g->ref, tmp_other) == 0 ? START_JOINED
									  : START_AGAIN; /* it ended */
	else if (rc == EDGE_CLAIM_DONE)
		rc = START_AGAIN;
	if (rc == START_JOINED)
		metrics_add(&hc->cfg.metrics->store_collapsed, 1);
	xchg_free(g);
	return rc;
}

/* Start G's exchange with the upstream for X's request: 0, or a negative errno (not started). */
static int xchg_start(struct edge_http_cache *hc, struct hc_xchg *g, struct httpd_exchange *x)
{
	const char *lines[HC_MAX_FORWARD + 5];
	char target[HC_TARGET_MAX], method[32];
	struct edge_relay_request rq = {method, target, lines, x->body, x->body_len};
	struct buf hdrs = {0};
	int err = ENOMEM;

	hc_target_of(x->req, target, sizeof(target));
	snprintf(method, sizeof(method), "%.*s", (int)x->req->method_str.len, x->req->method_str.p);
	if (hc_relay_lines(x->req, g->mode == HC_VALIDATE ? &g->stored : NULL, &hdrs, lines) == 0) {
		g->fetch = edge_upstream_relay(hc->cfg.upstream, &rq, &relay_ops, g);
		err = errno;
	}
	buf_free(&hdrs);
	return g->fetch ? 0 : err == EHOSTUNREACH ? -EHOSTUNREACH : -EIO;
}

/* Answer X (deferred) with an error for RESULT, the relay not started. */
static void relay_refused(struct httpd_exchange *x, int result)
{
	httpd_error(x, result == -EHOSTUNREACH ? 502 : 503,
		    result == -EHOSTUNREACH ? "the upstream is unreachable"
		    : result == -ENOSPC	    ? "no room in the cache for the answer"
					    : "cannot reach the upstream",
		    NULL, false);
	httpd_resume_done(x);
}

void hc_relay(struct edge_http_cache *hc, struct httpd_exchange *x, struct httpd_deferred *d,
	      const struct hc_relay_args *a)
{
	bool shares = a->mode == HC_FILL && hc->cfg.inflight && collapsible(x->req, a->rcc);
	struct hc_reader *r;
	struct hc_xchg *g;
	int rc = START_FETCH;

	if (!d && !(d = httpd_defer(x))) {
		if (a->stored)
			hc_entry_close(a->stored);
		httpd_error(x, 503, "out of memory", NULL, false);
		return;
	}
	if ((r = reader_new(hc, d, x->req)) && shares && a->collapse &&
	    (g = local_xchg(hc, a->skey)) != NULL) { /* this worker fetches it already */
		reader_attach(r, g);
		metrics_add(&hc->cfg.metrics->store_collapsed, 1);
		if (a->stored)
			hc_entry_close(a->stored);
		reader_pump(r);
		return;
	}
	if (!r || !(g = xchg_new(hc, r, a))) {
		if (r)
			reader_free(r);
		if (a->stored)
			hc_entry_close(a->stored);
		relay_refused(x, -ENOMEM);
		return;
	}
	if (shares && a->collapse && (rc = claim(hc, g, r)) != START_FETCH) {
		if (rc == START_JOINED) {
			reader_pump(r);
			return;
		}
		reader_free(r);
		if (rc == START_AGAIN)
			hc_serve(hc, x, d, false);
		else
			relay_refused(x, rc);
		return;
	}
	if ((rc = xchg_start(hc, g, x)) != 0) {
		reader_free(r);
		xchg_end(g, rc);
		relay_refused(x, rc);
	}
}

/* ---- remote readers ---------------------------------------------------------------- */

void hc_remote_pump(struct edge_http_cache *hc)
{
	struct hc_reader *r, *next;

	for (r = hc->remote; r; r = next) {
		next = r->next;
		reader_pump(r);
	}
}

/* Another worker's fetch moved on (or the rescan timer fired). */
static void remote_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edge_http_cache *hc = arg;
	uint64_t n;

	(void)what;
	if (fd >= 0 && read(fd, &n, sizeof(n)) < 0)
		n = 0;
	hc_remote_pump(hc);
}

int hc_remote_start(struct edge_http_cache *hc)
{
	struct timeval tv = {0, RESCAN_MS * 1000};
	int wfd = hc->cfg.inflight && hc->cfg.wake_slot >= 0
		      ? hc->cfg.inflight->wake_fd[hc->cfg.wake_slot]
		      : -1;

	hc->pid = getpid();
	if (!hc->cfg.base)
		return 0;
	if ((wfd >= 0 &&
	     (!(hc->wake = event_new(hc->cfg.base, wfd, EV_READ | EV_PERSIST, remote_cb, hc)) ||
	      event_add(hc->wake, NULL) != 0)) ||
	    !(hc->rescan = event_new(hc->cfg.base, -1, EV_PERSIST, remote_cb, hc)) ||
	    event_add(hc->rescan, &tv) != 0)
		return -ENOMEM;
	return 0;
}

void hc_xchg_stop_all(struct edge_http_cache *hc)
{
	while (hc->pending) {
		struct hc_xchg *g = hc->pending;

		edge_fetch_cancel(g->fetch);
		g->fetch = NULL;
		xchg_end(g, -ECANCELED);
	}
	while (hc->remote)
		reader_fail(hc->remote, -ECANCELED);
	if (hc->wake)
		event_free(hc->wake);
	if (hc->rescan)
		event_free(hc->rescan);
	hc->wake = hc->rescan = NULL;
}
