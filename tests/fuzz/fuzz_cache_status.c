/*
 * Fuzz target for common/cache_status.c: the input is a Cache-Status field
 * value.  What is read must be written back and read again to the same
 * members (the writer's output is a fixed point).  Aborts otherwise.
 */
#include "cache_status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct cache_status *a, const struct cache_status *b)
{
	return strcmp(a->name, b->name) == 0 && a->hit == b->hit && a->stored == b->stored &&
	       a->collapsed == b->collapsed && strcmp(a->fwd, b->fwd) == 0 &&
	       a->fwd_status == b->fwd_status && a->has_ttl == b->has_ttl &&
	       (!a->has_ttl || a->ttl == b->ttl) && strcmp(a->key, b->key) == 0 &&
	       strcmp(a->detail, b->detail) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache_status cs[CACHE_STATUS_MAX], again[CACHE_STATUS_MAX];
	char *v = malloc(size ? size : 1);
	struct buf out = {0};
	unsigned n, m;
	int rc;

	memcpy(v, data, size);
	rc = cache_status_parse(v, size, cs, CACHE_STATUS_MAX, &n);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == 0) {
		for (unsigned i = 0; i < n; i++)
			if (cache_status_write(&out, &cs[i]) != 0)
				abort();
		if (cache_status_parse(out.p ? out.p : "", out.len, again, CACHE_STATUS_MAX, &m) !=
			0 ||
		    m != n)
			abort();
		for (unsigned i = 0; i < n; i++)
			if (!same(&cs[i], &again[i]))
				abort();
	}
	buf_free(&out);
	free(v);
	return 0;
}
