/*
 * Unit tests for common/http_range.c: RFC 9110 section 14.1.2's examples,
 * syntax errors, satisfiability, overflow, the MAX limit and coalescing.
 */
#include "http_range.h"
#include "test.h"

#include <stdbool.h>
#include <stdlib.h>

#define SZ 10000 /* the representation length RFC 9110's examples assume */

struct range_case {
	const char *value;
	uint64_t size;
	unsigned max;
	enum http_range_result result;
	unsigned n;
	struct http_range r[4];
};

/* clang-format off */
#define IGN(v, sz)   {v, sz, 16, HTTP_RANGE_IGNORE, 0, {{0, 0}}}
#define UNSAT(v, sz) {v, sz, 16, HTTP_RANGE_UNSATISFIABLE, 0, {{0, 0}}}

static const struct range_case cases[] = {
	/* RFC 9110 section 14.1.2, for a representation of length 10000 */
	{"bytes=0-499", SZ, 16, HTTP_RANGE_OK, 1, {{0, 499}}},
	{"bytes=500-999", SZ, 16, HTTP_RANGE_OK, 1, {{500, 999}}},
	{"bytes=-500", SZ, 16, HTTP_RANGE_OK, 1, {{9500, 9999}}},
	{"bytes=9500-", SZ, 16, HTTP_RANGE_OK, 1, {{9500, 9999}}},
	{"bytes=0-0,-1", SZ, 16, HTTP_RANGE_OK, 2, {{0, 0}, {9999, 9999}}},
	/* the space after "=" is in the RFC's example (erratum 7306) */
	{"bytes= 0-999, 4500-5499, -1000",
	 SZ, 16, HTTP_RANGE_OK, 3, {{0, 999}, {4500, 5499}, {9000, 9999}}},
	{"bytes=500-600,601-999", SZ, 16, HTTP_RANGE_OK, 1, {{500, 999}}},
	{"bytes=500-700,601-999", SZ, 16, HTTP_RANGE_OK, 1, {{500, 999}}},
	/* the Content-Range examples of sections 14.4 and 15.5.17, as requests */
	{"bytes=42-1233", 1234, 16, HTTP_RANGE_OK, 1, {{42, 1233}}},
	{"bytes=21010-47021", 47022, 16, HTTP_RANGE_OK, 1, {{21010, 47021}}},
	UNSAT("bytes=47022-", 47022),

	/* unit and "=" */
	{"BYTES=0-1", SZ, 16, HTTP_RANGE_OK, 1, {{0, 1}}},
	{"Bytes=0-1", SZ, 16, HTTP_RANGE_OK, 1, {{0, 1}}},
	{"bYtEs=0-1", SZ, 16, HTTP_RANGE_OK, 1, {{0, 1}}},
	{" \tbytes=0-1\t ", SZ, 16, HTTP_RANGE_OK, 1, {{0, 1}}},
	IGN("", SZ),
	IGN("bytes", SZ),
	IGN("bytes 0-1", SZ),
	IGN("bytes0-1", SZ),
	IGN("bytes:0-1", SZ),
	IGN("bytes =0-1", SZ),
	IGN("byte=0-1", SZ),
	IGN("bytesx=0-1", SZ),
	IGN("items=0-1", SZ),
	IGN("=0-1", SZ),
	IGN("0-1", SZ),
	IGN("bytes==0-1", SZ),

	/* range-spec syntax */
	IGN("bytes=", SZ),
	IGN("bytes= ", SZ),
	IGN("bytes=,", SZ),
	IGN("bytes=, ,\t,", SZ),
	IGN("bytes=-", SZ),
	IGN("bytes=--1", SZ),
	IGN("bytes=1--2", SZ),
	IGN("bytes=1-2-3", SZ),
	IGN("bytes=5-1", SZ),
	IGN("bytes=0-1,5-1", SZ),
	IGN("bytes=5-1,0-1", SZ),
	IGN("bytes=0 -1", SZ),
	IGN("bytes=0- 1", SZ),
	IGN("bytes=- 1", SZ),
	IGN("bytes=0-1 2-3", SZ),
	IGN("bytes=0-1;", SZ),
	IGN("bytes=0-1,x", SZ),
	IGN("bytes=0-1,\r", SZ),
	IGN("bytes=0x10-20", SZ),
	IGN("bytes=+1-2", SZ),
	IGN("bytes=1-+2", SZ),
	IGN("bytes=1", SZ),
	IGN("bytes=a-b", SZ),
	IGN("bytes=1.5-2", SZ),
	IGN("bytes=0-1\xff", SZ),
	{"bytes=0-1,,2-3", SZ, 16, HTTP_RANGE_OK, 1, {{0, 3}}},
	{"bytes=,0-1,", SZ, 16, HTTP_RANGE_OK, 1, {{0, 1}}},
	{"bytes=0-1\t,\t4-5", SZ, 16, HTTP_RANGE_OK, 2, {{0, 1}, {4, 5}}},
	{"bytes=0-1 , 4-5 ,", SZ, 16, HTTP_RANGE_OK, 2, {{0, 1}, {4, 5}}},
	{"bytes=0000000000000000000000000001-0002", SZ, 16, HTTP_RANGE_OK, 1, {{1, 2}}},

	/* satisfiability against SIZE */
	UNSAT("bytes=10000-", SZ),
	UNSAT("bytes=10000-20000", SZ),
	UNSAT("bytes=-0", SZ),
	UNSAT("bytes=-0,10000-", SZ),
	UNSAT("bytes=-000", SZ),
	IGN("bytes=-0,5-1", SZ),
	IGN("bytes=20000-10000", SZ),
	{"bytes=-0,0-0", SZ, 16, HTTP_RANGE_OK, 1, {{0, 0}}},
	{"bytes=20000-,0-5", SZ, 16, HTTP_RANGE_OK, 1, {{0, 5}}},
	{"bytes=9999-", SZ, 16, HTTP_RANGE_OK, 1, {{9999, 9999}}},
	{"bytes=9999-9999", SZ, 16, HTTP_RANGE_OK, 1, {{9999, 9999}}},
	{"bytes=0-99999", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=0-", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=-20000", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=-10000", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=-9999", SZ, 16, HTTP_RANGE_OK, 1, {{1, 9999}}},

	/* size 0: nothing is satisfiable, but syntax errors still win */
	UNSAT("bytes=0-", 0),
	UNSAT("bytes=0-0", 0),
	UNSAT("bytes=-1", 0),
	UNSAT("bytes=-0", 0),
	UNSAT("bytes=0-0,-5,7-", 0),
	IGN("bytes=5-1", 0),
	IGN("bytes=x", 0),
	IGN("bytes=", 0),

	/* size 1 */
	{"bytes=0-", 1, 16, HTTP_RANGE_OK, 1, {{0, 0}}},
	{"bytes=0-0", 1, 16, HTTP_RANGE_OK, 1, {{0, 0}}},
	{"bytes=0-100", 1, 16, HTTP_RANGE_OK, 1, {{0, 0}}},
	{"bytes=-1", 1, 16, HTTP_RANGE_OK, 1, {{0, 0}}},
	{"bytes=-5", 1, 16, HTTP_RANGE_OK, 1, {{0, 0}}},
	{"bytes=0-0,0-0,-1", 1, 16, HTTP_RANGE_OK, 1, {{0, 0}}},
	UNSAT("bytes=1-", 1),
	UNSAT("bytes=1-1", 1),

	/* 64-bit limits */
	UNSAT("bytes=18446744073709551615-", SZ),
	IGN("bytes=18446744073709551616-", SZ),
	IGN("bytes=99999999999999999999-", SZ),
	IGN("bytes=0-18446744073709551616", SZ),
	IGN("bytes=-18446744073709551616", SZ),
	IGN("bytes=0-1,1-99999999999999999999999999999999", SZ),
	{"bytes=0-18446744073709551615", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=-18446744073709551615", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=0-", UINT64_MAX, 16, HTTP_RANGE_OK, 1, {{0, UINT64_MAX - 1}}},
	{"bytes=-1", UINT64_MAX, 16, HTTP_RANGE_OK, 1, {{UINT64_MAX - 1, UINT64_MAX - 1}}},
	{"bytes=-18446744073709551615", UINT64_MAX, 16, HTTP_RANGE_OK, 1, {{0, UINT64_MAX - 1}}},
	{"bytes=18446744073709551614-",
	 UINT64_MAX, 16, HTTP_RANGE_OK, 1, {{UINT64_MAX - 1, UINT64_MAX - 1}}},
	{"bytes=0-0,18446744073709551613-18446744073709551615",
	 UINT64_MAX, 16, HTTP_RANGE_OK, 2, {{0, 0}, {UINT64_MAX - 2, UINT64_MAX - 1}}},
	UNSAT("bytes=18446744073709551615-", UINT64_MAX),

	/* MAX counts range-specs before coalescing, unsatisfiable ones too */
	{"bytes=0-0,2-2", SZ, 1, HTTP_RANGE_IGNORE, 0, {{0, 0}}},
	{"bytes=0-0,2-2", SZ, 2, HTTP_RANGE_OK, 2, {{0, 0}, {2, 2}}},
	{"bytes=0-1,1-2", SZ, 1, HTTP_RANGE_IGNORE, 0, {{0, 0}}},
	{"bytes=20000-,0-1", SZ, 1, HTTP_RANGE_IGNORE, 0, {{0, 0}}},
	{"bytes=0-1,,,,", SZ, 1, HTTP_RANGE_OK, 1, {{0, 1}}},
	{"bytes=0-0", SZ, 0, HTTP_RANGE_IGNORE, 0, {{0, 0}}},
	{"bytes=", SZ, 0, HTTP_RANGE_IGNORE, 0, {{0, 0}}},

	/* sorting and coalescing */
	{"bytes=500-600,0-100,90-200", SZ, 16, HTTP_RANGE_OK, 2, {{0, 200}, {500, 600}}},
	{"bytes=0-0,1-1", SZ, 16, HTTP_RANGE_OK, 1, {{0, 1}}},
	{"bytes=1-1,0-0", SZ, 16, HTTP_RANGE_OK, 1, {{0, 1}}},
	{"bytes=0-0,2-2", SZ, 16, HTTP_RANGE_OK, 2, {{0, 0}, {2, 2}}},
	{"bytes=2-2,0-0", SZ, 16, HTTP_RANGE_OK, 2, {{0, 0}, {2, 2}}},
	{"bytes=5-9,0-4", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9}}},
	{"bytes=0-10,2-3", SZ, 16, HTTP_RANGE_OK, 1, {{0, 10}}},
	{"bytes=2-3,0-10", SZ, 16, HTTP_RANGE_OK, 1, {{0, 10}}},
	{"bytes=0-9999,5-6", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=1-2,1-2", SZ, 16, HTTP_RANGE_OK, 1, {{1, 2}}},
	{"bytes=1-2,1-5", SZ, 16, HTTP_RANGE_OK, 1, {{1, 5}}},
	{"bytes=1-5,1-2", SZ, 16, HTTP_RANGE_OK, 1, {{1, 5}}},
	{"bytes=-1,0-", SZ, 16, HTTP_RANGE_OK, 1, {{0, 9999}}},
	{"bytes=9000-,-500,0-0", SZ, 16, HTTP_RANGE_OK, 2, {{0, 0}, {9000, 9999}}},
	{"bytes=30-39,10-19,20-29,0-9", SZ, 16, HTTP_RANGE_OK, 1, {{0, 39}}},
	{"bytes=30-39,10-18,20-28,0-8",
	 SZ, 16, HTTP_RANGE_OK, 4, {{0, 8}, {10, 18}, {20, 28}, {30, 39}}},
	{"bytes=0-5,3-8,7-20,50-60,55-", SZ, 16, HTTP_RANGE_OK, 2, {{0, 20}, {50, 9999}}},
};
/* clang-format on */

