/*
 * Fuzz path decoding: whatever the input, an accepted path is relative, has
 * no "." or ".." segment, no empty segment, no NUL, and no backslash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_segments(const char *p, int n)
{
	const char *s = p, *end = p + n;

	if (n == 0)
		return;
	if (p[0] == '/' || memchr(p, '\0', (size_t)n) || memchr(p, '\\', (size_t)n))
		abort();
	while (s <= end) {
		const char *slash = memchr(s, '/', (size_t)(end - s));
		size_t len = (size_t)((slash ? slash : end) - s);

		if (len == 0 || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.') || s[0] == '.')
			abort();
		if (!slash)
			break;
		s = slash + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[512];
	char *buf = malloc(size ? size : 1);
	int n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	n = http_path_decode(buf, size, out, sizeof(out));
	if (n >= 0) {
		if ((size_t)n >= sizeof(out) || out[n] != '\0')
			abort();
		check_segments(out, n);
	}
	free(buf);
	return 0;
}
