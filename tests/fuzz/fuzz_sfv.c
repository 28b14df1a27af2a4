/*
 * Fuzz target for common/sfv.c.  Byte 0 picks the kind (list, dictionary,
 * item); the rest is the field value.  Whatever parses must serialize, and
 * the serialization must parse to a tree that serializes to the same bytes
 * (the canonical form is a fixed point).  Aborts otherwise.
 */
#include "sfv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The canonical serialization of F (dictionary keys included) into OUT. */
static int serialize(const struct sfv *f, enum sfv_kind kind, struct buf *out)
{
	int rc = 0;

	for (unsigned i = 0; i < f->n && rc == 0; i++) {
		const struct sfv_item *m = &f->members[i];

		if (i)
			rc = buf_puts(out, ", ");
		if (rc == 0 && kind == SFV_DICT) {
			rc = sfv_write_key(out, m->key);
			if (rc == 0 && m->value.type == SFV_BOOLEAN && m->value.num)
				rc = sfv_write_params(out, m->params, m->nparams);
			else if (rc == 0 && (rc = buf_puts(out, "=")) == 0)
				rc = sfv_write_item(out, m);
		} else if (rc == 0) {
			rc = sfv_write_item(out, m);
		}
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum sfv_kind kind;
	struct sfv f, g;
	struct buf a = {0}, b = {0};
	char *value;
	int rc;

	if (size < 1)
		return 0;
	kind = (enum sfv_kind)(data[0] % 3);
	value = malloc(size - 1 ? size - 1 : 1);
	memcpy(value, data + 1, size - 1);
	rc = sfv_parse(value, size - 1, kind, &f);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == 0) {
		if (serialize(&f, kind, &a) != 0)
			abort();
		if (sfv_parse(a.p ? a.p : "", a.len, kind, &g) != 0)
			abort();
		if (serialize(&g, kind, &b) != 0 || a.len != b.len ||
		    (a.len && memcmp(a.p, b.p, a.len) != 0))
			abort();
		sfv_free(&g);
	}
	sfv_free(&f);
	buf_free(&a);
	buf_free(&b);
	free(value);
	return 0;
}
