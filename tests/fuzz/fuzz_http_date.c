/*
 * Fuzz target for http_date_parse() and http_date_format().  The whole input
 * is parsed as a date; whatever parses must format and parse back to the same
 * time, and an IMF-fixdate must format back to itself (day name and a leap
 * second aside).  The first 8 bytes, read as a time, must survive
 * format + parse, clamped to years 0000..9999.
 */
#include "http_date.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DATE_MIN (-62167219200LL) /* 0000-01-01 00:00:00 */
#define DATE_MAX 253402300799LL	  /* 9999-12-31 23:59:59 */

/* Format T; the result must be an IMF-fixdate that parses back to *BACK. */
static void format_parse(time_t t, char *buf, time_t *back)
{
	http_date_format(t, buf);
	if (strlen(buf) != HTTP_DATE_LEN || http_date_parse(buf, HTTP_DATE_LEN, back) != 0)
		abort();
}

static void check_parsed(const char *s, size_t len, time_t t)
{
	char buf[HTTP_DATE_LEN + 1];
	time_t back;

	if ((long long)t < DATE_MIN || (long long)t > DATE_MAX)
		abort();
	format_parse(t, buf, &back);
	if (back != t)
		abort();
	if (len == HTTP_DATE_LEN && s[3] == ',' && memcmp(s + 23, "60", 2) != 0 &&
	    memcmp(s + 3, buf + 3, HTTP_DATE_LEN - 3) != 0)
		abort();
}

static void check_time(const uint8_t *data)
{
	char buf[HTTP_DATE_LEN + 1];
	int64_t v;
	long long want;
	time_t back;

	memcpy(&v, data, sizeof(v));
	want = v < DATE_MIN ? DATE_MIN : v > DATE_MAX ? DATE_MAX : v;
	format_parse((time_t)v, buf, &back);
	if ((long long)back != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1); /* exactly sized: ASan catches over-reads */
	time_t t;

	memcpy(s, data, size);
	if (http_date_parse(s, size, &t) == 0)
		check_parsed(s, size, t);
	free(s);
	if (size >= 8)
		check_time(data);
	return 0;
}
