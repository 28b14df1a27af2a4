/*
 * Cache-Control parsing (see cache_control.h): one pass over each field
 * line, a member at a time, with quoted strings skipped as units so that a
 * comma or a "max-age=" inside one is never taken for a directive.
 */
#include "cache_control.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned bit;
} flag_names[] = {
#define X(name, text) {text, CC_##name},
    CACHE_CONTROL_DIRECTIVES(X)
#undef X
};

void cache_control_init(struct cache_control *cc)
{
	*cc = (struct cache_control){.max_age = CC_UNSET,
				     .s_maxage = CC_UNSET,
				     .max_stale = CC_UNSET,
				     .min_fresh = CC_UNSET,
				     .stale_while_revalidate = CC_UNSET,
				     .stale_if_error = CC_UNSET};
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The argument of a member: a token or the inside of a quoted string, unescaped. */
struct arg {
	char v[64];
	size_t len;
	bool present, valid, truncated;
};

/* A quoted string at P[*I] (the opening quote): into A, *I past its end.  False when unclosed. */
static bool read_quoted(const char *p, size_t n, size_t *i, struct arg *a)
{
	size_t j = *i + 1;

	for (; j < n && p[j] != '"'; j++) {
		if (p[j] == '\\' && ++j == n)
			return false;
		if (a->len < sizeof(a->v) - 1)
			a->v[a->len++] = p[j];
		else
			a->truncated = true;
	}
	if (j == n)
		return false;
	*i = j + 1;
	return true;
}

static void read_token(const char *p, size_t n, size_t *i, struct arg *a)
{
	for (; *i < n && is_tchar(p[*i]); (*i)++) {
		if (a->len < sizeof(a->v) - 1)
			a->v[a->len++] = p[*i];
		else
			a->truncated = true;
	}
}

/* Skip to the comma that ends the current member (outside quoted strings). */
static size_t skip_member(const char *p, size_t n, size_t i)
{
	while (i < n && p[i] != ',') {
		if (p[i] == '"') {
			struct arg scratch = {0};

			if (!read_quoted(p, n, &i, &scratch))
				return n;
		} else {
			i++;
		}
	}
	return i;
}

/* delta-seconds (1*DIGIT), capped at CC_DELTA_MAX: the value, or -1 when not digits. */
static int64_t delta_seconds(const struct arg *a)
{
	int64_t v = 0;

	if (!a->present || a->len == 0 || a->truncated)
		return a->truncated && a->len ? CC_DELTA_MAX : -1;
	for (size_t i = 0; i < a->len; i++) {
		if (a->v[i] < '0' || a->v[i] > '9')
			return -1;
		if (v < CC_DELTA_MAX)
			v = v * 10 + (a->v[i] - '0');
	}
	return v > CC_DELTA_MAX ? CC_DELTA_MAX : v;
}

static int64_t *delta_slot(struct cache_control *cc, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} deltas[] = {
	    {"max-age", offsetof(struct cache_control, max_age)},
	    {"s-maxage", offsetof(struct cache_control, s_maxage)},
	    {"max-stale", offsetof(struct cache_control, max_stale)},
	    {"min-fresh", offsetof(struct cache_control, min_fresh)},
	    {"stale-while-revalidate", offsetof(struct cache_control, stale_while_revalidate)},
	    {"stale-if-error", offsetof(struct cache_control, stale_if_error)},
	};

	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++)
		if (strlen(deltas[i].name) == len && strncasecmp(deltas[i].name, name, len) == 0)
			return (int64_t *)((char *)cc + deltas[i].off);
	return NULL;
}

/* Apply one member NAME[0..LEN) with argument A: false when it is not understood. */
static bool apply(struct cache_control *cc, const char *name, size_t len, const struct arg *a)
{
	int64_t *slot = delta_slot(cc, name, len), v;

	if (slot) {
		v = delta_seconds(a);
		if (!a->present && slot == &cc->max_stale)
			v = CC_ANY;
		if (v < 0)
			return false;
		if (*slot == CC_UNSET)
			*slot = v;
		return true;
	}
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (strlen(flag_names[i].name) != len || strncasecmp(flag_names[i].name, name, len))
			continue;
		cc->flags |= flag_names[i].bit;
		if (a->present && (flag_names[i].bit & (CC_NO_CACHE | CC_PRIVATE)))
			cc->qualified |= flag_names[i].bit;
		return true;
	}
	return false;
}

unsigned cache_control_parse(struct cache_control *cc, const char *p, size_t n)
{
	unsigned bad = 0;
	size_t i = 0;

	while (i < n) {
		struct arg a = {0};
		size_t name, name_len;
		bool ok = true;

		while (i < n && (is_ows(p[i]) || p[i] == ','))
			i++;
		if (i == n)
			break;
		name = i;
		while (i < n && is_tchar(p[i]))
			i++;
		name_len = i - name;
		if (i < n && p[i] == '=') {
			a.present = true;
			i++;
			if (i < n && p[i] == '"')
				ok = read_quoted(p, n, &i, &a);
			else
				read_token(p, n, &i, &a);
		}
		while (ok && i < n && is_ows(p[i]))
			i++;
		if (!ok || name_len == 0 || (i < n && p[i] != ',')) {
			bad++;
			i = skip_member(p, n, i);
			continue;
		}
		bad += !apply(cc, p + name, name_len, &a);
	}
	return bad;
}
