/* Unit tests for common/cache_control.c: RFC 9111's directives and the odd forms caches meet. */
#include "cache_control.h"
#include "test.h"

static struct cache_control parse(const char *s)
{
	struct cache_control cc;

	cache_control_init(&cc);
	cache_control_parse(&cc, s, strlen(s));
	return cc;
}

int main(void)
{
	struct cache_control cc = parse("public, max-age=3600, s-maxage=\"120\"");

	CHECK(cc.flags == CC_PUBLIC && cc.max_age == 3600 && cc.s_maxage == 120);
	cc = parse("NO-STORE, No-Cache, private, must-revalidate, proxy-revalidate");
	CHECK(cc.flags == (CC_NO_STORE | CC_NO_CACHE | CC_PRIVATE | CC_MUST_REVALIDATE |
			   CC_PROXY_REVALIDATE));
	CHECK(cc.max_age == CC_UNSET && cc.qualified == 0);
	/* qualified forms are remembered as such */
	cc = parse("no-cache=\"Set-Cookie, X-Foo\", private=X-Bar");
	CHECK(cc.flags == (CC_NO_CACHE | CC_PRIVATE) && cc.qualified == (CC_NO_CACHE | CC_PRIVATE));
	/* a directive inside a quoted string is none */
	CHECK_INT(parse("extension=\"max-age=3600\", max-age=1").max_age, 1);
	CHECK_INT(parse("max-age=1, extension=\"max-age=3600\"").max_age, 1);
	CHECK_INT(parse("extension=\"a, max-age=5\"").max_age, CC_UNSET);
	/* invalid arguments are ignored; the first valid occurrence wins */
	CHECK_INT(parse("max-age='3600'").max_age, CC_UNSET);
	CHECK_INT(parse("max-age=3600a").max_age, CC_UNSET);
	CHECK_INT(parse("max-age=-1").max_age, CC_UNSET);
	CHECK_INT(parse("max-age =3600").max_age, CC_UNSET);
	CHECK_INT(parse("max-age= 3600").max_age, CC_UNSET);
	CHECK_INT(parse("max-age=003600").max_age, 3600);
	CHECK_INT(parse("max-age=1800, max-age=1").max_age, 1800);
	CHECK_INT(parse("max-age=x, max-age=7").max_age, 7);
	CHECK_INT(parse("max-age=99999999999999999999999999").max_age, CC_DELTA_MAX);
	CHECK_INT(parse("max-age=\"unterminated").max_age, CC_UNSET);
	/* request directives */
	cc = parse("max-stale, min-fresh=10, only-if-cached");
	CHECK(cc.max_stale == CC_ANY && cc.min_fresh == 10 && (cc.flags & CC_ONLY_IF_CACHED));
	CHECK_INT(parse("max-stale=30").max_stale, 30);
	cc = parse("stale-while-revalidate=5, stale-if-error=10, immutable, must-understand");
	CHECK(cc.stale_while_revalidate == 5 && cc.stale_if_error == 10 &&
	      cc.flags == (CC_IMMUTABLE | CC_MUST_UNDERSTAND));
	/* members not understood are counted, the rest still applies */
	cache_control_init(&cc);
	CHECK_INT(cache_control_parse(&cc, "foo, max-age=5, ,bar=\"x\", =1", 29), 3);
	CHECK_INT(cc.max_age, 5);
	/* two lines add up */
	cache_control_init(&cc);
	cache_control_parse(&cc, "max-age=1", 9);
	cache_control_parse(&cc, "no-store, max-age=2", 19);
	CHECK(cc.max_age == 1 && cc.flags == CC_NO_STORE);
	return test_done();
}
