/*
 * Fuzz target for edge/http_cache_policy.c: the input is the header block
 * of an upstream's answer (what the generic upstream mode stores).  Every
 * rule runs over it: the lines kept, a 304's update with itself, freshness,
 * age, Surrogate-Control, the Vary match against a fixed request.  The kept
 * block must not be longer than the input plus a line, lifetimes and ages
 * must not be negative.  Aborts otherwise.
 */
#include "http_cache_policy.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *h = (const char *)data;
	struct http_request req = {.nheaders = 1};
	struct hc_times t = {200, 1700000000, 1700000001};
	struct cache_control cc, none;
	struct buf kept = {0}, upd = {0}, vary = {0};
	bool heuristic;

	req.headers[0] = (struct http_header){{"Accept", 6}, {"text/plain", 10}};
	cache_control_init(&none);
	if (hc_head_storable(h, size, &kept) != 0 || kept.len > 2 * size + 2)
		abort();
	if (hc_head_update(h, size, h, size, &upd) != 0)
		abort();
	if (hc_freshness_lifetime(h, size, &t, &heuristic) < 0 ||
	    hc_current_age(h, size, &t, 1700000100) < 0)
		abort();
	hc_head_surrogate(h, size, &cc);
	(void)hc_storable(200, h, size, &none, true);
	(void)hc_storable(206, h, size, &none, false);
	(void)hc_usable(h, size, &t, &none, 1700000100);
	if (hc_vary_capture(h, size, &req, &vary) != 0)
		abort();
	if (hc_vary_match(h, size, &req, vary.p ? vary.p : "", vary.len) == false &&
	    !memchr(h, '*', size))
		abort(); /* what was captured for a request matches that request */
	buf_free(&kept);
	buf_free(&upd);
	buf_free(&vary);
	return 0;
}