static const char *result_name(enum http_range_result r)
{
	switch (r) {
	case HTTP_RANGE_IGNORE:
		return "IGNORE";
	case HTTP_RANGE_OK:
		return "OK";
	case HTTP_RANGE_UNSATISFIABLE:
		return "UNSATISFIABLE";
	}
	return "?";
}

static void print_ranges(const char *what, const struct http_range *r, unsigned n)
{
	printf("#   %s:", what);
	for (unsigned i = 0; i < n && i < 8; i++)
		printf(" [%" PRIu64 "-%" PRIu64 "]", r[i].first, r[i].last);
	printf("\n");
}

/*
 * Parse VALUE from an exactly-sized heap copy (so ASan sees any over-read)
 * into OUT, which holds MAX entries, and return the result.
 */
static enum http_range_result parse_copy(const char *value, size_t len, uint64_t size,
					 struct http_range *out, unsigned max, unsigned *n)
{
	char *copy = malloc(len ? len : 1);
	enum http_range_result res;

	memcpy(copy, value, len);
	res = http_range_parse(copy, len, size, out, max, n);
	free(copy);
	return res;
}

static void run_case(const struct range_case *c)
{
	struct http_range *out = malloc(sizeof(*out) * (c->max ? c->max : 1));
	unsigned n = 77;
	enum http_range_result res;
	bool ok;

	res = parse_copy(c->value, strlen(c->value), c->size, out, c->max, &n);
	ok = res == c->result && n == c->n && memcmp(out, c->r, n * sizeof(*out)) == 0;
	if (!ok) {
		printf("# \"%s\" size %" PRIu64 " max %u: got %s n=%u, want %s n=%u\n", c->value,
		       c->size, c->max, result_name(res), n, result_name(c->result), c->n);
		print_ranges("got", out, n);
		print_ranges("want", c->r, c->n);
	}
	CHECK(ok);
	free(out);
}

