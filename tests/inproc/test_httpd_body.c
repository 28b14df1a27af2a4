/*
 * In-process tests of request bodies in the httpd core (max_body > 0, as the
 * origin's JSON API uses it): whole and split bodies, Expect: 100-continue,
 * limits, Transfer-Encoding, pipelining after a body.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "test.h"

static struct event_base *base;
static uint16_t port;

/* Answers "LEN SUM" for the body it got. */
static void echo(struct httpd_exchange *x, void *arg)
{
	char out[64];
	unsigned sum = 0;
	int n;

	for (size_t i = 0; i < x->body_len; i++)
		sum = sum * 31 + (unsigned char)x->body[i];
	n = snprintf(out, sizeof(out), "%zu %u", x->body_len, sum);
	httpd_begin(x, 200);
	httpd_end_head(x, n);
	httpd_body_mem(x, out, (size_t)n);
}

static int connect_client(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void pump(int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static void put(int fd, const char *s)
{
	if (send(fd, s, strlen(s), 0) != (ssize_t)strlen(s))
		abort();
	pump(30);
}

/* Everything the server has sent so far, NUL-terminated in OUT. */
static void take(int fd, char *out, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	pump(30);
	while (len + 1 < cap && (n = recv(fd, out + len, cap - 1 - len, 0)) > 0)
		len += (size_t)n;
	out[len] = '\0';
}

static unsigned sum_of(const char *s)
{
	unsigned sum = 0;

	while (*s)
		sum = sum * 31 + (unsigned char)*s++;
	return sum;
}

int main(void)
{
	struct httpd_limits lim = {.max_request_line = 1024,
				   .max_header_size = 4096,
				   .header_timeout_ms = 5000,
				   .keepalive_timeout_ms = 5000,
				   .send_timeout_ms = 5000,
				   .shutdown_timeout_ms = 1000,
				   .max_requests = 100,
				   .max_connections = 100,
				   .max_body = 100000};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct httpd_listener l = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
	struct metrics *m = metrics_new(1);
	struct httpd *srv;
	char resp[8192], expect[64], *big;
	int fd;

	if (bind(l.fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l.fd, 16) != 0 ||
	    getsockname(l.fd, (struct sockaddr *)&a, &alen) != 0)
		abort();
	port = ntohs(a.sin_port);
	base = event_base_new();
	srv = httpd_new(base, &lim, &l, 1, metrics_slot(m, 0), NULL, echo, NULL);

	/* whole body in one send, then a pipelined GET on the same connection */
	fd = connect_client();
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
		"GET /y HTTP/1.1\r\nHost: h\r\n\r\n");
	take(fd, resp, sizeof(resp));
	snprintf(expect, sizeof(expect), "\r\n\r\n5 %u", sum_of("hello"));
	CHECK(strstr(resp, expect) != NULL);
	CHECK(strstr(resp, "\r\n\r\n0 0") != NULL);
	close(fd);

	/* body split over several sends */
	fd = connect_client();
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhel");
	put(fd, "lo wo");
	put(fd, "rld");
	take(fd, resp, sizeof(resp));
	snprintf(expect, sizeof(expect), "\r\n\r\n11 %u", sum_of("hello world"));
	CHECK(strstr(resp, expect) != NULL);
	close(fd);

	/* Expect: 100-continue gets the interim answer before the body is sent */
	fd = connect_client();
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
	fd = connect_client();
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
	fd = connect_client();
	put(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 100001\r\n\r\n");
	take(fd, resp, sizeof(resp));
	CHECK(strncmp(resp, "HTTP/1.1 413 ", 13) == 0);
	CHECK(strstr(resp, "Connection: close\r\n") != NULL);
	close(fd);
	fd = connect_client();
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
