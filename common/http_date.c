/*
 * HTTP-date without locale, strftime, timegm or TZ: dates are converted with
 * the proleptic Gregorian days-from-civil algorithms (H. Hinnant) so the
 * result never depends on the process environment.
 *
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
 *   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT"
 *   asctime-date "Sun Nov  6 08:49:37 1994"
 */
#include "http_date.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SECS_PER_DAY 86400
#define DATE_MIN     (-62167219200LL) /* 0000-01-01 00:00:00 */
#define DATE_MAX     253402300799LL   /* 9999-12-31 23:59:59 */

static const char day_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const day_names_long[7] = {"Sunday",	  "Monday", "Tuesday", "Wednesday",
					      "Thursday", "Friday", "Saturday"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct civil {
	int64_t year;
	unsigned month; /* 1..12 */
	unsigned day;	/* 1..31 */
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(struct civil c)
{
	int64_t y = c.year - (c.month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (c.month > 2 ? c.month - 3 : c.month + 9) + 2) / 5 + c.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil(). */
static struct civil civil_from_days(int64_t z)
{
	struct civil c;
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c.day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	c.month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	c.year = yoe + era * 400 + (c.month <= 2);
	return c;
}

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static char *put_name(char *p, const char *name)
{
	memcpy(p, name, 3);
	return p + 3;
}

void http_date_format(time_t t, char *buf)
{
	int64_t s = (int64_t)t, days, sod;
	struct civil c;
	char *p = buf;

	if (s < DATE_MIN)
		s = DATE_MIN;
	if (s > DATE_MAX)
		s = DATE_MAX;
	days = s >= 0 ? s / SECS_PER_DAY : -((-s + SECS_PER_DAY - 1) / SECS_PER_DAY);
	sod = s - days * SECS_PER_DAY;
	c = civil_from_days(days);

	p = put_name(p, day_names[((days % 7) + 11) % 7]); /* 1970-01-01 was a Thursday */
	*p++ = ',';
	*p++ = ' ';
	p = put2(p, c.day);
	*p++ = ' ';
	p = put_name(p, month_names[c.month - 1]);
	*p++ = ' ';
	p = put2(p, (unsigned)(c.year / 100));
	p = put2(p, (unsigned)(c.year % 100));
	*p++ = ' ';
	p = put2(p, (unsigned)(sod / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(sod / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(sod % 60));
	memcpy(p, " GMT", 5);
}

/* Parsing: a cursor over S[0..LEN) whose helpers return false on mismatch. */
struct date_cursor {
	const char *p;
	const char *end;
};

struct date_fields {
	struct civil date;
	unsigned hour, min, sec;
};

static bool expect(struct date_cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

static bool expect_str(struct date_cursor *c, const char *str, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, str, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Exactly N digits into *V. */
static bool digits(struct date_cursor *c, unsigned n, unsigned *v)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	*v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (c->p[i] < '0' || c->p[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(c->p[i] - '0');
	}
	c->p += n;
	return true;
}

/* One of the short day names; the weekday is not checked against the date. */
static bool day_name(struct date_cursor *c)
{
	for (unsigned i = 0; i < 7; i++)
		if (expect_str(c, day_names[i], 3))
			return true;
	return false;
}

static bool day_name_long(struct date_cursor *c)
{
	for (unsigned i = 0; i < 7; i++)
		if (expect_str(c, day_names_long[i], strlen(day_names_long[i])))
			return true;
	return false;
}

static bool month_name(struct date_cursor *c, unsigned *month)
{
	for (unsigned i = 0; i < 12; i++) {
		if (expect_str(c, month_names[i], 3)) {
			*month = i + 1;
			return true;
		}
	}
	return false;
}

/* time-of-day = hour ":" minute ":" second, range checked later. */
static bool time_of_day(struct date_cursor *c, struct date_fields *f)
{
	return digits(c, 2, &f->hour) && expect(c, ':') && digits(c, 2, &f->min) &&
	       expect(c, ':') && digits(c, 2, &f->sec);
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool parse_imf(struct date_cursor *c, struct date_fields *f)
{
	unsigned year = 0;

	if (!(day_name(c) && expect_str(c, ", ", 2) && digits(c, 2, &f->date.day) &&
	      expect(c, ' ') && month_name(c, &f->date.month) && expect(c, ' ') &&
	      digits(c, 4, &year) && expect(c, ' ') && time_of_day(c, f) &&
	      expect_str(c, " GMT", 4)))
		return false;
	f->date.year = year;
	return true;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT"; years 70-99 are 19xx, 00-69 are 20xx. */
static bool parse_rfc850(struct date_cursor *c, struct date_fields *f)
{
	unsigned yy = 0;

	if (!(day_name_long(c) && expect_str(c, ", ", 2) && digits(c, 2, &f->date.day) &&
	      expect(c, '-') && month_name(c, &f->date.month) && expect(c, '-') &&
	      digits(c, 2, &yy) && expect(c, ' ') && time_of_day(c, f) && expect_str(c, " GMT", 4)))
		return false;
	f->date.year = yy < 70 ? 2000 + yy : 1900 + yy;
	return true;
}

/* "Sun Nov  6 08:49:37 1994": the day is 2DIGIT or SP DIGIT. */
static bool parse_asctime(struct date_cursor *c, struct date_fields *f)
{
	unsigned year = 0;

	if (!(day_name(c) && expect(c, ' ') && month_name(c, &f->date.month) && expect(c, ' ')))
		return false;
	if (!(expect(c, ' ') ? digits(c, 1, &f->date.day) : digits(c, 2, &f->date.day)))
		return false;
	if (!(expect(c, ' ') && time_of_day(c, f) && expect(c, ' ') && digits(c, 4, &year)))
		return false;
	f->date.year = year;
	return true;
}

static bool fields_valid(const struct date_fields *f)
{
	return f->date.day >= 1 && f->date.day <= days_in_month(f->date.year, f->date.month) &&
	       f->hour < 24 && f->min < 60 && f->sec <= 60;
}

int http_date_parse(const char *s, size_t len, time_t *t)
{
	struct date_cursor c;
	struct date_fields f;
	bool ok;
	int64_t v;

	if (len < 4)
		return -EINVAL;
	c.p = s;
	c.end = s + len;
	if (s[3] == ',')
		ok = parse_imf(&c, &f);
	else if (s[3] == ' ')
		ok = parse_asctime(&c, &f);
	else
		ok = parse_rfc850(&c, &f);
	if (!ok || c.p != c.end || !fields_valid(&f))
		return -EINVAL;

	/* POSIX time has no leap seconds: :60 is folded into :59 of the same minute. */
	v = days_from_civil(f.date) * SECS_PER_DAY + f.hour * 3600 + f.min * 60 +
	    (f.sec == 60 ? 59 : f.sec);
	if ((int64_t)(time_t)v != v)
		return -EINVAL;
	*t = (time_t)v;
	return 0;
}
