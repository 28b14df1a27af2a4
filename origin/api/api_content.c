/*
 * The content endpoint (docs/content.md) on the [content] listeners: the
 * content store's files over GET and HEAD,
 *
 *   /content/<title>/<path>     for edges, signed with the edge's own
 *                               credential (docs/fill.md): pull-through
 *   /s/<token>/<title>/<path>   for players, with a stream token checked as
 *                               an edge checks it: steering's last resort
 *   /healthz
 *
 * For a file it emits, in order:
 *
 *   HTTP/1.1 200 OK | 206 Partial Content | 304 Not Modified | 412 | 416
 *   Server, Date, X-Content-Type-Options        (httpd core, listener)
 *   Content-Type, ETag, Last-Modified, Cache-Control, Accept-Ranges
 *   Access-Control-Allow-Origin, -Expose-Headers (players' answers)
 *   Content-Range                               (206, 416)
 *   Content-Length, Connection                  (httpd core)
 *
 * through common/http_file.c, the answer an edge gives (ranges, several as
 * multipart/byteranges; validators; sendfile).  Refusals are JSON, as the
 * origin's APIs answer them.
 */
#include "api/api_int.h"

#include <assert.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "accounts/throttle.h"
#include "content/content.h"
#include "http_file.h"
#include "http_path.h"
#include "master_filter.h"
#include "playback/playback.h"

#define CONTENT_PATH_MAX   4096
#define CONTENT_MAX_RANGES 16 /* as an edge's default max_ranges */
#define CONTENT_CORS                                                                               \
	"Access-Control-Allow-Origin: *\r\n"                                                       \
	"Access-Control-Expose-Headers: Content-Length, Content-Range, Accept-Ranges, ETag\r\n"

/* The multipart/byteranges boundary of this process (random, so no body holds it by chance). */
static const char *boundary(void)
{
	static char b[24];
	unsigned char r[8];

	if (b[0])
		return b;
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0x5a, sizeof(r));
	snprintf(b, sizeof(b), "reel%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
		 r[5], r[6], r[7]);
	return b;
}

static void player_lines(struct httpd_exchange *x, void *arg)
{
	httpd_header_lit(x, CONTENT_CORS);
}

/* Answer X with F (which the answer then owns and frees); PLAYER adds CORS. */
static void send_file(struct httpd_exchange *x, struct content_file *f, bool player)
{
	const struct http_file hf = {
	    .size = f->body.p ? f->body.len : f->size,
	    .fd = f->fd,
	    .data = f->body.p,
	    .content_type = f->type,
	    .hdr = &f->hdr,
	    .v = {.etag = {f->etag}, .etag_len = {strlen(f->etag)}, .last_modified = f->mtime},
	};
	const struct http_file_how how = {
	    .max_ranges = CONTENT_MAX_RANGES,
	    .boundary = boundary(),
	    .extras = player ? player_lines : NULL,
	};

	httpd_hold(x, content_file_free, f);
	http_file_answer(x, &hf, &how);
}

/*
 * The path of X after its first SKIP bytes, decoded ("<title>/<path>") into
 * REL (CAP bytes), or true after answering 400 (a ".." segment, a bad
 * escape), 404 (hidden, a folder, no file named) or 414.
 */
static bool api_bad_content_path(struct httpd_exchange *x, size_t skip, char *rel, size_t cap)
{
	const struct http_request *r = x->req;
	int rc = http_path_decode(r->path.p + skip, r->path.len - skip, rel, cap);

	if (rc == -ENAMETOOLONG)
		api_error(x, 414, "uri_too_long", "path too long", NULL);
	else if (rc == -EINVAL)
		api_error(x, 400, "invalid_path",
			  "invalid path (a \"..\" segment, a bad escape or a control byte)", NULL);
	else if (rc <= 0 || !strchr(rel, '/'))
		api_error(x, 404, "not_found", "no such file in the content store", NULL);
	else
		return false;
	return true;
}

/* Open REL of the store into *F, or true after answering the refusal. */
static bool api_no_file(struct origin_api *api, struct httpd_exchange *x, const char *rel,
			struct content_file **f)
{
	int rc = content_open(api->content, rel, f);

	if (rc != 0)
		api_refuse(api, x, API_CONTENT, rc, NULL);
	return rc != 0;
}

/* GET /content/<title>/<path>, signed by a registered edge. */
static void content_edge(struct origin_api *api, struct httpd_exchange *x)
{
	char id[EDGE_ID_LEN + 1], rel[CONTENT_PATH_MAX];
	struct content_file *f;

	if (api_no_edge(api, x, id) ||
	    api_bad_content_path(x, strlen("/content"), rel, sizeof(rel)) ||
	    api_no_file(api, x, rel, &f))
		return;
	api->count[ORIGIN_COUNT_CONTENT_EDGE]++;
	send_file(x, f, false);
}

/*
 * "<title>/key" (the AES-128 key URI of an encrypted package): the key
 * itself, for the token TOK (TLEN bytes) of the path.
 */
