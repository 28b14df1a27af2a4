/*
 * The content types of a package's files (DESIGN.md's HLS package), by
 * file name extension: what an edge and the origin's content endpoint send
 * as Content-Type, which kind of cache lifetime a file gets, and whether a
 * gzip form is worth making.
 */
#ifndef REEL_CONTENT_TYPE_H
#define REEL_CONTENT_TYPE_H

#include <stdbool.h>

enum content_kind { CONTENT_KIND_PLAYLIST, CONTENT_KIND_SEGMENT, CONTENT_KIND_OTHER };

/*
 * Content type and kind of the file NAME (a path: only its last segment's
 * extension counts, case-insensitively).  Returns a static string,
 * "application/octet-stream" for an extension it does not know; *KIND and
 * *COMPRESSIBLE (the caller's) are always set.
 */
const char *content_type_of(const char *name, enum content_kind *kind, bool *compressible);

#endif
