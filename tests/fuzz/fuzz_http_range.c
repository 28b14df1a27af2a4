/*
 * Fuzz target for http_range_parse().  Input layout:
 *
 *   byte 0      MAX = byte % 70
 *   byte 1      K = byte % 9, the number of size bytes that follow
 *   K bytes     SIZE, big-endian
 *   the rest    the Range field value
 *
 * Aborts when a result breaks the contract: ranges sorted, disjoint, not
 * adjacent, inside SIZE, at most MAX of them; and a 206 answer, written back
 * as a header, must parse to the same ranges.
 */
#include "http_range.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ranges(const struct http_range *r, unsigned n, uint64_t size, unsigned max)
{
	if (n == 0 || n > max)
		abort();
	for (unsigned i = 0; i < n; i++) {
		if (r[i].first > r[i].last || r[i].last >= size)
			abort();
		/* sorted, disjoint and not adjacent */
		if (i > 0 && r[i].first <= r[i - 1].last + 1)
			abort();
	}
}

/* Write R[0..N) back as "bytes=a-b,..." and parse it again: same ranges. */
static void check_reparse(const struct http_range *r, unsigned n, uint64_t size, unsigned max)
{
	char *buf = malloc(8 + (size_t)n * 42);
	struct http_range *again = malloc(sizeof(*again) * max);
	size_t pos = (size_t)sprintf(buf, "bytes=");
	unsigned n2;

	for (unsigned i = 0; i < n; i++)
		pos += (size_t)sprintf(buf + pos, "%s%" PRIu64 "-%" PRIu64, i ? "," : "",
				       r[i].first, r[i].last);
	if (http_range_parse(buf, pos, size, again, max, &n2) != HTTP_RANGE_OK || n2 != n ||
	    memcmp(again, r, sizeof(*r) * n) != 0)
		abort();
	free(again);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_range *out;
	enum http_range_result res;
	unsigned max, k, n = 0xdeadbeef;
	uint64_t len = 0;
	char *value;
	size_t vlen;

	if (size < 2)
		return 0;
	max = data[0] % 70;
	k = data[1] % 9u;
	if (size < 2 + k)
		return 0;
	for (unsigned i = 0; i < k; i++)
		len = len << 8 | data[2 + i];
	vlen = size - 2 - k;

	/* exactly-sized copies so ASan catches reads or writes past either */
	value = malloc(vlen ? vlen : 1);
	memcpy(value, data + 2 + k, vlen);
	out = malloc(sizeof(*out) * (max ? max : 1));

	res = http_range_parse(value, vlen, len, out, max, &n);
	switch (res) {
	case HTTP_RANGE_OK:
		check_ranges(out, n, len, max);
		check_reparse(out, n, len, max);
		break;
	case HTTP_RANGE_IGNORE:
	case HTTP_RANGE_UNSATISFIABLE:
		if (n != 0)
			abort();
		break;
	default:
		abort();
	}

	free(out);
	free(value);
	return 0;
}
