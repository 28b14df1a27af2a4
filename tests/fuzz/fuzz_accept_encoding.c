/* Fuzz the Accept-Encoding reader: never reads past the value, never crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_gzip(const char *v, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (strncasecmp(v + i, "gzip", 4) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size ? size : 1);

	if (!v)
		return 0;
	memcpy(v, data, size);
	if (http_accepts_gzip(v, size) && !memchr(v, '*', size) && !has_gzip(v, size))
		abort(); /* accepted without naming gzip or "*" */
	free(v);
	return 0;
}
