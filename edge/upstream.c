/*
 * Upstream fetches over libcurl's multi interface on a libevent loop (see
 * upstream.h), driven by curl_loop.h, which hands back each finished
 * transfer (transfer_done).  Each fetch also keeps an
 * idle timer of its own (the read timeout, in milliseconds) and a backoff
 * timer between attempts.
 */
#include "upstream.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "curl_loop.h"
#include "httpsig.h"

#define UPSTREAM_MAGIC	      0x55707374U /* "Upst" */
#define FETCH_MAGIC	      0x46746368U /* "Ftch" */
#define EMPTY_DIGEST	      "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
#define UPSTREAM_IDLE_HANDLES 64

struct edge_upstream {
	uint32_t magic;
	struct event_base *base;
	struct edge_upstream_config cfg;
	const char *path_prefix; /* the path part of cfg.url */
	struct curl_loop *loop;
	CURLM *multi; /* the loop's */
	struct edge_fetch *fetches;
	unsigned active;
	CURL *idle[UPSTREAM_IDLE_HANDLES]; /* easy handles kept for the next fetches */
	unsigned nidle;
};

struct edge_fetch {
	uint32_t magic;
	struct edge_upstream *u;
	struct edge_fetch *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	const struct edge_fetch_ops *ops;
	void *arg;
	struct event *idle, *retry;
	char key[512], url[1024], range[64];
	char *body; /* a POST's (owned), NULL for a GET */
	size_t body_len;
	char digest[CONTENT_DIGEST_LEN + 1], content_type[128];
	struct edge_upstream_head head; /* validators of the first head, this attempt's range */
	int64_t length;			/* from the first head; -1 unknown */
	uint64_t received;		/* body bytes delivered */
	uint64_t skip;			/* bytes of this attempt's body already delivered */
	unsigned attempt;
	int status;	/* this attempt's */
	int error;	/* set by a callback: the fetch ends with it */
	bool head_seen; /* on_head was called */
	bool body_ok;	/* this attempt's answer is the body we want */
	bool timed_out; /* the idle timer ended this attempt */
	bool in_multi;	/* the easy handle is in the multi handle */
	/* a relayed exchange (edge_upstream_relay) */
	const struct edge_relay_ops *relay;
	struct buf rhead; /* the head being received */
	char *rbody;	  /* the request body, copied */
	size_t rbody_len;
	bool rhead_done;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timeval tv_ms(uint64_t ms)
{
	return (struct timeval){(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
}

/* ---- one attempt ------------------------------------------------------------- */

/* Is LINE (N bytes) the header NAME?  *VALUE then points past the colon and blanks. */
static bool header_is(const char *line, size_t n, const char *name, const char **value)
{
	size_t len = strlen(name);

	if (n <= len || strncasecmp(line, name, len) != 0 || line[len] != ':')
		return false;
	*value = line + len + 1;
	while (*value < line + n && (**value == ' ' || **value == '\t'))
		(*value)++;
	return true;
}

static void copy_value(char *dst, size_t cap, const char *v, const char *end)
{
	size_t n = (size_t)(end - v);

	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (dst[i] == '\0')
			dst[i] = ' '; /* a NUL inside a value must not cut it unseen */
}

bool edge_upstream_head_line(struct edge_upstream_head *h, const char *line, size_t n,
			     bool validators_kept)
{
	const char *v;

	if ((n == 2 && line[0] == '\r' && line[1] == '\n') || (n == 1 && line[0] == '\n'))
		return true;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0)
		h->content_range[0] = '\0';
	else if (header_is(line, n, "Content-Range", &v))
		copy_value(h->content_range, sizeof(h->content_range), v, line + n);
	else if (!validators_kept && header_is(line, n, "ETag", &v))
		copy_value(h->etag, sizeof(h->etag), v, line + n);
	else if (!validators_kept && header_is(line, n, "Last-Modified", &v))
		copy_value(h->last_modified, sizeof(h->last_modified), v, line + n);
	return false;
}

/* Digits at *P into *OUT (at most 19, no sign): advances *P; 0 or -EINVAL. */
static int read_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9' && s - *p < 19)
		v = v * 10 + (uint64_t)(*s++ - '0');
	if (s == *p || (*s >= '0' && *s <= '9'))
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

int edge_content_range_first(const char *v, uint64_t *first)
{
	uint64_t a, b, len;

	if (strncmp(v, "bytes ", 6) != 0)
		return -EINVAL;
	v += 6;
	if (read_u64(&v, &a) != 0 || *v++ != '-' || read_u64(&v, &b) != 0 || *v++ != '/' || b < a)
		return -EINVAL;
	if (*v == '*' && v[1] == '\0') {
		*first = a;
		return 0;
	}
	if (read_u64(&v, &len) != 0 || *v != '\0' || b >= len)
		return -EINVAL;
	*first = a;
	return 0;
}

/* The end of a head: is it the body we want? Returns false to abort the attempt. */
static bool head_done(struct edge_fetch *f, const char *content_range)
{
	long code = 0;
	curl_off_t len = -1;
	uint64_t start = 0;

	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(f->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	f->status = (int)code;
	if (code >= 100 && code < 200)
		return true; /* an interim answer: the real head follows */
	if (code == 404 || code == 410) {
		f->error = -ENOENT;
		return false;
	}
	if (code >= 500 || (code != 200 && code != 206))
		return false;
	if (code == 206) {
		if (!content_range || edge_content_range_first(content_range, &start) != 0 ||
		    start != f->received) {
			f->error = -EPROTO;
			return false;
		}
		len = len >= 0 ? len + (curl_off_t)f->received : -1;
	}
	f->skip = code == 200 ? f->received : 0;
	if (f->head_seen && f->length >= 0 && len >= 0 && len != f->length) {
		f->error = -EPROTO; /* the object changed between attempts */
		return false;
	}
	f->body_ok = true;
	if (!f->head_seen) {
		f->head_seen = true;
		f->length = len;
		if (f->ops->on_head &&
		    (f->error = f->ops->on_head(f->arg, len, f->head.etag[0] ? f->head.etag : NULL,
						f->head.last_modified[0] ? f->head.last_modified
									 : NULL)) != 0)
			return false;
	}
	return true;
}

static size_t relay_header(struct edge_fetch *f, const char *line, size_t n);
static size_t relay_write(struct edge_fetch *f, const char *p, size_t n);
static void relay_attempt_done(struct edge_fetch *f, CURLcode code);

static size_t header_cb(char *line, size_t size, size_t n, void *arg)
{
	struct edge_fetch *f = arg;
	bool ok;

	if (f->relay)
		return relay_header(f, line, n);
	if (!edge_upstream_head_line(&f->head, line, n, f->head_seen))
		return n;
	ok = head_done(f, f->head.content_range[0] ? f->head.content_range : NULL);
	f->head.content_range[0] = '\0';
	return ok ? n : 0;
}

static void idle_arm(struct edge_fetch *f, uint64_t ms)
{
	struct timeval tv = tv_ms(ms);

	evtimer_add(f->idle, &tv);
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct edge_fetch *f = arg;
	size_t skip = 0;

	if (f->relay)
		return relay_write(f, p, n);
	if (!f->body_ok || f->error)
		return 0;
	if (f->skip) {
		skip = n < f->skip ? n : (size_t)f->skip;
		f->skip -= skip;
	}
	if (n > skip) {
		if ((f->error = f->ops->on_data(f->arg, f->received, p + skip, n - skip)) != 0)
			return 0;
		f->received += n - skip;
	}
	idle_arm(f, f->u->cfg.read_timeout_ms);
	return n;
}

/* The signature headers and the Range of this attempt. */
static int build_headers(struct edge_fetch *f)
{
	const struct edge_upstream_config *cfg = &f->u->cfg;
	struct httpsig_signer s = {HTTPSIG_HMAC_SHA256, cfg->edge_id, NULL, cfg->secret,
				   cfg->secret_len};
	char path[1100];
	const char *method = f->body ? "POST" : "GET";
	struct httpsig_msg m = {method, strlen(method), path, 0, NULL, 0, f->digest,
				strlen(f->digest)};
	struct buf in = {0}, sig = {0}, line = {0};
	struct curl_slist *h = NULL;
	int rc = 0;

	curl_slist_free_all(f->headers);
	f->headers = NULL;
	if (f->received) {
		snprintf(f->range, sizeof(f->range), "Range: bytes=%llu-",
			 (unsigned long long)f->received);
		h = curl_slist_append(h, f->range);
	}
	if (f->body)
		h = curl_slist_append(h, f->content_type);
	if (cfg->edge_id && cfg->edge_id[0]) {
		m.path_len =
		    (size_t)snprintf(path, sizeof(path), "%s/%s", f->u->path_prefix, f->key);
		rc = httpsig_sign(&s, &m, (int64_t)time(NULL), cfg->edge_id, NULL, &in, &sig);
		if (rc == 0)
			rc = buf_printf(&line,
					"Content-Digest: %s%cSignature-Input: %.*s%c"
					"Signature: %.*s",
					f->digest, 0, (int)in.len, in.p, 0, (int)sig.len, sig.p);
		for (size_t off = 0; rc == 0 && off < line.len; off += strlen(line.p + off) + 1)
			h = curl_slist_append(h, line.p + off);
	}
	buf_free(&in);
	buf_free(&sig);
	buf_free(&line);
	f->headers = h;
	return rc;
}

static int attempt_start(struct edge_fetch *f)
{
	const struct edge_upstream_config *cfg = &f->u->cfg;
	int rc;

	if (!edge_breaker_allow(cfg->breaker, &cfg->breaker_cfg, now_ms()))
		return -EHOSTUNREACH;
	if (!f->relay && (rc = build_headers(f)) != 0)
		return rc;
	f->status = 0;
	f->body_ok = f->timed_out = false;
	f->attempt++;
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
	if (curl_multi_add_handle(f->u->multi, f->easy) != CURLM_OK)
		return -EIO;
	f->in_multi = true;
	idle_arm(f, cfg->connect_timeout_ms + cfg->read_timeout_ms);
	return 0;
}

/* ---- the end of an attempt ---------------------------------------------------------- */

static void fetch_free(struct edge_fetch *f)
{
	struct edge_upstream *u = f->u;

	if (f->in_multi)
		curl_multi_remove_handle(u->multi, f->easy);
	if (f->easy && u->nidle < UPSTREAM_IDLE_HANDLES) {
		curl_easy_reset(f->easy); /* reused: easy_init costs more than a reset */
		u->idle[u->nidle++] = f->easy;
	} else {
		curl_easy_cleanup(f->easy);
	}
	curl_slist_free_all(f->headers);
	buf_free(&f->rhead);
	free(f->rbody);
	free(f->body);
	if (f->idle)
		event_free(f->idle);
	if (f->retry)
		event_free(f->retry);
	if (f->prev)
		f->prev->next = f->next;
	else
		u->fetches = f->next;
	if (f->next)
		f->next->prev = f->prev;
	u->active--;
	f->magic = 0;
	free(f);
}

static void finish(struct edge_fetch *f, int result)
{
	const struct edge_fetch_ops *ops = f->ops;
	const struct edge_relay_ops *relay = f->relay;
	void *arg = f->arg;
	int status = f->status;

	fetch_free(f);
	if (relay)
		relay->on_done(arg, result, status);
	else
		ops->on_done(arg, result, status);
}

/* Wait before attempt number N + 1: base * 2^(N-1), half of it random. */
static uint64_t backoff(const struct edge_upstream_config *cfg, unsigned n)
{
	uint64_t d = cfg->backoff_ms << (n > 10 ? 10 : n - 1);
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)now_ms();
	return d / 2 + (d / 2 ? r % (d / 2 + 1) : 0);
}

/* A failure that may pass: retry, or give up with RESULT. */
static void failed(struct edge_fetch *f, int result)
{
	const struct edge_upstream_config *cfg = &f->u->cfg;
	struct timeval tv;

	edge_breaker_report(cfg->breaker, &cfg->breaker_cfg, false, now_ms());
	if (f->attempt > cfg->retries || edge_breaker_state(cfg->breaker) == EDGE_BREAKER_OPEN) {
		finish(f, result);
		return;
	}
	tv = tv_ms(backoff(cfg, f->attempt));
	evtimer_add(f->retry, &tv);
}

static void attempt_done(struct edge_fetch *f, CURLcode code)
{
	const struct edge_upstream_config *cfg = &f->u->cfg;
	bool answered = f->status > 0 && f->status < 500;

	evtimer_del(f->idle);
	if (f->in_multi) {
		curl_multi_remove_handle(f->u->multi, f->easy);
		f->in_multi = false;
	}
	if (f->relay) {
		relay_attempt_done(f, code);
		return;
	}
	if (answered)
		edge_breaker_report(cfg->breaker, &cfg->breaker_cfg, true, now_ms());
	if (f->error) {
		finish(f, f->error);
	} else if (code == CURLE_OK && f->body_ok) {
		finish(f, 0);
	} else if (answered && f->status != 200 && f->status != 206) {
		finish(f, -EPROTO);
	} else {
		failed(f, f->timed_out || code == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
			  : f->status >= 500				   ? -EPROTO
									   : -EHOSTUNREACH);
	}
}

static void transfer_done(void *arg, CURL *easy, CURLcode result)
{
	struct edge_fetch *f = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&f);
	if (f && f->magic == FETCH_MAGIC)
		attempt_done(f, result);
}

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edge_fetch *f = arg;

