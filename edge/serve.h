/*
 * The edge's request handlers: packages from the content root (GET, HEAD,
 * conditional and range requests, gzip for text, CORS) and /healthz on the
 * content listeners; /metrics and /healthz on the metrics listeners.
 */
#ifndef EDGE_SERVE_H
#define EDGE_SERVE_H

#include "config.h"
#include "filecache.h"
#include "httpd.h"
#include "metrics.h"
#include "ratelimit.h"
#include "stream_token.h"

/*
 * The handlers' state, one per worker.  The handlers only read it (the
 * caches change inside): whoever fills it owns every pointer and frees
 * FILES, TOKENS and FAILURES after the servers using it are gone; CFG,
 * METRICS, RING and the strings must outlive them.
 */
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

/*
 * The content listeners' httpd handler; ARG is a struct edge_serve.  Answers
 * every request synchronously; /metrics only with [metrics] on_content.
 */
void edge_serve(struct httpd_exchange *x, void *arg);

/* The metrics listeners' handler: /metrics and /healthz, 404 for the rest. */
void edge_serve_metrics(struct httpd_exchange *x, void *arg);

#endif
