/*
 * Unit tests for common/sfv.c: the examples of RFC 8941, its failure cases,
 * the limits, and serializing what was parsed back to the canonical form.
 */
#include "sfv.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>

/* Parse S as KIND and serialize it again (dictionary keys included); NULL on failure. */
static char *roundtrip(const char *s, enum sfv_kind kind)
{
	static char out[2048];
	struct sfv f;
	struct buf b = {0};
	int rc = sfv_parse(s, strlen(s), kind, &f);

	if (rc != 0)
		return NULL;
	for (unsigned i = 0; i < f.n && rc == 0; i++) {
		const struct sfv_item *m = &f.members[i];

		if (i)
			rc = buf_puts(&b, ", ");
		if (kind == SFV_DICT && rc == 0) {
			rc = sfv_write_key(&b, m->key);
			if (rc == 0 && m->value.type == SFV_BOOLEAN && m->value.num)
				rc = sfv_write_params(&b, m->params, m->nparams);
			else if (rc == 0 && (rc = buf_puts(&b, "=")) == 0)
				rc = sfv_write_item(&b, m);
		} else if (rc == 0) {
			rc = sfv_write_item(&b, m);
		}
	}
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p ? b.p : "");
	buf_free(&b);
	sfv_free(&f);
	return rc == 0 ? out : NULL;
}

static void test_items(void)
{
	struct sfv f;

	CHECK_INT(sfv_parse("42", 2, SFV_ITEM, &f), 0);
	CHECK(f.n == 1 && f.members[0].value.type == SFV_INTEGER && f.members[0].value.num == 42);
	sfv_free(&f);
	CHECK_INT(sfv_parse("-4.5", 4, SFV_ITEM, &f), 0);
	CHECK(f.members[0].value.type == SFV_DECIMAL && f.members[0].value.num == -4500);
	sfv_free(&f);
	{
		const char *q = "\"a \\\"q\\\" \\\\\"";

		CHECK_INT(sfv_parse(q, strlen(q), SFV_ITEM, &f), 0);
	}
	CHECK_STR(f.members[0].value.str, "a \"q\" \\");
	sfv_free(&f);
	CHECK_INT(sfv_parse(":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:", 46, SFV_ITEM, &f), 0);
	CHECK_STR(f.members[0].value.str, "pretend this is binary content.");
	sfv_free(&f);
	CHECK_INT(sfv_parse("?1;a;b=?0", 9, SFV_ITEM, &f), 0);
	CHECK(f.members[0].value.type == SFV_BOOLEAN && f.members[0].value.num == 1);
	CHECK(f.members[0].nparams == 2 && sfv_param_get(&f.members[0], "b")->num == 0);
	sfv_free(&f);
	CHECK_STR(roundtrip("  foo123/456  ", SFV_ITEM), "foo123/456");
	CHECK_STR(roundtrip("5;foo=bar", SFV_ITEM), "5;foo=bar");
	CHECK_STR(roundtrip("1.50", SFV_ITEM), "1.5");
	CHECK_STR(roundtrip("999999999999999", SFV_ITEM), "999999999999999");
	CHECK_STR(roundtrip(":AQID:", SFV_ITEM), ":AQID:");
	CHECK_STR(roundtrip(":AQI:", SFV_ITEM), ":AQI=:"); /* padding may be left out */
}

static void test_failures(void)
{
	static const char *bad[] = {
	    "",
	    "1000000000000000",
	    "1.2345",
	    "1234567890123.0",
	    "1.",
	    "-",
	    "\"unterminated",
	    "\"bad \\x\"",
	    "\"tab\t\"",
	    ":AQ=I:",
	    ":A:",
	    ":AQJ=:",
	    "?2",
	    "a b",
	    "1;A=2",
	    "(1 2",
	    "1,",
	    "\xc3\xa9",
	    ";a",
	    "1;",
	    ":Zh==:",
	};
	struct sfv f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sfv_parse(bad[i], strlen(bad[i]), SFV_ITEM, &f);

		CHECK_INT(rc, -EINVAL);
		CHECK(f.n == 0 && f.members == NULL);
	}
	CHECK_INT(sfv_parse("a, b,", 5, SFV_LIST, &f), -EINVAL);
	CHECK_INT(sfv_parse("a,,b", 4, SFV_LIST, &f), -EINVAL);
	CHECK_INT(sfv_parse("A=1", 3, SFV_DICT, &f), -EINVAL);
	CHECK_INT(sfv_parse("a=(1)(2)", 8, SFV_DICT, &f), -EINVAL);
}

