/*
 * HTTP/1.1 server core: accepting, the per-connection state machine (read a
 * head, call the handler, write the response, repeat), timeouts and drain.
 * The byte-moving half (plain and TLS writes, TLS handshakes) is in
 * httpd_io.c, answers given after the handler returned and request bodies
 * taken by a sink in httpd_defer.c; all share httpd_int.h.
 *
 * A connection owns no buffers while idle: input and output buffers come from
 * per-server free lists when bytes arrive and go back when a response is done
 * and no input is pending, so idle keep-alive connections cost a few hundred
 * bytes each.
 */
#include "httpd_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_date.h"

#define SWEEP_MS	     500
#define ACCEPT_BATCH	     64
#define FREE_LIST_MAX	     1024
#define PIPELINE_BATCH_BYTES 65536

/* Status codes with their reason phrases (RFC 9110 section 15). */
#define HTTPD_STATUS_LIST(X)                                                                       \
	X(100, "Continue")                                                                         \
	X(200, "OK")                                                                               \
	X(201, "Created")                                                                          \
	X(204, "No Content")                                                                       \
	X(206, "Partial Content")                                                                  \
	X(301, "Moved Permanently")                                                                \
	X(302, "Found")                                                                            \
	X(304, "Not Modified")                                                                     \
	X(400, "Bad Request")                                                                      \
	X(401, "Unauthorized")                                                                     \
	X(403, "Forbidden")                                                                        \
	X(404, "Not Found")                                                                        \
	X(405, "Method Not Allowed")                                                               \
	X(408, "Request Timeout")                                                                  \
	X(409, "Conflict")                                                                         \
	X(411, "Length Required")                                                                  \
	X(412, "Precondition Failed")                                                              \
	X(413, "Content Too Large")                                                                \
	X(414, "URI Too Long")                                                                     \
	X(415, "Unsupported Media Type")                                                           \
	X(416, "Range Not Satisfiable")                                                            \
	X(422, "Unprocessable Content")                                                            \
	X(429, "Too Many Requests")                                                                \
	X(431, "Request Header Fields Too Large")                                                  \
	X(500, "Internal Server Error")                                                            \
	X(501, "Not Implemented")                                                                  \
	X(502, "Bad Gateway")                                                                      \
	X(503, "Service Unavailable")                                                              \
	X(504, "Gateway Timeout")                                                                  \
	X(505, "HTTP Version Not Supported")

const struct httpd_limits httpd_limits_default = {
    .max_request_line = 8192,
    .max_header_size = 16384,
    .header_timeout_ms = 10000,
    .keepalive_timeout_ms = 75000,
    .send_timeout_ms = 60000,
    .shutdown_timeout_ms = 10000,
    .max_requests = 10000,
    .max_connections = 16384,
    .max_body = 0,
    .lingering_timeout_ms = 5000,
};

const char *httpd_reason(int status)
{
	switch (status) {
#define X(code, text)                                                                              \
	case code:                                                                                 \
		return text;
		HTTPD_STATUS_LIST(X)
#undef X
	}
	return "Unknown";
}

uint64_t httpd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void update_clock(struct httpd *srv)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	srv->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != srv->date_sec) {
		srv->date_sec = ts.tv_sec;
		http_date_format(ts.tv_sec, srv->date);
	}
}

/* ---- buffers ---------------------------------------------------------- */

static char *inbuf_get(struct httpd *srv)
{
	if (srv->free_in) {
		char *p = srv->free_in;

		srv->free_in = *(char **)p;
		srv->nfree_in--;
		return p;
	}
	return malloc(srv->in_cap);
}

static void inbuf_put(struct httpd *srv, char *p)
{
	if (srv->nfree_in >= FREE_LIST_MAX) {
		free(p);
		return;
	}
	*(char **)p = srv->free_in;
	srv->free_in = p;
	srv->nfree_in++;
}

