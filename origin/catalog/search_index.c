/*
 * The catalog's search index (tables.h, title_terms): the folded words of
 * each title's name and description, its folded name whole, and its
 * languages, written with the title; and the search over them
 * (catalog_search_in, catalog.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "fold.h"
#include "idmap.h"
#include "records.h"
#include "schema.h"
#include "store.h"

#define INDEX_FORMAT "1"
#define NAME_FOLDED  (2 * TITLE_NAME_MAX + 1)
#define DESC_FOLDED  (2 * TITLE_DESC_MAX + 1)
#define NAME_KEY     400 /* bytes of a folded name in its key (LMDB keys: 511 at most) */
#define KEY_MAX	     (1 + NAME_KEY + 1 + TITLE_ID_MAX)

enum { IN_NAME = 1, IN_DESC = 2 };	/* a word's flags */
enum { LANG_AUDIO = 1, LANG_SUBS = 2 }; /* a language's flags */

/* A key of the index: KIND, TEXT[0..N), NUL, the title ID. */
static size_t make_key(char *key, char kind, const char *text, size_t n, const char *id)
{
	size_t idlen = strlen(id);

	key[0] = kind;
	memcpy(key + 1, text, n);
	key[1 + n] = '\0';
	memcpy(key + 2 + n, id, idlen);
	return 2 + n + idlen;
}

/* A word of a title and where it is. */
struct word {
	const char *w;
	size_t n;
	unsigned char flags;
};

static int cmp_word(const void *a, const void *b)
{
	const struct word *x = a, *y = b;
	int c = memcmp(x->w, y->w, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Append the words of the folded PHRASE to WORDS (room for CAP) with FLAGS; the new count. */
static size_t add_words(struct word *words, size_t n, size_t cap, const char *phrase,
			unsigned char flags)
{
	const char *p = phrase, *w;
	size_t len;

	while (n < cap && fold_next_word(&p, &w, &len) == 0)
		words[n++] = (struct word){w, len, flags};
	return n;
}

/* What one change of the index does with a key: put it with a value, or delete it. */
struct change {
	struct store_txn *t;
	bool put;
};

static int apply(struct change *ch, const char *key, size_t klen, unsigned char flags)
{
	int rc;

	if (ch->put)
		return store_put(ch->t, ORIGIN_DB_TERMS, key, klen, &flags, flags ? 1 : 0, false);
	rc = store_del(ch->t, ORIGIN_DB_TERMS, key, klen);
	return rc == -ENOENT ? 0 : rc;
}

/* The name and word keys of title ID with NAME and DESC (may be NULL). */
static int index_text(struct change *ch, const char *id, const char *name, const char *desc)
{
	char *fname = malloc(NAME_FOLDED), *fdesc = malloc(DESC_FOLDED), key[KEY_MAX];
	char whole[NAME_KEY + 1];
	struct word *words = malloc(DESC_FOLDED / 2 * sizeof(*words));
	size_t n = 0, nlen;
	int rc = -ENOMEM;

	if (!fname || !fdesc || !words)
		goto out;
	fold_phrase(name, strlen(name), fname, NAME_FOLDED);
	fold_phrase(desc ? desc : "", desc ? strlen(desc) : 0, fdesc, DESC_FOLDED);
	n = add_words(words, n, DESC_FOLDED / 2, fname, IN_NAME);
	n = add_words(words, n, DESC_FOLDED / 2, fdesc, IN_DESC);
	qsort(words, n, sizeof(*words), cmp_word);
	nlen = fold_phrase(name, strlen(name), whole, sizeof(whole));
	rc = nlen ? apply(ch, key, make_key(key, 'p', whole, nlen, id), 0) : 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char flags = words[i].flags;

		while (i + 1 < n && cmp_word(&words[i], &words[i + 1]) == 0)
			flags |= words[++i].flags;
		rc = apply(ch, key, make_key(key, 'w', words[i].w, words[i].n, id), flags);
	}
out:
	free(fname);
	free(fdesc);
	free(words);
	return rc;
}

/* The language keys of title REC (ID): its audio and subtitle languages, as canonical tags. */
static int index_languages(struct change *ch, const char *id, json_t *rec)
{
	static const char *const lists[] = {"audio_languages", "subtitle_languages"};
	char tags[2 * 64][LANG_TAG_MAX + 1], key[KEY_MAX];
	unsigned char flags[2 * 64];
	size_t n = 0, i, j;
	json_t *s;
	int rc = 0;

	for (int l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(rec, lists[l]), i, s)
		{
			if (n == 2 * 64 || !json_is_string(s) ||
			    lang_tag(json_string_value(s), tags[n]) != 0 ||
			    strcmp(tags[n], "und") == 0)
				continue;
			for (j = 0; j < n && strcmp(tags[j], tags[n]) != 0; j++)
				;
			if (j == n)
				flags[n++] = 0;
			flags[j] |= l == 0 ? LANG_AUDIO : LANG_SUBS;
		}
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = apply(ch, key, make_key(key, 'l', tags[i], strlen(tags[i]), id), flags[i]);
	return rc;
}

/* Put or delete every key of catalog record REC. */
static int index_record(struct store_txn *t, json_t *rec, bool put)
{
	struct change ch = {t, put};
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *name = json_string_value(json_object_get(rec, "name"));
	int rc;

	if (!id || !name || !title_id_valid(id, strlen(id)))
		return -EIO;
	rc = index_text(&ch, id, name, json_string_value(json_object_get(rec, "description")));
	return rc ? rc : index_languages(&ch, id, rec);
}

int search_index_put_in(struct store_txn *t, json_t *rec)
{
	return index_record(t, rec, true);
}

int search_index_del_in(struct store_txn *t, json_t *rec)
{
	return index_record(t, rec, false);
}

/* ---- rebuilding ---- */

/* Up to 1024 keys of the index, gathered to be deleted after the scan. */
struct doomed {
	char keys[1024][KEY_MAX];
	size_t len[1024], n;
};

static int gather(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct doomed *d = arg;

	if (klen > KEY_MAX)
		return -EIO;
	memcpy(d->keys[d->n], key, klen);
	d->len[d->n] = klen;
	return ++d->n == 1024 ? 1 : 0;
}

/* Delete every key of the index, a batch at a time. */
static int clear_index(struct store_txn *t)
{
	struct doomed *d = malloc(sizeof(*d));
	int rc = d ? 0 : -ENOMEM;

	while (rc == 0) {
		d->n = 0;
		if ((rc = store_scan(t, ORIGIN_DB_TERMS, NULL, 0, gather, d)) != 0 || d->n == 0)
			break;
		for (size_t i = 0; i < d->n && rc == 0; i++)
			rc = store_del(t, ORIGIN_DB_TERMS, d->keys[i], d->len[i]);
	}
	free(d);
	return rc;
}

static int index_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	return rec ? search_index_put_in(arg, rec) : 0; /* a damaged record is not found */
}

