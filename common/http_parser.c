/*
 * HTTP/1.1 request head parser.  One pass over the bytes: the request line,
 * then header lines until the empty line.  Every rejection names its reason.
 */
#include "http_parser.h"

#include <string.h>

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" /
 * DIGIT / ALPHA */
static const uint8_t tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static const char *const method_names[] = {
#define X(m) #m,
    HTTP_METHOD_LIST(X)
#undef X
	"OTHER",
};

const char *http_method_name(enum http_method m)
{
	return method_names[m];
}

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

bool http_str_ieq(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

unsigned http_header_get(const struct http_request *r, const char *name, struct http_str *value)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nheaders; i++) {
		if (http_str_ieq(r->headers[i].name, name)) {
			if (n++ == 0)
				*value = r->headers[i].value;
		}
	}
	return n;
}

bool http_list_has(struct http_str s, const char *token)
{
	size_t i = 0;

	while (i < s.len) {
		struct http_str t;

		while (i < s.len && (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == ','))
			i++;
		t.p = s.p + i;
		while (i < s.len && s.p[i] != ',' && s.p[i] != ' ' && s.p[i] != '\t' &&
		       s.p[i] != ';')
			i++;
		t.len = (uint32_t)(s.p + i - t.p);
		if (t.len && http_str_ieq(t, token))
			return true;
		while (i < s.len && s.p[i] != ',')
			i++;
	}
	return false;
}

static enum http_method method_lookup(const char *p, size_t n)
{
	for (int m = 0; m < HTTP_OTHER; m++)
		if (strlen(method_names[m]) == n && memcmp(method_names[m], p, n) == 0)
			return (enum http_method)m;
	return HTTP_OTHER;
}

#define FAIL(code, why)                                                                            \
	do {                                                                                       \
		*reason = why;                                                                     \
		return -(code);                                                                    \
	} while (0)

/* Split the request-target into path and query; absolute-form loses its scheme and authority. */
static int parse_target(struct http_request *req, const char **reason)
{
	const char *p = req->target.p, *end = p + req->target.len, *q;

	if (req->method == HTTP_CONNECT) {
		req->path = req->target; /* authority-form; the server refuses CONNECT */
		return 0;
	}
	if (*p == '*') {
		if (req->target.len != 1 || req->method != HTTP_OPTIONS)
			FAIL(400, "asterisk-form target is only allowed with OPTIONS");
	} else if (*p != '/') {
		if (req->target.len > 7 && memcmp(p, "http://", 7) == 0)
			p += 7;
		else if (req->target.len > 8 && memcmp(p, "https://", 8) == 0)
			p += 8;
		else
			FAIL(400, "request-target is not origin-form or absolute-form");
		while (p < end && *p != '/' && *p != '?')
			p++;
		if (p == end || *p == '?') {
			/* "http://host" means "/" */
			req->path.p = "/";
			req->path.len = 1;
			req->query.p = p < end ? p + 1 : end;
			req->query.len = (uint32_t)(p < end ? end - p - 1 : 0);
			return 0;
		}
	}
	q = memchr(p, '?', (size_t)(end - p));
	req->path.p = p;
	req->path.len = (uint32_t)((q ? q : end) - p);
	req->query.p = q ? q + 1 : end;
	req->query.len = (uint32_t)(q ? end - q - 1 : 0);
	return 0;
}

/* Parse "METHOD SP target SP HTTP/1.x" in [p, end) (the line without its terminator). */
static int parse_request_line(const char *p, const char *end, struct http_request *req,
			      const char **reason)
{
	const char *s = p;

	while (p < end && tchar[(uint8_t)*p])
		p++;
	if (p == s || p == end || *p != ' ')
		FAIL(400, "malformed method in request line");
	req->method_str.p = s;
	req->method_str.len = (uint32_t)(p - s);
	req->method = method_lookup(s, (size_t)(p - s));
	s = ++p;
	while (p < end && (uint8_t)*p > 0x20 && *p != 0x7f)
		p++;
	if (p == s || p == end || *p != ' ')
		FAIL(400, "malformed request-target");
	req->target.p = s;
	req->target.len = (uint32_t)(p - s);
	p++;
	if (end - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' || p[5] > '9' ||
	    p[7] < '0' || p[7] > '9')
		FAIL(400, "malformed HTTP version");
	if (p[5] != '1')
		FAIL(505, "only HTTP/1.0 and HTTP/1.1 are supported");
	req->version_minor = (uint8_t)(p[7] - '0');
	if (req->version_minor > 1)
		req->version_minor = 1; /* RFC 9112 2.5: HTTP/1.x, x > 1, is answered as 1.1 */
	return parse_target(req, reason);
}

