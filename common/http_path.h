/*
 * Request paths to file-system-safe relative paths: percent-decoding plus the
 * checks that keep a request inside its root.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HTTP_PATH_H
#define REEL_HTTP_PATH_H

#include <stddef.h>

/*
 * Decode the absolute request path SRC (LEN bytes, starting with '/') into OUT
 * (capacity CAP) as a relative path without the leading slash: "/a/b.ts" gives
 * "a/b.ts", "/" gives "".  Inner empty and "." segments are dropped.  Returns the
 * length written (OUT is NUL-terminated), or:
 *   -EINVAL  malformed escape, encoded NUL or '/', a ".." segment, a control
 *            byte, or SRC not starting with '/'   (answer 400)
 *   -ENOENT  a segment starting with '.' (hidden files are never served), or a
 *            path ending in "/" or "/." (a directory) other than "/" itself
 *   -ENAMETOOLONG  OUT too small                    (answer 414)
 */
int http_path_decode(const char *src, size_t len, char *out, size_t cap);

#endif
