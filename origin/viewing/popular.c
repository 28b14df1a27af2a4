/*
 * Popularity: plays by day (tables.h: plays), one per viewer, title and
 * day, summed over the window of [viewing] popular_window days once a
 * minute into a ranking in memory, so no request scans the days.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "schema.h"
#include "store.h"
#include "viewing/viewing_int.h"

#define KEY_MAX (4 + TITLE_ID_MAX)

static size_t day_key(unsigned char *key, uint32_t day, const char *title)
{
	size_t n = title ? strlen(title) : 0;

	key[0] = (unsigned char)(day >> 24);
	key[1] = (unsigned char)(day >> 16);
	key[2] = (unsigned char)(day >> 8);
	key[3] = (unsigned char)day;
	if (n)
		memcpy(key + 4, title, n);
	return 4 + n;
}

static uint32_t day_of(const unsigned char *key)
{
	return (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
}

int popular_add_in(struct store_txn *t, uint32_t day, const char *title, int delta)
{
	unsigned char key[KEY_MAX];

	if (strlen(title) > TITLE_ID_MAX)
		return -EINVAL;
	return viewing_count_add_in(t, ORIGIN_DB_PLAYS, key, day_key(key, day, title), delta);
}

/* Keys of days before a day, gathered to be deleted after the scan. */
struct old_days {
	uint32_t before;
	unsigned char keys[1024][KEY_MAX];
	size_t len[1024], n;
};

static int gather(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct old_days *o = arg;

	if (klen < 4 || klen > KEY_MAX || day_of(key) >= o->before)
		return 1;
	memcpy(o->keys[o->n], key, klen);
	o->len[o->n] = klen;
	return ++o->n == 1024 ? 1 : 0;
}

int popular_prune_in(struct store_txn *t, uint32_t day)
{
	struct old_days *o = malloc(sizeof(*o));
	int rc = o ? 0 : -ENOMEM;

	while (rc == 0) {
		o->before = day;
		o->n = 0;
		if ((rc = store_scan(t, ORIGIN_DB_PLAYS, NULL, 0, gather, o)) != 0 || o->n == 0)
			break;
		for (size_t i = 0; i < o->n && rc == 0; i++)
			rc = store_del(t, ORIGIN_DB_PLAYS, o->keys[i], o->len[i]);
	}
	free(o);
	return rc;
}

static int add_plays(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	char id[TITLE_ID_MAX + 1];
	uint32_t *n;

	if (klen <= 4 || klen > KEY_MAX)
		return 0;
	memcpy(id, (const char *)key + 4, klen - 4);
	id[klen - 4] = '\0';
	if (!(n = idmap_put(arg, id, NULL)))
		return -ENOMEM;
	*n += viewing_count_of(val, vlen);
	return 0;
}

int popular_by_plays(const void *a, const void *b)
{
	const struct popular_title *x = a, *y = b;

	if (x->plays != y->plays)
		return x->plays > y->plays ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The ranking of PLAYS into *TOP, *N. */
static int rank(struct idmap *plays, struct popular_title **top, size_t *n)
{
	*n = 0;
	if (!(*top = calloc(idmap_count(plays) + 1, sizeof(**top))))
		return -ENOMEM;
	for (size_t i = 0; i < idmap_slots(plays); i++) {
		void *v;
		const char *id = idmap_slot(plays, i, &v);

		if (id) {
			snprintf((*top)[*n].id, sizeof((*top)[*n].id), "%s", id);
			(*top)[(*n)++].plays = *(uint32_t *)v;
		}
	}
	qsort(*top, *n, sizeof(**top), popular_by_plays);
	return 0;
}

int popular_count_in(struct viewing *v, struct store_txn *t, uint32_t day)
{
	struct idmap *plays = idmap_new(sizeof(uint32_t));
	struct popular_title *top = NULL;
	unsigned char key[4];
	size_t n = 0;
	int rc = plays ? 0 : -ENOMEM;

	for (uint32_t d = day >= v->p.window_days ? day + 1 - v->p.window_days : 0;
	     rc == 0 && d <= day; d++)
		rc = store_scan(t, ORIGIN_DB_PLAYS, key, day_key(key, d, NULL), add_plays, plays);
	if (rc == 0)
		rc = rank(plays, &top, &n);
	if (rc != 0) {
		idmap_free(plays);
		free(top);
		return rc;
	}
	popular_free(v);
	v->plays = plays;
	v->top = top;
	v->ntop = n;
	return 0;
}

uint32_t viewing_plays(const struct viewing *v, const char *title)
{
	uint32_t *n = v->plays ? idmap_get(v->plays, title) : NULL;

	return n ? *n : 0;
}

void popular_free(struct viewing *v)
{
	idmap_free(v->plays);
	free(v->top);
	v->plays = NULL;
	v->top = NULL;
	v->ntop = 0;
}

/* Add ID to the set ARG (the titles of a language). */
static int add_title(void *arg, const char *id)
{
	return idmap_put(arg, id, NULL) ? 0 : -ENOMEM;
}

int viewing_popular(struct viewing *v, const char *lang, size_t limit, json_t **out)
{
	struct idmap *speaking = lang ? idmap_new(0) : NULL;
	struct store_txn *t;
	json_t *arr = json_array();
	int rc = arr && (!lang || speaking) ? store_begin(v->st, false, &t) : -ENOMEM;

	*out = NULL;
	if (rc != 0) {
		json_decref(arr);
		idmap_free(speaking);
		return rc;
	}
	if (lang)
		rc = catalog_language_titles_in(v->cat, t, lang, add_title, speaking);
	for (size_t i = 0; rc == 0 && i < v->ntop && json_array_size(arr) < limit; i++) {
		struct title_info ti;

		if ((lang && !idmap_get(speaking, v->top[i].id)) ||
		    !viewing_title_in(v, t, v->top[i].id, &ti))
			continue;
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:I}", "title", ti.id,
							 "name", ti.name, "duration", ti.duration,
							 "plays", (json_int_t)v->top[i].plays)) !=
		    0)
			rc = -ENOMEM;
	}
	store_abort(t);
	idmap_free(speaking);
	if (rc == 0 &&
	    !(*out = json_pack("{s:o, s:i}", "titles", arr, "window_days", (int)v->p.window_days)))
		rc = -ENOMEM;
	else if (rc != 0)
		json_decref(arr);
	return rc;
}
