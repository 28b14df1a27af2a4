/*
 * Content negotiation (RFC 9110 section 12.5.3): whether a request's
 * Accept-Encoding field accepts the gzip coding, for servers that keep a
 * gzip form of what they serve beside the identity one.
 */
#ifndef REEL_HTTP_ACCEPT_H
#define REEL_HTTP_ACCEPT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Does the Accept-Encoding value V (LEN bytes, not NUL-terminated; NULL
 * when LEN is 0) accept gzip: a "gzip" (or "x-gzip") element whose q is not
 * 0, or without one a "*" element whose q is not 0?  Names compare
 * case-insensitively; a malformed element is skipped.  Never reads outside
 * V[0..LEN).
 */
bool http_accepts_gzip(const char *v, size_t len);

#endif
