/*
 * The HTTP/1.1 server core: listeners, connections, request heads, responses
 * from memory and from files (sendfile(2) on plain TCP; SSL_sendfile with
 * kernel TLS or a bounded buffer on TLS), keep-alive, pipelining, timeouts,
 * limits, metrics, access log, graceful drain.  One struct httpd per worker
 * process, driven by a libevent base.  Handlers answer synchronously, or
 * defer the answer (httpd_defer) and give it later from the same thread.
 *
 * A response is written by the handler in this order:
 *   httpd_begin(x, status);            status line, Date, Server
 *   httpd_header*(x, ...);             any number of header lines
 *   httpd_end_head(x, content_length); Content-Length, Connection, blank line
 *   httpd_body_mem / httpd_body_file;  body parts in order (dropped for HEAD)
 * or with httpd_error() in one call.
 *
 * "Answered", one convention for the whole project (edge and origin): a
 * helper that may answer the request returns bool, true when it has
 * answered (the caller returns at once and does not touch X again) and
 * false when it has not (the caller goes on).  Name such a helper for the
 * case in which it answers, so the call reads as a guard:
 *
 *   if (api_no_session(api, x, &u) || api_bad_body(x, &body))
 *           return;
 */
#ifndef REEL_HTTPD_H
#define REEL_HTTPD_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "accesslog.h"
#include "http_parser.h"
#include "metrics.h"

struct httpd_limits {
	uint32_t max_request_line;     /* bytes; longer: 414 */
	uint32_t max_header_size;      /* bytes of the whole head; larger: 431 */
	uint64_t header_timeout_ms;    /* first byte (or accept) to end of head */
	uint64_t keepalive_timeout_ms; /* idle between requests */
	uint64_t send_timeout_ms;      /* between two successful writes */
	uint64_t shutdown_timeout_ms;  /* drain budget after httpd_drain() */
	uint32_t max_requests;	       /* per connection; the last gets Connection: close */
	uint32_t max_connections;      /* per worker; past it accepting pauses */
	uint64_t max_body; /* request bodies up to this size reach the handler; larger: 413.
			      0: bodies are skipped (up to 64 KiB) and never read */
	uint64_t lingering_timeout_ms; /* after an answer that closes the connection, read and
					  discard what the client still sends for up to this
					  long (and HTTPD_LINGER_MAX bytes) before closing, so
					  its unread bytes do not reset the answer; 0: close */
};

#define HTTPD_LINGER_MAX (1u << 20) /* bytes a lingering close discards at most */

/*
 * Defaults both servers start from: 8 KiB request line, 16 KiB head, 10 s
 * head / 75 s keep-alive / 60 s send / 10 s shutdown / 5 s lingering
 * timeouts, 10,000 requests per connection, 16,384 connections, no request
 * bodies.
 */
extern const struct httpd_limits httpd_limits_default;

struct httpd_listener {
	int fd;
	SSL_CTX *tls;	     /* NULL for plain HTTP; not owned */
	const char *headers; /* "Name: value\r\n" lines added to every answer on this
				listener (Strict-Transport-Security), or NULL; not
				owned, must outlive the server */
	char name[112];
};

struct httpd;
struct httpd_conn;

/* The request being answered. */
struct httpd_exchange {
	const struct http_request *req;
	struct httpd_conn *conn;
	const char *cache_status; /* for the access log: "HIT", "MISS" or "-" (default) */
	const char *body;	  /* the whole request body (max_body > 0), else NULL */
	size_t body_len;
};

typedef void (*httpd_handler_fn)(struct httpd_exchange *x, void *arg);

/*
 * Create a server on BASE for the LISTENERS (copied; the fds become owned by
 * the server and close with it).  METRICS is this worker's slot; ALOG may be
 * NULL (no access log).  Both stay the caller's and must outlive the server;
 * the server writes ALOG's buffered lines out on its sweep, every 500 ms, so
 * a line reaches the file within a second (the owner's accesslog_free()
 * writes the rest at exit).  Returns NULL with errno set on failure.
 */
struct httpd *httpd_new(struct event_base *base, const struct httpd_limits *limits,
			const struct httpd_listener *listeners, int nlisteners,
			struct metrics_slot *metrics, struct accesslog *alog,
			httpd_handler_fn handler, void *arg);

/* Close every connection and listener and free the server.  NULL is a no-op. */
void httpd_free(struct httpd *srv);

/*
 * Stop accepting, close idle connections, let in-flight responses finish
 * (then close), and call DONE(ARG) once no connection is left or the
 * shutdown timeout has passed.
 */
void httpd_drain(struct httpd *srv, void (*done)(void *), void *arg);

/* Report operational trouble (accept failures) through WARN, printf-style. */
void httpd_set_warn(struct httpd *srv, void (*warn)(const char *fmt, ...));

/* Connections open now. */
unsigned httpd_connections(const struct httpd *srv);

/* The client's address (struct sockaddr_in or sockaddr_in6), owned by X's connection: valid while X
 * is. */
const struct sockaddr *httpd_peer(const struct httpd_exchange *x);

/* Was the connection made to a TLS listener? */
bool httpd_is_tls(const struct httpd_exchange *x);

/* Response construction; see the order above.  Memory failures close the connection. */
void httpd_begin(struct httpd_exchange *x, int status);
/*
 * httpd_begin() for an answer relayed from another server (a cache's): the
 * status line and the listener's lines only, since the relayed head brings
 * its own Date and Server (the caller adds a Date when it has none).
 */
