/*
 * Moving bytes for the server core.  Plain TCP: memory segments go out with
 * sendmsg (MSG_MORE when a file follows, so head and body share packets),
 * file segments with sendfile(2): file bytes never enter user space.  TLS:
 * SSL_sendfile when the kernel does the record layer (kTLS), otherwise file
 * bytes pass through one bounded buffer of HTTPD_TLS_CHUNK per connection,
 * and the encrypted records are gathered by a small write BIO so that four
 * 16 KiB records leave in one write(2) instead of four.
 */
#include "httpd_int.h"

#include <errno.h>
#include <openssl/err.h>
#include <string.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#define IOV_MAX_GATHER 16
#define SENDFILE_MAX   (1ULL << 30)

/*
 * The coalescing write BIO: records OpenSSL writes are appended to a buffer
 * of HTTPD_TLS_WBUF bytes, which goes to the socket when full and on
 * BIO_flush (OpenSSL flushes after each handshake flight; flush_tls after
 * each batch of responses).  Reads use a plain socket BIO.
 */
struct httpd_wbio {
	int fd;
	uint32_t off, len;
	char *buf;
};

static BIO_METHOD *wbio_method;

/* Write out buffered bytes.  Returns 0 when empty, -EAGAIN, or -errno. */
static int wbio_drain(struct httpd_wbio *w)
{
	while (w->off < w->len) {
		ssize_t n = send(w->fd, w->buf + w->off, w->len - w->off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		w->off += (uint32_t)n;
	}
	w->off = w->len = 0;
	return 0;
}

static int wbio_write(BIO *b, const char *data, int dlen)
{
	struct httpd_wbio *w = BIO_get_data(b);
	int rc;

	BIO_clear_retry_flags(b);
	if (!w->buf && !(w->buf = malloc(HTTPD_TLS_WBUF)))
		return -1;
	if (w->len + (uint32_t)dlen > HTTPD_TLS_WBUF) {
		if ((rc = wbio_drain(w)) == -EAGAIN) {
			BIO_set_retry_write(b);
			return -1;
		}
		if (rc < 0)
			return -1;
	}
	if ((uint32_t)dlen > HTTPD_TLS_WBUF) {
		ssize_t n = send(w->fd, data, (size_t)dlen, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			BIO_set_retry_write(b);
		return n < 0 ? -1 : (int)n;
	}
	memcpy(w->buf + w->len, data, (size_t)dlen);
	w->len += (uint32_t)dlen;
	return dlen;
}

static long wbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct httpd_wbio *w = BIO_get_data(b);
	int rc;

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		BIO_clear_retry_flags(b);
		if ((rc = wbio_drain(w)) == -EAGAIN)
			BIO_set_retry_write(b);
		return rc == 0 ? 1 : 0;
	case BIO_CTRL_WPENDING:
		return (long)(w->len - w->off);
	default:
		return 0;
	}
}

static BIO *wbio_new(struct httpd_conn *c)
{
	BIO *b;

	if (!wbio_method) {
		wbio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "reel-wbio");
		if (!wbio_method || !BIO_meth_set_write(wbio_method, wbio_write) ||
		    !BIO_meth_set_ctrl(wbio_method, wbio_ctrl))
			return NULL;
	}
	if (!(c->wbio = calloc(1, sizeof(*c->wbio))))
		return NULL;
	c->wbio->fd = c->fd;
	if (!(b = BIO_new(wbio_method)))
		return NULL;
	BIO_set_data(b, c->wbio);
	BIO_set_init(b, 1);
	return b;
}

void httpd_tls_release(struct httpd_conn *c)
{
	if (c->wbio && c->wbio->len == 0) {
		free(c->wbio->buf);
		c->wbio->buf = NULL;
	}
}

