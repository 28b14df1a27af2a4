/*
 * Fuzz target for common/cache_control.c: the input is one Cache-Control
 * field line, parsed once whole and once split at its first NUL into two
 * lines.  Every delta must come out absent or within [0, CC_DELTA_MAX]
 * (max-stale may be CC_ANY), and only known flags may be set.  Aborts
 * otherwise.
 */
#include "cache_control.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct cache_control *cc)
{
	const int64_t d[] = {cc->max_age,	  cc->s_maxage, cc->min_fresh, cc->stale_while_revalidate,
			     cc->stale_if_error};

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i] != CC_UNSET && (d[i] < 0 || d[i] > CC_DELTA_MAX))
			abort();
	if (cc->max_stale != CC_UNSET && cc->max_stale != CC_ANY &&
	    (cc->max_stale < 0 || cc->max_stale > CC_DELTA_MAX))
		abort();
	if (cc->flags >> (CC_BIT_ONLY_IF_CACHED + 1) || (cc->qualified & ~(CC_NO_CACHE | CC_PRIVATE)) ||
	    (cc->qualified & ~cc->flags))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache_control cc;
	const char *p = (const char *)data, *nul = memchr(p, 0, size);

	cache_control_init(&cc);
	cache_control_parse(&cc, p, size);
	check(&cc);
	if (nul) {
		cache_control_init(&cc);
		cache_control_parse(&cc, p, (size_t)(nul - p));
		cache_control_parse(&cc, nul + 1, size - (size_t)(nul - p) - 1);
		check(&cc);
	}
	return 0;
}
