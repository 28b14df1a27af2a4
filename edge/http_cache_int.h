/*
 * The generic upstream mode's parts, shared by its handler (http_cache.c:
 * the lookup and the answers) and its exchanges with the upstream
 * (http_cache_xchg.c: relaying, storing, and the clients that read an
 * answer from its temporary file as it arrives).  Not for other modules.
 */
#ifndef EDGE_HTTP_CACHE_INT_H
#define EDGE_HTTP_CACHE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache_control.h"
#include "cache_status.h"
#include "http_cache.h"
#include "http_cache_store.h"

#define CACHE_NAME "reel-edge"

struct edge_http_cache {
	uint32_t magic;
	struct edge_http_cache_config cfg;
	struct hc_xchg *pending;  /* exchanges with the upstream */
	struct hc_reader *remote; /* clients reading another worker's exchange */
	struct event *wake, *rescan;
	pid_t pid;
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

/* Copy R's head into C (every field points into C->bytes).  0 or -ENOMEM. */
int hc_req_copy(struct req_copy *c, const struct http_request *r);

/*
 * The origin-form target of R ("/path?query", also for an absolute-form
 * request) into OUT: what is relayed and what keys a stored response.
 */
void hc_target_of(const struct http_request *r, char *out, size_t cap);

#define HC_TARGET_MAX 8192 /* bytes of "/path?query" (the request line's own limit is lower) */

#define HC_MAX_FORWARD 96 /* request header lines relayed */

/*
 * The header lines relayed for R into LINES (NUL-separated in OUT; LINES
 * points into it, NULL-terminated), with the validators of STORED when
 * validating.  0 or -ENOMEM.
 */
int hc_relay_lines(const struct http_request *r, const struct hc_entry *stored, struct buf *out,
		   const char *lines[HC_MAX_FORWARD + 5]);

/*
 * After an unsafe method's 2xx or 3xx answer (header block H): the target
 * KEY, and the same-origin (HOST) Location and Content-Location of H, are
 * removed with their variants.
 */
void hc_invalidate(struct edge_cache *c, const char *key, const char *h, size_t len,
		   struct http_str host);

/* Does an answer STATUS have no body whatever the framing says? */
bool hc_no_body_status(int status);

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

/*
 * The head of the answer A to REQ on X, and in *OFF and *LEN the part of
 * A's body to send after it.  False when X is answered whole already (an
 * answer without a body, a 304 or 412 to the client's conditionals).
 */
bool hc_answer_head(struct httpd_exchange *x, const struct http_request *req,
		    const struct hc_answer *a, uint64_t *off, uint64_t *len);

/*
 * The answer from stored entry E (its file passes to the answer): a hit,
 * or with FWD (and FWD_STATUS, DETAIL: may be 0 and NULL) what was asked.
 */
void hc_answer_stored(struct httpd_exchange *x, const struct http_request *req,
		      struct hc_entry *e, const char *fwd, int fwd_status, const char *detail);

/*
 * Answer X (deferred as D, or NULL inside the handler) from the store or
 * the upstream; COLLAPSE: it may share another request's fetch.
 */
void hc_serve(struct edge_http_cache *hc, struct httpd_exchange *x, struct httpd_deferred *d,
	      bool collapse);

/* A stored response's use in a relay: what is validated and where an answer goes. */
struct hc_relay_args {
	enum hc_mode mode;
	const char *fwd;	       /* Cache-Status fwd= of a miss */
	struct hc_entry *stored;       /* HC_VALIDATE: its ownership passes on; else NULL */
	const struct cache_control *rcc; /* the request's; NULL: read from it */
	const char *key;	       /* the target's */
	const char *skey;	       /* the entry asked about, or the variant a miss is for */
	bool collapse;		       /* may be shared with concurrent requests */
};

/* Relay X's request (deferred as D, or NULL inside the handler) as A says; answered later. */
void hc_relay(struct edge_http_cache *hc, struct httpd_exchange *x, struct httpd_deferred *d,
	      const struct hc_relay_args *a);

/* Remote readers: set up the wakeups (0 or -ENOMEM), look at them all, and end them. */
int hc_remote_start(struct edge_http_cache *hc);
void hc_remote_pump(struct edge_http_cache *hc);
void hc_xchg_stop_all(struct edge_http_cache *hc);

#endif
