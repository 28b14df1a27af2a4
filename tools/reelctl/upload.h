/*
 * Sending a source file to the origin as an upload (docs/openapi.yaml,
 * /admin/v1/uploads): the file's SHA-256 first, then the bytes in pieces of
 * the origin's chunk_size, each a PATCH at its offset streamed from the
 * file, so nothing is held whole in memory.  A connection that breaks is
 * tried again: the origin says how far it got and the upload goes on from
 * there, after a delay that doubles from 0.25 s to 8 s, giving up after 8
 * tries in a row without progress.  An upload of the same file (same
 * SHA-256 and size) left incomplete by an earlier run goes on where it
 * stopped; a complete one is used again as it is.  The origin checks the
 * SHA-256 when the last byte is in.
 */
#ifndef REEL_CTL_UPLOAD_H
#define REEL_CTL_UPLOAD_H

#include <stddef.h>

#include "ctl.h"

#define CTL_UPLOAD_ID_MAX 64

/*
 * Upload FILE, with a progress report on stderr (a bar on a terminal, plain
 * lines elsewhere).  Returns 0 with the complete upload's id in ID
 * (CTL_UPLOAD_ID_MAX bytes), or the exit status after printing why (one
 * line naming FILE or the upload).
 */
int ctl_upload_file(struct ctl *c, const char *file, char *id);

#endif
