/*
 * The admin API client: one libcurl easy handle (connections are reused
 * between calls), the admin token as Authorization: Bearer, JSON answers.
 * Only http and https, no redirects (a token never follows one), TLS
 * verified against the system's CAs or the configured file unless
 * insecure.  Library code: fills ERR, never prints.
 */
#ifndef REEL_CTL_CLIENT_H
#define REEL_CTL_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct ctl_client;
struct ctl_progress;

/*
 * A client for the credentials CR (copied).  Returns NULL with the reason
 * in ERR, *EINVAL set to whether the URL was the problem ("--url 'x': not
 * an http:// or https:// URL"), not memory or libcurl.  Free with
 * ctl_client_free.
 */
struct ctl_client *ctl_client_new(const struct ctl_creds *cr, bool *einval, char *err,
				  size_t errlen);

/* NULL does nothing. */
void ctl_client_free(struct ctl_client *c);

/* The origin's base URL, as configured, and where the token came from ("" if none). */
const char *ctl_client_url(const struct ctl_client *c);
const char *ctl_client_token_from(const struct ctl_client *c);
bool ctl_client_has_token(const struct ctl_client *c);

/* A request body: in memory, or streamed from a file descriptor (never held in memory). */
struct ctl_body {
	const char *type; /* Content-Type */
	const void *mem;
	size_t len;
	int fd; /* >= 0: read SIZE bytes from here (from where it is) instead of MEM */
	uint64_t size;
	struct ctl_progress *progress; /* upload progress to report, or NULL */
	uint64_t progress_base;	       /* reported as done before this body's first byte */
	const char *header;	       /* one more header line, "Name: value", or NULL */
};

/* An answer. */
struct ctl_reply {
	long status;
	char reason[64];     /* the status line's reason phrase */
	char ctype[64];	     /* Content-Type without parameters, lowercase */
	json_t *json;	     /* the body if it is JSON, else NULL (owned: ctl_reply_free) */
	const char *error;   /* an error body's "error" code, else "" */
	const char *message; /* its "message", else "" */
};

/*
 * METHOD PATH (below the base URL; PATH must be escaped already) with BODY
 * (NULL: none; PUT, POST and PATCH then send an empty one).  Returns 0 when an
 * answer came, whatever its status, with R filled (free it with
 * ctl_reply_free); or -EIO (no answer: cannot connect, TLS, timeout), with
 * "cannot connect to URL: why" in ERR.
 */
int ctl_client_call(struct ctl_client *c, const char *method, const char *path,
		    const struct ctl_body *body, struct ctl_reply *r, char *err, size_t errlen);

void ctl_reply_free(struct ctl_reply *r);

/* S percent-encoded for one path segment or query value into BUF; NULL if it does not fit. */
const char *ctl_client_escape(const char *s, char *buf, size_t len);

#endif
