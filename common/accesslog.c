/* Buffered combined-format access log. */
#include "accesslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define AL_BUF	    65536
#define AL_LINE_MAX 6144

struct accesslog {
	int fd;
	char *path;
	time_t stamp_sec;
	char stamp[32];
	size_t len;
	char buf[AL_BUF];
};

static int open_path(const char *path)
{
	if (strcmp(path, "stdout") == 0)
		return dup(STDOUT_FILENO);
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct accesslog *accesslog_open(const char *path)
{
	struct accesslog *al = calloc(1, sizeof(*al));

	if (!al)
		return NULL;
	al->path = strdup(path);
	al->fd = al->path ? open_path(path) : -1;
	if (al->fd < 0) {
		int e = errno;

		free(al->path);
		free(al);
		errno = e;
		return NULL;
	}
	return al;
}

int accesslog_reopen(struct accesslog *al)
{
	int fd;

	accesslog_flush(al);
	if ((fd = open_path(al->path)) < 0)
		return -errno;
	close(al->fd);
	al->fd = fd;
	return 0;
}

void accesslog_flush(struct accesslog *al)
{
	size_t off = 0;

	while (off < al->len) {
		ssize_t n = write(al->fd, al->buf + off, al->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a full disk loses log lines, never requests */
		off += (size_t)n;
	}
	al->len = 0;
}

void accesslog_free(struct accesslog *al)
{
	if (!al)
		return;
	accesslog_flush(al);
	close(al->fd);
	free(al->path);
	free(al);
}

/* Copy S into P as nginx does: '"', '\\' and bytes outside 0x20-0x7e become \xHH. */
static char *put_escaped(char *p, const char *end, struct http_str s)
{
	static const char hex[] = "0123456789ABCDEF";

	if (s.len == 0) {
		*p++ = '-';
		return p;
	}
	for (uint32_t i = 0; i < s.len && p + 4 < end; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	return p;
}

static void format_peer(const struct sockaddr *sa, char *out, size_t cap)
{
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
			  (socklen_t)cap);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)cap);
	else
		snprintf(out, cap, "-");
}

static void update_stamp(struct accesslog *al)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == al->stamp_sec)
		return;
	al->stamp_sec = now;
	gmtime_r(&now, &tm);
	strftime(al->stamp, sizeof(al->stamp), "%d/%b/%Y:%H:%M:%S +0000", &tm);
}

void accesslog_write(struct accesslog *al, const struct accesslog_entry *e)
{
	char line[AL_LINE_MAX], peer[INET6_ADDRSTRLEN];
	char *p = line, *end = line + sizeof(line) - 64;

	update_stamp(al);
	format_peer(e->peer, peer, sizeof(peer));
	p += snprintf(p, (size_t)(end - p), "%s - - [%s] \"", peer, al->stamp);
	p = put_escaped(p, end, e->request_line);
	p += snprintf(p, (size_t)(end - p), "\" %d %llu \"", e->status,
		      (unsigned long long)e->body_bytes);
	p = put_escaped(p, end, e->referer);
	*p++ = '"';
	*p++ = ' ';
	*p++ = '"';
	p = put_escaped(p, end, e->user_agent);
	p += snprintf(p, (size_t)(line + sizeof(line) - p), "\" %llu.%03llu %s\n",
		      (unsigned long long)(e->request_time_us / 1000000),
		      (unsigned long long)(e->request_time_us % 1000000 / 1000),
		      e->cache_status ? e->cache_status : "-");
	if (al->len + (size_t)(p - line) > sizeof(al->buf))
		accesslog_flush(al);
	memcpy(al->buf + al->len, line, (size_t)(p - line));
	al->len += (size_t)(p - line);
}