static int parse_uint64(struct http_str v, uint64_t *out)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > 19)
		return -1;
	for (uint32_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n;
	return 0;
}

/* Content-Length: a number, or a list of one repeated number (RFC 9112 6.3). */
static int parse_content_length(struct http_request *req, struct http_str v, const char **reason)
{
	uint64_t n, prev = req->content_length;
	bool had = req->has_content_length;
	uint32_t i = 0;

	while (i <= v.len) {
		struct http_str e = {v.p + i, 0};

		while (i < v.len && v.p[i] != ',')
			i++;
		e.len = (uint32_t)(v.p + i - e.p);
		while (e.len && (e.p[0] == ' ' || e.p[0] == '\t'))
			e.p++, e.len--;
		while (e.len && (e.p[e.len - 1] == ' ' || e.p[e.len - 1] == '\t'))
			e.len--;
		if (parse_uint64(e, &n) != 0)
			FAIL(400, "invalid Content-Length");
		if (had && n != prev)
			FAIL(400, "conflicting Content-Length values");
		prev = n;
		had = true;
		i++;
	}
	req->content_length = prev;
	req->has_content_length = true;
	return 0;
}

/* Count one more line of a field whose first line goes to SLOT; returns SLOT. */
static struct http_str *count_line(uint8_t *lines, struct http_str *slot)
{
	if (*lines < UINT8_MAX)
		(*lines)++;
	return slot;
}

struct http_str http_field_list(const struct http_request *req, const char *name,
				struct http_str first, unsigned lines, char *buf, size_t cap)
{
	struct http_str out = {buf, 0}, none = {NULL, 0};
	unsigned found = 0;

	if (lines <= 1)
		return first;
	for (unsigned i = 0; i < req->nheaders && i < HTTP_MAX_HEADERS; i++) {
		const struct http_header *h = &req->headers[i];

		if (!http_str_ieq(h->name, name))
			continue;
		if (out.len + 2 + h->value.len > cap)
			return none;
		if (found++) {
			memcpy(buf + out.len, ", ", 2);
			out.len += 2;
		}
		memcpy(buf + out.len, h->value.p, h->value.len);
		out.len += h->value.len;
	}
	return found == lines ? out : none;
}

/* Remember the fields the servers use.  Returns 0 or a negated status. */
static int pick_header(struct http_request *req, struct http_str n, struct http_str v,
		       const char **reason)
{
	struct http_str *slot = NULL;

	switch (n.len) {
	case 4:
		if (http_str_ieq(n, "host")) {
			if (req->host.p)
				FAIL(400, "more than one Host header");
			slot = &req->host;
		}
		break;
	case 5:
		if (http_str_ieq(n, "range"))
			slot = &req->range;
		break;
	case 6:
		if (http_str_ieq(n, "origin"))
			slot = &req->origin;
		else if (http_str_ieq(n, "expect"))
			req->expect_continue = http_str_ieq(v, "100-continue");
		break;
	case 7:
		if (http_str_ieq(n, "referer"))
			slot = &req->referer;
		break;
	case 8:
		if (http_str_ieq(n, "if-range"))
			slot = &req->if_range;
		else if (http_str_ieq(n, "if-match"))
			slot = count_line(&req->if_match_lines, &req->if_match);
		break;
	case 10:
		if (http_str_ieq(n, "user-agent"))
			slot = &req->user_agent;
		else if (http_str_ieq(n, "connection")) {
			if (http_list_has(v, "close"))
				req->keep_alive = false;
			else if (http_list_has(v, "keep-alive"))
				req->keep_alive = true;
		}
		break;
	case 12:
		if (http_str_ieq(n, "content-type"))
			slot = &req->content_type;
		break;
	case 13:
		if (http_str_ieq(n, "if-none-match"))
			slot = count_line(&req->if_none_match_lines, &req->if_none_match);
		else if (http_str_ieq(n, "authorization"))
			slot = count_line(&req->authorization_lines, &req->authorization);
		break;
	case 14:
		if (http_str_ieq(n, "content-length"))
			return parse_content_length(req, v, reason);
		break;
	case 15:
		if (http_str_ieq(n, "accept-encoding"))
			slot = &req->accept_encoding;
		break;
	case 17:
		if (http_str_ieq(n, "if-modified-since"))
			slot = &req->if_modified_since;
		else if (http_str_ieq(n, "transfer-encoding"))
			req->has_transfer_encoding = true;
		break;
	case 19:
		if (http_str_ieq(n, "if-unmodified-since"))
			slot = &req->if_unmodified_since;
		break;
	case 29:
		if (http_str_ieq(n, "access-control-request-method"))
			slot = &req->ac_request_method;
		break;
	case 30:
		if (http_str_ieq(n, "access-control-request-headers"))
			slot = &req->ac_request_headers;
		break;
	}
	if (slot && !slot->p)
		*slot = v;
	return 0;
}

