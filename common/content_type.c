/* Content types by extension (content_type.h). */
#include "content_type.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *ext;
	const char *type;
	enum content_kind kind;
	bool compressible;
} types[] = {
    {"m3u8", "application/vnd.apple.mpegurl", CONTENT_KIND_PLAYLIST, true},
    {"ts", "video/mp2t", CONTENT_KIND_SEGMENT, false},
    {"m4s", "video/iso.segment", CONTENT_KIND_SEGMENT, false},
    {"mp4", "video/mp4", CONTENT_KIND_SEGMENT, false},
    {"m4a", "audio/mp4", CONTENT_KIND_SEGMENT, false},
    {"m4v", "video/mp4", CONTENT_KIND_SEGMENT, false},
    {"aac", "audio/aac", CONTENT_KIND_SEGMENT, false},
    {"vtt", "text/vtt; charset=utf-8", CONTENT_KIND_SEGMENT, true},
    {"webvtt", "text/vtt; charset=utf-8", CONTENT_KIND_SEGMENT, true},
    {"json", "application/json", CONTENT_KIND_OTHER, true},
    {"key", "application/octet-stream", CONTENT_KIND_OTHER, false},
    {"txt", "text/plain; charset=utf-8", CONTENT_KIND_OTHER, true},
};

const char *content_type_of(const char *name, enum content_kind *kind, bool *compressible)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');

	if (dot && (!slash || dot > slash)) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			if (strcasecmp(dot + 1, types[i].ext) == 0) {
				*kind = types[i].kind;
				*compressible = types[i].compressible;
				return types[i].type;
			}
		}
	}
	*kind = CONTENT_KIND_OTHER;
	*compressible = false;
	return "application/octet-stream";
}
