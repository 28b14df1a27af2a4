/*
 * Percent-decoding with traversal checks done on the decoded segments, so
 * "%2e%2e" is as refused as "..".
 */
#include "http_path.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "hex.h"

/* Check the segment OUT[start..*n) just written; drop it (returning 1) when empty or ".". */
static int end_segment(char *out, size_t start, size_t *n)
{
	size_t len = *n - start;

	if (len == 0 || (len == 1 && out[start] == '.')) {
		*n = start;
		return 1;
	}
	if (len == 2 && out[start] == '.' && out[start + 1] == '.')
		return -EINVAL;
	if (out[start] == '.')
		return -ENOENT;
	out[(*n)++] = '/';
	return 0;
}

int http_path_decode(const char *src, size_t len, char *out, size_t cap)
{
	size_t i = 1, n = 0, seg = 0;
	int rc;

	if (len == 0 || src[0] != '/')
		return -EINVAL;
	while (i < len) {
		uint8_t c = (uint8_t)src[i++];

		if (c == '%') {
			int hi, lo;

			if (i + 2 > len || (hi = hex_digit((unsigned char)src[i])) < 0 ||
			    (lo = hex_digit((unsigned char)src[i + 1])) < 0)
				return -EINVAL;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
			if (c == '/' || c == '\\' || c == 0)
				return -EINVAL;
		} else if (c == '/') {
			if ((rc = end_segment(out, seg, &n)) < 0)
				return rc;
			seg = n;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -EINVAL;
		if (n + 2 >= cap)
			return -ENAMETOOLONG;
		out[n++] = (char)c;
	}
	if ((rc = end_segment(out, seg, &n)) < 0)
		return rc;
	if (rc == 1 && n > 0)
		return -ENOENT; /* "/a/" or "/a/." names a directory, never a file */
	if (n > 0)
		n--; /* the separator end_segment() appended */
	out[n] = '\0';
	return (int)n;
}
