/*
 * The fill API (docs/fill.md), on its own listener: the origin puts
 * objects into the store, asks what is there, removes titles and purges.
 * Every request is signed with the origin's control key (httpsig.h,
 * Ed25519; the edge holds the public keys) for this edge (tag), within
 * HTTPSIG_WINDOW seconds, with a nonce never seen before by any worker
 * (the index's nonce cache):
 *
 *   PUT    /fill/<title>/<path>    the object, Content-Digest its SHA-256:
 *                                  streamed to a temporary file, verified,
 *                                  placed and indexed; 201 (or 409, 507)
 *   PUT    /fill/<title>/manifest.json   last: 201 marks the title complete
 *                                  when every file it lists is there, else
 *                                  409 with the count missing
 *   POST   /fill/<title>/<path>    a copy order (peer.h): the object is
 *                                  fetched from the peer it names, verified
 *                                  against the order's SHA-256, placed and
 *                                  indexed; 201, or 502 when the peer fails
 *   HEAD   /fill/<title>/<path>    200 with Content-Length and
 *                                  Content-Digest of what is stored, or 404
 *   GET    /fill/<title>/<path>    the same with the object: what a peer
 *                                  copies (peer fill)
 *   GET    /fill/                  the titles: state, objects, bytes (JSON)
 *   GET    /fill/<title>           one title and its objects (JSON)
 *   DELETE /fill/<title>           the whole title; DELETE
 *                                  /fill/<title>/<path> one object
 *   POST   /purge                  {"object": "<title>/<path>"},
 *                                  {"title": "<title>"} or {"prefix": "..."}
 *
 * Answers are JSON ({"error": "..."} for refusals) with honest codes: 400
 * malformed, 401 signature (missing, unknown key, wrong, expired,
 * replayed), 404, 405, 409, 413, 422, 502, 507.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_FILL_H
#define EDGE_FILL_H

#include "cache.h"
#include "httpd.h"
#include "metrics.h"
#include "paseto.h"
#include "peer.h"

struct edge_fill {
	uint32_t magic;
	struct edge_cache *cache;
	const struct paseto_keyring *keys; /* the origin's control public keys */
	const char *edge_id;		   /* the tag requests must carry */
	struct metrics_slot *metrics;
	uint64_t max_size;	  /* of the store, for GET /fill/ */
	struct edge_peers *peers; /* copies from peers in flight; NULL: copies are refused */
};

#define EDGE_FILL_MAGIC 0x46696c6cU /* "Fill" */

/* The httpd handler of the fill listener; ARG is a struct edge_fill. */
void edge_fill_serve(struct httpd_exchange *x, void *arg);

/* A fill API path, parsed once. */
struct edge_fill_path {
	enum { EDGE_FILL_LIST, EDGE_FILL_TITLE, EDGE_FILL_OBJECT, EDGE_FILL_PURGE } kind;
	char title[MANIFEST_TITLE_MAX + 1];
	char key[EDGE_KEY_MAX + 1]; /* "<title>/<path>" for EDGE_FILL_OBJECT */
};

/*
 * Parse the request path PATH (LEN bytes, still percent-encoded): /fill/,
 * /fill/<title>, /fill/<title>/<path> or /purge.  0, -ENOENT (another
 * path), -EINVAL (not a title or package path, malformed).
 */
int edge_fill_parse_path(const char *path, size_t len, struct edge_fill_path *fp);

/*
 * Parse a purge body (LEN bytes of JSON): {"object": "<title>/<path>"},
 * {"title": "<title>"} or {"prefix": "<title>/..."}.  0 with the key to
 * remove in KEY ("<title>/" for a title) and whether it is a prefix, or
 * -EINVAL.
 */
int edge_fill_parse_purge(const char *body, size_t len, char key[EDGE_KEY_MAX + 2], bool *prefix);

#endif
