/*
 * The viewing service (viewing.h): plays and position reports kept as
 * unsaved changes (pending.h) and saved once a tick; resume points,
 * "continue watching", the history, its export, and removing an entry.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "jsonfield.h"
#include "playback/playback.h"
#include "records.h"
#include "schema.h"
#include "store.h"
#include "viewing/viewing_int.h"

#define KEY_MAX (PENDING_USER_MAX + 1 + TITLE_ID_MAX)

/* The history key USER "/" TITLE into KEY; its length, 0 when either is too long. */
static size_t history_key(char *key, const char *user, const char *title)
{
	size_t u = strlen(user), n = strlen(title);

	if (u > PENDING_USER_MAX || n > TITLE_ID_MAX)
		return 0;
	memcpy(key, user, u);
	key[u] = '/';
	memcpy(key + u + 1, title, n);
	return u + 1 + n;
}

/* UID's stored record of TITLE into *W: 0, -ENOENT, -EIO (damaged), or a negative errno. */
static int stored_in(struct store_txn *t, const char *uid, const char *title, struct watch *w)
{
	char key[KEY_MAX];
	size_t n = history_key(key, uid, title);
	json_t *rec;
	int rc = n ? records_get(t, ORIGIN_DB_HISTORY, key, n, &rec) : -ENOENT;

	memset(w, 0, sizeof(*w));
	if (rc != 0)
		return rc;
	rc = watch_from_json(rec, w);
	json_decref(rec);
	return rc;
}

int history_get_in(struct viewing *v, struct store_txn *t, const char *uid, const char *title,
		   struct watch *w)
{
	struct pending_entry *e = pending_find(v->pending, uid, title);

	if (e) {
		*w = e->now;
		return 0;
	}
	return stored_in(t, uid, title, w);
}

struct each {
	struct viewing *v;
	const char *uid;
	size_t skip; /* the length of UID "/" */
	int (*fn)(void *arg, const char *title, const struct watch *w);
	void *arg;
};

static int each_stored(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct each *c = arg;
	char title[TITLE_ID_MAX + 1];
	struct pending_entry *e;
	struct watch w;

	if (!rec || klen <= c->skip || klen - c->skip > TITLE_ID_MAX)
		return 0; /* a damaged record is not shown */
	memcpy(title, (const char *)key + c->skip, klen - c->skip);
	title[klen - c->skip] = '\0';
	if ((e = pending_find(c->v->pending, c->uid, title)) != NULL)
		return c->fn(c->arg, title, &e->now);
	return watch_from_json(rec, &w) == 0 ? c->fn(c->arg, title, &w) : 0;
}

int history_each_in(struct viewing *v, struct store_txn *t, const char *uid,
		    int (*fn)(void *arg, const char *title, const struct watch *w), void *arg)
{
	struct each c = {v, uid, strlen(uid) + 1, fn, arg};
	char prefix[PENDING_USER_MAX + 1];
	int rc;

	if (c.skip > sizeof(prefix))
		return 0;
	memcpy(prefix, uid, c.skip - 1);
	prefix[c.skip - 1] = '/';
	rc = records_scan(t, ORIGIN_DB_HISTORY, prefix, c.skip, each_stored, &c);
	for (size_t i = 0; rc == 0 && i < pending_count(v->pending); i++) {
		struct pending_entry *e = pending_at(v->pending, i);

		if (!e->stored && strcmp(e->user, uid) == 0)
			rc = fn(arg, e->title, &e->now);
	}
	return rc;
}

bool viewing_title_in(struct viewing *v, struct store_txn *t, const char *id, struct title_info *ti)
{
	return catalog_info_in(v->cat, t, id, ti) == 0;
}

/* ---- the service ---- */

