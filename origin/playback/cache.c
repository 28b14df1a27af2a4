/* The catalog cache (cache.h). */
#include "playback/cache.h"

#include <stdlib.h>
#include <string.h>

#include "jsonfield.h"

#define TITLES 1024 /* powers of two */

struct origin_cache {
	uint64_t gen; /* entries of another generation are empty */
	struct {
		uint64_t gen;
		struct title_info ti;
	} titles[TITLES];
};

struct origin_cache *origin_cache_new(void)
{
	struct origin_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->gen = 1;
	return c;
}

void origin_cache_free(struct origin_cache *c)
{
	free(c);
}

void origin_cache_clear(struct origin_cache *c)
{
	c->gen++;
}

int origin_cache_title(struct origin_cache *c, struct store_txn *t, const char *id,
		       struct title_info *out)
{
	size_t i = jf_str_hash(id) & (TITLES - 1);
	int rc;

	if (c->titles[i].gen == c->gen && strcmp(c->titles[i].ti.id, id) == 0) {
		*out = c->titles[i].ti;
		return 0;
	}
	if ((rc = catalog_info(t, id, out)) == 0) {
		c->titles[i].gen = c->gen;
		c->titles[i].ti = *out;
	}
	return rc;
}
