/*
 * BIRD's control socket: one command, its reply parsed for prefixes (see
 * bgp.h).  Blocking with timeouts: it runs in the heartbeat process, never
 * in a worker.
 */
#include "bgp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"

void edge_bgp_prefixes_free(struct edge_bgp_prefixes *p)
{
	free(p->p);
	memset(p, 0, sizeof(*p));
}

/* A line's code: "CCCC-" or "CCCC " gives 0..9999 and *LAST ('-' or not); " " gives -1. */
static int line_code(const char *l, size_t n, bool *last)
{
	int code = 0;

	if (n >= 1 && l[0] == ' ') {
		*last = false;
		return -1;
	}
	if (n < 5)
		return -2;
	for (int i = 0; i < 4; i++) {
		if (l[i] < '0' || l[i] > '9')
			return -2;
		code = code * 10 + (l[i] - '0');
	}
	if (l[4] != '-' && l[4] != ' ')
		return -2;
	*last = l[4] == ' ';
	return code;
}

/* Does a line of CODE that is LAST end the reply (as birdc decides)? */
static bool ends_reply(int code, bool last)
{
	return last && (code < 1000 || code >= 8000);
}

/* The canonical text of prefix S (N bytes) into OUT, or false when S is no prefix. */
static bool canonical_prefix(const char *s, size_t n, char out[EDGE_BGP_PREFIX_LEN])
{
	char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN];
	const char *slash = memchr(s, '/', n);
	unsigned char bin[16];
	unsigned len = 0, max;
	int af;

	if (!slash || slash == s || (size_t)(slash - s) >= sizeof(addr) || slash + 1 == s + n ||
	    s + n - slash - 1 > 3)
		return false;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	for (const char *p = slash + 1; p < s + n; p++) {
		if (*p < '0' || *p > '9')
			return false;
		len = len * 10 + (unsigned)(*p - '0');
	}
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max = af == AF_INET6 ? 128 : 32;
	if (len > max || inet_pton(af, addr, bin) != 1)
		return false;
	for (unsigned b = len; b < max; b++)
		if (bin[b / 8] & (0x80 >> (b % 8)))
			return false; /* bits past the length: not a route BIRD prints */
	inet_ntop(af, bin, text, sizeof(text));
	snprintf(out, EDGE_BGP_PREFIX_LEN, "%s/%u", text, len);
	return true;
}

static int add_prefix(struct edge_bgp_prefixes *out, const char *p)
{
	for (size_t i = out->n; i-- > 0 && i + 8 >= out->n;)
		if (strcmp(out->p[i], p) == 0)
			return 0; /* BIRD lists a prefix's routes together: recent ones suffice */
	if (out->n == EDGE_BGP_MAX)
		return -E2BIG;
	if (array_reserve((void **)&out->p, &out->cap, out->n, sizeof(*out->p), 64) != 0)
		return -ENOMEM;
	snprintf(out->p[out->n++], EDGE_BGP_PREFIX_LEN, "%s", p);
	return 0;
}

/* Drop exact duplicates the neighbour check missed (a prefix in two tables). */
static int cmp_prefix(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void dedupe(struct edge_bgp_prefixes *out)
{
	size_t k = 0;

	if (out->n < 2)
		return;
	qsort(out->p, out->n, sizeof(*out->p), cmp_prefix);
	for (size_t i = 0; i < out->n; i++)
		if (k == 0 || strcmp(out->p[k - 1], out->p[i]) != 0)
			memmove(out->p[k++], out->p[i], sizeof(*out->p));
	out->n = k;
}

int edge_bgp_parse(const char *text, size_t len, struct edge_bgp_prefixes *out, char *err,
		   size_t errlen)
{
	const char *p = text, *end = text + len;
	int code = -1, lineno = 0, rc;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *body;
		size_t blen, tok;
		bool last = false;
		int c;
		char pfx[EDGE_BGP_PREFIX_LEN];

		lineno++;
		if (!nl) {
			snprintf(err, errlen, "line %d: the reply is cut short", lineno);
			return -EINVAL;
		}
		if ((c = line_code(p, n, &last)) == -2 || (c == -1 && code < 0)) {
			snprintf(err, errlen, "line %d: not a BIRD reply line", lineno);
			return -EINVAL;
		}
		if (c >= 0)
			code = c;
		body = c >= 0 ? p + 5 : p + 1;
		blen = n - (size_t)(body - p);
		if (blen && body[blen - 1] == '\r')
			blen--;
		if (ends_reply(code, c >= 0 && last)) {
			if (code >= 8000) {
				snprintf(err, errlen, "BIRD: %.*s", (int)(blen > 200 ? 200 : blen),
					 body);
				return -EPROTO;
			}
			if (nl + 1 != end) {
				snprintf(err, errlen, "line %d: text after the end of the reply",
					 lineno + 1);
				return -EINVAL;
			}
			dedupe(out);
			return 0;
		}
		for (tok = 0; tok < blen && body[tok] != ' ' && body[tok] != '\t'; tok++)
			;
		if (code == 1007 && tok && canonical_prefix(body, tok, pfx) &&
		    (rc = add_prefix(out, pfx)) != 0) {
			snprintf(err, errlen, "more than %d prefixes", EDGE_BGP_MAX);
			return rc;
		}
		p = nl + 1;
	}
	snprintf(err, errlen, "the reply is cut short (no final line)");
	return -EINVAL;
}

