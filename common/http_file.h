/*
 * Answering a file: the one static-file answer of the project, used by the
 * edge for its objects, by the origin for its content endpoint and for the
 * web player's files.  For a representation it emits, in order:
 *
 *   HTTP/1.1 200 OK | 206 Partial Content | 304 Not Modified | 412 | 416
 *   Server, Date                               (httpd core)
 *   the representation's header block          (prebuilt by the caller:
 *                                               Content-Type first, ETag,
 *                                               Last-Modified, Cache-Control...)
 *   the caller's lines for this request        (CORS, Cache-Status)
 *   Content-Range                              (206 of one range, 416)
 *   Content-Length, Connection                 (httpd core)
 *
 * A single range is a 206 with Content-Range; several (when allowed) are
 * one multipart/byteranges body whose parts are
 *   CRLF "--" boundary CRLF Content-Type CRLF Content-Range CRLF CRLF data
 * closed by CRLF "--" boundary "--" CRLF.  The identity body goes out from
 * memory or from the file's descriptor (sendfile); the gzip form, when
 * there is one and the client accepts it, from memory.
 */
#ifndef REEL_HTTP_FILE_H
#define REEL_HTTP_FILE_H

#include <stdint.h>

#include "buf.h"
#include "http_cond.h"
#include "httpd.h"

#define HTTP_FILE_MAX_RANGES 256 /* ranges in one multipart answer at most */

/*
 * A representation, borrowed for the call: the caller keeps the descriptor,
 * the bytes and the buffers alive until the answer is sent (httpd_hold).
 */
struct http_file {
	uint64_t size;		  /* of the identity form */
	int fd;			  /* its bytes, sent with sendfile when DATA is NULL */
	const char *data;	  /* or its bytes in memory; NULL: from FD */
	const char *content_type; /* its type, for the parts of multipart/byteranges */
	const struct buf *hdr;	  /* its header lines, "Content-Type: ..." the first */
	const char *gz;		  /* the gzip form, or NULL */
	uint64_t gz_len;
	const struct buf *gz_hdr; /* the gzip form's header lines (with Content-Encoding) */
	struct http_validators v; /* etag[0] the identity form's, etag[1] the gzip form's */
};

/* How to answer: the same for every file of a server. */
struct http_file_how {
	unsigned max_ranges;  /* 1..HTTP_FILE_MAX_RANGES; a Range of more gets the whole body */
	const char *boundary; /* of multipart/byteranges (needed when max_ranges > 1) */
	/* adds this request's header lines after the block, or NULL; ARG is passed on */
	void (*extras)(struct httpd_exchange *x, void *arg);
	void *arg;
};

/*
 * Answer the GET or HEAD X with F: 412 or 304 when a precondition fails
 * (RFC 9110 13.2.2; the 304 carries the header block of the form whose ETag
 * matched), 206 or 416 for a Range that applies (If-Range), else 200 with
 * the gzip form when X accepts it, the identity form otherwise.  Always
 * answers.
 */
void http_file_answer(struct httpd_exchange *x, const struct http_file *f,
		      const struct http_file_how *how);

#endif
