/* Value parsers for INI configuration files. */
#include "conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse_number(const char *s, uint64_t *n, const char **rest)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*n = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	*rest = end;
	return 0;
}

int conf_parse_size(const char *s, uint64_t *out)
{
	uint64_t n, mul = 1;
	const char *u;

	if (parse_number(s, &n, &u) != 0)
		return -EINVAL;
	if (*u) {
		switch (tolower((unsigned char)*u)) {
		case 'k':
			mul = 1ULL << 10;
			break;
		case 'm':
			mul = 1ULL << 20;
			break;
		case 'g':
			mul = 1ULL << 30;
			break;
		default:
			return -EINVAL;
		}
		u++;
		if (tolower((unsigned char)*u) == 'b')
			u++;
		if (*u)
			return -EINVAL;
	}
	if (n > UINT64_MAX / mul)
		return -EINVAL;
	*out = n * mul;
	return 0;
}

int conf_parse_duration(const char *s, uint64_t *out_ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	uint64_t n;
	const char *u;

	if (parse_number(s, &n, &u) != 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(u, units[i].unit) == 0) {
			if (n > UINT64_MAX / units[i].ms)
				return -EINVAL;
			*out_ms = n * units[i].ms;
			return 0;
		}
	}
	return -EINVAL;
}

int conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"on", "yes", "true", "1"};
	static const char *const no[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n;
	const char *rest;

	if (parse_number(s, &n, &rest) != 0 || *rest || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	uint64_t n;

	if (conf_parse_uint(s, 1, 65535, &n) != 0)
		return -EINVAL;
	*port = (uint16_t)n;
	return 0;
}

int conf_parse_addr(const char *s, struct conf_addr *out)
{
	char host[64];
	const char *colon, *port_s;
	struct conf_addr a;
	uint16_t port;

	memset(&a, 0, sizeof(a));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		port_s = close + 2;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		if ((size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port_s = colon + 1;
	} else {
		strcpy(host, "*");
		port_s = s;
	}
	if (parse_port(port_s, &port) != 0)
		return -EINVAL;
	if (strcmp(host, "*") == 0 || host[0] == '\0') {
		struct sockaddr_in *in = (struct sockaddr_in *)&a.ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		a.len = sizeof(*in);
		snprintf(a.text, sizeof(a.text), "0.0.0.0:%u", port);
	} else if (strchr(host, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		a.len = sizeof(*in6);
		snprintf(a.text, sizeof(a.text), "[%s]:%u", host, port);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a.ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		a.len = sizeof(*in);
		snprintf(a.text, sizeof(a.text), "%s:%u", host, port);
	}
	*out = a;
	return 0;
}

int conf_parse_addr_list(const char *s, struct conf_addr *out, int max)
{
	char item[128];
	int n = 0;

	while (*s) {
		size_t len;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			break;
		len = strcspn(s, ", \t");
		if (len >= sizeof(item) || n >= max)
			return -EINVAL;
		memcpy(item, s, len);
		item[len] = '\0';
		if (conf_parse_addr(item, &out[n]) != 0)
			return -EINVAL;
		n++;
		s += len;
	}
	return n;
}

int conf_addr_listen(const struct conf_addr *a, bool reuseport, int backlog, char *err,
		     size_t errlen)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto fail;
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, backlog) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", a->text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}
