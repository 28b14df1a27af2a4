/*
 * What every API handler shares (api_int.h): routing by path pattern and
 * method, JSON answers and errors, request bodies, the caller's identity.
 */
#include "api/api_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "http_path.h"
#include "jsonfield.h"
#include "log.h"

void api_send_json(struct httpd_exchange *x, int status, json_t *obj, const char *extra)
{
	/* 15 significant digits: 17.7 stays 17.7, not 17.699999999999999 */
	char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;

	json_decref(obj);
	api_send_json_text(x, status, text, text ? strlen(text) : 0, extra);
	free(text);
}

void api_send_json_text(struct httpd_exchange *x, int status, const char *text, size_t len,
			const char *extra)
{
	if (!text) {
		httpd_error(x, 500, "out of memory", NULL, true);
		return;
	}
	httpd_begin(x, status);
	httpd_header_lit(x, "Content-Type: application/json\r\n");
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	if (extra)
		httpd_header(x, extra, strlen(extra));
	httpd_end_head(x, (int64_t)len);
	httpd_body_mem(x, text, len);
}

void api_error(struct httpd_exchange *x, int status, const char *code, const char *msg,
	       const char *extra)
{
	api_send_json(x, status, json_pack("{s:s, s:s}", "error", code, "message", msg), extra);
}

void api_fail(struct httpd_exchange *x, const struct origin_fail *f)
{
	if (!f->has_limit) {
		api_error(x, f->status, f->code, f->message, NULL);
		return;
	}
	api_send_json(x, f->status,
		      json_pack("{s:s, s:s, s:i}", "error", f->code, "message", f->message, "limit",
				(int)f->limit),
		      NULL);
}

int api_refusal_fail(enum api_resource r, int rc, const struct origin_reason *why,
		     struct origin_fail *f)
{
	const struct api_refusal *row = api_refusal_of(r, rc);
	static const struct origin_reason none;

	if (!row) {
		*f = (struct origin_fail){500, "internal", "internal error", false, 0};
		return -1;
	}
	if (!why)
		why = &none;
	*f = (struct origin_fail){row->status, row->code ? row->code : why->code,
				  row->message ? row->message : why->message, why->has_limit,
				  why->limit};
	return 0;
}

void api_refuse(struct origin_api *api, struct httpd_exchange *x, enum api_resource r, int rc,
		const struct origin_reason *why)
{
#define API_RESOURCE_NAME(id, name) name,
	static const char *const names[API_RESOURCE_COUNT] = {API_RESOURCES(API_RESOURCE_NAME)};
#undef API_RESOURCE_NAME
	const struct api_refusal *row = api_refusal_of(r, rc);
	struct origin_fail f;

	if (!row) {
		api_internal(x, names[r], rc);
		return;
	}
	if (row->count != ORIGIN_COUNT_NONE)
		api->count[row->count]++;
	api_refusal_fail(r, rc, why, &f);
	if (row->extra && !f.has_limit)
		api_error(x, f.status, f.code, f.message, row->extra);
	else
		api_fail(x, &f);
}

void api_internal(struct httpd_exchange *x, const char *what, int rc)
{
	log_warnx("%s: %s", what, strerror(-rc));
	if (rc == -ENOSPC)
		api_error(x, 503, "storage_full", "the store is full", NULL);
	else
		api_error(x, 500, "internal", "internal error", NULL);
}

void api_send_result(struct httpd_exchange *x, const char *what, int rc, json_t *obj)
{
	if (rc == 0) {
		api_send_json(x, 200, obj, NULL);
		return;
	}
	json_decref(obj);
	api_internal(x, what, rc);
}

void api_no_content(struct httpd_exchange *x)
{
	httpd_begin(x, 204);
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	httpd_end_head(x, -1);
}

bool api_is_json(const struct http_request *req)
{
	struct http_str ct = req->content_type;
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct.len < n || strncasecmp(ct.p, want, n) != 0)
		return false;
	return ct.len == n || ct.p[n] == ';' || ct.p[n] == ' ' || ct.p[n] == '\t';
}

bool api_bad_body(struct httpd_exchange *x, json_t **obj)
{
	json_error_t e;

	*obj = NULL;
	if (!api_is_json(x->req)) {
		api_error(x, 415, "unsupported_media_type", "the body must be application/json",
			  NULL);
		return true;
	}
	*obj = json_loadb(x->body ? x->body : "", x->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!*obj || !json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		api_error(x, 400, "invalid_json", "the body is not a JSON object", NULL);
		return true;
	}
	return false;
}

