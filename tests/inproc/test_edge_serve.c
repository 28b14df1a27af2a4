/*
 * In-process tests of the edge's request path: the httpd core, the handler
 * and the open-file cache run in this process on one event loop, and a
 * client socket in the same thread talks to them over loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "filecache.h"
#include "serve.h"
#include "test.h"

static struct event_base *base;
static struct httpd *srv, *metrics_srv;
static uint16_t port, metrics_port;
static char root[256];
static char big[100000];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void write_file(const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

/* Is the response in B complete (head plus Content-Length bytes)? */
static int complete(const struct buf *b)
{
	const char *end, *cl;
	size_t head;

	if (!b->p || !(end = memmem(b->p, b->len, "\r\n\r\n", 4)))
		return 0;
	head = (size_t)(end - b->p) + 4;
	cl = memmem(b->p, head, "Content-Length: ", 16);
	if (!cl)
		return 1;
	return b->len >= head + strtoull(cl + 16, NULL, 10);
}

/* Send REQ to port TO on a new connection; collect the answer until complete or closed. */
static void roundtrip_to(uint16_t to, const char *req, struct buf *out, int head_only)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(to),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	time_t start = time(NULL);

	out->len = 0;
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    send(fd, req, strlen(req), 0) != (ssize_t)strlen(req))
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (time(NULL) - start < 5) {
		char tmp[65536];
		ssize_t n;

		event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n == 0)
			break;
		if (n > 0)
			buf_append(out, tmp, (size_t)n);
		if (head_only ? (out->p && memmem(out->p, out->len, "\r\n\r\n", 4)) : complete(out))
			break;
	}
	close(fd);
	buf_append(out, "", 1);
	out->len--;
}

/* The same on the content listener. */
static void roundtrip(const char *req, struct buf *out, int head_only)
{
	roundtrip_to(port, req, out, head_only);
}

static int status_of(const struct buf *b)
{
	return b->len > 12 ? atoi(b->p + 9) : 0;
}

static int has(const struct buf *b, const char *s)
{
	return b->p && memmem(b->p, b->len, s, strlen(s)) != NULL;
}

static const char *body_of(const struct buf *b)
{
	const char *e = memmem(b->p, b->len, "\r\n\r\n", 4);

	return e ? e + 4 : "";
}

