/*
 * Fetches from the upstream (the origin's content endpoint, docs/fill.md):
 * libcurl's multi interface driven by the worker's libevent loop, so no
 * fetch ever blocks the loop.  Each fetch is
 *
 *   GET <url>/<title>/<path> HTTP/1.1
 *   Content-Digest, Signature-Input, Signature     (httpsig.h, HMAC-SHA256
 *                                                   with this edge's secret)
 *   Range: bytes=N-                                (when resuming a retry)
 *
 * with a connect timeout and an idle (read) timeout, bounded retries with
 * jittered exponential backoff for failures that may pass (no connection,
 * timeouts, 5xx), each resuming where the bytes stopped, and a circuit
 * breaker shared by the workers: while it is open no request goes out.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_UPSTREAM_H
#define EDGE_UPSTREAM_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "breaker.h"

struct edge_upstream_config {
	const char *url;     /* base, without a trailing slash */
	const char *edge_id; /* keyid and tag of the signature; NULL or "": unsigned */
	const uint8_t *secret;
	size_t secret_len;
	uint64_t connect_timeout_ms;
	uint64_t read_timeout_ms; /* longest wait for the next bytes */
	unsigned retries;	  /* after the first attempt */
	uint64_t backoff_ms;	  /* before the first retry; doubles, jittered */
	unsigned max_connections;
	struct edge_breaker *breaker; /* shared */
	struct edge_breaker_config breaker_cfg;
};

struct edge_upstream;
struct edge_fetch;

/* What a fetch reports, in this order; no call after on_done. */
struct edge_fetch_ops {
	/*
	 * The upstream answered 200 with LENGTH bytes (-1: not said).  Called
	 * once, for the first attempt that got that far.  Returns 0 to go on,
	 * or a negative errno to end the fetch with it.
	 */
	int (*on_head)(void *arg, int64_t length, const char *etag, const char *last_modified);
	/* Bytes P[0..N) of the body at OFFSET (in order, never twice): 0, or < 0 to end. */
	int (*on_data)(void *arg, uint64_t offset, const void *p, size_t n);
	/*
	 * The end: 0 when the whole body arrived; else -ENOENT (404 or 410),
	 * -ETIMEDOUT (no answer in time, after the retries), -EHOSTUNREACH (no
	 * connection, or the breaker opened), -EPROTO (another status, or an
	 * answer that does not fit), or the error on_head or on_data returned.
	 * STATUS is the last HTTP status seen (0 when none).
	 */
	void (*on_done)(void *arg, int result, int status);
};

/*
 * The upstream of CFG on BASE (CFG is copied; its strings, secret and
 * breaker are borrowed and must outlive it).  The caller owns the result
 * and frees it with edge_upstream_free(); NULL with errno set.
 */
struct edge_upstream *edge_upstream_new(struct event_base *base,
					const struct edge_upstream_config *cfg);

/* Cancel every fetch (no callbacks) and free U.  NULL does nothing. */
void edge_upstream_free(struct edge_upstream *u);

/*
 * Fetch KEY ("<title>/<path>") with OPS and ARG.  Returns the fetch, or
 * NULL with errno EHOSTUNREACH when the breaker is open (nothing is sent;
 * answer at once), ENOMEM, EIO.  The callbacks run later, from the loop.
 * The fetch belongs to U: it is freed after on_done returns, or by
 * edge_fetch_cancel(); KEY is copied, OPS and ARG must live until then.
 */
struct edge_fetch *edge_upstream_fetch(struct edge_upstream *u, const char *key,
				       const struct edge_fetch_ops *ops, void *arg);

/*
 * POST BODY (LEN bytes, copied) as CONTENT_TYPE to PATH ("edge/v1/heartbeat",
 * after the base URL), signed over its Content-Digest, otherwise as a fetch:
 * a 200's body goes to OPS, another status ends it with -EPROTO or -ENOENT.
 * Retries (the config's) send it again with a fresh signature.
 */
struct edge_fetch *edge_upstream_post(struct edge_upstream *u, const char *path,
				      const char *content_type, const void *body, size_t len,
				      const struct edge_fetch_ops *ops, void *arg);

/* Stop F; no callback runs after.  Call it outside F's own callbacks. */
void edge_fetch_cancel(struct edge_fetch *f);

/* Fetches running now. */
unsigned edge_upstream_active(const struct edge_upstream *u);

/* What a fetch keeps of an answer's head (libcurl hands it over a line at a time). */
struct edge_upstream_head {
	char etag[128], last_modified[64]; /* of the first head; "" when absent */
	char content_range[128];	   /* of the current head; "" when absent */
};

/*
 * One header line LINE (N bytes, its CRLF included) of an answer into H: a
 * status line starts a head (its Content-Range forgotten); Content-Range is
 * kept, and ETag and Last-Modified unless VALIDATORS_KEPT (an earlier
 * attempt's head gave them).  Values too long are cut.  Returns true for
 * the blank line that ends a head.
 */
bool edge_upstream_head_line(struct edge_upstream_head *h, const char *line, size_t n,
			     bool validators_kept);

/* The first byte of a Content-Range value "bytes FIRST-LAST/LENGTH": 0, or -EINVAL. */
int edge_content_range_first(const char *v, uint64_t *first);

/*
 * Relayed exchanges, for the generic upstream mode (http_cache.c): any
 * method, the caller's request header lines and body, and whatever the
 * upstream answers (any status, every header line) handed back as it is.
 * One attempt: nothing is retried, since the method may not be idempotent;
 * the breaker is consulted and told the outcome as for fetches.
 */
struct edge_relay_request {
	const char *method; /* "GET", "POST", ... */
	const char *target; /* origin-form, "/path?query": appended to the upstream's base */
	const char *const *headers; /* "Name: value" lines (no CRLF), NULL-terminated */
	const char *body;	    /* NULL: none */
	size_t body_len;
};

struct edge_relay_ops {
	/*
	 * The final head: STATUS and its header lines HEAD[0..LEN) ("Name:
	 * value\r\n" each, as received; interim 1xx heads are skipped).
	 * Returns 0 to go on, or a negative errno to end the exchange with it.
	 */
	int (*on_head)(void *arg, int status, const char *head, size_t len);
	/* Body bytes P[0..N) in order (transfer codings removed): 0, or < 0 to end. */
	int (*on_data)(void *arg, const void *p, size_t n);
	/*
	 * The end: 0 when the whole answer arrived; -ETIMEDOUT, -EHOSTUNREACH
	 * (no connection, or the breaker is open), -EPROTO (a malformed
	 * answer), or the error a callback returned.  STATUS as for fetches.
	 */
	void (*on_done)(void *arg, int result, int status);
};

/*
 * Start the exchange REQ (its strings are copied) with OPS and ARG on U.
 * Returns it (owned by U, freed after on_done, or by edge_fetch_cancel()),
 * or NULL with errno EHOSTUNREACH (the breaker is open: nothing was sent),
 * ENOMEM, EINVAL, EIO.
 */
struct edge_fetch *edge_upstream_relay(struct edge_upstream *u,
				       const struct edge_relay_request *req,
				       const struct edge_relay_ops *ops, void *arg);

#endif