void httpd_begin_relayed(struct httpd_exchange *x, int status);
void httpd_header(struct httpd_exchange *x, const char *line, size_t len); /* "Name: v\r\n" */
/* httpd_header() for a string literal. */
#define httpd_header_lit(x, lit) httpd_header((x), (lit), sizeof(lit) - 1)
void httpd_headerf(struct httpd_exchange *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* CONTENT_LENGTH < 0 omits the header (304, 204). */
void httpd_end_head(struct httpd_exchange *x, int64_t content_length);
void httpd_body_mem(struct httpd_exchange *x, const void *data, size_t len);
/* Send LEN bytes of FD from OFF; FD must stay open until the response is done (see httpd_hold). */
void httpd_body_file(struct httpd_exchange *x, int fd, uint64_t off, uint64_t len);

/*
 * Deferred answers, for work that must not run on the event loop.  Inside the
 * handler, httpd_defer(X) leaves X unanswered: the connection then reads and
 * parses nothing more (pipelined requests wait), no head or keep-alive timeout
 * runs, the request (X->req, X->body) stays valid, and the exchange counts as
 * in flight for httpd_drain().  Later, on the loop's thread:
 *
 *   x = httpd_resume(d);            NULL: the connection is gone, D is freed
 *   httpd_begin(x, ...) ...;        the answer, exactly as in a handler
 *   httpd_resume_done(x);           the connection goes on (log, keep-alive, next request)
 *
 * httpd_resume() and httpd_resume_done() go together, without returning to
 * the loop in between; they may run inside any handler or callback.  Every
 * handle from httpd_defer() must be passed to httpd_resume() exactly once
 * (once per part for a streamed answer, httpd_resume_part() below),
 * even after the connection closed or the server was freed (the handle does
 * not refer to the server then).  A client that closes its side while
 * its answer is deferred is disconnected at once; the late answer is dropped.
 * Between httpd_defer() and httpd_resume() X itself must not be used.
 */
struct httpd_deferred;

/*
 * Defer the answer to X; call only from the handler, before any httpd_begin().
 * Returns the handle (the server's: give it back to httpd_resume() exactly
 * once), or NULL with errno ENOMEM (or EINVAL when misused): the handler must
 * then answer synchronously as usual.
 */
struct httpd_deferred *httpd_defer(struct httpd_exchange *x);

/*
 * Take the deferred exchange back to answer it; D is owned by the server
 * again.  Returns the exchange (the handler's own X when called from inside
 * that handler), or NULL when the connection was closed meanwhile (client
 * gone, timeout, httpd_free): D is freed and there is nothing to answer.
 */
struct httpd_exchange *httpd_resume(struct httpd_deferred *d);

/*
 * The answer to X (from httpd_resume) is complete: check it (no head or a
 * memory failure becomes a 500, as for a handler), free the handle and let
 * the connection send it and go on, from the loop's next turn.  X is invalid
 * afterwards.
 */
void httpd_resume_done(struct httpd_exchange *x);

/*
 * A streamed answer, given in parts, for a body that is not all there yet
 * (a fetch in progress).  With a deferred exchange taken back by
 * httpd_resume(), after the head (with the whole Content-Length) and the
 * body bytes there are so far:
 *
 *   httpd_resume_part(x, sent, arg);   what is queued goes out; X stays deferred
 *   ... SENT(ARG, false) once it has all been written ...
 *   x = httpd_resume(d);               then more body, and httpd_resume_part()
 *   httpd_body_file(x, ...);           again, or httpd_resume_done() after the
 *   httpd_resume_done(x);              last part
 *
 * SENT(ARG, true) instead tells that the connection closed (the client left,
 * a send timeout, httpd_free); call httpd_resume(D) then to free D (it
 * returns NULL).  SENT runs from the loop, never inside httpd_resume_part().
 * While a part is out and nothing more is queued, no timeout runs: the
 * caller bounds the wait.  A memory failure in a part closes the connection.
 */
void httpd_resume_part(struct httpd_exchange *x, void (*sent)(void *arg, bool closed), void *arg);

/*
 * Give up on a deferred answer whose head is out (a streamed answer whose
 * source failed): the connection closes at once, so the client sees the
 * answer cut short.  The handle is freed; X is invalid afterwards.
 */
void httpd_resume_abort(struct httpd_exchange *x);

/*
 * Take the request body of X as it arrives, for a handler that must not
 * hold it in memory (on a server with max_body 0).  Call it from the
 * handler, then httpd_defer(X).  The core reads the Content-Length bytes
 * and hands them on in order: DATA(ARG, p, n) for each piece (0 to go on, or
 * a negative errno to stop), then END(ARG, ERR) exactly once: 0 when all of
 * it arrived; DATA's error when DATA stopped it (the rest is never read and
 * the connection closes after the answer); -ECONNRESET or -ETIMEDOUT when
 * the client went away first (then nothing can be answered: httpd_resume()
 * returns NULL).  DATA and END run from the loop, outside the handler.
 * Returns 0, or -EINVAL (no body, or a sink already), -ENOMEM.
 */
int httpd_body_sink(struct httpd_exchange *x, int (*data)(void *arg, const char *p, size_t n),
		    void (*end)(void *arg, int err), void *arg);

/*
 * Keep OBJ alive until the response is sent or dropped: UNREF(OBJ) is called
 * then (the server holds the caller's reference until that call).
 */
void httpd_hold(struct httpd_exchange *x, void (*unref)(void *), void *obj);

/*
 * A whole error response: STATUS, a text/plain body "STATUS Reason: WHY\n",
 * EXTRA header lines (may be NULL), and Connection: close when CLOSE.
 */
void httpd_error(struct httpd_exchange *x, int status, const char *why, const char *extra,
		 bool close);

/* The standard reason phrase of STATUS ("Not Found"; a static string). */
const char *httpd_reason(int status);

#endif