static void test_basic(struct buf *b)
{
	roundtrip("GET /t/index.m3u8 HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 200);
	CHECK(has(b, "Content-Type: application/vnd.apple.mpegurl\r\n"));
	CHECK(has(b, "Cache-Control: public, max-age=60\r\n"));
	CHECK(has(b, "Vary: Accept-Encoding\r\n"));
	CHECK(has(b, "ETag: \""));
	CHECK(strncmp(body_of(b), "#EXTM3U\n", 8) == 0);
	roundtrip("GET /t/index.m3u8 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n", b, 0);
	CHECK(has(b, "Content-Encoding: gzip\r\n"));
	CHECK(has(b, "-gz\"\r\n"));
	roundtrip("GET /t/index.m3u8 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0\r\n\r\n", b,
		  0);
	CHECK(!has(b, "Content-Encoding"));
	roundtrip("HEAD /t/seg.m4s HTTP/1.1\r\nHost: x\r\n\r\n", b, 1);
	CHECK_INT(status_of(b), 200);
	CHECK(has(b, "Content-Length: 100000\r\n"));
	CHECK(has(b, "Cache-Control: public, max-age=31536000, immutable\r\n"));
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK(b->len > sizeof(big) && memcmp(b->p + b->len - sizeof(big), big, sizeof(big)) == 0);
}

/*
 * RFC 9110 13.2.2: If-Match and If-Unmodified-Since come first.  Each case's
 * header lines are BEFORE, the object's ETag when TAG, then AFTER.
 */
static void test_preconditions(struct buf *b, const char *etag)
{
	static const struct {
		const char *path, *before;
		bool tag;
		const char *after;
		int status;
	} cases[] = {
	    {"/t/seg.m4s", "If-Match: ", true, "", 200},
	    {"/t/seg.m4s", "If-Match: \"other\"", false, "", 412},
	    {"/t/seg.m4s", "If-Match: W/", true, "", 412},
	    {"/t/seg.m4s", "If-Match: \"x\"\r\nIf-None-Match: ", true, "", 412},
	    {"/t/seg.m4s", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT", false, "", 412},
	    {"/t/seg.m4s", "If-Unmodified-Since: Fri, 31 Dec 9999 23:59:59 GMT", false, "", 200},
	    {"/t/seg.m4s", "If-Match: *\r\nRange: bytes=0-9", false, "", 206},
	    {"/t/seg.m4s", "If-None-Match: ", true, "\r\nIf-Match: *", 304},
	    /* 13.2.1: without its preconditions a missing object is 404, so it stays 404 */
	    {"/t/none.m4s", "If-Match: *", false, "", 404},
	};
	char req[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n%s%s%s\r\n\r\n",
			 cases[i].path, cases[i].before, cases[i].tag ? etag : "", cases[i].after);
		roundtrip(req, b, cases[i].status == 304);
		if (status_of(b) != cases[i].status)
			printf("# case %zu: %d\n", i, status_of(b));
		CHECK_INT(status_of(b), cases[i].status);
		CHECK(!has(b, "Connection: close"));
	}
}

static void test_conditional(struct buf *b)
{
	char req[512], etag[80] = "";
	const char *e;

	roundtrip("HEAD /t/seg.m4s HTTP/1.1\r\nHost: x\r\n\r\n", b, 1);
	if ((e = strstr(b->p, "ETag: ")) != NULL)
		sscanf(e + 6, "%79[^\r]", etag);
	snprintf(req, sizeof(req),
		 "GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\n\r\n", etag);
	roundtrip(req, b, 1);
	CHECK_INT(status_of(b), 304);
	CHECK(!has(b, "Content-Length"));
	snprintf(req, sizeof(req),
		 "GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nIf-Range: %s\r\n\r\n",
		 etag);
	roundtrip(req, b, 0);
	CHECK_INT(status_of(b), 206);
	roundtrip(
	    "GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nIf-Range: \"old\"\r\n\r\n",
	    b, 1);
	CHECK_INT(status_of(b), 200);
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\n"
		  "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n\r\n",
		  b, 1);
	CHECK_INT(status_of(b), 304);

	test_preconditions(b, etag);
}

static void test_ranges(struct buf *b)
{
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 206);
	CHECK(has(b, "Content-Range: bytes 10-19/100000\r\n"));
	CHECK(memcmp(body_of(b), big + 10, 10) == 0);
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=-5\r\n\r\n", b, 0);
	CHECK(has(b, "Content-Range: bytes 99995-99999/100000\r\n"));
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=100000-\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 416);
	CHECK(has(b, "Content-Range: bytes */100000\r\n"));
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,5-6\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 206);
	CHECK(has(b, "Content-Type: multipart/byteranges; boundary="));
	CHECK(has(b, "Content-Range: bytes 5-6/100000\r\n"));
	CHECK(!has(b, "Content-Type: video/iso.segment\r\nETag"));
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99,50-149\r\n\r\n", b, 0);
	CHECK(has(b, "Content-Range: bytes 0-149/100000\r\n"));
	roundtrip("GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=5-1\r\n\r\n", b, 1);
	CHECK_INT(status_of(b), 200);
	roundtrip("GET /t/index.m3u8 HTTP/1.1\r\nHost: x\r\nRange: bytes=0-6\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 206);
	CHECK_STR(body_of(b), "#EXTM3U");
}