/* Push what the write BIO holds.  0 when all is out, -EAGAIN (interest set), -EIO. */
static int tls_push(struct httpd_conn *c)
{
	int rc;

	if (!c->wbio || c->wbio->len == 0)
		return 0;
	rc = wbio_drain(c->wbio);
	if (rc == -EAGAIN) {
		c->io_want = EV_WRITE;
		httpd_conn_want(c, EV_WRITE);
	}
	return rc == -EAGAIN ? rc : rc < 0 ? -EIO : 0;
}

int httpd_plain_read(struct httpd_conn *c, char *p, size_t n)
{
	ssize_t r;

	if (c->drained) {
		/* the last read did not fill the buffer: the socket is empty */
		c->drained = false;
		return -EAGAIN;
	}
	do {
		r = read(c->fd, p, n);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)r < n)
		c->drained = true;
	return (int)r;
}

/* N bytes of the queued output were written: advance the segments. */
static void advance(struct httpd_conn *c, uint64_t n)
{
	struct httpd *srv = c->srv;

	c->flushed += n;
	c->deadline_ms = srv->now_ms + srv->limits.send_timeout_ms;
	while (n && c->seg_i < c->nsegs) {
		struct httpd_seg *s = &c->segs[c->seg_i];
		uint64_t k = n < s->len ? n : s->len;

		s->off += k;
		s->len -= k;
		n -= k;
		if (s->len == 0)
			c->seg_i++;
	}
}

/* Send the memory segments from seg_i on in one sendmsg; *WANT gets the bytes offered. */
static ssize_t send_mem(struct httpd_conn *c, uint64_t *want)
{
	struct iovec iov[IOV_MAX_GATHER];
	struct msghdr mh = {.msg_iov = iov};
	unsigned j = c->seg_i;
	int k = 0;

	*want = 0;
	while (j < c->nsegs && c->segs[j].fd < 0 && k < IOV_MAX_GATHER) {
		iov[k].iov_base = c->out.p + c->segs[j].off;
		iov[k].iov_len = c->segs[j].len;
		*want += c->segs[j].len;
		k++;
		j++;
	}
	mh.msg_iovlen = (size_t)k;
	return sendmsg(c->fd, &mh, MSG_NOSIGNAL | (j < c->nsegs ? MSG_MORE : 0));
}

/*
 * A short write means the socket buffer is full: wait for room instead of
 * asking again, which would only return EAGAIN (one wasted call per wake-up).
 */
static int flush_plain(struct httpd_conn *c)
{
	while (c->seg_i < c->nsegs) {
		struct httpd_seg *s = &c->segs[c->seg_i];
		uint64_t want;
		ssize_t n;

		if (s->fd < 0) {
			n = send_mem(c, &want);
		} else {
			off_t off = (off_t)s->off;

			want = s->len < SENDFILE_MAX ? s->len : SENDFILE_MAX;
			n = sendfile(c->fd, s->fd, &off, want);
			if (n == 0)
				return -EIO; /* the file shrank under us */
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				httpd_conn_want(c, EV_WRITE);
				return -EAGAIN;
			}
			return -errno;
		}
		advance(c, (uint64_t)n);
		if ((uint64_t)n < want && c->seg_i < c->nsegs) {
			httpd_conn_want(c, EV_WRITE);
			return -EAGAIN;
		}
	}
	return 0;
}

/* Map an SSL_ERROR_* to -EAGAIN (interest set), 0 (clean end) or -EIO. */
static int tls_status(struct httpd_conn *c, int ret)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		c->io_want = EV_READ;
		httpd_conn_want(c, EV_READ);
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->io_want = EV_WRITE;
		httpd_conn_want(c, EV_WRITE);
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno == 0 ? 0 : -EIO;
	default:
		ERR_clear_error();
		return -EIO;
	}
}

int httpd_tls_read(struct httpd_conn *c, char *p, size_t n)
{
	int r;

	ERR_clear_error();
	r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (c->wbio && c->wbio->len)
		wbio_drain(c->wbio); /* a ticket or key update written while reading */
	if (r > 0)
		return r;
	return tls_status(c, r);
}