/* The value is not NUL-terminated: only the first LEN bytes count. */
static void test_length_bound(void)
{
	struct http_range out[4];
	unsigned n;

	CHECK_INT(parse_copy("bytes=0-1999", 10, SZ, out, 4, &n), HTTP_RANGE_OK);
	CHECK(n == 1 && out[0].first == 0 && out[0].last == 19);
	CHECK_INT(parse_copy("bytes=0-1", 5, SZ, out, 4, &n), HTTP_RANGE_IGNORE);
	CHECK_INT(parse_copy("bytes=0-1", 6, SZ, out, 4, &n), HTTP_RANGE_IGNORE);
	CHECK_INT(parse_copy("bytes=0-1", 8, SZ, out, 4, &n), HTTP_RANGE_OK);
	CHECK(n == 1 && out[0].first == 0 && out[0].last == 9999);
	CHECK_INT(parse_copy("bytes=0-1\0", 10, SZ, out, 4, &n), HTTP_RANGE_IGNORE);
	CHECK_INT(http_range_parse(NULL, 0, SZ, out, 4, &n), HTTP_RANGE_IGNORE);
	CHECK_INT(n, 0);
}

/* Every proper prefix of a valid header is read without over-reading. */
static void test_prefixes(void)
{
	static const char full[] = "bytes= 0-999, 4500-5499, -1000";
	struct http_range out[4];
	int bad = 0;

	for (size_t len = 0; len < sizeof(full) - 1; len++) {
		unsigned n;
		enum http_range_result res = parse_copy(full, len, SZ, out, 4, &n);

		if (res == HTTP_RANGE_UNSATISFIABLE || (res == HTTP_RANGE_OK && n == 0))
			bad++;
	}
	CHECK_INT(bad, 0);
}

