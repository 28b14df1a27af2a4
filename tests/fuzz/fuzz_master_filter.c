/*
 * Fuzz master playlist filtering: never reads outside the input, never grows
 * it, and filtering what it returned again removes nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "master_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = {0}, b = {0};
	unsigned maxh;
	char *src;
	int rc;

	if (size < 2)
		return 0;
	maxh = (unsigned)data[0] * 8;
	src = malloc(size - 1);
	if (!src)
		return 0;
	memcpy(src, data + 1, size - 1);
	rc = master_filter(src, size - 1, maxh, &a);
	if (rc >= 0) {
		if (a.len > size - 1)
			abort();
		if (master_filter(a.p, a.len, maxh, &b) != 0)
			abort();
	}
	buf_free(&a);
	buf_free(&b);
	free(src);
	return 0;
}
