/*
 * Language tags (language.h): RFC 5646 syntax and canonical case, the
 * language subtag mapped through the ISO 639-2 table of languages.inc.
 */
#include "language.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct lang_row langs[] = {
#define TC_LANG(code, tag, english, own) {code, tag, english, own},
#include "languages.inc"
#undef TC_LANG
};

#define NLANGS (sizeof(langs) / sizeof(langs[0]))

const struct lang_row *lang_find(const char *code)
{
	for (size_t i = 0; i < NLANGS; i++)
		if (strcmp(langs[i].code, code) == 0 || strcmp(langs[i].tag, code) == 0)
			return &langs[i];
	return NULL;
}

const struct lang_row *lang_find_name(const char *name)
{
	for (size_t i = 0; i < NLANGS; i++)
		if (strcasecmp(langs[i].english, name) == 0 ||
		    (langs[i].own[0] && strcasecmp(langs[i].own, name) == 0))
			return &langs[i];
	return NULL;
}

/* Are the N bytes of S all IS, and N > 0? */
static int all(const char *s, size_t n, int (*is)(int))
{
	for (size_t i = 0; i < n; i++)
		if (!is((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/*
 * The kind of subtag S (N bytes) at position POS of a tag, after one of kind
 * PREV, per RFC 5646 section 2.1: 'l' language, 'e' extlang, 's' script,
 * 'r' region, 'v' variant, 'x' singleton or what follows it; 0 if not allowed.
 */
static int subtag_kind(const char *s, size_t n, int prev)
{
	if (prev == 'x' || prev == 'X')
		return n >= 1 && n <= 8 && all(s, n, isalnum) ? 'X' : 0;
	if (prev == 0 && n == 1 && (s[0] == 'x' || s[0] == 'X'))
		return 'x'; /* a private-use tag, "x-..." */
	if (prev == 0)	    /* 5 to 8 letters are allowed, but none is registered */
		return n >= 2 && n <= 3 && all(s, n, isalpha) ? 'l' : 0;
	if (n == 1 && isalnum((unsigned char)s[0]))
		return 'x';
	if (n == 3 && all(s, n, isalpha) && (prev == 'l' || prev == 'e'))
		return 'e';
	if (n == 4 && all(s, n, isalpha) && (prev == 'l' || prev == 'e'))
		return 's';
	if (((n == 2 && all(s, n, isalpha)) || (n == 3 && all(s, n, isdigit))) &&
	    (prev == 'l' || prev == 'e' || prev == 's'))
		return 'r';
	if (((n >= 5 && n <= 8) || (n == 4 && isdigit((unsigned char)s[0]))) && all(s, n, isalnum))
		return 'v';
	return 0;
}

/* Write subtag S (N bytes) of kind K in its canonical case (RFC 5646 2.1.1). */
static void put_subtag(char *out, size_t *o, const char *s, size_t n, int k)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (k == 'r' || (k == 's' && i == 0))
			out[(*o)++] = (char)toupper(c);
		else
			out[(*o)++] = (char)tolower(c);
	}
}

/*
 * IN as a well-formed RFC 5646 tag in canonical case ('_' taken for '-') into
 * OUT (LANG_TAG_MAX + 1 bytes), the language subtag mapped through the table.
 * Returns 0, or -1 when IN is not a tag or too long.
 */
static int canonical(const char *in, char *out)
{
	char sub[16];
	size_t o = 0;
	int prev = 0;

	while (*in) {
		size_t n = strcspn(in, "-_");
		const struct lang_row *l;
		int k = n < sizeof(sub) ? subtag_kind(in, n, prev) : 0;

		if (!k || o + n + 1 > LANG_TAG_MAX)
			return -1;
		if (prev)
			out[o++] = '-';
		put_subtag(out, &o, in, n, k);
		out[o] = '\0';
		if (k == 'l' && (l = lang_find(out)) != NULL)
			o = (size_t)snprintf(out, LANG_TAG_MAX + 1, "%s", l->tag);
		prev = k;
		in += n;
		if (*in && !*++in)
			return -1; /* a trailing '-' */
	}
	return prev == 'x' ? -1 : 0;
}

int lang_tag(const char *in, char out[LANG_TAG_MAX + 1])
{
	const struct lang_row *l;
	char trimmed[64];
	size_t n;

	while (in && isspace((unsigned char)*in))
		in++;
	n = in ? strlen(in) : 0;
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	snprintf(trimmed, sizeof(trimmed), "%.*s", (int)n, in ? in : "");
	if (n > 0 && n < sizeof(trimmed) && canonical(trimmed, out) == 0)
		return 0;
	if (n > 0 && n < sizeof(trimmed) && (l = lang_find_name(trimmed)) != NULL) {
		snprintf(out, LANG_TAG_MAX + 1, "%s", l->tag);
		return 0;
	}
	snprintf(out, LANG_TAG_MAX + 1, "und");
	return -1;
}

const char *lang_name(const char *tag)
{
	char primary[16];
	const struct lang_row *l;
	size_t n = strcspn(tag, "-");

	if (n >= sizeof(primary) || strcmp(tag, "und") == 0)
		return NULL;
	snprintf(primary, sizeof(primary), "%.*s", (int)n, tag);
	if (!(l = lang_find(primary)))
		return NULL;
	return l->own[0] ? l->own : l->english;
}
