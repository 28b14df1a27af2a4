/*
 * The edge's request handler: packages from the content root (GET, HEAD,
 * conditional and range requests, gzip for text, CORS), /healthz and
 * /metrics.
 */
#ifndef EDGE_SERVE_H
#define EDGE_SERVE_H

#include "config.h"
#include "filecache.h"
#include "httpd.h"
#include "metrics.h"
#include "ratelimit.h"
#include "stream_token.h"

struct edge_serve {
	uint32_t magic;
	const struct edge_config *cfg;
	struct edge_filecache *files;
	struct metrics *metrics;
	struct metrics_slot *slot;
	char boundary[24];	 /* multipart/byteranges boundary of this worker */
	const char *cors_static; /* header lines for every object when origins is "*" */
	uint64_t (*now_ms)(void);
	const struct paseto_keyring *ring; /* stream-token keys, NULL when none */
	struct token_cache *tokens;	   /* verified tokens of this worker */
	struct edge_ratelimit *failures;   /* failed verifications per client address */
};

#define EDGE_SERVE_MAGIC 0x53727665U /* "Srve" */

/* The httpd handler; ARG is a struct edge_serve. */
void edge_serve(struct httpd_exchange *x, void *arg);

/*
 * Does the Accept-Encoding value V (LEN bytes) accept gzip (a "gzip" or "*"
 * element whose q is not 0)?
 */
bool edge_accepts_gzip(const char *v, size_t len);

#endif