const void *api_peer_bytes(struct httpd_exchange *x, size_t *len)
{
	const struct sockaddr *sa = httpd_peer(x);

	if (sa->sa_family == AF_INET6) {
		*len = 16;
		return &((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	*len = 4;
	return &((const struct sockaddr_in *)sa)->sin_addr;
}

bool api_param(const struct http_str *p, char *out, size_t cap)
{
	if (p->len >= cap)
		return false;
	memcpy(out, p->p, p->len);
	out[p->len] = '\0';
	return true;
}

bool api_bad_param(struct httpd_exchange *x, const struct api_params *p, char *id, size_t cap,
		   bool (*valid)(const char *s, size_t len), const char *code, const char *message)
{
	if (api_param(&p->v[0], id, cap) && valid(id, strlen(id)))
		return false;
	api_error(x, 404, code, message, NULL);
	return true;
}

/* Query parameter NAME as a count up to MAX; DEF when absent, too large or not a number. */
static size_t query_size(struct httpd_exchange *x, const char *name, size_t def, size_t max)
{
	char buf[16];
	char *end;
	unsigned long v;

	if (api_query(x->req, name, buf, sizeof(buf)) != 1)
		return def;
	v = strtoul(buf, &end, 10);
	return *end || v > max ? def : v;
}

int api_query_count(const struct http_request *req, const char *name, size_t def, size_t max,
		    size_t *out)
{
	char buf[16], *end = NULL;
	unsigned long v = 0;
	int found = api_query(req, name, buf, sizeof(buf));

	if (found == 0) {
		*out = def;
		return 0;
	}
	if (found > 0 && buf[0] >= '0' && buf[0] <= '9')
		v = strtoul(buf, &end, 10);
	if (!end || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

struct api_page api_admin_page(struct httpd_exchange *x)
{
	return (struct api_page){query_size(x, "offset", 0, SIZE_MAX),
				 query_size(x, "limit", 100, 1000)};
}

void api_admin_removed(struct origin_api *api, struct httpd_exchange *x, enum api_resource r,
		       int rc, const char *who, const char *kind, const char *id)
{
	if (rc != 0) {
		api_refuse(api, x, r, rc, NULL);
		return;
	}
	log_info("admin %s: deleted %s %s", who, kind, id);
	api_no_content(x);
}

/*
 * Percent-decode [P, STOP) into OUT (CAP bytes with the NUL), '+' as a space
 * when PLUS: the decoded length (OUT may hold NUL bytes before it), or -1
 * when it does not fit.
 */
static long pct_decode(const char *p, const char *stop, bool plus, char *out, size_t cap)
{
	size_t n = 0;

	for (; p < stop && n + 1 < cap; p++) {
		int hi, lo;

		if (plus && *p == '+') {
			out[n++] = ' ';
		} else if (*p == '%' && stop - p >= 3 && (hi = hex_digit((unsigned char)p[1])) >= 0 &&
			   (lo = hex_digit((unsigned char)p[2])) >= 0) {
			out[n++] = (char)(hi << 4 | lo);
			p += 2;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return p < stop ? -1 : (long)n;
}

int api_query(const struct http_request *req, const char *name, char *out, size_t cap)
{
	const char *p = req->query.p, *end = p + req->query.len;
	size_t nlen = strlen(name);

	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) >= nlen && memcmp(p, name, nlen) == 0 &&
		    (p + nlen == stop || p[nlen] == '='))
			return pct_decode(p + nlen + (p + nlen < stop), stop, true, out, cap) < 0 ? -1
												   : 1;
		p = stop + 1;
	}
	return 0;
}

bool api_param_decoded(const struct http_str *p, char *out, size_t cap)
{
	long n = pct_decode(p->p, p->p + p->len, false, out, cap);

	return n >= 0 && strlen(out) == (size_t)n;
}

/* Does PATH match PATTERN?  Fills P with the segments the "*"s matched. */
static bool match(const char *pattern, struct http_str path, struct api_params *p)
{
	const char *s = path.p, *end = path.p + path.len;

	p->n = 0;
	while (*pattern) {
		if (*pattern == '*') {
			const char *seg = s;

			while (s < end && *s != '/')
				s++;
			if (s == seg || p->n == API_MAX_PARAMS)
				return false;
			p->v[p->n].p = seg;
			p->v[p->n++].len = (size_t)(s - seg);
			pattern++;
		} else if (s < end && *s == *pattern) {
			s++;
			pattern++;
		} else {
			return false;
		}
	}
	return s == end;
}

void api_route(struct origin_api *api, struct httpd_exchange *x, const struct api_route *table,
	       size_t n)
{
	const struct http_request *req = x->req;
	enum http_method m = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	char allow[96] = "Allow: ";
	struct api_params p;
	bool found = false;

	if (req->authorization_lines > 1) {
		/* a proxy in front may have read the other one */
		api_error(x, 400, "invalid_request", "more than one Authorization header", NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!match(table[i].pattern, req->path, &p))
			continue;
		if (table[i].method == m) {
			table[i].fn(api, x, &p);
			return;
		}
		if (found)
			strcat(allow, ", ");
		strcat(allow, http_method_name(table[i].method));
		if (table[i].method == HTTP_GET)
			strcat(allow, ", HEAD");
		found = true;
	}
	if (found) {
		strcat(allow, "\r\n");
		api_error(x, 405, "method_not_allowed", "method not allowed", allow);
	} else {
		api_error(x, 404, "not_found", "no such endpoint", NULL);
	}
}
