/*
 * Recommendations (viewing_recommend, viewing.h): item-to-item co-watching
 * from the viewer's latest finishes, each weighed by its age (half of it
 * every [viewing] recency_half_life), with cosine similarity over viewers;
 * then titles in the language of a recent finish; then the popular ones.
 * A request reads its seeds' rows of the co-watching counts (at most
 * VIEWING_SEEDS rows, each at most the catalog's size) and never scans
 * anyone else's history.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "idmap.h"
#include "store.h"
#include "viewing/viewing_int.h"

#define LANGUAGE_SEEDS 3 /* recent finishes whose language may fill what co-watching does not */

struct seed {
	char title[TITLE_ID_MAX + 1];
	double weight;
	uint32_t finishers;
};

/* A candidate of co-watching. */
struct cand {
	double score, best; /* the sum, and the largest part of it */
	uint32_t finishers;
	bool counted;	  /* FINISHERS was read */
	unsigned because; /* the seed of BEST */
};

struct ranked {
	const char *id; /* the candidates' map's */
	double score;
	unsigned because;
};

struct recs {
	struct viewing *v;
	struct store_txn *t;
	const char *uid;
	int64_t now;
	struct seed seeds[VIEWING_SEEDS];
	size_t nseeds;
	unsigned cur;	     /* the seed whose row is read */
	struct idmap *cands; /* struct cand */
	struct idmap *taken; /* titles in the answer (no value) */
	json_t *out;
	size_t limit;
};

/* ---- seeds ---- */

static bool is_seed(const struct recs *r, const char *title)
{
	for (size_t i = 0; i < r->nseeds; i++)
		if (strcmp(r->seeds[i].title, title) == 0)
			return true;
	return false;
}

static int add_seed(void *arg, const char *title)
{
	struct recs *r = arg;
	struct seed *s = &r->seeds[r->nseeds];
	struct watch w;
	int rc;

	if (r->nseeds == VIEWING_SEEDS || is_seed(r, title))
		return 0;
	if ((rc = history_get_in(r->v, r->t, r->uid, title, &w)) != 0 || !w.finished)
		return rc == -ENOENT || rc == -EIO ? 0 : rc;
	snprintf(s->title, sizeof(s->title), "%s", title);
	s->weight = exp2(-(double)(r->now > w.finished ? r->now - w.finished : 0) /
			 (double)(r->v->p.half_life_s > 0 ? r->v->p.half_life_s : 1));
	if ((rc = cowatch_finishers_in(r->t, title, &s->finishers)) == 0)
		r->nseeds++;
	return rc;
}

/* The viewer's latest finishes: the unsaved ones first, then the saved ones. */
static int find_seeds(struct recs *r)
{
	struct pending *p = r->v->pending;
	int rc = 0;

	for (size_t i = pending_count(p); rc == 0 && i-- > 0;) {
		struct pending_entry *e = pending_at(p, i);

		if (e->now.finished && !e->before.finished && strcmp(e->user, r->uid) == 0)
			rc = add_seed(r, e->title);
	}
	return rc ? rc : cowatch_recent_in(r->t, r->uid, VIEWING_SEEDS, add_seed, r);
}

/* ---- co-watching ---- */

static int add_pair(void *arg, const char *other, uint32_t count)
{
	struct recs *r = arg;
	const struct seed *s = &r->seeds[r->cur];
	struct cand *c = idmap_put(r->cands, other, NULL);
	double part;
	int rc;

	if (!c)
		return -ENOMEM;
	if (!c->counted && (rc = cowatch_finishers_in(r->t, other, &c->finishers)) != 0)
		return rc;
	c->counted = true;
	part = s->weight * count /
	       sqrt((double)(s->finishers > count ? s->finishers : count) *
		    (double)(c->finishers > count ? c->finishers : count));
	c->score += part;
	if (part > c->best) {
		c->best = part;
		c->because = r->cur;
	}
	return 0;
}

