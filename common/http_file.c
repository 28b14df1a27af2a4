/* The static-file answer (http_file.h): preconditions, ranges, the gzip form. */
#include "http_file.h"

#include <stdio.h>
#include <string.h>

#include "http_accept.h"
#include "http_range.h"

/* Status line, the header block HDR, and the caller's lines. */
static void begin(struct httpd_exchange *x, const struct http_file_how *how, int status,
		  const struct buf *hdr)
{
	httpd_begin(x, status);
	httpd_header(x, hdr->p, hdr->len);
	if (how->extras)
		how->extras(x, how->arg);
}

static void send_body(struct httpd_exchange *x, const struct http_file *f, uint64_t off,
		      uint64_t len)
{
	if (f->data)
		httpd_body_mem(x, f->data + off, len);
	else
		httpd_body_file(x, f->fd, off, len);
}

/* 412 or 304 when a precondition of X fails against F; true when it answered. */
static bool answered_precondition(struct httpd_exchange *x, const struct http_file *f,
				  const struct http_file_how *how)
{
	unsigned which = 0;

	switch (http_preconditions(x->req, &f->v, &which)) {
	case HTTP_PRECOND_PASS:
		return false;
	case HTTP_PRECOND_FAILED: /* for GET and HEAD: If-Match, or without it If-Unmodified-Since
				   */
		httpd_error(x, 412,
			    x->req->if_match.p ? "If-Match names no current entity-tag"
					       : "modified since If-Unmodified-Since",
			    NULL, false);
		return true;
	case HTTP_PRECOND_NOT_MODIFIED:
		begin(x, how, 304, which && f->gz_hdr ? f->gz_hdr : f->hdr);
		httpd_end_head(x, -1);
		return true;
	}
	return false;
}

/* The part head of range RG into PART (CAP bytes); its length. */
static int part_head(char *part, size_t cap, const struct http_file *f,
		     const struct http_file_how *how, const struct http_range *rg)
{
	return snprintf(
	    part, cap,
	    "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
	    how->boundary, f->content_type, (unsigned long long)rg->first,
	    (unsigned long long)rg->last, (unsigned long long)f->size);
}

/* Several ranges: one multipart/byteranges body. */
static void send_multipart(struct httpd_exchange *x, const struct http_file *f,
			   const struct http_file_how *how, const struct http_range *rg, unsigned n)
{
	char part[256];
	uint64_t total = 8 + strlen(how->boundary);
	const char *after_type = memchr(f->hdr->p, '\n', f->hdr->len) + 1;

	for (unsigned i = 0; i < n; i++)
		total += (uint64_t)part_head(part, sizeof(part), f, how, &rg[i]) + rg[i].last -
			 rg[i].first + 1;
	/* every header but the first, Content-Type, which the parts carry */
	httpd_begin(x, 206);
	httpd_header(x, after_type, f->hdr->len - (size_t)(after_type - f->hdr->p));
	if (how->extras)
		how->extras(x, how->arg);
	httpd_headerf(x, "Content-Type: multipart/byteranges; boundary=%s\r\n", how->boundary);
	httpd_end_head(x, (int64_t)total);
	for (unsigned i = 0; i < n; i++) {
		int len = part_head(part, sizeof(part), f, how, &rg[i]);

		httpd_body_mem(x, part, (size_t)len);
		send_body(x, f, rg[i].first, rg[i].last - rg[i].first + 1);
	}
	snprintf(part, sizeof(part), "\r\n--%s--\r\n", how->boundary);
	httpd_body_mem(x, part, 8 + strlen(how->boundary));
}

/* 206 or 416 for a Range of X that applies to F; true when it answered. */
static bool answered_range(struct httpd_exchange *x, const struct http_file *f,
			   const struct http_file_how *how)
{
	const struct http_request *r = x->req;
	struct http_range rg[HTTP_FILE_MAX_RANGES];
	unsigned n = 0, max = how->max_ranges;

	if (!r->range.p || !http_if_range(r, &f->v))
		return false;
	if (max < 1 || max > HTTP_FILE_MAX_RANGES || (max > 1 && !how->boundary))
		max = 1;
	switch (http_range_parse(r->range.p, r->range.len, f->size, rg, max, &n)) {
	case HTTP_RANGE_OK:
		if (n > 1) {
			send_multipart(x, f, how, rg, n);
			return true;
		}
		begin(x, how, 206, f->hdr);
		httpd_headerf(x, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)rg[0].first, (unsigned long long)rg[0].last,
			      (unsigned long long)f->size);
		httpd_end_head(x, (int64_t)(rg[0].last - rg[0].first + 1));
		send_body(x, f, rg[0].first, rg[0].last - rg[0].first + 1);
		return true;
	case HTTP_RANGE_UNSATISFIABLE:
		begin(x, how, 416, f->hdr);
		httpd_headerf(x, "Content-Range: bytes */%llu\r\n", (unsigned long long)f->size);
		httpd_end_head(x, 0);
		return true;
	case HTTP_RANGE_IGNORE:
		break;
	}
	return false;
}

void http_file_answer(struct httpd_exchange *x, const struct http_file *f,
		      const struct http_file_how *how)
{
	const struct http_request *r = x->req;
	bool gz;

	if (answered_precondition(x, f, how) || answered_range(x, f, how))
		return;
	gz = f->gz && f->gz_hdr && r->accept_encoding.p &&
	     http_accepts_gzip(r->accept_encoding.p, r->accept_encoding.len);
	begin(x, how, 200, gz ? f->gz_hdr : f->hdr);
	if (gz) {
		httpd_end_head(x, (int64_t)f->gz_len);
		httpd_body_mem(x, f->gz, f->gz_len);
	} else {
		httpd_end_head(x, (int64_t)f->size);
		send_body(x, f, 0, f->size);
	}
}