static void test_lists_and_dicts(void)
{
	struct sfv f;
	const struct sfv_item *m;

	CHECK_STR(roundtrip("sugar, tea, rum", SFV_LIST), "sugar, tea, rum");
	CHECK_STR(roundtrip("(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()", SFV_LIST),
		  "(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()");
	CHECK_STR(roundtrip("(\"foo\"; a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1", SFV_LIST),
		  "(\"foo\";a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1");
	CHECK_STR(roundtrip("abc;a=1;b=2; cde_456, (ghi;jk=4 l);q=\"9\";r=w", SFV_LIST),
		  "abc;a=1;b=2;cde_456, (ghi;jk=4 l);q=\"9\";r=w");
	CHECK_STR(roundtrip("en=\"Applepie\", da=:w4ZibGV0w6ZydGUK:", SFV_DICT),
		  "en=\"Applepie\", da=:w4ZibGV0w6ZydGUK:");
	CHECK_STR(roundtrip("a=?0, b, c; foo=bar", SFV_DICT), "a=?0, b, c;foo=bar");
	CHECK_STR(roundtrip("rating=1.5, feelings=(joy sadness)", SFV_DICT),
		  "rating=1.5, feelings=(joy sadness)");
	CHECK_STR(roundtrip("a=1,\tb=2", SFV_DICT), "a=1, b=2");
	CHECK_STR(roundtrip("", SFV_LIST), "");

	/* a repeated key keeps its place and takes the last value */
	CHECK_INT(sfv_parse("a=1, b=2, a=3", 13, SFV_DICT, &f), 0);
	CHECK_INT(f.n, 2);
	m = sfv_dict_get(&f, "a");
	CHECK(m && m == &f.members[0] && m->value.num == 3);
	CHECK(sfv_dict_get(&f, "c") == NULL);
	sfv_free(&f);
}

static void test_limits(void)
{
	char big[4096];
	size_t n = 0;
	struct sfv f;

	for (int i = 0; i < SFV_MAX_MEMBERS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s%d", i ? "," : "", i);
	CHECK_INT(sfv_parse(big, n, SFV_LIST, &f), 0);
	CHECK_INT(f.n, SFV_MAX_MEMBERS);
	sfv_free(&f);
	n += (size_t)snprintf(big + n, sizeof(big) - n, ",x");
	CHECK_INT(sfv_parse(big, n, SFV_LIST, &f), -EINVAL);
	n = (size_t)snprintf(big, sizeof(big), "1");
	for (int i = 0; i <= SFV_MAX_PARAMS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, ";p%d", i);
	CHECK_INT(sfv_parse(big, n, SFV_ITEM, &f), -EINVAL);
}

static void test_writers(void)
{
	struct buf b = {0};
	struct sfv_bare v;

	v = sfv_str("caf\xc3\xa9");
	CHECK_INT(sfv_write_bare(&b, &v), -EINVAL);
	v = sfv_token("1abc");
	CHECK_INT(sfv_write_bare(&b, &v), -EINVAL);
	v = sfv_int(1000000000000000LL);
	CHECK_INT(sfv_write_bare(&b, &v), -EINVAL);
	CHECK_INT(sfv_write_key(&b, "Upper"), -EINVAL);
	b.len = 0;
	v = sfv_str("say \"hi\"");
	CHECK_INT(sfv_write_bare(&b, &v), 0);
	CHECK(b.len == 12 && memcmp(b.p, "\"say \\\"hi\\\"\"", 12) == 0);
	buf_free(&b);
}

int main(void)
{
	test_items();
	test_failures();
	test_lists_and_dicts();
	test_limits();
	test_writers();
	return test_done();
}
