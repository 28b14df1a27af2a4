/*
 * Internals shared by httpd.c (connection state machine) and httpd_io.c
 * (moving bytes).  Not for use outside the server core.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HTTPD_INT_H
#define REEL_HTTPD_INT_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event_struct.h>
#include <time.h>

#include "buf.h"
#include "httpd.h"

#define HTTPD_MAGIC	    0x48747064U /* "Htpd" */
#define HTTPD_CONN_MAGIC    0x436f6e6eU /* "Conn" */
#define HTTPD_DEFER_MAGIC   0x44666572U /* "Dfer" */
#define HTTPD_INLINE_SEGS   2
#define HTTPD_TLS_CHUNK	    65536		 /* file bytes read per SSL_write without kTLS */
#define HTTPD_TLS_WBUF	    (4 * 16384 + 4 * 64) /* four full TLS records */
#define HTTPD_DISCARD_MAX   65536
#define HTTPD_DRAIN_IDLE_MS 1000  /* grace for idle connections when draining */
#define HTTPD_SINK_BUF	    65536 /* request body bytes read at a time into a sink */

/* Body bytes a sink reads per turn of the loop on plain TCP (then others get theirs). */
#define HTTPD_SINK_TURN (1 << 20)

/* One piece of output: memory (fd < 0: OFF indexes the output buffer) or a file range. */
struct httpd_seg {
	int fd;
	uint64_t off, len;
};

struct httpd_conn {
	uint32_t magic;
	int fd;
	struct httpd *srv;
	struct httpd_conn *prev, *next;
	struct event ev;
	short ev_what; /* interest registered with ev */
	short io_want; /* interest the last I/O asked for (TLS may want the other way) */
	bool handshaking, close_after, head_only, head_done, failed, has_file, logged, drained;
	bool ktls;
	bool lingering;		      /* answered and shut for writing: discarding input */
	bool in_handler;	      /* the handler of this connection is running */
	bool streaming;		      /* the deferred answer goes out in parts */
	bool stream_failed;	      /* a part could not be built: close */
	struct httpd_deferred *defer; /* the request whose answer is deferred */
	struct httpd_sink *sink;      /* the request body goes to the handler as it comes */
	uint64_t deadline_ms;	      /* 0: none */
	uint32_t nrequests;
	uint32_t lingered;   /* bytes discarded while lingering */
	const char *headers; /* the listener's lines for every answer, or NULL */
	size_t headers_len;

	/* input: [in_off, in_len) unparsed; the current request starts at in_off */
	char *in;
	uint32_t in_len, in_off, scan_off, req_len;
	uint64_t discard; /* request body bytes still to skip */
	char *body;	  /* the request body being gathered (bodies allowed) */
	uint64_t body_len, body_need, body_from_in;
	bool continue_sent;

	/* output: segments over the output buffer and files */
	struct buf out;
	struct httpd_seg *segs;
	uint16_t nsegs, segcap, seg_i;
	struct httpd_seg seg_inline[HTTPD_INLINE_SEGS];
	uint64_t queued, flushed; /* bytes queued and written since the output was empty */
	uint64_t queued_at_start, queued_at_end;
	uint64_t stream_bytes; /* of a streamed answer, in parts already written */

	/* the response whose last byte is not yet out */
	int status;
	size_t resp_start, head_len;
	uint64_t t_start_us;
	const char *cache_status;
	struct http_str log_line, log_referer, log_ua;
	void (*unref)(void *);
	void *ref;

	SSL *ssl;
	struct httpd_wbio *wbio; /* record coalescing, when kTLS is not in use */
	char *tlsbuf;		 /* file bytes read for SSL_write without kTLS */
	uint32_t tls_len, tls_off;

	struct sockaddr_in6 peer; /* or a sockaddr_in: family first */
};