/* Give back what an idle connection does not need. */
static void conn_release_buffers(struct httpd_conn *c)
{
	struct httpd *srv = c->srv;

	if (c->in && c->in_off == c->in_len) {
		inbuf_put(srv, c->in);
		c->in = NULL;
		c->in_len = c->in_off = c->scan_off = 0;
	}
	if (c->out.p && c->nsegs == 0) {
		if (c->out.cap <= 16384 && srv->nfree_out < FREE_LIST_MAX) {
			*(char **)c->out.p = srv->free_out;
			srv->free_out = c->out.p;
			srv->nfree_out++;
		} else {
			free(c->out.p);
		}
		c->out.p = NULL;
		c->out.len = c->out.cap = 0;
	}
	if (c->segs != c->seg_inline && c->nsegs == 0) {
		free(c->segs);
		c->segs = c->seg_inline;
		c->segcap = HTTPD_INLINE_SEGS;
	}
	free(c->tlsbuf);
	c->tlsbuf = NULL;
	c->tls_len = c->tls_off = 0;
	httpd_tls_release(c);
}

static int outbuf_ensure(struct httpd_conn *c)
{
	struct httpd *srv = c->srv;

	if (c->out.p)
		return 0;
	if (srv->free_out) {
		c->out.p = srv->free_out;
		srv->free_out = *(char **)c->out.p;
		srv->nfree_out--;
		c->out.cap = 16384;
		return 0;
	}
	return buf_reserve(&c->out, 16384);
}

/* ---- connection lifecycle ----------------------------------------------- */

static void conn_cb(evutil_socket_t fd, short what, void *arg);
static void conn_run(struct httpd_conn *c);
static void listeners_pause(struct httpd *srv);
static void listeners_resume(struct httpd *srv);

void httpd_conn_want(struct httpd_conn *c, short what)
{
	if (c->ev_what == what)
		return;
	event_del(&c->ev);
	event_assign(&c->ev, c->srv->base, c->fd, what | EV_PERSIST, conn_cb, c);
	event_add(&c->ev, NULL);
	c->ev_what = what;
}

static void list_remove(struct httpd *srv, struct httpd_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void response_log(struct httpd_conn *c, uint64_t body_bytes);

void httpd_conn_close(struct httpd_conn *c)
{
	struct httpd *srv = c->srv;

	if (c->logged == false && c->status)
		response_log(c, c->stream_bytes + c->flushed > c->head_len
				    ? c->stream_bytes + c->flushed - c->head_len
				    : 0);
	if (c->sink)
		httpd_sink_end(c, c->sink->err ? c->sink->err : -ECONNRESET);
	if (c->defer) {
		struct httpd_deferred *d = c->defer;

		d->conn = NULL; /* httpd_resume() drops the late answer */
		c->defer = NULL;
		if (d->notify_ready)
			event_del(&d->notify);
		if (d->sent)
			d->sent(d->sent_arg, true); /* D may be freed from here on */
	}
	if (c->unref)
		c->unref(c->ref);
	free(c->body);
	event_del(&c->ev);
	httpd_tls_close(c);
	close(c->fd);
	c->nsegs = 0;
	c->in_off = c->in_len;
	conn_release_buffers(c);
	list_remove(srv, c);
	c->magic = 0;
	free(c);
	srv->nconns--;
	metrics_add((uint64_t *)&srv->metrics->open_connections, (uint64_t)-1);
	if (srv->paused && srv->nconns < srv->limits.max_connections && !srv->draining)
		listeners_resume(srv);
	if (srv->draining && srv->nconns == 0 && srv->drain_done) {
		void (*done)(void *) = srv->drain_done;

		srv->drain_done = NULL;
		done(srv->drain_arg);
	}
}

static void conn_new(struct httpd *srv, int fd, struct httpd_listener *l,
		     const struct sockaddr_storage *peer, socklen_t plen)
{
	struct httpd_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c) {
		close(fd);
		return;
	}
	c->magic = HTTPD_CONN_MAGIC;
	c->fd = fd;
	c->srv = srv;
	c->segs = c->seg_inline;
	c->segcap = HTTPD_INLINE_SEGS;
	memcpy(&c->peer, peer, plen < sizeof(c->peer) ? plen : sizeof(c->peer));
	c->headers = l->headers;
	c->headers_len = l->headers ? strlen(l->headers) : 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	metrics_add(&srv->metrics->accepted, 1);
	metrics_add((uint64_t *)&srv->metrics->open_connections, 1);
	c->deadline_ms = srv->now_ms + srv->limits.header_timeout_ms;
	event_assign(&c->ev, srv->base, fd, EV_READ | EV_PERSIST, conn_cb, c);
	c->ev_what = EV_READ;
	event_add(&c->ev, NULL);
	if (l->tls) {
		if (httpd_tls_start(c, l->tls) != 0) {
			httpd_conn_close(c);
			return;
		}
	}
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_lstate *ls = arg;
	struct httpd *srv = ls->srv;

	update_clock(srv);
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				if (srv->warn)
					srv->warn("accept on %s: %s; pausing for 1 s", ls->l.name,
						  strerror(errno));
				listeners_pause(srv);
				srv->fd_pause = true;
			}
			return;
		}
		conn_new(srv, cfd, &ls->l, &ss, len);
		if (srv->nconns >= srv->limits.max_connections) {
			listeners_pause(srv);
			return;
		}
	}
}

