/*
 * The Cache-Control field (RFC 9111 section 5.2) of requests and responses:
 * a comma-separated list of directives, each a token with an optional
 * "=" and a token or quoted-string argument.  Directives this code does not
 * know are skipped; a known directive with an argument that is not valid
 * (a delta-seconds that is not digits, a quoted value with a bad escape) is
 * ignored as if absent, and the first occurrence of a directive wins.
 * No allocation; nothing is kept of the input.
 */
#ifndef REEL_CACHE_CONTROL_H
#define REEL_CACHE_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_CONTROL_DIRECTIVES(X)                                                                \
	X(NO_STORE, "no-store")                                                                    \
	X(NO_CACHE, "no-cache")                                                                    \
	X(PRIVATE, "private")                                                                      \
	X(PUBLIC, "public")                                                                        \
	X(MUST_REVALIDATE, "must-revalidate")                                                      \
	X(PROXY_REVALIDATE, "proxy-revalidate")                                                    \
	X(NO_TRANSFORM, "no-transform")                                                            \
	X(MUST_UNDERSTAND, "must-understand")                                                      \
	X(IMMUTABLE, "immutable")                                                                  \
	X(ONLY_IF_CACHED, "only-if-cached")

enum {
#define X(name, text) CC_BIT_##name,
	CACHE_CONTROL_DIRECTIVES(X)
#undef X
};

enum {
#define X(name, text) CC_##name = 1u << CC_BIT_##name,
	CACHE_CONTROL_DIRECTIVES(X)
#undef X
};

#define CC_UNSET     (-1)	  /* a delta directive that is absent */
#define CC_ANY	     INT64_MAX	  /* max-stale without a value */
#define CC_DELTA_MAX 2147483648LL /* larger delta-seconds are taken as this (RFC 9111 1.2.2) */

struct cache_control {
	unsigned flags; /* CC_* bits */
	int64_t max_age, s_maxage, max_stale, min_fresh;
	int64_t stale_while_revalidate, stale_if_error;
	unsigned qualified; /* CC_NO_CACHE, CC_PRIVATE: given with field names */
};

/* CC without any directive (every delta CC_UNSET). */
void cache_control_init(struct cache_control *cc);

/*
 * Add the directives of one field line P[0..N) to CC (a field sent on
 * several lines is their concatenation with commas, so call this once per
 * line, in order).  Never fails: malformed members are skipped up to the
 * next comma outside a quoted string.  Returns how many members were not
 * understood (unknown directives and invalid arguments), for tests.
 */
unsigned cache_control_parse(struct cache_control *cc, const char *p, size_t n);

#endif