/* A deferred answer (httpd_defer); the handle outlives its connection, never the reverse. */
struct httpd_deferred {
	uint32_t magic;
	struct httpd_conn *conn;   /* NULL once the connection is closed */
	struct httpd_exchange *hx; /* the handler's exchange, while that handler runs */
	struct httpd_exchange x;   /* the exchange handed back later */
	struct http_request req;   /* X's request: the server's parse buffer is reused */
	/* a streamed answer (httpd_resume_part) */
	void (*sent)(void *arg, bool closed);
	void *sent_arg;
	bool part_out;	     /* a part is queued; SENT is due once it is written */
	bool notify_ready;   /* notify is assigned */
	struct event notify; /* runs SENT from the loop */
};

/* A request body handed to the handler as it arrives (httpd_body_sink). */
struct httpd_sink {
	int (*data)(void *arg, const char *p, size_t n);
	void (*end)(void *arg, int err);
	void *arg;
	uint64_t left; /* body bytes still to come */
	int err;       /* why the connection closes, for END */
	char buf[HTTPD_SINK_BUF];
};

struct httpd_lstate {
	struct httpd_listener l;
	struct event ev;
	struct httpd *srv;
};

struct httpd {
	uint32_t magic;
	struct event_base *base;
	struct httpd_limits limits;
	struct metrics_slot *metrics;
	struct accesslog *alog;
	httpd_handler_fn handler;
	void *arg;
	void (*warn)(const char *fmt, ...);

	struct httpd_conn *conns;
	unsigned nconns;
	bool paused, draining, fd_pause;
	uint64_t now_ms, fd_pause_ms, drain_deadline_ms;
	void (*drain_done)(void *);
	void *drain_arg;

	time_t date_sec;
	char date[32];
	struct http_request req; /* scratch: one request is handled at a time */

	uint32_t in_cap;
	char *free_in, *free_out;
	unsigned nfree_in, nfree_out;

	struct event sweep;
	int nlisteners;
	struct httpd_lstate ls[];
};

uint64_t httpd_now_us(void);
void httpd_conn_want(struct httpd_conn *c, short what);
void httpd_conn_close(struct httpd_conn *c);
void httpd_timeout(struct httpd_conn *c);
/* The handler is done with X: finish the answer (a 500 when it has none), mark it for the log. */
void httpd_answer_finish(struct httpd_conn *c, struct httpd_exchange *x);
/* All queued bytes are out: finish the last response (or part) and reset the output. */
void httpd_conn_output_done(struct httpd_conn *c);
/* Queue "100 Continue" when REQ waits for it: 0, or -1 out of memory. */
int httpd_queue_continue(struct httpd_conn *c, const struct http_request *req);

/* httpd_defer.c */
/* A deferred answer with nothing to send: watch only for the client closing. */
void httpd_defer_watch(struct httpd_conn *c);
/* That watch saw the socket readable: close at its end, stop watching on bytes. */
void httpd_defer_peek(struct httpd_conn *c);
/* Feed C's sink: 0 when done, -EAGAIN when the socket is empty, < 0 to close. */
int httpd_sink_read(struct httpd_conn *c);
/* C's sink is done (ERR 0: the whole body came): tell its owner, free it. */
void httpd_sink_end(struct httpd_conn *c, int err);

/* httpd_io.c.  Reads return bytes, 0 at end of stream, -EAGAIN or -errno. */
int httpd_plain_read(struct httpd_conn *c, char *p, size_t n);
int httpd_tls_read(struct httpd_conn *c, char *p, size_t n);
/* Write queued segments.  0: all out; -EAGAIN: waiting (interest set); other < 0: close. */
int httpd_flush(struct httpd_conn *c);
int httpd_tls_start(struct httpd_conn *c, SSL_CTX *ctx);
/* 0 done, -EAGAIN waiting (interest set), other < 0 failed. */
int httpd_tls_handshake(struct httpd_conn *c);
void httpd_tls_close(struct httpd_conn *c);
/* Free the coalescing buffer of an idle TLS connection. */
void httpd_tls_release(struct httpd_conn *c);

#endif
