/*
 * Unit tests for common/http_cond.c: RFC 9110 section 8.8.3.2's comparison
 * table, the If-Match / If-None-Match examples of section 13.1, list syntax
 * and malformed tags.
 */
#include "http_cond.h"
#include "test.h"

#include <stdlib.h>

struct cond_case {
	const char *list;
	const char *etag;
	bool strong; /* expected result of the strong comparison */
	bool weak;   /* expected result of the weak comparison */
};

/* clang-format off */
static const struct cond_case cases[] = {
	/* RFC 9110 section 8.8.3.2 */
	{"W/\"1\"", "W/\"1\"", false, true},
	{"W/\"1\"", "W/\"2\"", false, false},
	{"W/\"1\"", "\"1\"", false, true},
	{"\"1\"", "W/\"1\"", false, true},
	{"\"1\"", "\"1\"", true, true},
	{"\"1\"", "\"2\"", false, false},
	/* section 8.8.3's ETag examples */
	{"\"xyzzy\"", "\"xyzzy\"", true, true},
	{"W/\"xyzzy\"", "W/\"xyzzy\"", false, true},
	{"\"\"", "\"\"", true, true},
	{"\"\"", "\"a\"", false, false},
	/* section 13.1.1 If-Match and 13.1.2 If-None-Match examples */
	{"\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", "\"xyzzy\"", true, true},
	{"\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", "\"r2d2xxxx\"", true, true},
	{"\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", "\"c3piozzzz\"", true, true},
	{"\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", "\"c3pio\"", false, false},
	{"W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", "\"r2d2xxxx\"", false, true},
	{"W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", "W/\"c3piozzzz\"", false, true},
	{"W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", "\"nope\"", false, false},
	{"*", "\"xyzzy\"", true, true},
	/* "*" */
	{"*", "W/\"xyzzy\"", true, true},
	{" \t* \t", "\"a\"", true, true},
	{"*", "", true, true},
	{"**", "\"a\"", false, false},
	{"*,", "\"a\"", false, false},
	{"*, \"a\"", "\"a\"", false, false},
	{"\"a\", *", "\"a\"", false, false},
	{"\"*\"", "\"a\"", false, false},
	{"\"*\"", "\"*\"", true, true},
	/* list syntax: OWS, empty elements */
	{"\"a\",\"b\"", "\"b\"", true, true},
	{"\"a\" , \"b\"", "\"b\"", true, true},
	{"\"a\"\t,\t\"b\"", "\"b\"", true, true},
	{" \"a\" ", "\"a\"", true, true},
	{"\"a\",,\"b\"", "\"b\"", true, true},
	{",\"a\",", "\"a\"", true, true},
	{", , \"a\" , ,", "\"a\"", true, true},
	{"", "\"a\"", false, false},
	{" ", "\"a\"", false, false},
	{",", "\"a\"", false, false},
	{", ,\t,", "\"a\"", false, false},
	{"\"a\", W/\"a\"", "\"a\"", true, true},
	{"W/\"a\", \"a\"", "\"a\"", true, true},
	{"W/\"a\", \"b\"", "\"a\"", false, true},
	/* a malformed list matches nothing, even after a match */
	{"\"a\", bogus", "\"a\"", false, false},
	{"\"a\" \"b\"", "\"a\"", false, false},
	{"\"a\"\"b\"", "\"a\"", false, false},
	{"\"a\";", "\"a\"", false, false},
	{"\"a\", \"b", "\"a\"", false, false},
	{"\"a\",\r\"b\"", "\"a\"", false, false},
	{"a", "\"a\"", false, false},
	{"\"a", "\"a\"", false, false},
	{"a\"", "\"a\"", false, false},
	{"\"", "\"a\"", false, false},
	{"w/\"a\"", "\"a\"", false, false},
	{"W\"a\"", "\"a\"", false, false},
	{"W/ \"a\"", "\"a\"", false, false},
	{"W/W/\"a\"", "\"a\"", false, false},
	{"W/", "\"a\"", false, false},
	{"\"a b\"", "\"a b\"", false, false},
	{"\"a\tb\"", "\"a\tb\"", false, false},
	{"\"a\x7f\"", "\"a\x7f\"", false, false},
	{"\"a\x01\"", "\"a\x01\"", false, false},
	{"'a'", "'a'", false, false},
	/* etagc: %x21 / %x23-7E / obs-text */
	{"\"!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\"",
	 "\"!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\"", true, true},
	{"\"\x80\xff\xc3\xa9\"", "\"\x80\xff\xc3\xa9\"", true, true},
	{"W/\"\x80\"", "\"\x80\"", false, true},
	{"\"a,b\"", "\"a,b\"", true, true},
	{"\"a,b\"", "\"a\"", false, false},
	/* byte-exact comparison */
	{"\"ABC\"", "\"abc\"", false, false},
	{"\"abc\"", "\"ab\"", false, false},
	{"\"ab\"", "\"abc\"", false, false},
	{"\"5f-1a\"", "\"5f-1a\"", true, true},
	/* our own ETAG must be one well-formed entity-tag */
	{"\"a\"", "a", false, false},
	{"\"a\"", "\"a", false, false},
	{"\"a\"", " \"a\"", false, false},
	{"\"a\"", "\"a\" ", false, false},
	{"\"a\"", "\"a\",", false, false},
	{"\"a\"", "w/\"a\"", false, false},
	{"\"a\"", "", false, false},
	{"\"a\", \"b\"", "\"a\", \"b\"", false, false},
};
/* clang-format on */