/* One step of a file segment over TLS without kTLS: refill the buffer, SSL_write it. */
static int tls_write_file_chunk(struct httpd_conn *c, struct httpd_seg *s)
{
	int n;

	if (c->tls_off == c->tls_len) {
		size_t want = s->len < HTTPD_TLS_CHUNK ? s->len : HTTPD_TLS_CHUNK;
		ssize_t r;

		if (!c->tlsbuf && !(c->tlsbuf = malloc(HTTPD_TLS_CHUNK)))
			return -ENOMEM;
		r = pread(s->fd, c->tlsbuf, want, (off_t)s->off);
		if (r <= 0)
			return -EIO;
		c->tls_len = (uint32_t)r;
		c->tls_off = 0;
	}
	n = SSL_write(c->ssl, c->tlsbuf + c->tls_off, (int)(c->tls_len - c->tls_off));
	if (n > 0)
		c->tls_off += (uint32_t)n;
	return n;
}

static int flush_tls(struct httpd_conn *c)
{
	while (c->seg_i < c->nsegs) {
		struct httpd_seg *s = &c->segs[c->seg_i];
		uint64_t len = s->len < SENDFILE_MAX ? s->len : SENDFILE_MAX;
		ossl_ssize_t n;

		ERR_clear_error();
		if (s->fd < 0)
			n = SSL_write(c->ssl, c->out.p + s->off, (int)len);
		else if (c->ktls)
			n = SSL_sendfile(c->ssl, s->fd, (off_t)s->off, len, 0);
		else if ((n = tls_write_file_chunk(c, s)) == -ENOMEM || n == -EIO)
			return (int)n; /* SSL_write itself returns only 0 or -1 on failure */
		if (n <= 0) {
			int rc = tls_status(c, (int)n);

			return rc == 0 ? -EIO : rc;
		}
		advance(c, (uint64_t)n);
	}
	return tls_push(c);
}

int httpd_flush(struct httpd_conn *c)
{
	int rc = c->ssl ? flush_tls(c) : flush_plain(c);

	if (rc == 0)
		c->seg_i = 0;
	return rc;
}

int httpd_tls_start(struct httpd_conn *c, SSL_CTX *ctx)
{
	BIO *rbio, *wbio;

	if (!(c->ssl = SSL_new(ctx)))
		return -ENOMEM;
	if (SSL_get_options(c->ssl) & SSL_OP_ENABLE_KTLS) {
		/* kTLS needs OpenSSL's own socket BIO */
		if (SSL_set_fd(c->ssl, c->fd) != 1)
			return -EIO;
	} else {
		if (!(rbio = BIO_new_socket(c->fd, BIO_NOCLOSE)))
			return -ENOMEM;
		if (!(wbio = wbio_new(c))) {
			BIO_free(rbio);
			return -ENOMEM;
		}
		SSL_set_bio(c->ssl, rbio, wbio);
	}
	SSL_set_accept_state(c->ssl);
	c->handshaking = true;
	return 0;
}

int httpd_tls_handshake(struct httpd_conn *c)
{
	int r, rc;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->handshaking = false;
		c->ktls = BIO_get_ktls_send(SSL_get_wbio(c->ssl)) > 0;
		metrics_add(&c->srv->metrics->tls_handshakes, 1);
		return 0;
	}
	rc = tls_status(c, r);
	if (rc != -EAGAIN) {
		metrics_add(&c->srv->metrics->tls_failures, 1);
		return -EIO;
	}
	return rc;
}

void httpd_tls_close(struct httpd_conn *c)
{
	if (!c->ssl)
		return;
	if (!c->handshaking) {
		ERR_clear_error();
		SSL_shutdown(c->ssl); /* best effort: one close_notify, no waiting */
		if (c->wbio)
			wbio_drain(c->wbio);
	}
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->wbio) {
		free(c->wbio->buf);
		free(c->wbio);
		c->wbio = NULL;
	}
}
