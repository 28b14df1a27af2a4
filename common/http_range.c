/*
 * Range header parsing (RFC 9110 section 14.1): one pass over the field value,
 * no allocation; satisfiable ranges are kept sorted in the caller's array and
 * coalesced at the end.
 *
 *   ranges-specifier = range-unit "=" range-set
 *   range-set        = 1#range-spec
 *   range-spec       = first-pos "-" [ last-pos ] / "-" suffix-length
 *
 * OWS is also accepted after "=" (erratum 7306: the RFC's own example is
 * "bytes= 0-999, 4500-5499, -1000") and around the whole value.
 */
#include "http_range.h"

#include <stdbool.h>

struct range_cursor {
	const char *p;
	const char *end;
};

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void skip_ows(struct range_cursor *c)
{
	while (c->p < c->end && is_ows(*c->p))
		c->p++;
}

/* Match "bytes=" case-insensitively (ASCII only, no locale). */
static bool parse_unit(struct range_cursor *c)
{
	static const char unit[] = "bytes=";

	if ((size_t)(c->end - c->p) < sizeof(unit) - 1)
		return false;
	for (size_t i = 0; i < sizeof(unit) - 1; i++) {
		char ch = c->p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != unit[i])
			return false;
	}
	c->p += sizeof(unit) - 1;
	return true;
}

/*
 * Parse 1*DIGIT into *V.  Returns 1 when digits were read, 0 when there were
 * none (cursor unchanged), -1 when the number does not fit in uint64_t.
 */
static int parse_num(struct range_cursor *c, uint64_t *v)
{
	const char *start = c->p;
	uint64_t n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
		c->p++;
	}
	*v = n;
	return c->p != start;
}

/*
 * Parse one range-spec at the cursor and resolve it against SIZE.  Returns 1
 * with *R set when satisfiable, 0 when valid but unsatisfiable, -1 on a syntax
 * error (including last-pos < first-pos and numbers that overflow).
 */
static int parse_spec(struct range_cursor *c, uint64_t size, struct http_range *r)
{
	uint64_t first, last;
	int got_first, got_last;

	got_first = parse_num(c, &first);
	if (got_first < 0 || c->p >= c->end || *c->p != '-')
		return -1;
	c->p++;
	got_last = parse_num(c, &last);
	if (got_last < 0 || (!got_first && !got_last))
		return -1;

	if (!got_first) { /* suffix-range: the final LAST bytes */
		if (last == 0 || size == 0)
			return 0;
		r->first = last >= size ? 0 : size - last;
		r->last = size - 1;
		return 1;
	}
	if (got_last && last < first)
		return -1;
	if (first >= size)
		return 0;
	r->first = first;
	r->last = (!got_last || last >= size) ? size - 1 : last;
	return 1;
}

/* Insert R into the first *N entries of OUT, keeping them sorted by first. */
static void insert_sorted(struct http_range *out, unsigned *n, struct http_range r)
{
	unsigned i = *n;

	while (i > 0 && out[i - 1].first > r.first) {
		out[i] = out[i - 1];
		i--;
	}
	out[i] = r;
	(*n)++;
}

/* Merge overlapping and adjacent neighbours of sorted OUT in place; returns the new count. */
static unsigned coalesce(struct http_range *out, unsigned n)
{
	unsigned w = 0;

	for (unsigned i = 1; i < n; i++) {
		/* last < size <= UINT64_MAX, so last + 1 cannot wrap */
		if (out[i].first <= out[w].last + 1) {
			if (out[i].last > out[w].last)
				out[w].last = out[i].last;
		} else {
			out[++w] = out[i];
		}
	}
	return n ? w + 1 : 0;
}

/*
 * Walk the comma-separated range-set, storing satisfiable ranges sorted in
 * OUT[0..*N).  Returns 0, or -1 on a syntax error, more than MAX range-specs,
 * or none at all (empty list elements do not count).
 */
static int parse_set(struct range_cursor *c, uint64_t size, struct http_range *out, unsigned max,
		     unsigned *n)
{
	unsigned specs = 0;

	for (;;) {
		struct http_range r;
		int rc;

		skip_ows(c);
		if (c->p >= c->end)
			return specs ? 0 : -1;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (specs++ == max)
			return -1;
		rc = parse_spec(c, size, &r);
		if (rc < 0)
			return -1;
		if (rc > 0)
			insert_sorted(out, n, r);
		skip_ows(c);
		if (c->p < c->end && *c->p++ != ',')
			return -1;
	}
}

enum http_range_result http_range_parse(const char *value, size_t len, uint64_t size,
					struct http_range *out, unsigned max, unsigned *n)
{
	struct range_cursor c;

	*n = 0;
	if (len == 0) /* VALUE may be NULL then, and NULL + 0 is undefined */
		return HTTP_RANGE_IGNORE;
	c.p = value;
	c.end = value + len;
	skip_ows(&c);
	if (!parse_unit(&c))
		return HTTP_RANGE_IGNORE;
	if (parse_set(&c, size, out, max, n) < 0) {
		*n = 0;
		return HTTP_RANGE_IGNORE;
	}
	if (*n == 0)
		return HTTP_RANGE_UNSATISFIABLE;
	*n = coalesce(out, *n);
	return HTTP_RANGE_OK;
}