/* Parse one header line [p, end) (terminator excluded). */
static int parse_header_line(const char *p, const char *end, struct http_request *req,
			     const char **reason)
{
	struct http_str n = {p, 0}, v;

	if (*p == ' ' || *p == '\t')
		FAIL(400, "obsolete line folding is not accepted");
	while (p < end && tchar[(uint8_t)*p])
		p++;
	if (p == n.p || p == end || *p != ':')
		FAIL(400, "malformed header field name");
	n.len = (uint32_t)(p - n.p);
	p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (const char *c = p; c < end; c++)
		if (((uint8_t)*c < 0x20 && *c != '\t') || *c == 0x7f)
			FAIL(400, "control character in header field value");
	v.p = p;
	v.len = (uint32_t)(end - p);
	if (req->nheaders < HTTP_MAX_HEADERS) {
		req->headers[req->nheaders].name = n;
		req->headers[req->nheaders].value = v;
	}
	req->nheaders++;
	if (req->nheaders > 2 * HTTP_MAX_HEADERS)
		FAIL(431, "too many header fields");
	return pick_header(req, n, v, reason);
}

/* Find the end of the line at P: sets *EOL to its last content byte + 1, returns the next line. */
static const char *next_line(const char *p, const char *end, const char **eol, bool *bad_cr)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl)
		return NULL;
	*eol = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
	*bad_cr = memchr(p, '\r', (size_t)(*eol - p)) != NULL;
	return nl + 1;
}

int http_parse_request(const char *buf, size_t len, size_t max_line, size_t max_head,
		       struct http_request *req, const char **reason)
{
	const char *p = buf, *end = buf + len, *eol, *next;
	bool bad_cr;
	int rc;

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (p < end && (*p == '\r' || *p == '\n') && p - buf < 16)
		p++;
	if (p == end)
		return 0;
	next = next_line(p, end, &eol, &bad_cr);
	if (!next) {
		if ((size_t)(end - p) > max_line)
			FAIL(414, "request line too long");
		if ((size_t)(end - buf) > max_head)
			FAIL(431, "request head too large");
		return 0;
	}
	if ((size_t)(eol - p) > max_line)
		FAIL(414, "request line too long");
	if (bad_cr)
		FAIL(400, "bare CR in request line");
	memset(req, 0, offsetof(struct http_request, headers));
	req->line.p = p;
	req->line.len = (uint32_t)(eol - p);
	if ((rc = parse_request_line(p, eol, req, reason)) != 0)
		return rc;
	req->keep_alive = req->version_minor == 1;
	for (p = next;;) {
		if ((size_t)(p - buf) > max_head)
			FAIL(431, "request head too large");
		next = next_line(p, end, &eol, &bad_cr);
		if (!next) {
			if ((size_t)(end - buf) > max_head)
				FAIL(431, "request head too large");
			return 0;
		}
		if (bad_cr)
			FAIL(400, "bare CR in header section");
		if (eol == p)
			break;
		if ((rc = parse_header_line(p, eol, req, reason)) != 0)
			return rc;
		p = next;
	}
	if ((size_t)(next - buf) > max_head)
		FAIL(431, "request head too large");
	if (req->version_minor == 1 && !req->host.p)
		FAIL(400, "HTTP/1.1 request without Host");
	if (req->has_transfer_encoding && req->has_content_length)
		FAIL(400, "both Transfer-Encoding and Content-Length");
	return (int)(next - buf);
}