/* Append "first-last," to BUF at *POS. */
static void append_range(char *buf, size_t *pos, unsigned first, unsigned last)
{
	*pos += (size_t)sprintf(buf + *pos, "%s%u-%u", *pos > 6 ? "," : "", first, last);
}

/* 100 range-specs against various MAX values, in both orders. */
static void test_many(void)
{
	static char buf[4096];
	struct http_range out[128];
	size_t pos;
	unsigned n;
	bool sorted = true;

	pos = (size_t)sprintf(buf, "bytes=");
	for (unsigned i = 0; i < 100; i++)
		append_range(buf, &pos, 2 * (99 - i), 2 * (99 - i));
	CHECK_INT(parse_copy(buf, pos, SZ, out, 64, &n), HTTP_RANGE_IGNORE);
	CHECK_INT(parse_copy(buf, pos, SZ, out, 99, &n), HTTP_RANGE_IGNORE);
	CHECK_INT(parse_copy(buf, pos, SZ, out, 100, &n), HTTP_RANGE_OK);
	CHECK_INT(n, 100);
	for (unsigned i = 0; i < n; i++)
		if (out[i].first != 2 * i || out[i].last != 2 * i)
			sorted = false;
	CHECK(sorted);
	CHECK_INT(parse_copy(buf, pos, SZ, out, 128, &n), HTTP_RANGE_OK);
	CHECK_INT(n, 100);

	/* adjacent single bytes, shuffled by a stride, coalesce into one */
	pos = (size_t)sprintf(buf, "bytes=");
	for (unsigned i = 0; i < 100; i++)
		append_range(buf, &pos, (i * 37) % 100, (i * 37) % 100);
	CHECK_INT(parse_copy(buf, pos, SZ, out, 100, &n), HTTP_RANGE_OK);
	CHECK(n == 1 && out[0].first == 0 && out[0].last == 99);

	/* 100 unsatisfiable specs are still counted */
	pos = (size_t)sprintf(buf, "bytes=");
	for (unsigned i = 0; i < 100; i++)
		append_range(buf, &pos, SZ + i, SZ + i);
	CHECK_INT(parse_copy(buf, pos, SZ, out, 64, &n), HTTP_RANGE_IGNORE);
	CHECK_INT(parse_copy(buf, pos, SZ, out, 100, &n), HTTP_RANGE_UNSATISFIABLE);
	CHECK_INT(n, 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_length_bound();
	test_prefixes();
	test_many();
	return test_done();
}