static void test_refusals(struct buf *b)
{
	roundtrip("GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 400);
	roundtrip("GET /t/escape HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 404);
	roundtrip("GET /t/inside HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 200);
	roundtrip("GET /t HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 404);
	roundtrip("DELETE /t/seg.m4s HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 405);
	CHECK(has(b, "Allow: GET, HEAD, OPTIONS\r\n"));
	roundtrip("GET / HTTP/1.1\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 400);
	CHECK(has(b, "Connection: close\r\n"));
	roundtrip("OPTIONS /t/seg.m4s HTTP/1.1\r\nHost: x\r\nOrigin: https://p\r\n"
		  "Access-Control-Request-Method: GET\r\n\r\n",
		  b, 0);
	CHECK_INT(status_of(b), 204);
	CHECK(has(b, "Access-Control-Allow-Origin: *\r\n"));
}

/* /metrics is on the metrics listener only, unless [metrics] on_content says otherwise. */
static void test_metrics(struct buf *b, struct edge_config *cfg)
{
	roundtrip("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 404);
	roundtrip_to(metrics_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 200);
	CHECK(has(b, "reel_http_requests_total{code=\"206\"}"));
	CHECK(has(b, "reel_http_requests_total{code=\"400\"} 2\n"));
	CHECK(has(b, "reel_http_requests_total{code=\"412\"} 4\n"));
	roundtrip_to(metrics_port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 200);
	roundtrip_to(metrics_port, "GET /t/seg.m4s HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 404);
	cfg->metrics_on_content = true;
	roundtrip("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", b, 0);
	CHECK_INT(status_of(b), 200);
	cfg->metrics_on_content = false;
}

int main(void)
{
	struct edge_config cfg;
	struct edge_filecache_config fcc;
	struct edge_serve s = {.magic = EDGE_SERVE_MAGIC, .cfg = &cfg, .now_ms = now_ms};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct httpd_listener l = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
	struct httpd_listener ml = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
	struct buf b = {0};
	char playlist[2048] = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n", path[512];
	int rootfd;

	snprintf(root, sizeof(root), "/tmp/reel-inproc-XXXXXX");
	if (!mkdtemp(root))
		abort();
	snprintf(path, sizeof(path), "%s/t", root);
	mkdir(path, 0755);
	for (int i = 0; i < 40; i++)
		snprintf(playlist + strlen(playlist), sizeof(playlist) - strlen(playlist),
			 "#EXTINF:6.000,\nseg_%05d.m4s\n", i);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 251);
	write_file("t/index.m3u8", playlist, strlen(playlist));
	write_file("t/seg.m4s", big, sizeof(big));
	write_file("secret", "secret", 6);
	snprintf(path, sizeof(path), "%s/t/escape", root);
	if (symlink("/etc/passwd", path) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/t/inside", root);
	if (symlink("seg.m4s", path) != 0)
		abort();

	edge_config_defaults(&cfg);
	rootfd = open(root, O_PATH | O_DIRECTORY);
	fcc = (struct edge_filecache_config){
	    .rootfd = rootfd,
	    .max_entries = 64,
	    .inline_max = 32768,
	    .revalidate_ms = 1000,
	    .gzip = true,
	    .cache_control = {cfg.cc_playlist, cfg.cc_segment, cfg.cc_other},
	    .cors_static = "Access-Control-Allow-Origin: *\r\n"};
	s.cors_static = fcc.cors_static;
	s.files = edge_filecache_new(&fcc);
	s.metrics = metrics_new(1);
	s.slot = metrics_slot(s.metrics, 0);
	snprintf(s.boundary, sizeof(s.boundary), "0123456789abcdef");
	if (bind(l.fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l.fd, 64) != 0 ||
	    getsockname(l.fd, (struct sockaddr *)&a, &alen) != 0)
		abort();
	port = ntohs(a.sin_port);
	a.sin_port = 0;
	if (bind(ml.fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ml.fd, 64) != 0 ||
	    getsockname(ml.fd, (struct sockaddr *)&a, &alen) != 0)
		abort();
	metrics_port = ntohs(a.sin_port);
	base = event_base_new();
	srv = httpd_new(base, &cfg.limits, &l, 1, s.slot, NULL, edge_serve, &s);
	metrics_srv = httpd_new(base, &cfg.limits, &ml, 1, s.slot, NULL, edge_serve_metrics, &s);
	CHECK(srv != NULL && metrics_srv != NULL);

	test_basic(&b);
	test_conditional(&b);
	test_ranges(&b);
	test_refusals(&b);
	test_metrics(&b, &cfg);

	buf_free(&b);
	httpd_free(srv);
	httpd_free(metrics_srv);
	edge_filecache_free(s.files);
	metrics_free(s.metrics);
	event_base_free(base);
	close(rootfd);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	if (system(path) != 0)
		CHECK(0);
	return test_done();
}
