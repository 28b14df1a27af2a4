/*
 * Unit tests for common/http_cond.c: RFC 9110 section 8.8.3.2's comparison
 * table, the If-Match / If-None-Match examples of section 13.1, list syntax
 * and malformed tags; the evaluation order of section 13.2.2 and If-Range.
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

#define LM   "Sun, 06 Nov 1994 08:49:37 GMT" /* the representation's Last-Modified */
#define OLD  "Sat, 05 Nov 1994 08:49:37 GMT"
#define NEW  "Mon, 07 Nov 1994 08:49:37 GMT"
#define NONE HTTP_PRECOND_PASS
#define P412 HTTP_PRECOND_FAILED
#define P304 HTTP_PRECOND_NOT_MODIFIED

struct precond_case {
	enum http_method method;
	const char *if_match, *if_unmodified_since, *if_none_match, *if_modified_since;
	bool exists; /* the resource has a current representation */
	enum http_precondition want;
	unsigned index; /* which etag If-None-Match named */
};

/* clang-format off */
static const struct precond_case preconds[] = {
	{HTTP_GET, NULL, NULL, NULL, NULL, true, NONE, 0},
	/* If-Match: strong comparison, weak tags never match, "*" needs a representation */
	{HTTP_GET, "\"id\"", NULL, NULL, NULL, true, NONE, 0},
	{HTTP_GET, "\"id-gz\"", NULL, NULL, NULL, true, NONE, 0},
	{HTTP_GET, "\"other\"", NULL, NULL, NULL, true, P412, 0},
	{HTTP_GET, "\"other\", \"id\"", NULL, NULL, NULL, true, NONE, 0},
	{HTTP_GET, "W/\"id\"", NULL, NULL, NULL, true, P412, 0},
	{HTTP_GET, "*", NULL, NULL, NULL, true, NONE, 0},
	{HTTP_GET, "bogus", NULL, NULL, NULL, true, P412, 0},
	{HTTP_PUT, "*", NULL, NULL, NULL, false, P412, 0},
	{HTTP_PUT, "\"id\"", NULL, NULL, NULL, false, P412, 0},
	/* If-Unmodified-Since, ignored when If-Match is there or the date is invalid */
	{HTTP_GET, NULL, OLD, NULL, NULL, true, P412, 0},
	{HTTP_GET, NULL, LM, NULL, NULL, true, NONE, 0},
	{HTTP_GET, NULL, NEW, NULL, NULL, true, NONE, 0},
	{HTTP_GET, NULL, "yesterday", NULL, NULL, true, NONE, 0},
	{HTTP_GET, NULL, OLD ", " NEW, NULL, NULL, true, NONE, 0},
	{HTTP_GET, "\"id\"", OLD, NULL, NULL, true, NONE, 0},
	{HTTP_PUT, NULL, OLD, NULL, NULL, false, NONE, 0},
	/* If-Match is evaluated before If-None-Match */
	{HTTP_GET, "\"other\"", NULL, "\"id\"", NULL, true, P412, 0},
	{HTTP_GET, "\"id\"", NULL, "\"id\"", NULL, true, P304, 0},
	{HTTP_GET, NULL, OLD, "\"id\"", NULL, true, P412, 0},
	/* If-None-Match: weak comparison; 304 for GET and HEAD, 412 otherwise */
	{HTTP_GET, NULL, NULL, "\"id\"", NULL, true, P304, 0},
	{HTTP_HEAD, NULL, NULL, "W/\"id\"", NULL, true, P304, 0},
	{HTTP_GET, NULL, NULL, "\"x\", \"id-gz\"", NULL, true, P304, 1},
	{HTTP_GET, NULL, NULL, "\"other\"", NULL, true, NONE, 0},
	{HTTP_GET, NULL, NULL, "*", NULL, true, P304, 0},
	{HTTP_PUT, NULL, NULL, "*", NULL, true, P412, 0},
	{HTTP_PUT, NULL, NULL, "*", NULL, false, NONE, 0},
	{HTTP_PUT, NULL, NULL, "\"id\"", NULL, true, P412, 0},
	/* If-Modified-Since: GET and HEAD only, ignored under If-None-Match */
	{HTTP_GET, NULL, NULL, NULL, LM, true, P304, 0},
	{HTTP_GET, NULL, NULL, NULL, NEW, true, P304, 0},
	{HTTP_GET, NULL, NULL, NULL, OLD, true, NONE, 0},
	{HTTP_GET, NULL, NULL, NULL, "not a date", true, NONE, 0},
	{HTTP_PUT, NULL, NULL, NULL, LM, true, NONE, 0},
	{HTTP_GET, NULL, NULL, "\"other\"", LM, true, NONE, 0},
	{HTTP_GET, NULL, NULL, NULL, LM, false, NONE, 0},
};
/* clang-format on */

static struct http_str field(const char *v)
{
	return (struct http_str){v, v ? (uint32_t)strlen(v) : 0};
}

static const struct http_validators validators = {
    .etag = {"\"id\"", "\"id-gz\""}, .etag_len = {4, 7}, .last_modified = 784111777};

static void test_preconditions(void)
{
	for (size_t i = 0; i < sizeof(preconds) / sizeof(preconds[0]); i++) {
		const struct precond_case *c = &preconds[i];
		struct http_request r = {.method = c->method,
					 .if_match = field(c->if_match),
					 .if_unmodified_since = field(c->if_unmodified_since),
					 .if_none_match = field(c->if_none_match),
					 .if_modified_since = field(c->if_modified_since)};
		unsigned index = 99;
		enum http_precondition got =
		    http_preconditions(&r, c->exists ? &validators : NULL, &index);

		if (got != c->want || index != c->index)
			printf("# case %zu: got %d index %u, want %d index %u\n", i, got, index,
			       c->want, c->index);
		CHECK(got == c->want && index == c->index);
	}
}

static void test_if_range(void)
{
	struct http_request r = {.method = HTTP_GET};
	struct http_validators v = validators;

	CHECK(http_if_range(&r, &v));
	r.if_range = field("\"id\"");
	CHECK(http_if_range(&r, &v));
	r.if_range = field("\"id-gz\""); /* ranges apply to the identity form only */
	CHECK(!http_if_range(&r, &v));
	r.if_range = field("W/\"id\"");
	CHECK(!http_if_range(&r, &v));
	r.if_range = field(LM);
	CHECK(http_if_range(&r, &v));
	r.if_range = field(NEW);
	CHECK(!http_if_range(&r, &v));
	r.if_range = field("garbage");
	CHECK(!http_if_range(&r, &v));
	v.last_modified = -1;
	r.if_range = field(LM);
	CHECK(!http_if_range(&r, &v));
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_lengths();
	test_long_list();
	test_preconditions();
	test_if_range();
	return test_done();
}