	if (f->magic != FETCH_MAGIC)
		abort();
	f->timed_out = true;
	attempt_done(f, CURLE_OPERATION_TIMEDOUT);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edge_fetch *f = arg;
	int rc;

	if (f->magic != FETCH_MAGIC)
		abort();
	if ((rc = attempt_start(f)) != 0)
		finish(f, rc);
}

/* ---- the interface --------------------------------------------------------------------- */

struct edge_upstream *edge_upstream_new(struct event_base *base,
					const struct edge_upstream_config *cfg)
{
	struct edge_upstream *u = calloc(1, sizeof(*u));
	const char *auth;

	if (!u)
		return NULL;
	u->magic = UPSTREAM_MAGIC;
	u->base = base;
	u->cfg = *cfg;
	auth = strstr(cfg->url, "://");
	auth = auth ? auth + 3 : cfg->url;
	u->path_prefix = strchr(auth, '/') ? strchr(auth, '/') : "";
	if (!(u->loop = curl_loop_new(base, transfer_done, u))) {
		edge_upstream_free(u);
		errno = ENOMEM;
		return NULL;
	}
	u->multi = curl_loop_multi(u->loop);
	curl_multi_setopt(u->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->max_connections);
	curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, (long)cfg->max_connections);
	return u;
}