int viewing_new(struct store *st, struct catalog *cat, struct playback *pb,
		const struct viewing_params *p, int64_t now, struct viewing **out)
{
	struct viewing *v = calloc(1, sizeof(*v));
	struct store_txn *t;
	int rc;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	*v = (struct viewing){.st = st, .cat = cat, .pb = pb, .p = *p};
	if (v->p.window_days < 1 || v->p.window_days > WATCH_DAYS_MAX)
		v->p.window_days = 7;
	if (!(v->pending = pending_new())) {
		viewing_free(v);
		return -ENOMEM;
	}
	if ((rc = store_begin(st, false, &t)) == 0) {
		rc = popular_count_in(v, t, (uint32_t)(now / DAY_S));
		store_abort(t);
	}
	if (rc != 0) {
		viewing_free(v);
		return rc;
	}
	v->counted = now;
	*out = v;
	return 0;
}

void viewing_free(struct viewing *v)
{
	if (!v)
		return;
	pending_free(v->pending);
	popular_free(v);
	free(v);
}

/* UID's unsaved entry for TITLE into *OUT, made from the store's record when first touched. */
static int touch(struct viewing *v, const char *uid, const char *title, struct pending_entry **out)
{
	struct pending_entry *e = pending_find(v->pending, uid, title);
	struct store_txn *t;
	struct watch w;
	int rc;

	if (e) {
		*out = e;
		return 0;
	}
	if (pending_count(v->pending) >= VIEWING_PENDING_MAX)
		return -ENOSPC;
	if ((rc = store_begin(v->st, false, &t)) != 0)
		return rc;
	rc = stored_in(t, uid, title, &w);
	store_abort(t);
	if (rc != 0 && rc != -ENOENT && rc != -EIO)
		return rc; /* a damaged record starts again */
	if (!(e = pending_add(v->pending, uid, title)))
		return -ENOMEM;
	e->stored = rc != -ENOENT;
	e->before = e->now = w;
	*out = e;
	return 0;
}

int viewing_started(struct viewing *v, const char *uid, const char *title, int64_t now,
		    double *resume)
{
	struct pending_entry *e;
	int rc = touch(v, uid, title, &e);

	*resume = 0;
	if (rc != 0)
		return rc;
	*resume = e->now.position;
	watch_play(&e->now, now, (uint32_t)(now / DAY_S), v->p.window_days);
	return 0;
}

/* The facts of TITLE the history needs into *TI, read in a transaction of its own. */
static int title_facts(struct viewing *v, const char *title, struct title_info *ti)
{
	struct store_txn *t;
	int rc = store_begin(v->st, false, &t);

	if (rc != 0)
		return rc;
	rc = catalog_info_in(v->cat, t, title, ti);
	store_abort(t);
	return rc;
}

/* Record POSITION (within TI's duration) of UID's TITLE at NOW. */
static int record(struct viewing *v, const char *uid, const struct title_info *ti, double position,
		  int64_t now)
{
	struct pending_entry *e;
	int rc = touch(v, uid, ti->id, &e);

	if (rc == 0)
		watch_report(&e->now, position < ti->duration ? position : ti->duration,
			     ti->duration, ti->end_credits, now);
	return rc;
}

int viewing_report(struct viewing *v, const char *uid, const char *title, double position,
		   int64_t now)
{
	struct title_info ti;
	int rc = title_facts(v, title, &ti);

	return rc ? rc : record(v, uid, &ti, position, now);
}

/*
 * With POSITION (NULL: none), record it for UID's live lease LEASE at NOW:
 * 0, -ENOENT (no such lease), -ESRCH (the lease's title left the catalog:
 * no position to keep), -ERANGE (out of the title's duration: *WHY says
 * it), or a negative errno; nothing changed unless 0.
 */
static int lease_report(struct viewing *v, const char *lease, const char *uid,
			const double *position, int64_t now, struct origin_reason *why)
{
	struct title_info ti;
	struct lease l;
	int rc;

	if (!position)
		return 0;
	if ((rc = playback_lease(v->pb, lease, uid, now, &l)) != 0)
		return rc;
	if ((rc = title_facts(v, l.title, &ti)) != 0)
		return rc == -ENOENT ? -ESRCH : rc;
	if (!isfinite(*position) || *position < 0 || *position > ti.duration + WATCH_POSITION_SLACK)
		return reason_set(why, -ERANGE, NULL,
				  "position must be a number of seconds within the title's "
				  "duration");
	return record(v, uid, &ti, *position, now);
}

