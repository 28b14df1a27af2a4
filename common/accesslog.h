/*
 * Access log in the combined format, followed by the request time in seconds
 * and the cache status:
 *   127.0.0.1 - - [23/Nov/2026:15:31:00 +0000] "GET /t/master.m3u8 HTTP/1.1" 200 1234
 *   "-" "curl/7.88.1" 0.000 HIT
 * Lines are buffered and written whole with O_APPEND, so several worker
 * processes can share one file.
 */
#ifndef REEL_ACCESSLOG_H
#define REEL_ACCESSLOG_H

#include <stdint.h>
#include <sys/socket.h>

#include "http_parser.h"

struct accesslog;

struct accesslog_entry {
	const struct sockaddr *peer;
	struct http_str request_line; /* as received, without CRLF */
	int status;
	uint64_t body_bytes;
	struct http_str referer, user_agent; /* len 0: "-" */
	uint64_t request_time_us;
	const char *cache_status;
};

/*
 * Open PATH ("stdout" for standard output) for appending.  Returns a new log
 * (free it with accesslog_free()), or NULL with errno set on failure.
 */
struct accesslog *accesslog_open(const char *path);

/* Reopen the file after rotation.  Returns 0 or -errno (the old file stays in use). */
int accesslog_reopen(struct accesslog *al);

/* Buffer one line; a full buffer is written out (the HTTP core flushes every 500 ms). */
void accesslog_write(struct accesslog *al, const struct accesslog_entry *e);

/* Write out what is buffered. */
void accesslog_flush(struct accesslog *al);

/* Flush and close.  NULL is a no-op. */
void accesslog_free(struct accesslog *al);

#endif
