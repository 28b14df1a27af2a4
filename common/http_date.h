/*
 * HTTP-date (RFC 9110 section 5.6.7): format IMF-fixdate, parse all three
 * forms a recipient must accept (IMF-fixdate, RFC 850, asctime).
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HTTP_DATE_H
#define REEL_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * Write the IMF-fixdate for T into BUF (at least HTTP_DATE_LEN + 1 bytes),
 * NUL-terminated.  T is clamped to years 0000..9999, the range the 4-digit
 * year can express.  Independent of locale and TZ; cannot fail.
 */
void http_date_format(time_t t, char *buf);

/*
 * Parse S (LEN bytes, not NUL-terminated).  Returns 0 and sets *T, or -EINVAL
 * when S is not exactly one of the three forms (names are case-sensitive, no
 * surrounding whitespace) or names an impossible date (day not in the month,
 * hour > 23, minute > 59, second > 60).  The day name must be valid but is not
 * checked against the date.  A two-digit RFC 850 year below 70 is 20yy, else
 * 19yy.  Second 60 (a leap second) is read as 59.  *T is untouched on error.
 * S may be NULL when LEN is 0.
 */
int http_date_parse(const char *s, size_t len, time_t *t);

#endif
