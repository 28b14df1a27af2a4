/*
 * Search (viewing_search, viewing.h): the catalog finds the titles that
 * match (catalog_search_in: its index), and they are ranked by how they
 * matched, then by their plays in the popularity window.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "fold.h"
#include "store.h"
#include "viewing/viewing_int.h"

#define QUERY_MAX 512 /* bytes of a folded query */

static const char *const match_names[] = {
    [CATALOG_MATCH_EXACT] = "exact",
    [CATALOG_MATCH_PREFIX] = "prefix",
    [CATALOG_MATCH_NAME_WORDS] = "title_words",
    [CATALOG_MATCH_WORDS] = "words",
};

struct hit {
	char id[TITLE_ID_MAX + 1];
	enum catalog_match match;
	uint32_t plays;
};

struct hits {
	struct hit *v;
	size_t n, cap;
	const struct viewing *viewing;
};

static int add_hit(void *arg, const char *id, enum catalog_match match)
{
	struct hits *h = arg;

	if (array_reserve((void **)&h->v, &h->cap, h->n, sizeof(*h->v), 64) != 0)
		return -ENOMEM;
	snprintf(h->v[h->n].id, sizeof(h->v[h->n].id), "%s", id);
	h->v[h->n].match = match;
	h->v[h->n++].plays = viewing_plays(h->viewing, id);
	return 0;
}

static int best_first(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->match != y->match)
		return x->match < y->match ? -1 : 1;
	if (x->plays != y->plays)
		return x->plays > y->plays ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The LIMIT best of H as the answer's results, read in T. */
static json_t *results(struct viewing *v, struct store_txn *t, struct hits *h, size_t limit)
{
	json_t *arr = json_array();

	if (h->n)
		qsort(h->v, h->n, sizeof(*h->v), best_first);
	for (size_t i = 0; arr && i < h->n && json_array_size(arr) < limit; i++) {
		struct title_info ti;

		if (viewing_title_in(v, t, h->v[i].id, &ti) &&
		    json_array_append_new(
			arr, json_pack("{s:s, s:s, s:f, s:s, s:I}", "title", ti.id, "name", ti.name,
				       "duration", ti.duration, "match", match_names[h->v[i].match],
				       "plays", (json_int_t)h->v[i].plays)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

int viewing_search(struct viewing *v, const char *query, const char *lang, size_t limit,
		   json_t **out)
{
	char phrase[QUERY_MAX + 1];
	struct hits h = {NULL, 0, 0, v};
	struct store_txn *t;
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	fold_phrase(query, strlen(query), phrase, sizeof(phrase));
	if ((rc = store_begin(v->st, false, &t)) != 0)
		return rc;
	if ((rc = catalog_search_in(v->cat, t, phrase, lang, add_hit, &h)) == 0 &&
	    !(arr = results(v, t, &h, limit)))
		rc = -ENOMEM;
	store_abort(t);
	free(h.v);
	if (rc == 0 && !(*out = json_pack("{s:s, s:o}", "query", phrase, "results", arr)))
		rc = -ENOMEM;
	return rc;
}