static void listeners_pause(struct httpd *srv)
{
	if (srv->paused)
		return;
	for (int i = 0; i < srv->nlisteners; i++)
		event_del(&srv->ls[i].ev);
	srv->paused = true;
}

static void listeners_resume(struct httpd *srv)
{
	if (!srv->paused)
		return;
	for (int i = 0; i < srv->nlisteners; i++)
		event_add(&srv->ls[i].ev, NULL);
	srv->paused = false;
}

/* ---- timeouts ------------------------------------------------------------ */

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd *srv = arg;
	struct httpd_conn *c, *next;

	update_clock(srv);
	if (srv->fd_pause && srv->now_ms - srv->fd_pause_ms >= 1000 && !srv->draining) {
		srv->fd_pause = false;
		listeners_resume(srv);
	} else if (!srv->fd_pause) {
		srv->fd_pause_ms = srv->now_ms;
	}
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->deadline_ms && srv->now_ms >= c->deadline_ms) {
			if (!c->lingering)
				metrics_add(&srv->metrics->timeouts, 1);
			httpd_timeout(c);
		}
	}
	if (srv->draining && srv->now_ms >= srv->drain_deadline_ms && srv->drain_done) {
		void (*done)(void *) = srv->drain_done;

		srv->drain_done = NULL;
		done(srv->drain_arg);
		return;
	}
	if (srv->alog)
		accesslog_flush(srv->alog);
}

/* ---- lingering close ------------------------------------------------------ */

/* Read and drop what the client sends; close at its end, on an error or past the cap. */
static void linger_read(struct httpd_conn *c)
{
	char sink[16384];

	for (;;) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n > 0) {
			c->lingered += (uint32_t)n;
			if (c->lingered >= HTTPD_LINGER_MAX)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	httpd_conn_close(c);
}

/*
 * The answer that ends C is out.  Closing now, with request bytes unread or
 * still on their way, would make the kernel reset the connection, and a reset
 * can destroy the answer before the client reads it.  So: send FIN after the
 * answer (close_notify first on TLS), then read and drop input until the
 * client closes, for at most lingering_timeout and HTTPD_LINGER_MAX bytes.
 */
static void conn_linger(struct httpd_conn *c)
{
	struct httpd *srv = c->srv;

	if (!srv->limits.lingering_timeout_ms || c->defer) {
		httpd_conn_close(c);
		return;
	}
	httpd_tls_close(c);
	if (shutdown(c->fd, SHUT_WR) != 0) {
		httpd_conn_close(c);
		return;
	}
	c->lingering = true;
	c->nsegs = 0;
	c->in_off = c->in_len;
	c->discard = 0;
	conn_release_buffers(c);
	c->deadline_ms = srv->now_ms + srv->limits.lingering_timeout_ms;
	httpd_conn_want(c, EV_READ);
	linger_read(c);
}

/*
 * A deadline passed: answer 408 to a half-sent head (then linger), otherwise
 * just close.
 */
