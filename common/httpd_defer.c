/*
 * Answers given later than the handler's return (httpd_defer, httpd_resume,
 * streamed in parts with httpd_resume_part) and request bodies handed to a
 * sink as they arrive (httpd_body_sink): the parts of the server core that
 * outlive one call of the handler.  Shares httpd_int.h with httpd.c.
 */
#include "httpd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The request body sink of C is done (ERR 0: all of it came): tell its owner, drop it. */
void httpd_sink_end(struct httpd_conn *c, int err)
{
	struct httpd_sink *k = c->sink;

	c->sink = NULL;
	k->end(k->arg, err);
	free(k);
}

/*
 * The answer at the head of the input is deferred and nothing else is left to
 * send: no timeout and no reading (the request must stay where it is in the
 * input buffer), only a watch for the client closing.
 */
void httpd_defer_watch(struct httpd_conn *c)
{
	c->deadline_ms = 0;
	httpd_conn_want(c, EV_READ);
}

/*
 * The socket of a connection waiting on a deferred answer is readable: the
 * end of the stream (or an error) closes the connection at once; bytes of a
 * next request end the watch until the answer is given.
 */
void httpd_defer_peek(struct httpd_conn *c)
{
	char b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0)
		httpd_conn_want(c, 0);
	else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		httpd_conn_close(c);
}

/* Hand N body bytes at P to the sink; 1 when the body is complete or the sink stopped. */
static int sink_give(struct httpd_conn *c, const char *p, size_t n)
{
	struct httpd_sink *k = c->sink;
	int rc;

	k->left -= n;
	if (n && (rc = k->data(k->arg, p, n)) != 0) {
		c->close_after = true; /* the rest is never read */
		httpd_sink_end(c, rc);
		return 1;
	}
	if (k->left == 0) {
		httpd_sink_end(c, 0);
		return 1;
	}
	return 0;
}

/*
 * Feed the sink: first the body bytes that came with the head, then what
 * the socket has, at most HTTPD_SINK_TURN bytes of it on plain TCP so that
 * a fast sender does not keep the loop from the other connections (the
 * socket stays readable: the loop comes back at its next turn; TLS reads on
 * until its buffer is empty, as bytes it holds wake nothing).  0 when the
 * sink is done, -EAGAIN when the socket is empty or the turn is over,
 * another negative errno when the connection must close.
 */
int httpd_sink_read(struct httpd_conn *c)
{
	uint32_t start = c->in_off + c->req_len;
	size_t turn = 0;

	if (c->in && c->in_len > start) {
		uint32_t avail = c->in_len - start;
		uint32_t take = c->sink->left < avail ? (uint32_t)c->sink->left : avail;
		int done = sink_give(c, c->in + start, take);

		/* bytes past the body (a pipelined request) move up to the head */
		memmove(c->in + start, c->in + start + take, avail - take);
		c->in_len -= take;
		if (done)
			return 0;
	}
	for (;;) {
		size_t want = c->sink->left < HTTPD_SINK_BUF ? c->sink->left : HTTPD_SINK_BUF;
		int n;

		if (!c->ssl && turn >= HTTPD_SINK_TURN)
			return -EAGAIN;
		n = c->ssl ? httpd_tls_read(c, c->sink->buf, want)
			   : httpd_plain_read(c, c->sink->buf, want);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return n;
		turn += (size_t)n;
		if (sink_give(c, c->sink->buf, (size_t)n))
			return 0;
	}
}

struct httpd_deferred *httpd_defer(struct httpd_exchange *x)
{
	struct httpd_conn *c = x->conn;
	struct httpd_deferred *d;

	if (!c->in_handler || c->defer || c->status) {
		errno = EINVAL;
		return NULL;
	}
	if (!(d = malloc(sizeof(*d))))
		return NULL;
	d->magic = HTTPD_DEFER_MAGIC;
	d->conn = c;
	d->sent = NULL;
	d->part_out = d->notify_ready = false;
	d->hx = x;
	d->req = *x->req;
	d->x = *x;
	d->x.req = &d->req;
	c->defer = d;
	return d;
}