int viewing_heartbeat(struct viewing *v, const char *lease, const char *uid, const double *position,
		      int64_t now, int64_t *expires, struct origin_reason *why)
{
	int rc = lease_report(v, lease, uid, position, now, why);

	if (rc != 0) /* a title gone from the catalog has no position to keep: an unknown lease */
		return rc == -ESRCH ? -ENOENT : rc;
	return playback_heartbeat(v->pb, lease, uid, now, expires);
}

int viewing_stop(struct viewing *v, const char *lease, const char *uid, const double *position,
		 int64_t now, struct origin_reason *why)
{
	int rc = lease_report(v, lease, uid, position, now, why);

	if (rc != 0 && rc != -ESRCH)
		return rc;
	return playback_stop(v->pb, lease, uid); /* a title gone: the lease ends all the same */
}

/* ---- saving ---- */

static bool has_day(const struct watch *w, uint32_t day)
{
	for (unsigned i = 0; i < w->ndays; i++)
		if (w->days[i] == day)
			return true;
	return false;
}

/* Write E's record in T with what changed since the store's: a new finish, new days of plays. */
static int save_entry(struct viewing *v, struct store_txn *t, struct pending_entry *e)
{
	char key[KEY_MAX];
	size_t n = history_key(key, e->user, e->title);
	int rc = 0;

	if (e->now.finished && !e->before.finished)
		rc = cowatch_finish_in(t, e->user, e->title, v->p.fanout, &e->now.seq);
	for (unsigned i = 0; rc == 0 && i < e->now.ndays; i++)
		if (!has_day(&e->before, e->now.days[i]))
			rc = popular_add_in(t, e->now.days[i], e->title, 1);
	return rc ? rc : records_put(t, ORIGIN_DB_HISTORY, key, n, watch_json(&e->now), false);
}

/* Write every unsaved change in T. */
static int save_in(struct viewing *v, struct store_txn *t)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < pending_count(v->pending); i++)
		rc = save_entry(v, t, pending_at(v->pending, i));
	return rc;
}

int viewing_save(struct viewing *v)
{
	struct store_txn *t;
	int rc;

	if (!pending_count(v->pending))
		return 0;
	if ((rc = store_begin(v->st, true, &t)) != 0)
		return rc;
	if ((rc = store_finish(t, save_in(v, t))) == 0)
		pending_clear(v->pending);
	return rc;
}

int viewing_tick(struct viewing *v, int64_t now)
{
	uint32_t today = (uint32_t)(now / DAY_S), first = today + 1 - v->p.window_days;
	bool count = now - v->counted >= POPULAR_REFRESH_S, prune = count && v->pruned_day != first;
	struct store_txn *t;
	int rc;

	if (!pending_count(v->pending) && !prune) {
		rc = 0;
	} else if ((rc = store_begin(v->st, true, &t)) == 0) {
		rc = save_in(v, t);
		if (rc == 0 && prune)
			rc = popular_prune_in(t, first);
		if ((rc = store_finish(t, rc)) == 0) {
			pending_clear(v->pending);
			v->pruned_day = prune ? first : v->pruned_day;
		}
	}
	if (rc != 0 || !count)
		return rc;
	if ((rc = store_begin(v->st, false, &t)) != 0)
		return rc;
	rc = popular_count_in(v, t, today);
	store_abort(t);
	v->counted = now;
	return rc;
}

size_t viewing_unsaved(const struct viewing *v)
{
	return pending_count(v->pending);
}

int viewing_forget(struct viewing *v, const char *uid, const char *title)
{
	char key[KEY_MAX];
	size_t n = history_key(key, uid, title);
	struct store_txn *t;
	struct watch w;
	int rc;

	if (!n)
		return -ENOENT;
	if ((rc = store_begin(v->st, true, &t)) != 0)
		return rc;
	if ((rc = save_in(v, t)) == 0 && (rc = stored_in(t, uid, title, &w)) == -EIO)
		rc = 0; /* a damaged record goes all the same */
	if (rc == 0 && w.finished && w.seq)
		rc = cowatch_forget_in(t, uid, title, w.seq, v->p.fanout);
	for (unsigned i = 0; rc == 0 && i < w.ndays; i++)
		rc = popular_add_in(t, w.days[i], title, -1);
	if (rc == 0)
		rc = store_del(t, ORIGIN_DB_HISTORY, key, n);
	if ((rc = store_finish(t, rc)) == 0)
		pending_clear(v->pending); /* saved with it */
	return rc;
}

