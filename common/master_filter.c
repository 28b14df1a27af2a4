/* Filtering master playlists by rendition height (RFC 8216 4.3.4.2). */
#include "master_filter.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* The height in the RESOLUTION=WxH attribute of the tag line [P, END), or 0 without one. */
static unsigned resolution_height(const char *p, const char *end)
{
	static const char attr[] = "RESOLUTION=";
	unsigned h = 0;

	for (; p + sizeof(attr) - 1 < end; p++) {
		if (memcmp(p, attr, sizeof(attr) - 1) != 0 || (p[-1] != ':' && p[-1] != ','))
			continue;
		p += sizeof(attr) - 1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == end || (*p != 'x' && *p != 'X'))
			return 0;
		for (p++; p < end && *p >= '0' && *p <= '9' && h < 1000000; p++)
			h = h * 10 + (unsigned)(*p - '0');
		return h;
	}
	return 0;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

int master_filter(const char *src, size_t len, unsigned max_height, struct buf *out)
{
	const char *p = src, *end = src + len;
	int removed = 0, kept = 0;
	bool skip_uri = false;

	if (!starts(p, end, "#EXTM3U"))
		return -EINVAL;
	out->len = 0;
	while (p < end) {
		const char *next = line_end(p, end);
		bool drop = false;

		if (starts(p, next, "#EXT-X-STREAM-INF:")) {
			drop = resolution_height(p + 18, next) > max_height;
			skip_uri = drop;
			removed += drop;
			kept += !drop;
		} else if (starts(p, next, "#EXT-X-I-FRAME-STREAM-INF:")) {
			drop = resolution_height(p + 26, next) > max_height;
		} else if (skip_uri && *p != '#' && *p != '\n' && *p != '\r') {
			drop = true; /* the URI line of a dropped variant */
			skip_uri = false;
		}
		if (!drop && buf_append(out, p, (size_t)(next - p)) != 0)
			return -ENOMEM;
		p = next;
	}
	return kept == 0 ? -ENOENT : removed;
}

unsigned master_rendition_height(const char *path)
{
	unsigned h = 0;
	const char *p = path;

	while (*p >= '0' && *p <= '9' && h < 100000)
		h = h * 10 + (unsigned)(*p++ - '0');
	return p > path && *p == 'p' && (p[1] == '/' || p[1] == '_') ? h : 0;
}
