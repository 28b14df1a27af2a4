/*
 * The harness of the in-process tests (see inproc.h): a loopback listener
 * and client, and an event loop pumped from the test's thread.
 */
#include "inproc.h"

#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct httpd_limits inproc_limits(uint64_t idle_ms, uint64_t shutdown_ms)
{
	struct httpd_limits lim = {.max_request_line = 1024,
				   .max_header_size = 4096,
				   .header_timeout_ms = idle_ms,
				   .keepalive_timeout_ms = idle_ms,
				   .send_timeout_ms = 5000,
				   .shutdown_timeout_ms = shutdown_ms,
				   .max_requests = 100,
				   .max_connections = 100,
				   .max_body = 100000};

	return lim;
}

struct httpd *inproc_httpd_new(struct event_base *base, const struct httpd_limits *lim,
			       struct metrics *m, httpd_handler_fn handler, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct httpd_listener l = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
	struct httpd *srv;

	if (bind(l.fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l.fd, 16) != 0 ||
	    getsockname(l.fd, (struct sockaddr *)&a, &alen) != 0)
		abort();
	*port = ntohs(a.sin_port);
	srv = httpd_new(base, lim, &l, 1, metrics_slot(m, 0), NULL, handler, NULL);
	if (!srv)
		abort();
	return srv;
}

int inproc_connect(uint16_t port)
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

void inproc_pump(struct event_base *base, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
		usleep(200);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

void inproc_send(int fd, const char *s)
{
	if (send(fd, s, strlen(s), 0) != (ssize_t)strlen(s))
		abort();
}

size_t inproc_take(struct event_base *base, int fd, char *out, size_t cap, int ms)
{
	size_t len = 0;
	ssize_t n;

	inproc_pump(base, ms);
	while (len + 1 < cap && (n = recv(fd, out + len, cap - 1 - len, 0)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	return len;
}

unsigned inproc_sum(const char *s, size_t len)
{
	unsigned sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = sum * 31 + (unsigned char)s[i];
	return sum;
}
