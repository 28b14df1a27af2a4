/*
 * The web player's files (docs/web.md), served by the origin on its user
 * listeners beside the API: the folder [web] root, read once at start and
 * again on SIGHUP, each file answered from its open descriptor with a
 * strong ETag, Last-Modified, one byte range, a gzip form made at load, and
 * the page's security headers (a Content-Security-Policy that allows the
 * edges' origins for media and nothing the page does not use).
 *
 * Ownership: every output (OUT, ERR and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_WEB_WEB_H
#define ORIGIN_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "httpd.h"

#define WEB_FILES_MAX	 512	       /* files in a root at most */
#define WEB_FILE_MAX	 (16u << 20)   /* bytes of one file at most */
#define WEB_DEPTH_MAX	 4	       /* folders below the root at most */
#define WEB_PATH_MAX	 256	       /* bytes of a file's path below the root, with the NUL */
#define WEB_CSP_MAX	 2048	       /* bytes of the Content-Security-Policy value */

struct web;

struct web_params {
	const char *root;	  /* the folder of the files */
	const char *edge_url;	  /* [playback] edge_url: its origin may serve media */
	const char *edge_origins; /* more such origins, space-separated (checked), or "" */
};

/*
 * The Content-Security-Policy value for P's edge origins into OUT (CAP
 * bytes): only the page's own scripts, styles, images and workers; media and
 * fetches from the page's origin, the edge URL's origin and EDGE_ORIGINS
 * (plus, for media only, blob:, which Media Source Extensions play from, and
 * data:, the empty WebVTT file "data:,WEBVTT" hls.js gives the <track>
 * elements it adds cues to); no frames, forms to elsewhere, plugins or
 * <base>.  Returns 0, -EINVAL when
 * EDGE_URL has no origin (origin_url_origin), -ENAMETOOLONG when the policy
 * does not fit in OUT or WEB_CSP_MAX.
 */
int web_csp(const struct web_params *p, char *out, size_t cap);

/*
 * Load the files under P->root into a new set *OUT (the caller's; free it
 * with web_free()).  Every entry must be a folder or a regular file (no
 * symbolic links; names starting with "." are left out) of a known type,
 * at most WEB_FILES_MAX files of WEB_FILE_MAX bytes, WEB_DEPTH_MAX folders
 * deep; the root must hold index.html (the page "/" answers) and nothing
 * named "api" or "healthz" (the API's paths).  Returns 0, or -1 with
 * "ROOT/PATH: problem" in ERR.  The strings of P are copied.
 */
int web_new(const struct web_params *p, struct web **out, char *err, size_t errlen);

/*
 * Read the root again (after a new build was installed): all or nothing.
 * Returns 0 with the new files in use (answers in flight finish with the old
 * ones), or -1 with the reason in ERR and the old files still in use.
 */
int web_reload(struct web *w, char *err, size_t errlen);

/* Files served now. */
size_t web_count(const struct web *w);

/* Free W; answers still in flight keep the files they send open.  NULL: no-op. */
void web_free(struct web *w);

/*
 * Answer X when its path names a file of W: "/" is index.html, any other
 * path the file of that name below the root.  GET and HEAD get the file (or
 * 304, 412, 206, 416), another method 405 with Allow.  Returns true when it
 * answered; false, leaving X alone, for every other path (the API's) and
 * when W is NULL (no web player).
 */
bool web_served(struct web *w, struct httpd_exchange *x);

#endif
