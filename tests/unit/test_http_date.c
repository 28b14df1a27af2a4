/*
 * Unit tests for common/http_date.c: formatting against gmtime_r/strftime in
 * the C locale, the three RFC 9110 forms, round trips, and every invalid field.
 */
#include "http_date.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define T_1994	 784111777LL	  /* Sun, 06 Nov 1994 08:49:37 GMT */
#define DATE_MIN (-62167219200LL) /* 0000-01-01 00:00:00 */
#define DATE_MAX 253402300799LL	  /* 9999-12-31 23:59:59 */

/* Parse S from an exactly-sized heap copy so ASan sees any over-read. */
static int parse_n(const char *s, size_t len, time_t *t)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, s, len);
	rc = http_date_parse(copy, len, t);
	free(copy);
	return rc;
}

static int parse(const char *s, time_t *t)
{
	return parse_n(s, strlen(s), t);
}

/* Format T and compare with WANT. */
static void check_format(long long t, const char *want)
{
	char buf[HTTP_DATE_LEN + 1];

	memset(buf, 'x', sizeof(buf));
	http_date_format((time_t)t, buf);
	CHECK_STR(buf, want);
	CHECK_INT(strlen(buf), HTTP_DATE_LEN);
}

static void test_format(void)
{
	check_format(0, "Thu, 01 Jan 1970 00:00:00 GMT");
	check_format(T_1994, "Sun, 06 Nov 1994 08:49:37 GMT");
	check_format(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
	check_format(86399, "Thu, 01 Jan 1970 23:59:59 GMT");
	check_format(86400, "Fri, 02 Jan 1970 00:00:00 GMT");
	check_format(946684800, "Sat, 01 Jan 2000 00:00:00 GMT");
	check_format(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
	check_format(951868800, "Wed, 01 Mar 2000 00:00:00 GMT");
	check_format(1709208000, "Thu, 29 Feb 2024 12:00:00 GMT");
	check_format(2147483647, "Tue, 19 Jan 2038 03:14:07 GMT");
	check_format(2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT");
	check_format(4102444800LL, "Fri, 01 Jan 2100 00:00:00 GMT");
	check_format(4294967295LL, "Sun, 07 Feb 2106 06:28:15 GMT");
	check_format(-2203891200LL, "Thu, 01 Mar 1900 00:00:00 GMT");
	check_format(-11670998400LL, "Tue, 29 Feb 1600 00:00:00 GMT");
	check_format(-62135596800LL, "Mon, 01 Jan 0001 00:00:00 GMT");
	check_format(DATE_MIN, "Sat, 01 Jan 0000 00:00:00 GMT");
	check_format(DATE_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
	/* out of the 4-digit range: clamped */
	check_format(DATE_MAX + 1, "Fri, 31 Dec 9999 23:59:59 GMT");
	check_format(INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
	check_format(DATE_MIN - 1, "Sat, 01 Jan 0000 00:00:00 GMT");
	check_format(INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT");
}

/* A cheap deterministic generator for the bulk tests. */
static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Compare with gmtime_r + strftime (C locale) over 1900..9999, stepping
 * randomly and across every day boundary of a few leap years.
 */
static void test_format_vs_libc(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int bad = 0;

	for (int i = 0; i < 200000 && bad < 3; i++) {
		long long span = DATE_MAX + 2208988800LL; /* from 1900-01-01 */
		long long t = (long long)(rng(&seed) % (uint64_t)span) - 2208988800LL;
		char want[64], got[HTTP_DATE_LEN + 1];
		struct tm tm;
		time_t tt = (time_t)t;

		if (i < 3000) /* every day around 2000-02-29, at 23:59:59 */
			t = 946684800LL + (i - 1500) * 86400LL + 86399;
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		http_date_format(tt, got);
		if (strcmp(got, want) != 0) {
			printf("# %lld: got \"%s\" want \"%s\"\n", t, got, want);
			bad++;
		}
	}
	CHECK_INT(bad, 0);
}

/* format then parse gives back T, for a spread of times and random ones. */
static void test_round_trip(void)
{
	/* clang-format off */
	static const long long times[] = {
		0, 1, 59, 60, 86399, 86400, T_1994, 946684799, 946684800, 951782399, 951782400,
		951868799, 951868800, 1709208000, 2147483647, 2147483648, 4102444800LL,
		4294967295LL, -1, -86400, -86401, -2203891200LL, -11670998400LL, DATE_MIN,
		DATE_MIN + 1, DATE_MAX, DATE_MAX - 1, 32503680000LL, 253402214400LL,
	};
	/* clang-format on */
	uint64_t seed = 12345;
	int bad = 0;

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char buf[HTTP_DATE_LEN + 1];
		time_t t = 0;

		http_date_format((time_t)times[i], buf);
		CHECK(parse(buf, &t) == 0 && (long long)t == times[i]);
	}
	for (int i = 0; i < 100000; i++) {
		long long t0 =
		    (long long)(rng(&seed) % (uint64_t)(DATE_MAX - DATE_MIN + 1)) + DATE_MIN;
		char buf[HTTP_DATE_LEN + 1];
		time_t t = 0;

		http_date_format((time_t)t0, buf);
		if (parse(buf, &t) != 0 || (long long)t != t0)
			bad++;
	}
	CHECK_INT(bad, 0);
}

struct date_case {
	const char *s;
	long long t; /* expected; ignored when invalid */
	bool valid;
};

/* clang-format off */
#define OK(s, t) {s, t, true}
#define BAD(s)   {s, 0, false}

static const struct date_case cases[] = {
	/* RFC 9110 section 5.6.7's three forms */
	OK("Sun, 06 Nov 1994 08:49:37 GMT", T_1994),
	OK("Sunday, 06-Nov-94 08:49:37 GMT", T_1994),
	OK("Sun Nov  6 08:49:37 1994", T_1994),
	OK("Sun Nov 06 08:49:37 1994", T_1994),
	OK("Sun Nov 16 08:49:37 1994", T_1994 + 10 * 86400),
	/* the day name is not checked against the date */
	OK("Mon, 06 Nov 1994 08:49:37 GMT", T_1994),
	OK("Wednesday, 06-Nov-94 08:49:37 GMT", T_1994),
	OK("Sat Nov  6 08:49:37 1994", T_1994),
	/* every day name */
	OK("Mon, 01 Jan 1970 00:00:00 GMT", 0),
	OK("Tue, 01 Jan 1970 00:00:00 GMT", 0),
	OK("Wed, 01 Jan 1970 00:00:00 GMT", 0),
	OK("Thu, 01 Jan 1970 00:00:00 GMT", 0),
	OK("Fri, 01 Jan 1970 00:00:00 GMT", 0),
	OK("Sat, 01 Jan 1970 00:00:00 GMT", 0),
	OK("Monday, 01-Jan-70 00:00:00 GMT", 0),
	OK("Tuesday, 01-Jan-70 00:00:00 GMT", 0),
	OK("Thursday, 01-Jan-70 00:00:00 GMT", 0),
	OK("Friday, 01-Jan-70 00:00:00 GMT", 0),
	OK("Saturday, 01-Jan-70 00:00:00 GMT", 0),
	/* every month */
	OK("Thu, 01 Jan 2015 00:00:00 GMT", 1420070400),
	OK("Sun, 01 Feb 2015 00:00:00 GMT", 1422748800),
	OK("Sun, 01 Mar 2015 00:00:00 GMT", 1425168000),
	OK("Wed, 01 Apr 2015 00:00:00 GMT", 1427846400),
	OK("Fri, 01 May 2015 00:00:00 GMT", 1430438400),
	OK("Mon, 01 Jun 2015 00:00:00 GMT", 1433116800),
	OK("Wed, 01 Jul 2015 00:00:00 GMT", 1435708800),
	OK("Sat, 01 Aug 2015 00:00:00 GMT", 1438387200),
	OK("Tue, 01 Sep 2015 00:00:00 GMT", 1441065600),
	OK("Thu, 01 Oct 2015 00:00:00 GMT", 1443657600),
	OK("Sun, 01 Nov 2015 00:00:00 GMT", 1446336000),
	OK("Tue, 01 Dec 2015 00:00:00 GMT", 1448928000),
	/* RFC 850 two-digit years: 70-99 are 19xx, 00-69 are 20xx */
	OK("Thursday, 01-Jan-70 00:00:00 GMT", 0),
	OK("Friday, 31-Dec-99 23:59:59 GMT", 946684799),
	OK("Saturday, 01-Jan-00 00:00:00 GMT", 946684800),
	OK("Tuesday, 31-Dec-69 00:00:00 GMT", 3155673600LL),
	OK("Tuesday, 29-Feb-00 00:00:00 GMT", 951782400),
	/* leap years */
	OK("Tue, 29 Feb 2000 00:00:00 GMT", 951782400),
	OK("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000),
	OK("Tue, 29 Feb 1600 00:00:00 GMT", -11670998400LL),
	OK("Tue Feb 29 00:00:00 2000", 951782400),
	BAD("Mon, 29 Feb 1900 00:00:00 GMT"),
	BAD("Wed, 29 Feb 2023 00:00:00 GMT"),
	BAD("Mon, 29 Feb 2100 00:00:00 GMT"),
	BAD("Wed Feb 29 00:00:00 2023"),
	BAD("Wednesday, 29-Feb-23 00:00:00 GMT"),
	BAD("Tue, 30 Feb 2000 00:00:00 GMT"),
	/* limits of the 4-digit year */
	OK("Sat, 01 Jan 0000 00:00:00 GMT", DATE_MIN),
	OK("Fri, 31 Dec 9999 23:59:59 GMT", DATE_MAX),
	OK("Fri Dec 31 23:59:59 9999", DATE_MAX),
	OK("Mon, 01 Jan 1900 00:00:00 GMT", -2208988800LL),
	/* day of month */
	OK("Sat, 31 Jan 2015 00:00:00 GMT", 1422662400),
	BAD("Sun, 00 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 32 Jan 1994 08:49:37 GMT"),
	BAD("Sun, 31 Apr 1994 08:49:37 GMT"),
	BAD("Sun, 31 Jun 1994 08:49:37 GMT"),
	BAD("Sun, 31 Sep 1994 08:49:37 GMT"),
	BAD("Sun, 31 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 99 Nov 1994 08:49:37 GMT"),
	BAD("Sun Nov  0 08:49:37 1994"),
	BAD("Sun Nov 31 08:49:37 1994"),
	BAD("Sunday, 00-Nov-94 08:49:37 GMT"),
	BAD("Sunday, 31-Nov-94 08:49:37 GMT"),
	/* time of day */
	OK("Sun, 06 Nov 1994 23:59:59 GMT", 784166399),
	OK("Sun, 06 Nov 1994 00:00:00 GMT", 784080000),
	OK("Sun, 06 Nov 1994 23:59:60 GMT", 784166399), /* leap second read as :59 */
	OK("Sun Nov  6 23:59:60 1994", 784166399),
	OK("Fri, 31 Dec 9999 23:59:60 GMT", DATE_MAX),
	BAD("Sun, 06 Nov 1994 24:00:00 GMT"),
	BAD("Sun, 06 Nov 1994 99:00:00 GMT"),
	BAD("Sun, 06 Nov 1994 08:60:37 GMT"),
	BAD("Sun, 06 Nov 1994 08:49:61 GMT"),
	BAD("Sun, 06 Nov 1994 08:49:99 GMT"),
	BAD("Sunday, 06-Nov-94 24:49:37 GMT"),
	BAD("Sunday, 06-Nov-94 08:60:37 GMT"),
	BAD("Sunday, 06-Nov-94 08:49:61 GMT"),
	BAD("Sun Nov  6 24:49:37 1994"),
	BAD("Sun Nov  6 08:60:37 1994"),
	BAD("Sun Nov  6 08:49:61 1994"),
	/* names: case-sensitive, exact */
	BAD("sun, 06 Nov 1994 08:49:37 GMT"),
	BAD("SUN, 06 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 06 nov 1994 08:49:37 GMT"),
	BAD("Sun, 06 NOV 1994 08:49:37 GMT"),
	BAD("Sun, 06 Nov 1994 08:49:37 gmt"),
	BAD("Sun, 06 Nov 1994 08:49:37 UTC"),
	BAD("Sun, 06 Nov 1994 08:49:37 +0000"),
	BAD("Xyz, 06 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 06 Xyz 1994 08:49:37 GMT"),
	BAD("sunday, 06-Nov-94 08:49:37 GMT"),
	BAD("Sundae, 06-Nov-94 08:49:37 GMT"),
	BAD("Sunda, 06-Nov-94 08:49:37 GMT"),
	BAD("Sun Xyz  6 08:49:37 1994"),
	BAD("Xyz Nov  6 08:49:37 1994"),
	/* mixing the forms */
	BAD("Sunday, 06 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 06-Nov-94 08:49:37 GMT"),
	BAD("Sunday, 06-Nov-1994 08:49:37 GMT"),
	BAD("Sun, 06 Nov 94 08:49:37 GMT"),
	BAD("Sun Nov  6 08:49:37 1994 GMT"),
	BAD("Sun Nov  6 08:49:37 94"),
	BAD("Sunday Nov  6 08:49:37 1994"),
	/* separators, digits, whitespace */
	BAD(""),
	BAD("Sun"),
	BAD("Sun,"),
	BAD("Sun, "),
	BAD("Sun,06 Nov 1994 08:49:37 GMT"),
	BAD("Sun,  06 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 6 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 06  Nov 1994 08:49:37 GMT"),
	BAD("Sun, 06 Nov 1994 8:49:37 GMT"),
	BAD("Sun, 06 Nov 1994 08:49 GMT"),
	BAD("Sun, 06 Nov 1994 08.49.37 GMT"),
	BAD("Sun, 06 Nov 01994 08:49:37 GMT"),
	BAD("Sun, 06 Nov 994 08:49:37 GMT"),
	BAD("Sun, 06 Nov -994 08:49:37 GMT"),
	BAD("Sun, +6 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 0x Nov 1994 08:49:37 GMT"),
	BAD("Sun, 06 Nov 1994 08:49:37 GMT "),
	BAD(" Sun, 06 Nov 1994 08:49:37 GMT"),
	BAD("Sun, 06 Nov 1994 08:49:37 GMTX"),
	BAD("Sun, 06 Nov 1994 08:49:37  GMT"),
	BAD("Sun, 06 Nov 1994\t08:49:37 GMT"),
	BAD("Sunday,06-Nov-94 08:49:37 GMT"),
	BAD("Sunday, 06-Nov-94 08:49:37"),
	BAD("Sunday, 6-Nov-94 08:49:37 GMT"),
	BAD("Sun Nov 6 08:49:37 1994"),
	BAD("Sun Nov   6 08:49:37 1994"),
	BAD("Sun Nov  6 08:49:37  1994"),
	BAD("Sun Nov  6 08:49:37 1994 "),
	BAD("Sun  Nov  6 08:49:37 1994"),
	BAD("1994-11-06T08:49:37Z"),
	BAD("784111777"),
};
/* clang-format on */

static void run_case(const struct date_case *c)
{
	time_t t = (time_t)-12345;
	int rc = parse(c->s, &t);
	bool ok = c->valid ? rc == 0 && (long long)t == c->t : rc == -EINVAL && t == -12345;

	if (!ok)
		printf("# \"%s\": rc %d t %lld, want %s %lld\n", c->s, rc, (long long)t,
		       c->valid ? "valid" : "invalid", c->t);
	CHECK(ok);
}

/* No proper prefix of a valid date parses, and none is over-read. */
static void test_prefixes(void)
{
	static const char *const full[] = {
	    "Sun, 06 Nov 1994 08:49:37 GMT",
	    "Sunday, 06-Nov-94 08:49:37 GMT",
	    "Sun Nov  6 08:49:37 1994",
	};

	for (size_t i = 0; i < 3; i++) {
		int bad = 0;
		time_t t;

		for (size_t len = 0; len < strlen(full[i]); len++)
			if (parse_n(full[i], len, &t) != -EINVAL)
				bad++;
		CHECK_INT(bad, 0);
		/* and the length bounds the input: trailing bytes beyond LEN are not read */
		CHECK(http_date_parse(full[i], strlen(full[i]), &t) == 0 && t == T_1994);
	}
	CHECK_INT(http_date_parse(NULL, 0, NULL), -EINVAL);
	CHECK_INT(parse_n("Sun, 06 Nov 1994 08:49:37 GMT\0", 30, NULL), -EINVAL);
}

/* The result must not depend on TZ. */
static void test_tz(void)
{
	char buf[HTTP_DATE_LEN + 1];
	time_t t;

	setenv("TZ", "America/New_York", 1);
	tzset();
	http_date_format(T_1994, buf);
	CHECK_STR(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT", &t) == 0 && t == T_1994);
	setenv("TZ", "UTC", 1);
	tzset();
}

int main(void)
{
	test_format();
	test_format_vs_libc();
	test_round_trip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_prefixes();
	test_tz();
	return test_done();
}
