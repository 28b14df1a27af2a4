/*
 * Fuzz target for the cache index's record layouts (edge/index_record.c):
 * byte 0 picks object, title or manifest entry; the rest is the stored
 * record.  Whatever decodes must encode back to exactly the same bytes.
 * Aborts otherwise.
 */
#include "index_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *rec, out[EDGE_OBJECT_MAX_LEN];
	struct edge_object o;
	struct edge_title t;
	uint64_t msize;
	uint8_t sha[32];
	size_t n = size ? size - 1 : 0;
	int rc = 0;

	if (size < 1)
		return 0;
	rec = malloc(n ? n : 1);
	memcpy(rec, data + 1, n);
	switch (data[0] % 3) {
	case 0:
		if ((rc = edge_object_decode(rec, n, &o)) == 0 &&
		    (edge_object_encode(&o, out) != n || memcmp(out, rec, n) != 0))
			abort();
		break;
	case 1:
		if ((rc = edge_title_decode(rec, n, &t)) == 0) {
			edge_title_encode(&t, out);
			if (n != EDGE_TITLE_LEN || memcmp(out, rec, n) != 0)
				abort();
		}
		break;
	default:
		if ((rc = edge_mentry_decode(rec, n, &msize, sha)) == 0) {
			edge_mentry_encode(msize, sha, out);
			if (memcmp(out, rec, n) != 0)
				abort();
		}
	}
	if (rc != 0 && rc != -EINVAL)
		abort();
	free(rec);
	return 0;
}
