/*
 * Fuzz target for common/manifest.c: the input is a manifest.json.  A parsed
 * list must be sorted, free of duplicates, of valid paths, and every entry
 * must be found by manifest_find.  Aborts otherwise.
 */
#include "manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1), err[256];
	struct manifest *m;
	uint64_t total = 0;
	int rc;

	memcpy(text, data, size);
	rc = manifest_parse(text, size, &m, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == 0) {
		for (size_t i = 0; i < m->n; i++) {
			const struct manifest_file *f = &m->files[i];

			if (!manifest_path_ok(f->path, strlen(f->path)) ||
			    manifest_find(m, f->path) != f ||
			    (i && strcmp(m->files[i - 1].path, f->path) >= 0))
				abort();
			total += f->size;
		}
		if (total != m->total_size || strlen(m->version) != MANIFEST_VERSION_LEN)
			abort();
		manifest_free(m);
	}
	free(text);
	return 0;
}
