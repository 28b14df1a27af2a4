/*
 * Fuzz target for the Content-Digest reader (common/httpsig.c): the input is
 * a field value.  A sha-256 digest that is read must format back to a field
 * that reads to the same digest.  Aborts on an undocumented result.
 */
#include "httpsig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size ? size : 1), field[CONTENT_DIGEST_LEN + 1];
	uint8_t sha[32], again[32];
	int rc;

	memcpy(v, data, size);
	rc = content_digest_sha256(v, size, sha);
	if (rc != 0 && rc != -EINVAL && rc != -ENOENT)
		abort();
	if (rc == 0) {
		content_digest_format(sha, field);
		if (content_digest_sha256(field, strlen(field), again) != 0 ||
		    memcmp(sha, again, 32) != 0)
			abort();
	}
	free(v);
	return 0;
}
