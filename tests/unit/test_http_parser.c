/* Unit tests for the HTTP/1.1 request head parser. */
#include "http_parser.h"
#include "test.h"

static struct http_request req;
static const char *why;

static int parse(const char *s)
{
	return http_parse_request(s, strlen(s), 8192, 16384, &req, &why);
}

static int parse_lim(const char *s, size_t line, size_t head)
{
	return http_parse_request(s, strlen(s), line, head, &req, &why);
}

static int str_is(struct http_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static void test_basic(void)
{
	const char *r = "GET /a/b.m3u8?x=1 HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n"
			"User-Agent: curl\r\nIf-None-Match: \"e\"\r\n\r\nNEXT";

	CHECK_INT(parse(r), (int)(strlen(r) - 4));
	CHECK_INT(req.method, HTTP_GET);
	CHECK(str_is(req.path, "/a/b.m3u8"));
	CHECK(str_is(req.query, "x=1"));
	CHECK(str_is(req.host, "h"));
	CHECK(str_is(req.range, "bytes=0-1"));
	CHECK(str_is(req.user_agent, "curl"));
	CHECK(str_is(req.if_none_match, "\"e\""));
	CHECK(str_is(req.line, "GET /a/b.m3u8?x=1 HTTP/1.1"));
	CHECK_INT(req.version_minor, 1);
	CHECK(req.keep_alive);
	CHECK_INT(req.nheaders, 4);
	r = "GET / HTTP/1.1\r\nHost: h\r\nIF-MATCH: \"a\"\r\n"
	    "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n";
	CHECK(parse(r) > 0);
	CHECK(str_is(req.if_match, "\"a\""));
	CHECK(str_is(req.if_unmodified_since, "Sun, 06 Nov 1994 08:49:37 GMT"));
}

static void test_incomplete(void)
{
	CHECK_INT(parse(""), 0);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\n"), 0);
	CHECK_INT(parse("GET / HTT"), 0);
	CHECK_INT(parse("\r\n\r\n"), 0);
}

static void test_versions(void)
{
	CHECK(parse("GET / HTTP/1.0\r\n\r\n") > 0);
	CHECK(!req.keep_alive);
	CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") > 0);
	CHECK(req.keep_alive);
	CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n") > 0);
	CHECK(!req.keep_alive);
	CHECK_INT(parse("GET / HTTP/2.0\r\n\r\n"), -505);
	CHECK_INT(parse("GET / HTTP/0.9\r\n\r\n"), -505);
	CHECK_INT(parse("GET / HTTP/1.1\r\n\r\n"), -400); /* no Host */
	CHECK_INT(parse("GET / http/1.1\r\nHost: h\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), -400);
	CHECK_INT(parse("GET /\r\n\r\n"), -400);
}

static void test_malformed(void)
{
	CHECK_INT(parse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
	CHECK_INT(parse("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
	CHECK_INT(parse("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost h\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\rx\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n"), -400);
	CHECK_INT(parse("GET foo HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
	CHECK_INT(parse("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
	CHECK(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") > 0);
	CHECK(str_is(req.path, "*"));
}

static void test_lengths(void)
{
	CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n") > 0);
	CHECK_INT(req.content_length, 5);
	CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") >
	      0);
	CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n") > 0);
	CHECK_INT(
	    parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
	    -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n"), -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), -400);
	CHECK_INT(
	    parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"),
	    -400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
			"Content-Length: 5\r\n\r\n"),
		  -400);
	CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") > 0);
	CHECK(req.has_transfer_encoding);
}

static void test_limits(void)
{
	char big[20000];

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(parse_lim(big, 8192, 16384), -414);
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\nX: %0*d\r\n\r\n", 17000, 0);
	CHECK_INT(parse_lim(big, 8192, 16384), -431);
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\nX: %0*d", 17000, 0);
	CHECK_INT(parse_lim(big, 8192, 16384), -431);
	CHECK_INT(parse_lim("GET /abcdef HTTP/1.1\r\nHost: h\r\n\r\n", 10, 100), -414);
}

static void test_forms(void)
{
	CHECK(parse("GET http://example.com/a/b?q HTTP/1.1\r\nHost: example.com\r\n\r\n") > 0);
	CHECK(str_is(req.path, "/a/b"));
	CHECK(str_is(req.query, "q"));
	CHECK(parse("GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n") > 0);
	CHECK(str_is(req.path, "/"));
	CHECK(parse("\r\nGET / HTTP/1.1\nHost: h\n\n") > 0); /* leading CRLF, bare LF */
	CHECK(parse("BREW / HTTP/1.1\r\nHost: h\r\n\r\n") > 0);
	CHECK_INT(req.method, HTTP_OTHER);
	CHECK(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n") > 0);
	CHECK_INT(req.method, HTTP_CONNECT);
}

static void test_lists(void)
{
	struct http_str s = {"gzip, deflate;q=0.5 , br", 24};

	CHECK(http_list_has(s, "gzip"));
	CHECK(http_list_has(s, "deflate"));
	CHECK(http_list_has(s, "BR"));
	CHECK(!http_list_has(s, "zstd"));
	CHECK(http_str_ieq((struct http_str){"Keep-Alive", 10}, "keep-alive"));
}

/* RFC 9110 5.3: a list-based field split over lines is one list; a singleton's lines are counted. */
static void test_split_fields(void)
{
	char buf[64];
	struct http_str v;

	CHECK_INT(parse("GET / HTTP/1.1\r\nIf-Match: \"a\"\r\nHost: h\r\n"
			"if-match: \"b\", \"c\"\r\nIf-None-Match: *\r\n"
			"Authorization: Bearer x\r\nAuthorization: Bearer y\r\n\r\n") > 0,
		  1);
	CHECK_INT(req.if_match_lines, 2);
	CHECK_INT(req.if_none_match_lines, 1);
	CHECK_INT(req.authorization_lines, 2);
	CHECK(str_is(req.authorization, "Bearer x")); /* the first; the server refuses two */
	v = http_field_list(&req, "if-match", req.if_match, req.if_match_lines, buf, sizeof(buf));
	CHECK(str_is(v, "\"a\", \"b\", \"c\""));
	v = http_field_list(&req, "if-none-match", req.if_none_match, req.if_none_match_lines, buf,
			    sizeof(buf));
	CHECK(str_is(v, "*")); /* one line: the line itself */
	v = http_field_list(&req, "if-match", req.if_match, req.if_match_lines, buf, 8);
	CHECK(v.p == NULL && v.len == 0); /* does not fit: malformed, never a cut list */
	v = http_field_list(&req, "if-match", req.if_match, 3, buf, sizeof(buf));
	CHECK(v.p == NULL); /* a line REQ did not keep: malformed */
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n") > 0, 1);
	CHECK_INT(req.if_match_lines + req.if_none_match_lines + req.authorization_lines, 0);
}

int main(void)
{
	test_basic();
	test_incomplete();
	test_versions();
	test_malformed();
	test_lengths();
	test_limits();
	test_forms();
	test_lists();
	test_split_fields();
	return test_done();
}
