/*
 * Per-viewer master playlists: whoever serves a package to a player (an
 * edge, the origin's content endpoint) drops the variants above the height
 * a stream token allows, so a player never picks a rendition it would be
 * refused, and refuses the renditions above it.
 */
#ifndef REEL_MASTER_FILTER_H
#define REEL_MASTER_FILTER_H

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
int master_filter(const char *src, size_t len, unsigned max_height, struct buf *out);

/*
 * The height the rendition folder at the start of PATH names ("720p/...",
 * "1080p_6000k/..."; DESIGN.md's package layout), or 0 when its first
 * segment names none (audio, subtitles, the title's own files).
 */
unsigned master_rendition_height(const char *path);

#endif
