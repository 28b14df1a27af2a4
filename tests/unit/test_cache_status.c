/* Unit tests for common/cache_status.c: RFC 9211's examples, our members. */
#include "cache_status.h"
#include "test.h"

#include <errno.h>

static const char *write_one(const struct cache_status *cs)
{
	static char out[256];
	struct buf b = {0};

	if (cache_status_write(&b, cs) != 0)
		return NULL;
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p);
	buf_free(&b);
	return out;
}

int main(void)
{
	const char *rfc = "OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545";
	struct cache_status cs[4];
	struct cache_status ours = {.name = "reel-edge", .fwd = "miss", .collapsed = true};
	struct buf b = {0};
	unsigned n;

	CHECK_INT(cache_status_parse(rfc, strlen(rfc), cs, 4, &n), 0);
	CHECK_INT(n, 2);
	CHECK(cs[0].hit && cs[0].has_ttl && cs[0].ttl == 1100);
	CHECK_STR(cs[1].name, "CDN Company Here");
	CHECK_STR(write_one(&cs[1]), "\"CDN Company Here\";hit;ttl=545");
	CHECK_INT(cache_status_parse("ExampleCache; fwd=stale; fwd-status=304", 39, cs, 4, &n), 0);
	CHECK(n == 1 && strcmp(cs[0].fwd, "stale") == 0 && cs[0].fwd_status == 304 && !cs[0].hit);
	CHECK_STR(write_one(&ours), "reel-edge;fwd=miss;collapsed");
	ours = (struct cache_status){.name = "reel-edge", .hit = true, .detail = "stale-if-error"};
	CHECK_STR(write_one(&ours), "reel-edge;hit;detail=stale-if-error");
	/* appending after an upstream's members */
	CHECK_INT(cache_status_write(&b, &cs[0]), 0);
	CHECK_INT(cache_status_write(&b, &ours), 0);
	CHECK(b.len && strstr(b.p, "fwd-status=304, reel-edge;hit") != NULL);
	buf_free(&b);
	CHECK_INT(cache_status_parse("a, (b)", 6, cs, 4, &n), 0);
	CHECK_INT(n, 1); /* an inner list is no cache */
	CHECK_INT(cache_status_parse("a;", 2, cs, 4, &n), -EINVAL);
	CHECK_INT(cache_status_parse("a, b, c", 7, cs, 2, &n), 0);
	CHECK_INT(n, 2);
	return test_done();
}
