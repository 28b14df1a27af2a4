/*
 * Per-viewer master playlists: the edge drops the variants above the height
 * a stream token allows, so a player never picks a rendition it would be
 * refused.
 */
#ifndef EDGE_MASTER_FILTER_H
#define EDGE_MASTER_FILTER_H

#include <stddef.h>

#include "buf.h"

/*
 * Copy the master playlist SRC (LEN bytes) to OUT without the
 * EXT-X-STREAM-INF variants (tag line and URI line) and the
 * EXT-X-I-FRAME-STREAM-INF lines whose RESOLUTION height exceeds MAX_HEIGHT.
 * Variants without RESOLUTION (audio-only) are kept.  Returns the number of
 * variants removed (0: OUT is a copy), -ENOENT when no EXT-X-STREAM-INF
 * variant is left, -EINVAL when SRC does not start with #EXTM3U, -ENOMEM.
 * OUT is the caller's buffer: its old content is replaced (except on
 * -EINVAL, which leaves it alone), it may hold a partial copy after an
 * error, and the caller frees it with buf_free() in every case.
 */
int edge_master_filter(const char *src, size_t len, unsigned max_height, struct buf *out);

#endif
