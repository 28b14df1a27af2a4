/* Search folding (fold.h) over the generated tables of fold.inc. */
#include "fold.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct fold_class {
	uint32_t first, last;
	char kind; /* 's' separator, 'm' a mark that vanishes */
};

struct fold_map {
	uint32_t cp;
	const char *to; /* UTF-8 */
};

static const struct fold_class classes[] = {
#define FOLD_CLASS(first, last, kind) {first, last, kind},
#include "fold.inc"
#undef FOLD_CLASS
};

static const struct fold_map maps[] = {
#define FOLD_MAP(cp, to) {cp, to},
#include "fold.inc"
#undef FOLD_MAP
};

#define NCLASSES (sizeof(classes) / sizeof(classes[0]))
#define NMAPS	 (sizeof(maps) / sizeof(maps[0]))

static int cmp_class(const void *key, const void *elem)
{
	uint32_t cp = *(const uint32_t *)key;
	const struct fold_class *c = elem;

	return cp < c->first ? -1 : cp > c->last ? 1 : 0;
}

static int cmp_map(const void *key, const void *elem)
{
	uint32_t cp = *(const uint32_t *)key;
	const struct fold_map *m = elem;

	return cp < m->cp ? -1 : cp > m->cp ? 1 : 0;
}

/* The kind of CP (not ASCII): 'w' a word character, 's' a separator, 'm' a vanishing mark. */
static char kind_of(uint32_t cp)
{
	const struct fold_class *c = bsearch(&cp, classes, NCLASSES, sizeof(*c), cmp_class);

	return c ? c->kind : 'w';
}

/* What word character CP (not ASCII) folds to, or NULL when it stays itself. */
static const char *folding_of(uint32_t cp)
{
	const struct fold_map *m = bsearch(&cp, maps, NMAPS, sizeof(*m), cmp_map);

	return m ? m->to : NULL;
}

/* The phrase being written: OUT[0..LEN) of CAP, and the bytes of the word in progress. */
struct phrase {
	char *out;
	size_t len, cap, word; /* WORD: bytes of the current word */
	int gap;	       /* a separator came since the last word byte */
	int full;	       /* something did not fit: nothing more is written */
};

/* Append the folded bytes S[0..N) (one character) to the phrase, if they fit. */
static void put(struct phrase *ph, const char *s, size_t n)
{
	size_t sep = ph->gap && ph->len ? 1 : 0;

	if (ph->full || ph->len + sep + n >= ph->cap) {
		ph->full = 1;
		return;
	}
	if (ph->gap) {
		if (sep)
			ph->out[ph->len++] = ' ';
		ph->gap = 0;
		ph->word = 0;
	}
	if (ph->word + n > FOLD_WORD_MAX)
		return;
	memcpy(ph->out + ph->len, s, n);
	ph->len += n;
	ph->word += n;
}

size_t fold_phrase(const char *in, size_t len, char *out, size_t cap)
{
	struct phrase ph = {out, 0, cap, 0, 1, 0};
	const unsigned char *s = (const unsigned char *)in, *end = s + len;

	while (s < end) {
		uint32_t cp = 0;
		size_t n = utf8_decode(s, (size_t)(end - s), &cp);
		const char *to;
		char k;

		if (n == 0) {
			ph.gap = 1;
			s++;
			continue;
		}
		if (cp < 0x80) {
			char c = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);

			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				put(&ph, &c, 1);
			else
				ph.gap = 1;
		} else if ((k = kind_of(cp)) == 's') {
			ph.gap = 1;
		} else if (k == 'w') {
			to = folding_of(cp);
			put(&ph, to ? to : (const char *)s, to ? strlen(to) : n);
		}
		s += n;
	}
	out[ph.len] = '\0';
	return ph.len;
}

int fold_next_word(const char **p, const char **w, size_t *n)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (!*s)
		return -1;
	*w = s;
	while (*s && *s != ' ')
		s++;
	*n = (size_t)(s - *w);
	*p = s;
	return 0;
}
