/*
 * Range requests (RFC 9110 section 14): parse a Range header value against a
 * representation of known length, coalesce overlapping and adjacent ranges, and
 * decide between 206, 416 and ignoring the header (200).
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HTTP_RANGE_H
#define REEL_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

struct http_range {
	uint64_t first; /* first byte offset, inclusive */
	uint64_t last;	/* last byte offset, inclusive */
};

enum http_range_result {
	HTTP_RANGE_IGNORE = 0,	      /* invalid syntax, other unit, too many: send 200 */
	HTTP_RANGE_OK = 1,	      /* out[0..*n) hold sorted, disjoint ranges: send 206 */
	HTTP_RANGE_UNSATISFIABLE = 2, /* valid, but no range overlaps: 416 bytes * /LEN */
};

/*
 * Parse VALUE (LEN bytes, not NUL-terminated; the field value without the name)
 * for a representation of SIZE bytes.  At most MAX ranges are accepted, counted
 * before coalescing; more makes the result HTTP_RANGE_IGNORE.  OUT, the
 * caller's, must have room for MAX entries; *N receives how many were stored (after coalescing,
 * sorted by offset).  Unit names compare case-insensitively; whitespace around
 * commas (and around the whole value) is allowed; empty list elements
 * ("bytes=0-1,,2-3") are allowed as RFC 9110 list syntax says, but at least
 * one range-spec is required.  A range whose last-pos is below its first-pos,
 * or a number that does not fit in 64 bits, is a syntax error (IGNORE).  A
 * first-pos at or past SIZE, or the suffix "-0", is unsatisfiable; last-pos
 * is clipped to SIZE - 1.  With SIZE 0 every valid header is UNSATISFIABLE.
 * *N is 0 unless the result is HTTP_RANGE_OK.  No allocation; never reads
 * outside VALUE[0..LEN), and VALUE may be NULL when LEN is 0.
 */
enum http_range_result http_range_parse(const char *value, size_t len, uint64_t size,
					struct http_range *out, unsigned max, unsigned *n);

#endif