/* Run http_etag_match on exactly-sized heap copies so ASan sees any over-read. */
static bool match_n(const char *list, size_t len, const char *etag, size_t etlen, bool weak)
{
	char *l = malloc(len ? len : 1), *e = malloc(etlen ? etlen : 1);
	bool r;

	memcpy(l, list, len);
	memcpy(e, etag, etlen);
	r = http_etag_match(l, len, e, etlen, weak);
	free(l);
	free(e);
	return r;
}

static bool match(const char *list, const char *etag, bool weak)
{
	return match_n(list, strlen(list), etag, strlen(etag), weak);
}

static void run_case(const struct cond_case *c)
{
	bool s = match(c->list, c->etag, false), w = match(c->list, c->etag, true);

	if (s != c->strong || w != c->weak)
		printf("# list [%s] etag [%s]: strong %d weak %d, want %d %d\n", c->list, c->etag,
		       s, w, c->strong, c->weak);
	CHECK(s == c->strong && w == c->weak);
}

/* Only LEN bytes count, and no proper prefix of a list is over-read. */
static void test_lengths(void)
{
	static const char list[] = "W/\"abc\", \"def\"";
	int bad = 0;

	CHECK(match_n("\"abc\"xyz", 5, "\"abc\"", 5, false));
	CHECK(!match_n("\"abc\"", 4, "\"abc\"", 5, true));
	CHECK(!match_n("\"abc\"", 5, "\"abc\"", 4, true));
	CHECK(!match_n("\"abc\"\0", 6, "\"abc\"", 5, true));
	CHECK(!http_etag_match(NULL, 0, "\"a\"", 3, true));
	CHECK(http_etag_match("*", 1, NULL, 0, false));
	CHECK(http_etag_match(" * ", 3, NULL, 0, true));
	CHECK(!http_etag_match("\"a\"", 3, NULL, 0, true));
	CHECK(!http_etag_match(NULL, 0, NULL, 0, true));
	for (size_t len = 0; len < sizeof(list) - 1; len++) {
		/* a prefix is either malformed or ends after W/"abc" */
		bool want = len >= 7 && len <= 9;

		if (match_n(list, len, "\"abc\"", 5, true) != want)
			bad++;
		if (match_n(list, len, "\"def\"", 5, true))
			bad++;
	}
	CHECK_INT(bad, 0);
}

/* A long list: the match at the end counts, a bad element at the end spoils it. */
static void test_long_list(void)
{
	static char buf[8192];
	size_t pos = 0;

	for (int i = 0; i < 500; i++)
		pos += (size_t)sprintf(buf + pos, "%sW/\"tag-%d\"", i ? ", " : "", i);
	CHECK(match_n(buf, pos, "\"tag-499\"", 9, true));
	CHECK(match_n(buf, pos, "\"tag-0\"", 7, true));
	CHECK(!match_n(buf, pos, "\"tag-500\"", 9, true));
	CHECK(!match_n(buf, pos, "\"tag-499\"", 9, false));
	pos += (size_t)sprintf(buf + pos, ", x");
	CHECK(!match_n(buf, pos, "\"tag-0\"", 7, true));
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_lengths();
	test_long_list();
	return test_done();
}