void httpd_timeout(struct httpd_conn *c)
{
	static const char resp408[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
				      "Content-Length: 0\r\n\r\n";

	if (c->sink)
		c->sink->err = -ETIMEDOUT;
	if (!c->lingering && c->nsegs == 0 && !c->ssl && !c->defer && c->in &&
	    c->in_len > c->in_off) {
		ssize_t n = send(c->fd, resp408, sizeof(resp408) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n == (ssize_t)sizeof(resp408) - 1) {
			conn_linger(c);
			return;
		}
	}
	httpd_conn_close(c);
}

/* ---- responses ----------------------------------------------------------- */

static int seg_push(struct httpd_conn *c, int fd, uint64_t off, uint64_t len)
{
	struct httpd_seg *last = c->nsegs ? &c->segs[c->nsegs - 1] : NULL;

	if (len == 0)
		return 0;
	if (fd < 0 && last && last->fd < 0 && last->off + last->len == off) {
		last->len += len;
		c->queued += len;
		return 0;
	}
	if (c->nsegs == c->segcap) {
		unsigned cap = c->segcap * 2;
		struct httpd_seg *s = malloc(cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		memcpy(s, c->segs, c->nsegs * sizeof(*s));
		if (c->segs != c->seg_inline)
			free(c->segs);
		c->segs = s;
		c->segcap = (uint16_t)cap;
	}
	c->segs[c->nsegs++] = (struct httpd_seg){.fd = fd, .off = off, .len = len};
	c->queued += len;
	return 0;
}

static void mem_append(struct httpd_conn *c, const void *p, size_t n)
{
	if (c->failed)
		return;
	if (buf_append(&c->out, p, n) != 0)
		c->failed = true;
}

/* Start the head of X's answer with the status line: false on a memory failure. */
static bool head_start(struct httpd_conn *c, int status)
{
	char line[96];
	int n;

	c->status = status;
	c->resp_start = c->out.len;
	c->head_done = false;
	if (outbuf_ensure(c) != 0) {
		c->failed = true;
		return false;
	}
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, httpd_reason(status));
	mem_append(c, line, (size_t)n);
	return true;
}

void httpd_begin(struct httpd_exchange *x, int status)
{
	struct httpd_conn *c = x->conn;

	if (!head_start(c, status))
		return;
	mem_append(c, "Server: reel\r\nDate: ", 20);
	mem_append(c, c->srv->date, HTTP_DATE_LEN);
	mem_append(c, "\r\n", 2);
	if (c->headers_len)
		mem_append(c, c->headers, c->headers_len);
}

void httpd_begin_relayed(struct httpd_exchange *x, int status)
{
	struct httpd_conn *c = x->conn;

	if (head_start(c, status) && c->headers_len)
		mem_append(c, c->headers, c->headers_len);
}

void httpd_header(struct httpd_exchange *x, const char *line, size_t len)
{
	mem_append(x->conn, line, len);
}

void httpd_headerf(struct httpd_exchange *x, const char *fmt, ...)
{
	struct httpd_conn *c = x->conn;
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		c->failed = true;
		return;
	}
	mem_append(c, line, (size_t)n);
}

static char *u64_to_str(uint64_t v, char *end)
{
	*--end = '\0';
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void httpd_end_head(struct httpd_exchange *x, int64_t content_length)
{
	struct httpd_conn *c = x->conn;
	struct httpd *srv = c->srv;
	char num[24], *s;

	if (content_length >= 0) {
		s = u64_to_str((uint64_t)content_length, num + sizeof(num));
		mem_append(c, "Content-Length: ", 16);
		mem_append(c, s, (size_t)(num + sizeof(num) - 1 - s));
		mem_append(c, "\r\n", 2);
	}
	if (c->close_after || srv->draining || c->nrequests >= srv->limits.max_requests ||
	    !x->req->keep_alive)
		c->close_after = true;
	if (c->close_after)
		mem_append(c, "Connection: close\r\n\r\n", 21);
	else if (x->req->version_minor == 0)
		mem_append(c, "Connection: keep-alive\r\n\r\n", 26);
	else
		mem_append(c, "\r\n", 2);
	c->head_len = c->out.len - c->resp_start;
	c->head_done = true;
	if (!c->failed && seg_push(c, -1, c->resp_start, c->head_len) != 0)
		c->failed = true;
}

void httpd_body_mem(struct httpd_exchange *x, const void *data, size_t len)
{
	struct httpd_conn *c = x->conn;
	size_t off = c->out.len;

	if (c->head_only || c->failed || len == 0)
		return;
	mem_append(c, data, len);
	if (!c->failed && seg_push(c, -1, off, len) != 0)
		c->failed = true;
}

void httpd_body_file(struct httpd_exchange *x, int fd, uint64_t off, uint64_t len)
{
	struct httpd_conn *c = x->conn;

	if (c->head_only || c->failed)
		return;
	if (seg_push(c, fd, off, len) != 0)
		c->failed = true;
	c->has_file = c->has_file || len > 0;
}

void httpd_hold(struct httpd_exchange *x, void (*unref)(void *), void *obj)
{
	struct httpd_conn *c = x->conn;

	if (c->unref)
		c->unref(c->ref);
	c->unref = unref;
	c->ref = obj;
}

void httpd_error(struct httpd_exchange *x, int status, const char *why, const char *extra,
		 bool close)
{
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), "%d %s%s%s\n", status, httpd_reason(status),
		     why ? ": " : "", why ? why : "");
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	if (close)
		x->conn->close_after = true;
	httpd_begin(x, status);
	httpd_header_lit(x,
			 "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n");
	if (extra)
		httpd_header(x, extra, strlen(extra));
	httpd_end_head(x, n);
	httpd_body_mem(x, body, (size_t)n);
}

