/*
 * The harness of the in-process tests: an httpd on 127.0.0.1 (ephemeral port)
 * and a client socket, both driven from the test's one thread by pumping the
 * event loop.  Test code: every call aborts on a system error instead of
 * returning one.
 */
#ifndef REEL_INPROC_H
#define REEL_INPROC_H

#include <stddef.h>
#include <stdint.h>

#include "httpd.h"

/*
 * Test limits: 1 KiB request line, 4 KiB head, bodies up to 100,000 bytes,
 * 100 requests per connection and 100 connections, a 5 s send timeout;
 * IDLE_MS for both the head and the keep-alive timeout, SHUTDOWN_MS to drain.
 */
struct httpd_limits inproc_limits(uint64_t idle_ms, uint64_t shutdown_ms);

/*
 * A server on BASE with one plain listener on 127.0.0.1 and an ephemeral
 * port, stored in *PORT; requests go to HANDLER(exchange, NULL) and counters
 * to slot 0 of M.  The server owns the listener: httpd_free() closes it.
 */
struct httpd *inproc_httpd_new(struct event_base *base, const struct httpd_limits *lim,
			       struct metrics *m, httpd_handler_fn handler, uint16_t *port);

/* A client connected to 127.0.0.1:PORT, made non-blocking; the caller closes it. */
int inproc_connect(uint16_t port);

/* Run BASE's ready callbacks, without blocking, for MS milliseconds. */
void inproc_pump(struct event_base *base, int ms);

/* Send the string S on FD in one call (no pumping). */
void inproc_send(int fd, const char *s);

/*
 * Pump BASE for MS milliseconds, then read everything the server has sent
 * on FD so far into OUT (at most CAP - 1 bytes, NUL-terminated).  Returns
 * the length read.
 */
size_t inproc_take(struct event_base *base, int fd, char *out, size_t cap, int ms);

/* The checksum the tests' handlers answer with: sum = sum * 31 + byte. */
unsigned inproc_sum(const char *s, size_t len);

#endif