static int by_score(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The candidates, the best first, into *OUT (allocated: the caller frees it) and *N. */
static int rank_cands(struct recs *r, struct ranked **out, size_t *n)
{
	*n = 0;
	if (!(*out = malloc((idmap_count(r->cands) + 1) * sizeof(**out))))
		return -ENOMEM;
	for (size_t i = 0; i < idmap_slots(r->cands); i++) {
		void *v;
		const char *id = idmap_slot(r->cands, i, &v);
		struct cand *c = v;

		if (id)
			(*out)[(*n)++] = (struct ranked){id, c->score, c->because};
	}
	qsort(*out, *n, sizeof(**out), by_score);
	return 0;
}

/* ---- the answer ---- */

/*
 * May ID join the answer: in the catalog (its facts into *TI), not in it
 * yet, and not in the viewer's history?
 */
static bool wanted(struct recs *r, const char *id, struct title_info *ti)
{
	struct watch w;

	return json_array_size(r->out) < r->limit && !idmap_get(r->taken, id) &&
	       history_get_in(r->v, r->t, r->uid, id, &w) == -ENOENT &&
	       viewing_title_in(r->v, r->t, id, ti);
}

/* Append title TI to the answer with REASON, WHY and the members of EXTRA (consumed). */
static int append(struct recs *r, const struct title_info *ti, const char *reason, const char *why,
		  json_t *extra)
{
	json_t *item = json_pack("{s:s, s:s, s:f, s:s, s:s}", "title", ti->id, "name", ti->name,
				 "duration", ti->duration, "reason", reason, "why", why);

	if (!item || !extra || json_object_update(item, extra) != 0 ||
	    json_array_append_new(r->out, item) != 0 || !idmap_put(r->taken, ti->id, NULL)) {
		json_decref(item);
		json_decref(extra);
		return -ENOMEM;
	}
	json_decref(extra);
	return 0;
}

/* {"title", "name"} of seed S. */
static json_t *because(struct recs *r, const struct seed *s, char *name, size_t cap)
{
	struct title_info ti;

	snprintf(name, cap, "%s", viewing_title_in(r->v, r->t, s->title, &ti) ? ti.name : s->title);
	return json_pack("{s:s, s:s}", "title", s->title, "name", name);
}

static int co_watched(struct recs *r)
{
	struct ranked *ranked = NULL;
	size_t n = 0;
	int rc = 0;

	for (r->cur = 0; rc == 0 && r->cur < r->nseeds; r->cur++)
		rc = cowatch_row_in(r->t, r->seeds[r->cur].title, add_pair, r);
	if (rc == 0)
		rc = rank_cands(r, &ranked, &n);
	for (size_t i = 0; rc == 0 && i < n && json_array_size(r->out) < r->limit; i++) {
		const struct seed *s = &r->seeds[ranked[i].because];
		struct title_info ti;
		char name[TITLE_NAME_MAX + 1], why[TITLE_NAME_MAX + 32];
		json_t *b;

		if (!wanted(r, ranked[i].id, &ti))
			continue;
		b = because(r, s, name, sizeof(name));
		snprintf(why, sizeof(why), "Because you watched %s", name);
		rc = append(r, &ti, "co_watched", why,
			    json_pack("{s:o, s:f}", "because", b, "score",
				      round(ranked[i].score * 1e4) / 1e4));
	}
	free(ranked);
	return rc;
}

/* Titles of one language, to be ranked by their plays. */
struct in_language {
	struct popular_title *v;
	size_t n, cap;
	const struct viewing *viewing;
};

static int add_language_title(void *arg, const char *id)
{
	struct in_language *l = arg;

	if (array_reserve((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 64) != 0)
		return -ENOMEM;
	snprintf(l->v[l->n].id, sizeof(l->v[l->n].id), "%s", id);
	l->v[l->n++].plays = viewing_plays(l->viewing, id);
	return 0;
}

/* Fill with titles in the language of seed S, the most played first. */
static int same_language(struct recs *r, const struct seed *s)
{
	char langs[1][LANG_TAG_MAX + 1], name[TITLE_NAME_MAX + 1], why[2 * TITLE_NAME_MAX + 32];
	struct in_language l = {NULL, 0, 0, r->v};
	const char *lname;
	size_t n = 0;
	int rc = catalog_languages_in(r->v->cat, r->t, s->title, langs, 1, &n);

	if (rc == -ENOENT || (rc == 0 && n == 0))
		return 0;
	if (rc == 0)
		rc = catalog_language_titles_in(r->v->cat, r->t, langs[0], add_language_title, &l);
	if (rc == 0 && l.n)
		qsort(l.v, l.n, sizeof(*l.v), popular_by_plays);
	lname = lang_name(langs[0]);
	for (size_t i = 0; rc == 0 && i < l.n && json_array_size(r->out) < r->limit; i++) {
		struct title_info ti;
		json_t *b;

		if (!wanted(r, l.v[i].id, &ti))
			continue;
		b = because(r, s, name, sizeof(name));
		snprintf(why, sizeof(why), "In %s, like %s", lname ? lname : langs[0], name);
		rc = append(r, &ti, "language", why,
			    json_pack("{s:o, s:s}", "because", b, "language", langs[0]));
	}
	free(l.v);
	return rc;
}

static int popular(struct recs *r)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < r->v->ntop && json_array_size(r->out) < r->limit; i++) {
		struct title_info ti;

		if (wanted(r, r->v->top[i].id, &ti))
			rc = append(r, &ti, "popular", "Popular now",
				    json_pack("{s:I}", "plays", (json_int_t)r->v->top[i].plays));
	}
	return rc;
}

int viewing_recommend(struct viewing *v, const char *uid, size_t limit, int64_t now, json_t **out)
{
	struct recs r = {.v = v, .uid = uid, .now = now, .limit = limit};
	int rc = store_begin(v->st, false, &r.t);

	*out = NULL;
	if (rc != 0)
		return rc;
	r.cands = idmap_new(sizeof(struct cand));
	r.taken = idmap_new(0);
	r.out = json_array();
	rc = r.cands && r.taken && r.out ? find_seeds(&r) : -ENOMEM;
	if (rc == 0)
		rc = co_watched(&r);
	for (size_t i = 0; rc == 0 && i < r.nseeds && i < LANGUAGE_SEEDS; i++)
		rc = same_language(&r, &r.seeds[i]);
	if (rc == 0)
		rc = popular(&r);
	store_abort(r.t);
	idmap_free(r.cands);
	idmap_free(r.taken);
	if (rc == 0 && !(*out = json_pack("{s:o}", "recommendations", r.out)))
		rc = -ENOMEM;
	else if (rc != 0)
		json_decref(r.out);
	return rc;
}