const struct sockaddr *httpd_peer(const struct httpd_exchange *x)
{
	return (const struct sockaddr *)&x->conn->peer;
}

bool httpd_is_tls(const struct httpd_exchange *x)
{
	return x->conn->ssl != NULL;
}

static struct http_str first_line(const char *p, size_t len)
{
	struct http_str s = {p, 0};
	const char *nl;

	if (len > 1024)
		len = 1024;
	nl = memchr(p, '\n', len);
	s.len = (uint32_t)(nl ? (size_t)(nl - p) : len);
	if (s.len && s.p[s.len - 1] == '\r')
		s.len--;
	return s;
}

static void response_log(struct httpd_conn *c, uint64_t body_bytes)
{
	struct httpd *srv = c->srv;
	uint64_t dur = httpd_now_us() - c->t_start_us;

	c->logged = true;
	metrics_request(srv->metrics, c->status, dur, c->head_len + body_bytes);
	if (srv->alog) {
		struct accesslog_entry e = {
		    .peer = (const struct sockaddr *)&c->peer,
		    .request_line = c->log_line,
		    .status = c->status,
		    .body_bytes = body_bytes,
		    .referer = c->log_referer,
		    .user_agent = c->log_ua,
		    .request_time_us = dur,
		    .cache_status = c->cache_status,
		};
		accesslog_write(srv->alog, &e);
	}
}

/* The response to the request at the head of the input is queued: log it, drop the request. */
static void request_done(struct httpd_conn *c)
{
	uint64_t body = c->stream_bytes + c->queued_at_end - c->queued_at_start - c->head_len;

	response_log(c, c->head_only ? 0 : body);
	c->in_off += c->req_len;
	c->req_len = 0;
	c->status = 0;
	free(c->body);
	c->body = NULL;
	c->body_len = c->body_need = c->body_from_in = 0;
	c->stream_bytes = 0;
	c->continue_sent = false;
	if (c->unref) {
		c->unref(c->ref);
		c->unref = NULL;
	}
}

/*
 * The handler is done with X (synchronously or through httpd_resume_done):
 * a memory failure or a missing head becomes a 500, and the response is
 * marked for logging.
 */
void httpd_answer_finish(struct httpd_conn *c, struct httpd_exchange *x)
{
	if (c->streaming) {
		/* earlier parts are out: a failure can only cut the answer short */
		c->streaming = false;
		c->close_after = c->close_after || c->failed;
		c->failed = false;
	} else if (c->failed || !c->head_done) {
		/* out of memory or a handler bug: drop what was queued, answer 500 */
		c->out.len = c->resp_start;
		while (c->nsegs && (c->segs[c->nsegs - 1].fd >= 0 ||
				    c->segs[c->nsegs - 1].off >= c->resp_start))
			c->nsegs--;
		c->queued = c->queued_at_start;
		c->failed = false;
		c->has_file = false;
		httpd_error(x, 500, "could not build the response", NULL, true);
	}
	c->cache_status = x->cache_status;
	c->queued_at_end = c->queued;
}

static void handler_run(struct httpd_conn *c, struct httpd_exchange *x)
{
	c->in_handler = true;
	c->srv->handler(x, c->srv->arg);
	c->in_handler = false;
}

/*
 * Run the handler (or answer a parse error) for the head just parsed.  On
 * return the answer is queued, or deferred (c->defer set).
 */