/* ---- the lists ---- */

struct item {
	char title[TITLE_ID_MAX + 1];
	struct watch w;
};

struct items {
	struct item *v;
	size_t n, cap;
	bool in_progress; /* only titles with a resume point */
};

static int gather(void *arg, const char *title, const struct watch *w)
{
	struct items *l = arg;

	if (l->in_progress && !(w->position > 0))
		return 0;
	if (array_reserve((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 64) != 0)
		return -ENOMEM;
	snprintf(l->v[l->n].title, sizeof(l->v[l->n].title), "%s", title);
	l->v[l->n++].w = *w;
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->w.last != y->w.last)
		return x->w.last > y->w.last ? -1 : 1;
	return strcmp(x->title, y->title);
}

/* UID's entries (only those in progress, IN_PROGRESS) into *L, the newest first, read in T. */
static int entries_in(struct viewing *v, struct store_txn *t, const char *uid, bool in_progress,
		      struct items *l)
{
	int rc;

	*l = (struct items){NULL, 0, 0, in_progress};
	if ((rc = history_each_in(v, t, uid, gather, l)) == 0 && l->n)
		qsort(l->v, l->n, sizeof(*l->v), newest_first);
	return rc;
}

/*
 * UID's entries from OFFSET, at most LIMIT (only those in progress and
 * still in the catalog, CONTINUE), as a new JSON array into *OUT; the number
 * of them all into *TOTAL.
 */
static int list(struct viewing *v, const char *uid, bool cont, size_t offset, size_t limit,
		json_t **out, size_t *total)
{
	struct store_txn *t;
	struct items l;
	json_t *arr = json_array();
	int rc = arr ? store_begin(v->st, false, &t) : -ENOMEM;

	*out = NULL;
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	rc = entries_in(v, t, uid, cont, &l);
	*total = l.n;
	for (size_t i = offset; rc == 0 && i < l.n && json_array_size(arr) < limit; i++) {
		struct title_info ti;
		bool known = viewing_title_in(v, t, l.v[i].title, &ti);

		if (cont && !known)
			continue; /* nothing to resume */
		if (json_array_append_new(arr, watch_entry(&l.v[i].w, l.v[i].title,
							   known ? ti.name : NULL, !cont)) != 0)
			rc = -ENOMEM;
	}
	store_abort(t);
	free(l.v);
	if (rc != 0)
		json_decref(arr);
	else
		*out = arr;
	return rc;
}

int viewing_continue(struct viewing *v, const char *uid, size_t limit, json_t **out)
{
	json_t *arr;
	size_t total;
	int rc = list(v, uid, true, 0, limit, &arr, &total);

	*out = rc ? NULL : json_pack("{s:o}", "titles", arr);
	return rc ? rc : *out ? 0 : -ENOMEM;
}

int viewing_history(struct viewing *v, const char *uid, size_t offset, size_t limit, json_t **out)
{
	json_t *arr;
	size_t total;
	int rc = list(v, uid, false, offset, limit, &arr, &total);

	*out = rc ? NULL : json_pack("{s:o, s:I}", "history", arr, "total", (json_int_t)total);
	return rc ? rc : *out ? 0 : -ENOMEM;
}

int viewing_export(struct viewing *v, const char *uid, int64_t now, json_t **out)
{
	json_t *arr;
	size_t total;
	int rc = list(v, uid, false, 0, SIZE_MAX, &arr, &total);

	*out = rc ? NULL
		  : json_pack("{s:s, s:s, s:o, s:o}", "format", "reel-history-v1", "user", uid,
			      "exported", jf_time(now), "history", arr);
	return rc ? rc : *out ? 0 : -ENOMEM;
}