struct httpd_exchange *httpd_resume(struct httpd_deferred *d)
{
	struct httpd_conn *c = d->conn;

	if (d->magic != HTTPD_DEFER_MAGIC)
		abort();
	if (!c) {
		d->magic = 0;
		free(d);
		return NULL;
	}
	if (c->in_handler)
		return d->hx; /* dispatch() finishes as for any answer */
	if (c->streaming)
		return &d->x; /* the next part of a streamed answer */
	/* output of earlier responses may have been sent meanwhile */
	c->queued_at_start = c->queued;
	c->resp_start = c->out.len;
	c->failed = c->has_file = c->head_done = false;
	return &d->x;
}

/* The deferred answer of X's connection is over: take the handle off it (freed by the caller). */
static struct httpd_deferred *defer_end(struct httpd_exchange *x)
{
	struct httpd_conn *c = x->conn;
	struct httpd_deferred *d = c->defer;

	if (c->magic != HTTPD_CONN_MAGIC || !d || d->magic != HTTPD_DEFER_MAGIC)
		abort();
	c->defer = NULL;
	d->magic = 0;
	if (d->notify_ready)
		event_del(&d->notify);
	return d;
}

void httpd_resume_done(struct httpd_exchange *x)
{
	struct httpd_conn *c = x->conn;
	struct httpd_deferred *d = defer_end(x);

	if (!c->in_handler) {
		httpd_answer_finish(c, x);
		/* not from here: this may run inside another connection's handler */
		event_active(&c->ev, EV_WRITE, 0);
	}
	free(d);
}

static void notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_deferred *d = arg;

	if (d->magic != HTTPD_DEFER_MAGIC)
		abort();
	d->sent(d->sent_arg, false);
}

void httpd_resume_part(struct httpd_exchange *x, void (*sent)(void *arg, bool closed), void *arg)
{
	struct httpd_conn *c = x->conn;
	struct httpd_deferred *d = c->defer;

	if (c->magic != HTTPD_CONN_MAGIC || !d || d->magic != HTTPD_DEFER_MAGIC || !c->head_done)
		abort();
	if (!d->notify_ready) {
		event_assign(&d->notify, c->srv->base, -1, 0, notify_cb, d);
		d->notify_ready = true;
	}
	d->sent = sent;
	d->sent_arg = arg;
	if (c->failed) {
		/* a part that could not be built: the answer cannot be completed */
		c->failed = false;
		c->stream_failed = true;
		c->nsegs = c->seg_i; /* drop what was queued after the sent bytes */
		event_active(&c->ev, EV_WRITE, 0);
		return;
	}
	if (!c->streaming) {
		c->streaming = true;
		c->stream_bytes = 0;
	}
	d->part_out = true;
	if (c->nsegs == c->seg_i)
		httpd_conn_output_done(c); /* nothing queued: due at once, from the loop */
	else if (!c->in_handler)
		event_active(&c->ev, EV_WRITE, 0);
}

void httpd_resume_abort(struct httpd_exchange *x)
{
	struct httpd_conn *c = x->conn;

	free(defer_end(x));
	c->streaming = false;
	c->stream_failed = true;
	event_active(&c->ev, EV_WRITE, 0);
}

int httpd_body_sink(struct httpd_exchange *x, int (*data)(void *arg, const char *p, size_t n),
		    void (*end)(void *arg, int err), void *arg)
{
	struct httpd_conn *c = x->conn;
	struct httpd_sink *k;

	if (!c->in_handler || c->sink || c->body || x->req->content_length == 0 ||
	    x->req->has_transfer_encoding)
		return -EINVAL;
	if (!(k = malloc(sizeof(*k))))
		return -ENOMEM;
	k->data = data;
	k->end = end;
	k->arg = arg;
	k->left = x->req->content_length;
	k->err = 0;
	if (httpd_queue_continue(c, x->req) != 0) {
		free(k);
		return -ENOMEM;
	}
	c->sink = k;
	c->close_after = false; /* the body is read after all: the connection can go on */
	return 0;
}