static void dispatch(struct httpd_conn *c, struct http_request *req, int rc, const char *why)
{
	struct httpd *srv = c->srv;
	struct httpd_exchange x = {.req = req, .conn = c, .cache_status = "-"};
	const char *head = c->in + c->in_off;

	c->t_start_us = httpd_now_us();
	c->nrequests++;
	c->logged = false;
	c->failed = false;
	c->has_file = false;
	c->queued_at_start = c->queued;
	c->head_only = false;
	c->head_done = false;
	c->resp_start = c->out.len;
	if (rc < 0) {
		memset(req, 0, offsetof(struct http_request, headers));
		req->keep_alive = false;
		c->log_line = first_line(head, c->in_len - c->in_off);
		c->log_referer = c->log_ua = (struct http_str){NULL, 0};
		c->req_len = c->in_len - c->in_off;
		httpd_error(&x, -rc, why, NULL, true);
	} else {
		c->req_len = (uint32_t)rc;
		c->head_only = req->method == HTTP_HEAD;
		c->log_line = req->line;
		c->log_referer = req->referer;
		c->log_ua = req->user_agent;
		x.body = c->body;
		x.body_len = c->body ? c->body_need : 0;
		if (!c->body && req->content_length > HTTPD_DISCARD_MAX)
			c->close_after = true; /* not worth reading just to skip it */
		if (req->has_transfer_encoding)
			httpd_error(&x, srv->limits.max_body ? 411 : 400,
				    "Transfer-Encoding is not accepted here; send Content-Length",
				    NULL, true);
		else if (srv->limits.max_body && req->content_length > srv->limits.max_body)
			httpd_error(&x, 413, "request body too large", NULL, true);
		else
			handler_run(c, &x);
		if (c->body)
			c->req_len += c->body_from_in;
		else if (c->sink)
			; /* the body goes to the sink as it comes */
		else if (req->content_length > 0)
			c->discard = req->content_length;
		if (c->defer) {
			/* what the handler said for the log while in it holds for the rest */
			c->defer->x.cache_status = x.cache_status;
			return; /* answered later: httpd_resume_done() */
		}
	}
	httpd_answer_finish(c, &x);
}

/* Skip request body bytes we do not use. */
static void discard_input(struct httpd_conn *c)
{
	uint64_t avail = c->in_len - c->in_off;
	uint64_t n = c->discard < avail ? c->discard : avail;

	c->in_off += (uint32_t)n;
	c->discard -= n;
}

/* Is REQ a request whose body the handler gets (bodies allowed, a sane length)? */
static bool wants_body(const struct httpd_conn *c, const struct http_request *req)
{
	return c->srv->limits.max_body && req->content_length > 0 &&
	       req->content_length <= c->srv->limits.max_body && !req->has_transfer_encoding;
}

/* A client that waits for "100 Continue" before its body gets it queued: 0, or -1 out of memory. */
int httpd_queue_continue(struct httpd_conn *c, const struct http_request *req)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	size_t off;

	if (!req->expect_continue || req->version_minor != 1 || c->continue_sent)
		return 0;
	c->continue_sent = true;
	if (outbuf_ensure(c) != 0)
		return -1;
	off = c->out.len;
	if (buf_append(&c->out, cont, sizeof(cont) - 1) != 0 ||
	    seg_push(c, -1, off, sizeof(cont) - 1) != 0)
		return -1;
	return 0;
}

/*
 * Gather the body of the request whose head (HEAD_LEN bytes) starts the input:
 * bytes already in the input buffer are copied, the rest is read straight into
 * c->body by conn_read().  Returns 1 when complete, 0 when more must be read
 * (a 100 Continue is queued first if the client asked), -1 out of memory.
 */
static int body_collect(struct httpd_conn *c, const struct http_request *req, int head_len)
{
	uint64_t avail, take;

	if (!c->body) {
		if (!(c->body = malloc(req->content_length)))
			return -1;
		c->body_need = req->content_length;
		avail = c->in_len - c->in_off - (uint32_t)head_len;
		take = avail < c->body_need ? avail : c->body_need;
		memcpy(c->body, c->in + c->in_off + head_len, take);
		c->body_len = c->body_from_in = take;
	}
	if (c->body_len == c->body_need)
		return 1;
	return httpd_queue_continue(c, req);
}

/*
 * Parse and answer as many requests as the input holds without waiting on
 * I/O.  Returns 1 when responses are queued, 0 when more input is needed.
 */
