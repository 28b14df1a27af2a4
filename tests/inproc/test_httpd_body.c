/*
 * In-process tests of request bodies in the httpd core (max_body > 0, as the
 * origin's JSON API uses it): whole and split bodies, Expect: 100-continue,
 * limits, Transfer-Encoding, pipelining after a body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inproc.h"
#include "test.h"

static struct event_base *base;

/* Answers "LEN SUM" for the body it got. */
static void echo(struct httpd_exchange *x, void *arg)
{
	char out[64];
	int n = snprintf(out, sizeof(out), "%zu %u", x->body_len, inproc_sum(x->body, x->body_len));

	httpd_begin(x, 200);
	httpd_end_head(x, n);
	httpd_body_mem(x, out, (size_t)n);
}

/* Send S and let the server read it. */
static void put(int fd, const char *s)
{
	inproc_send(fd, s);
	inproc_pump(base, 30);
}

/* Everything the server has sent so far, NUL-terminated in OUT. */
static void take(int fd, char *out, size_t cap)
{
	inproc_take(base, fd, out, cap, 30);
}

static unsigned sum_of(const char *s)
{
	return inproc_sum(s, strlen(s));
}

int main(void)
{
	struct httpd_limits lim = inproc_limits(5000, 1000);
	struct metrics *m = metrics_new(1);
	struct httpd *srv;
	char resp[8192], expect[64], *big;
	uint16_t port;
	int fd;

	base = event_base_new();
	srv = inproc_httpd_new(base, &lim, m, echo, &port);

	/* whole body in one send, then a pipelined GET on the same connection */
	fd = inproc_connect(port);
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
		"GET /y HTTP/1.1\r\nHost: h\r\n\r\n");
	take(fd, resp, sizeof(resp));
	snprintf(expect, sizeof(expect), "\r\n\r\n5 %u", sum_of("hello"));
	CHECK(strstr(resp, expect) != NULL);
	CHECK(strstr(resp, "\r\n\r\n0 0") != NULL);
	close(fd);

	/* body split over several sends */
	fd = inproc_connect(port);
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhel");
	put(fd, "lo wo");
	put(fd, "rld");
	take(fd, resp, sizeof(resp));
	snprintf(expect, sizeof(expect), "\r\n\r\n11 %u", sum_of("hello world"));
	CHECK(strstr(resp, expect) != NULL);
	close(fd);

	/* Expect: 100-continue gets the interim answer before the body is sent */
	fd = inproc_connect(port);
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
	take(fd, resp, sizeof(resp));
	CHECK_STR(resp, "HTTP/1.1 100 Continue\r\n\r\n");
	put(fd, "abc");
	take(fd, resp, sizeof(resp));
	snprintf(expect, sizeof(expect), "\r\n\r\n3 %u", sum_of("abc"));
	CHECK(strncmp(resp, "HTTP/1.1 200 OK", 15) == 0 && strstr(resp, expect) != NULL);
	close(fd);

	/* a large body arriving in pieces bigger than the header buffer */
	big = malloc(90001);
	memset(big, 'z', 90000);
	big[90000] = '\0';
	fd = inproc_connect(port);
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 90000\r\n\r\n");
	for (int i = 0; i < 9; i++) {
		char piece[10001];

		memcpy(piece, big, 10000);
		piece[10000] = '\0';
		put(fd, piece);
	}
	take(fd, resp, sizeof(resp));
	snprintf(expect, sizeof(expect), "\r\n\r\n90000 %u", sum_of(big));
	CHECK(strstr(resp, expect) != NULL);
	close(fd);
	free(big);

	/* limits and framing */
	fd = inproc_connect(port);
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 100001\r\n\r\n");
	take(fd, resp, sizeof(resp));
	CHECK(strncmp(resp, "HTTP/1.1 413 ", 13) == 0);
	CHECK(strstr(resp, "Connection: close\r\n") != NULL);
	close(fd);
	fd = inproc_connect(port);
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
		"chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
	take(fd, resp, sizeof(resp));
	CHECK(strncmp(resp, "HTTP/1.1 411 ", 13) == 0);
	close(fd);

	httpd_free(srv);
	metrics_free(m);
	event_base_free(base);
	return test_done();
}
