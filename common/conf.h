/*
 * Value parsers shared by the programs' INI configs: sizes ("16k"),
 * durations ("75s"), booleans and listen addresses.  Each returns 0 or
 * -EINVAL and writes nothing on failure.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_CONF_H
#define REEL_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* "123", "16k", "4m", "1g" (powers of 1024).  */
int conf_parse_size(const char *s, uint64_t *out);

/* "250ms", "10s", "5m", "1h"; a bare number means seconds.  Result in milliseconds. */
int conf_parse_duration(const char *s, uint64_t *out_ms);

/* "on"/"off", "yes"/"no", "true"/"false", "1"/"0". */
int conf_parse_bool(const char *s, bool *out);

/* A whole decimal number within [MIN, MAX]. */
int conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

struct conf_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[96]; /* "127.0.0.1:8080", "[::1]:8443" */
};

/* "8080" (all IPv4 addresses), "127.0.0.1:8080", "[::1]:8080", "*:8080". */
int conf_parse_addr(const char *s, struct conf_addr *out);

/*
 * Split the comma-separated list S into at most MAX addresses.  Returns the
 * count, or -EINVAL naming nothing (the caller reports the whole value).
 */
int conf_parse_addr_list(const char *s, struct conf_addr *out, int max);

/*
 * A non-blocking, close-on-exec TCP socket listening on A with BACKLOG
 * (SO_REUSEADDR; SO_REUSEPORT when REUSEPORT; IPv6 sockets are IPv6 only).
 * Returns the fd, or -1 with "cannot listen on ADDR: why" in ERR.
 */
int conf_addr_listen(const struct conf_addr *a, bool reuseport, int backlog, char *err,
		     size_t errlen);

#endif