static int conn_serve_input(struct httpd_conn *c)
{
	struct httpd *srv = c->srv;
	int queued = 0;

	for (;;) {
		const char *why = NULL;
		int rc;

		if (c->defer)
			return queued; /* nothing more until the deferred answer */
		if (c->discard)
			discard_input(c);
		if (c->in_off == c->in_len || c->close_after)
			return queued;
		if (c->in_off > 0 && c->scan_off < c->in_off)
			c->scan_off = c->in_off;
		rc = http_parse_request(c->in + c->in_off, c->in_len - c->in_off,
					srv->limits.max_request_line, srv->limits.max_header_size,
					&srv->req, &why);
		if (rc == 0)
			return queued;
		if (rc > 0 && wants_body(c, &srv->req)) {
			int b = body_collect(c, &srv->req, rc);

			if (b < 0)
				return -1;
			if (b == 0)
				return queued || c->nsegs; /* a 100 Continue may be queued */
		}
		dispatch(c, &srv->req, rc, why);
		if (c->defer)
			return queued;
		queued = 1;
		if (c->has_file || c->close_after || c->out.len >= PIPELINE_BATCH_BYTES)
			return 1; /* logged when its last byte is sent */
		request_done(c);
	}
}

/* Read what the socket has.  Returns bytes read, 0 at end of stream, -EAGAIN or -errno. */
static int conn_read(struct httpd_conn *c)
{
	struct httpd *srv = c->srv;
	int n;

	if (c->body && c->body_len < c->body_need) {
		uint64_t want = c->body_need - c->body_len;

		if (want > INT32_MAX)
			want = INT32_MAX;
		n = c->ssl ? httpd_tls_read(c, c->body + c->body_len, want)
			   : httpd_plain_read(c, c->body + c->body_len, want);
		if (n > 0)
			c->body_len += (uint64_t)n;
		return n;
	}
	if (!c->in) {
		if (!(c->in = inbuf_get(srv)))
			return -ENOMEM;
		c->in_len = c->in_off = c->scan_off = 0;
	}
	if (c->in_off == c->in_len) {
		c->in_len = c->in_off = c->scan_off = 0;
	} else if (c->in_len == srv->in_cap) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len == srv->in_cap)
		return -ENOBUFS; /* cannot happen: the parser answers 431 first */
	n = c->ssl ? httpd_tls_read(c, c->in + c->in_len, srv->in_cap - c->in_len)
		   : httpd_plain_read(c, c->in + c->in_len, srv->in_cap - c->in_len);
	if (n > 0) {
		if (c->in_len == c->in_off)
			c->deadline_ms = srv->now_ms + srv->limits.header_timeout_ms;
		c->in_len += (uint32_t)n;
	}
	return n;
}

/* All queued bytes are out: finish the last response and reset the output. */
void httpd_conn_output_done(struct httpd_conn *c)
{
	if (c->streaming) {
		c->stream_bytes += c->queued - c->queued_at_start;
		c->queued_at_start = 0;
		if (c->defer && c->defer->part_out) {
			c->defer->part_out = false;
			event_active(&c->defer->notify, EV_TIMEOUT, 0);
		}
	} else if (c->status) {
		request_done(c);
	}
	c->nsegs = 0;
	c->out.len = 0;
	c->queued = c->flushed = 0;
}

static void conn_run(struct httpd_conn *c)
{
	struct httpd *srv = c->srv;
	int rc;

	for (;;) {
		if (c->stream_failed) {
			httpd_conn_close(c);
			return;
		}
		if (c->nsegs) {
			rc = httpd_flush(c);
			if (rc == -EAGAIN) {
				c->deadline_ms = srv->now_ms + srv->limits.send_timeout_ms;
				return;
			}
			if (rc < 0) {
				httpd_conn_close(c);
				return;
			}
			httpd_conn_output_done(c);
			if (c->close_after && !c->defer) {
				conn_linger(c);
				return;
			}
		}
		rc = conn_serve_input(c);
		if (rc < 0) {
			httpd_conn_close(c);
			return;
		}
		if (rc > 0)
			continue;
		if (c->sink) {
			if (c->nsegs)
				continue; /* a 100 Continue to send first */
			rc = httpd_sink_read(c);
			if (rc == 0)
				continue;
			if (rc == -EAGAIN) {
				httpd_conn_want(c, c->io_want ? c->io_want : EV_READ);
				c->deadline_ms = srv->now_ms + srv->limits.header_timeout_ms;
			} else {
				httpd_conn_close(c);
			}
			return;
		}
		if (c->defer) {
			if (c->nsegs)
				continue; /* a part of a streamed answer to send */
			httpd_defer_watch(c);
			return;
		}
		rc = conn_read(c);
		if (rc > 0)
			continue;
		if (rc == -EAGAIN) {
			httpd_conn_want(c, c->io_want ? c->io_want : EV_READ);
			if (!c->in || c->in_off == c->in_len) {
				conn_release_buffers(c);
				c->deadline_ms = srv->now_ms +
						 (srv->draining ? HTTPD_DRAIN_IDLE_MS
								: srv->limits.keepalive_timeout_ms);
			}
			return;
		}
		httpd_conn_close(c);
		return;
	}
}

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_conn *c = arg;

	if (c->magic != HTTPD_CONN_MAGIC)
		abort();
	update_clock(c->srv);
	if (c->lingering) {
		linger_read(c);
		return;
	}
	if (c->handshaking) {
		int rc = httpd_tls_handshake(c);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			httpd_conn_close(c);
			return;
		}
	}
	c->io_want = 0;
	if (c->defer && c->nsegs == 0 && !c->sink)
		httpd_defer_peek(c);
	else
		conn_run(c);
}