/* Is the last complete line of B[0..N) the end of a reply? */
static bool reply_complete(const char *b, size_t n)
{
	const char *start;
	bool last = false;
	int code;

	if (n == 0 || b[n - 1] != '\n')
		return false;
	start = b + n - 1;
	while (start > b && start[-1] != '\n')
		start--;
	code = line_code(start, (size_t)(b + n - 1 - start), &last);
	return code >= 0 && ends_reply(code, last);
}

static int wait_fd(int fd, short events, unsigned timeout_ms)
{
	struct pollfd pfd = {fd, events, 0};
	int rc;

	while ((rc = poll(&pfd, 1, (int)timeout_ms)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return -errno;
	return rc == 0 ? -ETIMEDOUT : 0;
}

/* Read until the end of a reply into B (past what it holds). */
static int read_reply(int fd, struct buf *b, unsigned timeout_ms)
{
	char chunk[16384];
	ssize_t n;
	int rc;

	while (!reply_complete(b->p, b->len)) {
		if ((rc = wait_fd(fd, POLLIN, timeout_ms)) != 0)
			return rc;
		if ((n = read(fd, chunk, sizeof(chunk))) < 0)
			return errno == EINTR || errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return -ECONNRESET;
		if (b->len + (size_t)n > EDGE_BGP_REPLY_MAX)
			return -E2BIG;
		if (buf_append(b, chunk, (size_t)n) != 0)
			return -ENOMEM;
	}
	return 0;
}

int edge_bgp_query(const char *socket_path, const char *table, const char *protocol,
		   unsigned timeout_ms, struct edge_bgp_prefixes *out, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct buf b = {0};
	char cmd[160];
	int fd, rc, len;

	memset(out, 0, sizeof(*out));
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, socket_path);
	len = table[0]	   ? snprintf(cmd, sizeof(cmd), "show route table %s\n", table)
	      : protocol[0] ? snprintf(cmd, sizeof(cmd), "show route protocol %s\n", protocol)
			    : snprintf(cmd, sizeof(cmd), "show route\n");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		rc = -errno;
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    (errno != EINPROGRESS || (rc = wait_fd(fd, POLLOUT, timeout_ms)) != 0)) {
		rc = errno != EINPROGRESS ? -errno : rc;
		goto fail;
	}
	/* the greeting ("0001 BIRD 2.0.12 ready."), then the command's reply */
	if ((rc = read_reply(fd, &b, timeout_ms)) != 0)
		goto fail;
	if ((rc = wait_fd(fd, POLLOUT, timeout_ms)) != 0)
		goto fail;
	if (write(fd, cmd, (size_t)len) != len) {
		rc = -EIO;
		goto fail;
	}
	b.len = 0;
	if ((rc = read_reply(fd, &b, timeout_ms)) != 0)
		goto fail;
	close(fd);
	rc = edge_bgp_parse(b.p, b.len, out, err, errlen);
	buf_free(&b);
	return rc;
fail:
	snprintf(err, errlen, "%s: %s", socket_path, strerror(-rc));
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return rc;
}