static void player_key(struct origin_api *api, struct httpd_exchange *x, const char *rel,
		       const char *tok, size_t tlen)
{
	char title[CONTENT_PATH_MAX], token[STREAM_TOKEN_MAX + 1];

	snprintf(title, sizeof(title), "%.*s", (int)strcspn(rel, "/"), rel);
	snprintf(token, sizeof(token), "%.*s", (int)tlen, tok); /* checked: at most the max */
	api_send_stream_key(api, x, title, token, NULL);
}

/*
 * True after answering 429 when X's client address sent too many tokens
 * that do not verify (each costs an Ed25519 verify), as an edge refuses it.
 */
static bool api_bad_tokens_throttled(struct origin_api *api, struct httpd_exchange *x)
{
	size_t len;
	const void *a = api_peer_bytes(x, &len);
	unsigned wait = throttle_wait(api->bad_tokens, a, len, api->now());
	char hdr[48];

	if (wait == 0)
		return false;
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", wait);
	api_error(x, 429, "too_many_requests", "too many bad stream tokens from this address", hdr);
	return true;
}

/*
 * A token that failed with RC: the forged and malformed count against the
 * address (not counted when the throttle's window is full: -ENOSPC).
 */
static void bad_token(struct origin_api *api, struct httpd_exchange *x, int rc)
{
	size_t len;
	const void *a = api_peer_bytes(x, &len);

	if (rc == -EBADMSG || rc == -EINVAL || rc == -ENOKEY)
		(void)throttle_failure(api->bad_tokens, a, len, api->now());
}

/* GET /s/<token>/<title>/<path>: a player's, its token checked as an edge checks it. */
static void content_player(struct origin_api *api, struct httpd_exchange *x)
{
	const struct http_request *r = x->req;
	const char *tok = r->path.p + 3, *slash = memchr(tok, '/', r->path.len - 3), *file;
	char rel[CONTENT_PATH_MAX];
	struct stream_claims c;
	struct content_file *f;
	int rc;

	if (!slash || slash == tok) {
		api_error(x, 404, "not_found", "a player's path is /s/<token>/<title>/<path>",
			  NULL);
		return;
	}
	if (api_bad_tokens_throttled(api, x) ||
	    api_bad_content_path(x, (size_t)(slash - r->path.p), rel, sizeof(rel)))
		return;
	file = strchr(rel, '/') + 1;
	rc = playback_stream(api->playback, tok, (size_t)(slash - tok), rel,
			     (size_t)(file - 1 - rel), api->now(), &c);
	if (rc == 0 && master_rendition_height(file) > c.max_height)
		rc = -ERANGE;
	if (rc != 0) {
		bad_token(api, x, rc);
		api_refuse(api, x, API_STREAM, rc, NULL);
		return;
	}
	if (strcmp(file, "key") == 0) {
		player_key(api, x, rel, tok, (size_t)(slash - tok));
		return;
	}
	if (api_no_file(api, x, rel, &f))
		return;
	if (strcmp(file, "master.m3u8") == 0 && (rc = content_cut_master(f, c.max_height)) < 0 &&
	    rc != -EINVAL) {
		content_file_free(f);
		api_refuse(api, x, rc == -ENOENT ? API_STREAM : API_CONTENT, rc, NULL);
		return;
	}
	api->count[ORIGIN_COUNT_CONTENT_PLAYER]++;
	send_file(x, f, true);
}

/* A browser's preflight for a player's request. */
static void player_options(struct httpd_exchange *x)
{
	const struct http_request *r = x->req;

	httpd_begin(x, 204);
	httpd_header_lit(x, "Allow: GET, HEAD, OPTIONS\r\n" CONTENT_CORS
			    "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
			    "Access-Control-Max-Age: 86400\r\n");
	if (r->ac_request_headers.p && r->ac_request_headers.len < 512)
		httpd_headerf(x, "Access-Control-Allow-Headers: %.*s\r\n",
			      (int)r->ac_request_headers.len, r->ac_request_headers.p);
	httpd_end_head(x, -1);
}

static bool has_prefix(const struct http_request *r, const char *lit)
{
	size_t n = strlen(lit);

	return r->path.len > n && memcmp(r->path.p, lit, n) == 0;
}

void origin_content_handle(struct httpd_exchange *x, void *arg)
{
	struct origin_api *api = arg;
	const struct http_request *r = x->req;
	const struct api_params none = {.n = 0};

	assert(api->magic == ORIGIN_API_MAGIC);
	if (r->method == HTTP_OPTIONS && has_prefix(r, "/s/"))
		player_options(x);
	else if (r->method != HTTP_GET && r->method != HTTP_HEAD)
		api_error(x, 405, "method_not_allowed", "the content store is only read",
			  "Allow: GET, HEAD\r\n");
	else if (r->path.len == 8 && memcmp(r->path.p, "/healthz", 8) == 0)
		api_healthz(api, x, &none);
	else if (has_prefix(r, "/content/"))
		content_edge(api, x);
	else if (has_prefix(r, "/s/"))
		content_player(api, x);
	else
		api_error(x, 404, "not_found",
			  "this listener serves /content/<title>/<path> to edges and "
			  "/s/<token>/<title>/<path> to players",
			  NULL);
}