void edge_upstream_free(struct edge_upstream *u)
{
	if (!u)
		return;
	while (u->fetches)
		fetch_free(u->fetches);
	while (u->nidle)
		curl_easy_cleanup(u->idle[--u->nidle]);
	curl_loop_free(u->loop);
	u->magic = 0;
	free(u);
}

static int easy_setup(struct edge_fetch *f)
{
	const struct edge_upstream_config *cfg = &f->u->cfg;
	CURL *e = f->easy;

	if (curl_easy_setopt(e, CURLOPT_URL, f->url) != CURLE_OK)
		return -EINVAL;
	curl_easy_setopt(e, CURLOPT_PRIVATE, f);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL); /* bytes as stored, never decoded */
	curl_easy_setopt(e, CURLOPT_USERAGENT, "reel-edge");
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 262144L); /* fewer, larger writes to the disk */
	if (f->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, f->body);
	}
	return 0;
}

/*
 * A new fetch of U for ARG, listed, with its easy handle set up for URL
 * (BASE + "/" + KEY, or BASE + KEY without SLASH), a GET, or a POST of BODY
 * (LEN bytes, copied) as CONTENT_TYPE when BODY is not NULL: 0 and *OUT, or
 * a negative errno (nothing is left of it).
 */
static int fetch_new(struct edge_upstream *u, const char *key, bool slash, const char *content_type,
		     const void *body, size_t len, void *arg, struct edge_fetch **out)
{
	struct edge_fetch *f = calloc(1, sizeof(*f));
	uint8_t sha[32];
	int rc = -ENOMEM;

	if (!f)
		return -ENOMEM;
	if (body && !(f->body = malloc(len ? len : 1))) {
		free(f);
		return -ENOMEM;
	}
	snprintf(f->digest, sizeof(f->digest), "%s", EMPTY_DIGEST);
	if (body) {
		memcpy(f->body, body, len);
		f->body_len = len;
		SHA256(body, len, sha);
		content_digest_format(sha, f->digest);
		snprintf(f->content_type, sizeof(f->content_type), "Content-Type: %s",
			 content_type);
	}
	f->magic = FETCH_MAGIC;
	f->u = u;
	f->arg = arg;
	f->length = -1;
	snprintf(f->key, sizeof(f->key), "%s", key);
	f->next = u->fetches;
	if (u->fetches)
		u->fetches->prev = f;
	u->fetches = f;
	u->active++;
	f->easy = u->nidle ? u->idle[--u->nidle] : curl_easy_init();
	if ((size_t)snprintf(f->url, sizeof(f->url), "%s%s%s", u->cfg.url, slash ? "/" : "", key) >=
	    sizeof(f->url))
		rc = -EINVAL;
	else if (f->easy && (f->idle = evtimer_new(u->base, idle_cb, f)) &&
		 (f->retry = evtimer_new(u->base, retry_cb, f)))
		rc = easy_setup(f);
	if (rc != 0) {
		fetch_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* Start F's first attempt: F, or NULL with errno set (F is freed). */
static struct edge_fetch *fetch_go(struct edge_fetch *f, int rc)
{
	if (rc == 0)
		rc = attempt_start(f);
	if (rc != 0) {
		fetch_free(f);
		errno = -rc;
		return NULL;
	}
	return f;
}

/* A fetch of KEY (a GET, or a POST of BODY as edge_upstream_post()), started. */
static struct edge_fetch *fetch_start(struct edge_upstream *u, const char *key,
				      const char *content_type, const void *body, size_t len,
				      const struct edge_fetch_ops *ops, void *arg)
{
	struct edge_fetch *f;
	int rc = fetch_new(u, key, true, content_type, body, len, arg, &f);

	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	f->ops = ops;
	return fetch_go(f, 0);
}

struct edge_fetch *edge_upstream_fetch(struct edge_upstream *u, const char *key,
				       const struct edge_fetch_ops *ops, void *arg)
{
	return fetch_start(u, key, NULL, NULL, 0, ops, arg);
}

struct edge_fetch *edge_upstream_post(struct edge_upstream *u, const char *path,
				      const char *content_type, const void *body, size_t len,
				      const struct edge_fetch_ops *ops, void *arg)
{
	return fetch_start(u, path, content_type, body ? body : "", len, ops, arg);
}

void edge_fetch_cancel(struct edge_fetch *f)
{
	if (!f)
		return;
	if (f->magic != FETCH_MAGIC)
		abort();
	fetch_free(f);
}

unsigned edge_upstream_active(const struct edge_upstream *u)
{
	return u->active;
}

/* ---- relayed exchanges ------------------------------------------------------------- */

/* A head line of a relayed exchange: gathered; the blank line of a final head hands it on. */
static size_t relay_header(struct edge_fetch *f, const char *line, size_t n)
{
	long code = 0;

	if (f->rhead_done)
		return n; /* trailers */
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		f->rhead.len = 0;
		return n;
	}
	if ((n == 2 && line[0] == '\r') || (n == 1 && line[0] == '\n')) {
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
		f->status = (int)code;
		if (code >= 100 && code < 200)
			return n;
		f->rhead_done = true;
		if ((f->error = f->relay->on_head(f->arg, (int)code, f->rhead.p ? f->rhead.p : "",
						  f->rhead.len)) != 0)
			return 0;
		return n;
	}
	if (buf_reserve(&f->rhead, n) != 0) {
		f->error = -ENOMEM;
		return 0;
	}
	memcpy(f->rhead.p + f->rhead.len, line, n);
	f->rhead.len += n;
	return n;
}

static size_t relay_write(struct edge_fetch *f, const char *p, size_t n)
{
	if (!f->rhead_done || f->error)
		return 0;
	if ((f->error = f->relay->on_data(f->arg, p, n)) != 0)
		return 0;
	f->received += n;
	idle_arm(f, f->u->cfg.read_timeout_ms);
	return n;
}

static void relay_attempt_done(struct edge_fetch *f, CURLcode code)
{
	const struct edge_upstream_config *cfg = &f->u->cfg;
	/*
	 * The breaker guards against an origin that is gone: a head (even a
	 * 5xx's) or a connection it closed early tells that it is there.
	 */
	bool answered = f->rhead_done ||
			(!f->timed_out && code != CURLE_COULDNT_CONNECT &&
			 code != CURLE_OPERATION_TIMEDOUT && code != CURLE_COULDNT_RESOLVE_HOST);

	edge_breaker_report(cfg->breaker, &cfg->breaker_cfg, answered, now_ms());
	if (f->error)
		finish(f, f->error);
	else if (code == CURLE_OK && f->rhead_done)
		finish(f, 0);
	else if (f->timed_out || code == CURLE_OPERATION_TIMEDOUT)
		finish(f, -ETIMEDOUT);
	else
		finish(f, f->rhead_done ? -EPROTO : -EHOSTUNREACH);
}

/* The request of a relayed exchange on F's easy handle: method, headers, body. */
static int relay_setup(struct edge_fetch *f, const struct edge_relay_request *req)
{
	CURL *e = f->easy;
	bool has_accept = false, has_type = false;

	for (const char *const *h = req->headers; h && *h; h++) {
		has_accept |= strncasecmp(*h, "Accept:", 7) == 0;
		has_type |= strncasecmp(*h, "Content-Type:", 13) == 0;
		if (!(f->headers = curl_slist_append(f->headers, *h)))
			return -ENOMEM;
	}
	/* no header of curl's own making: the upstream sees the client's request */
	if ((!has_accept && !(f->headers = curl_slist_append(f->headers, "Accept:"))) ||
	    !(f->headers = curl_slist_append(f->headers, "Expect:")) ||
	    (!has_type && !(f->headers = curl_slist_append(f->headers, "Content-Type:"))))
		return -ENOMEM;
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		if (!(f->rbody = malloc(req->body_len ? req->body_len : 1)))
			return -ENOMEM;
		memcpy(f->rbody, req->body, req->body_len);
		f->rbody_len = req->body_len;
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, f->rbody);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->rbody_len);
	}
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	return 0;
}

struct edge_fetch *edge_upstream_relay(struct edge_upstream *u,
				       const struct edge_relay_request *req,
				       const struct edge_relay_ops *ops, void *arg)
{
	struct edge_fetch *f;
	int rc = fetch_new(u, req->target, false, NULL, NULL, 0, arg, &f);

	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	f->relay = ops;
	curl_easy_setopt(f->easy, CURLOPT_USERAGENT, NULL); /* the client's, if any */
	return fetch_go(f, relay_setup(f, req));
}