int search_index_check(struct store *st)
{
	struct store_txn *t;
	const void *v;
	size_t vlen;
	int rc = store_begin(st, true, &t);

	if (rc != 0)
		return rc;
	rc = store_get(t, ORIGIN_DB_TERMS, "v", 1, &v, &vlen);
	if (rc == 0 && vlen == strlen(INDEX_FORMAT) && memcmp(v, INDEX_FORMAT, vlen) == 0) {
		store_abort(t);
		return 0;
	}
	if ((rc = clear_index(t)) == 0 &&
	    (rc = records_scan(t, ORIGIN_DB_TITLES, NULL, 0, index_one, t)) == 0)
		rc = store_put(t, ORIGIN_DB_TERMS, "v", 1, INDEX_FORMAT, strlen(INDEX_FORMAT),
			       false);
	return store_finish(t, rc);
}

/* ---- searching ---- */

/* A title found so far and what of the query it matched. */
struct cand {
	unsigned char hits, name_hits; /* words of the query it has (in its name) */
	unsigned char seen, seen_name; /* 1 + the last word that counted in HITS, NAME_HITS */
	bool named;		       /* its name matched the whole query */
	enum catalog_match match;      /* when NAMED */
};

struct search {
	struct store_txn *t;
	struct idmap *found;
	const char *word; /* the query word being looked up */
	size_t wlen, scanned;
	unsigned term; /* its place in the query */
	const char *phrase;
};

/* The title id after the NUL of index key KEY[0..KLEN) into ID; false when it has none. */
static bool key_id(const char *key, size_t klen, char id[TITLE_ID_MAX + 1])
{
	const char *nul = memchr(key, '\0', klen);
	size_t n = nul ? klen - (size_t)(nul + 1 - key) : 0;

	if (!n || n > TITLE_ID_MAX)
		return false;
	memcpy(id, nul + 1, n);
	id[n] = '\0';
	return true;
}

/* A "w" key of the query word S->term: count it for its title. */
static int word_hit(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct search *s = arg;
	char id[TITLE_ID_MAX + 1];
	struct cand *c;
	bool in_name = vlen == 1 && (*(const unsigned char *)val & IN_NAME);

	if (++s->scanned > CATALOG_SCAN_MAX)
		return 1;
	if (!key_id(key, klen, id))
		return 0;
	c = s->term == 0 ? idmap_put(s->found, id, NULL) : idmap_get(s->found, id);
	if (s->term == 0 && !c)
		return -ENOMEM;
	if (!c)
		return 0;
	if (c->seen != s->term + 1) { /* the first of its words for this query word */
		if (c->hits != s->term)
			return 0; /* it missed an earlier one */
		c->hits++;
		c->seen = (unsigned char)(s->term + 1);
	}
	if (in_name && c->seen_name != s->term + 1 && c->name_hits == s->term) {
		c->name_hits++;
		c->seen_name = (unsigned char)(s->term + 1);
	}
	return 0;
}

