/*
 * HTTP/1.1 request head parser (RFC 9112).  Strict by default: it accepts what
 * the grammar allows (plus bare LF line ends and leading empty lines, which
 * RFC 9112 permits a server to accept) and answers everything else with the
 * status code the caller should send.  No allocation; fields point into the
 * caller's buffer.
 */
#ifndef REEL_HTTP_PARSER_H
#define REEL_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_str {
	const char *p;
	uint32_t len;
};

#define HTTP_METHOD_LIST(X)                                                                        \
	X(GET)                                                                                     \
	X(HEAD)                                                                                    \
	X(OPTIONS)                                                                                 \
	X(POST)                                                                                    \
	X(PUT)                                                                                     \
	X(DELETE)                                                                                  \
	X(PATCH)                                                                                   \
	X(CONNECT)                                                                                 \
	X(TRACE)

enum http_method {
#define X(m) HTTP_##m,
	HTTP_METHOD_LIST(X)
#undef X
	    HTTP_OTHER, /* a syntactically valid method token we do not know */
};

#define HTTP_MAX_HEADERS 64

struct http_header {
	struct http_str name, value;
};

/* The head of one request.  Well-known fields are picked out while parsing. */
struct http_request {
	enum http_method method;
	struct http_str line; /* the request line, without its terminator */
	struct http_str method_str;
	struct http_str target; /* as sent (origin-, absolute- or asterisk-form) */
	struct http_str path;	/* the path part, still percent-encoded; "*" for OPTIONS * */
	struct http_str query;	/* after '?', without it; len 0 if none */
	uint8_t version_minor;	/* HTTP/1.x */
	bool keep_alive;	/* after Connection and the version's default */
	bool has_content_length;
	bool has_transfer_encoding;
	bool expect_continue;
	uint64_t content_length;

	struct http_str host, range, if_range, if_none_match, if_modified_since;
	struct http_str if_match, if_unmodified_since;
	struct http_str accept_encoding, origin, user_agent, referer, authorization;
	struct http_str content_type, ac_request_method, ac_request_headers;
	/*
	 * How many lines (at most 255) carried each of these fields: the str
	 * above is the first line's.  A list-based field such as If-Match may
	 * be split over lines (http_field_list() joins them); a singleton such
	 * as Authorization sent twice is for the server to refuse.
	 */
	uint8_t if_match_lines, if_none_match_lines, authorization_lines;

	unsigned nheaders; /* every header, in order (the first HTTP_MAX_HEADERS) */
	struct http_header headers[HTTP_MAX_HEADERS];
};

/*
 * Parse one request head from BUF[0..LEN).  Returns:
 *   > 0  the head is complete: that many bytes were consumed (through the
 *        empty line); *REQ is filled and points into BUF;
 *   0    the head is incomplete: read more and call again;
 *   < 0  the request is malformed: the negated HTTP status to answer with
 *        (-400, -414 request line too long, -431 headers too large or too
 *        many, -501 unsupported transfer coding, -505 version).  *REASON then
 *        points to a static, human-readable explanation.
 * MAX_LINE bounds the request line, MAX_HEAD the whole head (both in bytes);
 * the -414/-431 answers are given as soon as LEN shows they are exceeded.
 */
int http_parse_request(const char *buf, size_t len, size_t max_line, size_t max_head,
		       struct http_request *req, const char **reason);

/*
 * The header NAME (case-insensitive) of R: how many lines carry it (0, 1,
 * ...), with the value of the first in *VALUE (untouched when none).
 */
unsigned http_header_get(const struct http_request *r, const char *name, struct http_str *value);

/*
 * The list-based field NAME whose first line is FIRST and which came on
 * LINES lines of REQ, as one value: FIRST itself for one line, else every
 * line of it joined with ", " into BUF (CAP bytes).  Returns the value, or
 * {NULL, 0} when the lines do not fit in BUF or some are past the
 * HTTP_MAX_HEADERS that REQ keeps (the caller treats the field as
 * malformed).
 */
struct http_str http_field_list(const struct http_request *req, const char *name,
				struct http_str first, unsigned lines, char *buf, size_t cap);

/* Case-insensitive compare of S against the NUL-terminated LIT. */
bool http_str_ieq(struct http_str s, const char *lit);

/* Does the comma-separated list S contain TOKEN (case-insensitive)? */
bool http_list_has(struct http_str s, const char *token);

/* Name of a method, "GET" etc. (a static string). */
const char *http_method_name(enum http_method m);

#endif