/* ---- server -------------------------------------------------------------- */

struct httpd *httpd_new(struct event_base *base, const struct httpd_limits *limits,
			const struct httpd_listener *listeners, int nlisteners,
			struct metrics_slot *metrics, struct accesslog *alog,
			httpd_handler_fn handler, void *arg)
{
	struct httpd *srv = calloc(1, sizeof(*srv) + (size_t)nlisteners * sizeof(srv->ls[0]));
	struct timeval tv = {0, SWEEP_MS * 1000};

	if (!srv)
		return NULL;
	srv->magic = HTTPD_MAGIC;
	srv->base = base;
	srv->limits = *limits;
	srv->metrics = metrics;
	srv->alog = alog;
	srv->handler = handler;
	srv->arg = arg;
	srv->in_cap = limits->max_header_size + 1024;
	srv->nlisteners = nlisteners;
	update_clock(srv);
	for (int i = 0; i < nlisteners; i++) {
		srv->ls[i].l = listeners[i];
		srv->ls[i].srv = srv;
		event_assign(&srv->ls[i].ev, base, listeners[i].fd, EV_READ | EV_PERSIST, accept_cb,
			     &srv->ls[i]);
		event_add(&srv->ls[i].ev, NULL);
	}
	event_assign(&srv->sweep, base, -1, EV_PERSIST, sweep_cb, srv);
	event_add(&srv->sweep, &tv);
	return srv;
}

void httpd_set_warn(struct httpd *srv, void (*warn)(const char *fmt, ...))
{
	srv->warn = warn;
}

void httpd_free(struct httpd *srv)
{
	if (!srv)
		return;
	srv->drain_done = NULL;
	while (srv->conns)
		httpd_conn_close(srv->conns);
	for (int i = 0; i < srv->nlisteners; i++) {
		event_del(&srv->ls[i].ev);
		if (srv->ls[i].l.fd >= 0)
			close(srv->ls[i].l.fd);
	}
	event_del(&srv->sweep);
	while (srv->free_in) {
		char *p = srv->free_in;

		srv->free_in = *(char **)p;
		free(p);
	}
	while (srv->free_out) {
		char *p = srv->free_out;

		srv->free_out = *(char **)p;
		free(p);
	}
	srv->magic = 0;
	free(srv);
}

void httpd_drain(struct httpd *srv, void (*done)(void *), void *arg)
{
	struct httpd_conn *c, *next;

	update_clock(srv);
	srv->draining = true;
	srv->drain_done = done;
	srv->drain_arg = arg;
	srv->drain_deadline_ms = srv->now_ms + srv->limits.shutdown_timeout_ms;
	for (int i = 0; i < srv->nlisteners; i++) {
		event_del(&srv->ls[i].ev);
		close(srv->ls[i].l.fd);
		srv->ls[i].l.fd = -1;
	}
	srv->paused = true;
	/*
	 * An idle keep-alive connection may have a request on the wire right now:
	 * closing it at once would fail that request.  Give idle connections a
	 * short grace; one that sends a request gets its answer with
	 * Connection: close.
	 */
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->nsegs == 0 && !c->defer && (!c->in || c->in_off == c->in_len)) {
			uint64_t grace = srv->now_ms + HTTPD_DRAIN_IDLE_MS;

			if (!c->deadline_ms || c->deadline_ms > grace)
				c->deadline_ms = grace;
		}
	}
	if (srv->nconns == 0 && srv->drain_done) {
		srv->drain_done = NULL;
		done(arg);
	}
}

unsigned httpd_connections(const struct httpd *srv)
{
	return srv->nconns;
}