/* A "p" key beginning with the query: its title's name matches whole or as a prefix. */
static int name_hit(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct search *s = arg;
	char id[TITLE_ID_MAX + 1];
	size_t plen = strlen(s->phrase);
	struct cand *c;

	if (!key_id(key, klen, id))
		return 0;
	if (!(c = idmap_put(s->found, id, NULL)))
		return -ENOMEM;
	c->named = true;
	c->match = klen == 2 + plen + strlen(id) ? CATALOG_MATCH_EXACT : CATALOG_MATCH_PREFIX;
	return 0;
}

/* Look up each word of S->phrase (NWORDS of them), the last as a prefix, and the whole name. */
static int find_all(struct search *s, unsigned nwords)
{
	const char *p = s->phrase, *w;
	char key[KEY_MAX];
	size_t n;
	int rc = 0;

	for (s->term = 0; rc == 0 && s->term < nwords && fold_next_word(&p, &w, &n) == 0;
	     s->term++) {
		bool last = s->term + 1 == nwords;

		key[0] = 'w';
		memcpy(key + 1, w, n);
		key[1 + n] = '\0';
		s->scanned = 0;
		rc = store_scan(s->t, ORIGIN_DB_TERMS, key, last ? 1 + n : 2 + n, word_hit, s);
	}
	n = strlen(s->phrase);
	if (rc == 0 && n <= NAME_KEY) {
		key[0] = 'p';
		memcpy(key + 1, s->phrase, n);
		rc = store_scan(s->t, ORIGIN_DB_TERMS, key, 1 + n, name_hit, s);
	}
	return rc;
}

/* Has title ID audio or subtitles in LANG? */
static bool speaks(struct store_txn *t, const char *id, const char *lang)
{
	char key[KEY_MAX];
	const void *v;
	size_t vlen;

	return strlen(lang) <= LANG_TAG_MAX &&
	       store_get(t, ORIGIN_DB_TERMS, key, make_key(key, 'l', lang, strlen(lang), id), &v,
			 &vlen) == 0;
}

int catalog_search_in(struct catalog *c, struct store_txn *t, const char *phrase, const char *lang,
		      int (*fn)(void *arg, const char *id, enum catalog_match match), void *arg)
{
	struct search s = {t, idmap_new(sizeof(struct cand)), NULL, 0, 0, 0, phrase};
	const char *p = phrase, *w;
	unsigned nwords = 0;
	size_t n;
	int rc;

	if (!s.found)
		return -ENOMEM;
	while (nwords < CATALOG_QUERY_WORDS && fold_next_word(&p, &w, &n) == 0)
		nwords++;
	rc = nwords ? find_all(&s, nwords) : 0;
	for (size_t i = 0; rc == 0 && i < idmap_slots(s.found); i++) {
		void *v = NULL;
		const char *id = idmap_slot(s.found, i, &v);
		struct cand *cd = v;

		if (!id || (!cd->named && cd->hits < nwords) || (lang && !speaks(t, id, lang)))
			continue; /* an empty slot's value is not one */
		rc = fn(arg, id,
			cd->named		? cd->match
			: cd->name_hits == nwords ? CATALOG_MATCH_NAME_WORDS
						  : CATALOG_MATCH_WORDS);
	}
	idmap_free(s.found);
	return rc;
}

/* ---- languages ---- */

struct by_language {
	int (*fn)(void *arg, const char *id);
	void *arg;
};

static int language_hit(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct by_language *b = arg;
	char id[TITLE_ID_MAX + 1];

	if (vlen != 1 || !(*(const unsigned char *)val & LANG_AUDIO) || !key_id(key, klen, id))
		return 0;
	return b->fn(b->arg, id);
}

int catalog_language_titles_in(struct catalog *c, struct store_txn *t, const char *lang,
			       int (*fn)(void *arg, const char *id), void *arg)
{
	struct by_language b = {fn, arg};
	char key[2 + LANG_TAG_MAX];
	size_t n = strlen(lang);

	if (n > LANG_TAG_MAX)
		return 0;
	key[0] = 'l';
	memcpy(key + 1, lang, n);
	key[1 + n] = '\0';
	return store_scan(t, ORIGIN_DB_TERMS, key, 2 + n, language_hit, &b);
}

int catalog_languages_in(struct catalog *c, struct store_txn *t, const char *id,
			 char (*langs)[LANG_TAG_MAX + 1], size_t max, size_t *n)
{
	json_t *rec, *s;
	size_t i, j;
	int rc = records_get(t, ORIGIN_DB_TITLES, id, strlen(id), &rec);

	*n = 0;
	if (rc != 0)
		return rc;
	json_array_foreach(json_object_get(rec, "audio_languages"), i, s)
	{
		if (*n == max || !json_is_string(s) ||
		    lang_tag(json_string_value(s), langs[*n]) != 0 || strcmp(langs[*n], "und") == 0)
			continue;
		for (j = 0; j < *n && strcmp(langs[j], langs[*n]) != 0; j++)
			;
		*n += j == *n;
	}
	json_decref(rec);
	return 0;
}
