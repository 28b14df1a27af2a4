/*
 * Reconciling the index with itself and with the disk: dropping records of
 * files that are gone, checking that the counts agree with the objects, and
 * rebuilding them when they do not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_int.h"

#define DROP_BATCH 1000

int edge_index_drop(struct edge_index *ix, char *const *keys, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t end = n - i > DROP_BATCH ? i + DROP_BATCH : n;
		struct store_txn *t;
		int rc = store_begin(ix->s, true, &t);

		for (size_t j = i; j < end && rc == 0; j++) {
			size_t tlen = ix_title_len(keys[j]);

			rc = ix_drop_object(t, keys[j], NULL);
			if (rc == 0 && tlen)
				rc = ix_title_gc(t, keys[j], tlen, NULL, NULL);
		}
		if ((rc = store_finish(t, rc)) != 0)
			return rc;
		i = end;
	}
	return 0;
}

/* ---- counting ------------------------------------------------------------- */

/* One title's counts as the objects say. */
struct tally {
	char title[MANIFEST_TITLE_MAX + 1];
	struct edge_title rec;
	bool has_manifest;
};

struct count {
	struct store_txn *t;
	bool write; /* rebuild: store what is counted; else compare */
	struct usage u;
	uint64_t lru;
	struct tally cur;
	bool ok;
	int rc;
};

/* Compare (verify) or store (rebuild) the tally of one title. */
static int title_done(struct count *c)
{
	struct tally *y = &c->cur;
	size_t tlen = strlen(y->title);
	struct edge_title old;
	int rc;

	if (!tlen)
		return 0;
	if ((rc = ix_get_title(c->t, y->title, tlen, &old)) != 0)
		return rc;
	if (!c->write) {
		c->ok = c->ok && old.objects == y->rec.objects && old.bytes == y->rec.bytes &&
			old.pinned == y->rec.pinned &&
			!!(old.flags & EDGE_TITLE_MANIFEST) == y->has_manifest;
		return 0;
	}
	y->rec.flags = y->has_manifest ? old.flags : 0;
	snprintf(y->rec.version, sizeof(y->rec.version), "%s", y->has_manifest ? old.version : "");
	if (old.last_hit > y->rec.last_hit)
		y->rec.last_hit = old.last_hit;
	return ix_put_title(c->t, y->title, tlen, &y->rec);
}

static int count_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct count *c = arg;
	char k[EDGE_KEY_MAX + 1];
	struct edge_object o;
	size_t tlen;
	int rc;

	if (klen > EDGE_KEY_MAX || edge_object_decode(val, vlen, &o) != 0) {
		c->ok = false;
		return 0;
	}
	memcpy(k, key, klen);
	k[klen] = '\0';
	if (!(tlen = ix_title_len(k)))
		return 0;
	if (strncmp(c->cur.title, k, tlen) != 0 || c->cur.title[tlen] != '\0') {
		if ((rc = title_done(c)) != 0)
			return rc;
		memset(&c->cur, 0, sizeof(c->cur));
		memcpy(c->cur.title, k, tlen);
	}
	c->cur.rec.objects++;
	c->cur.rec.bytes += o.size;
	c->cur.rec.pinned += o.origin == EDGE_ORIGIN_FILL;
	if (o.last_hit > c->cur.rec.last_hit)
		c->cur.rec.last_hit = o.last_hit;
	c->cur.has_manifest = c->cur.has_manifest || ix_is_manifest(k);
	c->u.objects++;
	c->u.bytes += o.size;
	if (ix_in_lru(k, &o)) {
		uint8_t lk[IX_LRU_KEY_MAX];
		const void *v;
		size_t vl;

		c->lru++;
		if (c->write)
			return ix_lru_put(c->t, k, o.last_hit);
		c->ok = c->ok &&
			store_get(c->t, IX_LRU, lk, ix_lru_key(lk, o.last_hit, k), &v, &vl) == 0;
	}
	return 0;
}

static int count_lru_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	(*(uint64_t *)arg)++;
	return 0;
}

/* Titles with a record but no object (verify: a disagreement; rebuild: dropped). */
struct orphan_titles {
	struct store_txn *t;
	struct keys gone;
};

static int orphan_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct orphan_titles *ot = arg;
	char prefix[MANIFEST_TITLE_MAX + 2];
	struct keys one = {0};
	int rc;

	if (klen > MANIFEST_TITLE_MAX)
		return ix_keys_add(&ot->gone, key, klen);
	memcpy(prefix, key, klen);
	prefix[klen] = '/';
	rc = ix_collect(ot->t, IX_OBJECTS, prefix, klen + 1, &one);
	if (rc == 0 && one.n == 0)
		rc = ix_keys_add(&ot->gone, key, klen);
	ix_keys_free(&one);
	return rc;
}

static int count_all(struct count *c, struct keys *orphans)
{
	struct orphan_titles ot = {.t = c->t};
	struct usage stored;
	uint64_t lru = 0;
	int rc;

	c->ok = true;
	if ((rc = store_scan(c->t, IX_OBJECTS, "", 0, count_cb, c)) != 0 ||
	    (rc = title_done(c)) != 0 ||
	    (rc = store_scan(c->t, IX_TITLES, "", 0, orphan_cb, &ot)) != 0)
		goto out;
	if (!c->write) {
		if ((rc = ix_get_usage(c->t, &stored)) != 0 ||
		    (rc = store_scan(c->t, IX_LRU, "", 0, count_lru_cb, &lru)) != 0)
			goto out;
		c->ok = c->ok && ot.gone.n == 0 && stored.bytes == c->u.bytes &&
			stored.objects == c->u.objects && lru == c->lru;
	}
	*orphans = ot.gone;
	ot.gone = (struct keys){0};
out:
	ix_keys_free(&ot.gone);
	return rc;
}

int edge_index_verify(struct edge_index *ix)
{
	struct count c = {0};
	struct keys orphans = {0};
	int rc = store_begin(ix->s, false, &c.t);

	if (rc != 0)
		return rc;
	rc = count_all(&c, &orphans);
	ix_keys_free(&orphans);
	store_abort(c.t);
	return rc < 0 ? rc : c.ok;
}

/* Is every file of TITLE's manifest entries stored as they say? */
static int entries_complete(struct store_txn *t, const char *title, size_t tlen, bool *complete)
{
	char prefix[MANIFEST_TITLE_MAX + 2];
	struct keys ks = {0};
	int rc;

	snprintf(prefix, sizeof(prefix), "%.*s/", (int)tlen, title);
	rc = ix_collect(t, IX_MANIFEST, prefix, tlen + 1, &ks);
	*complete = true;
	for (size_t i = 0; i < ks.n && rc == 0 && *complete; i++) {
		struct edge_object o;
		const void *v;
		size_t vlen;
		uint64_t size;
		uint8_t sha[32];

		if ((rc = store_get(t, IX_MANIFEST, ks.k[i], strlen(ks.k[i]), &v, &vlen)) != 0 ||
		    (rc = edge_mentry_decode(v, vlen, &size, sha)) != 0)
			break;
		rc = ix_get_object(t, ks.k[i], &o);
		*complete = rc == 0 && o.size == size && memcmp(o.sha256, sha, 32) == 0;
		rc = rc == -ENOENT || rc == -EIO ? 0 : rc;
	}
	ix_keys_free(&ks);
	return rc;
}

struct complete_arg {
	struct store_txn *t;
	struct keys incomplete;
};

static int complete_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct complete_arg *ca = arg;
	struct edge_title rec;
	bool complete;
	int rc;

	if (edge_title_decode(val, vlen, &rec) != 0 || !(rec.flags & EDGE_TITLE_COMPLETE))
		return 0;
	if ((rc = entries_complete(ca->t, key, klen, &complete)) != 0)
		return rc;
	return complete ? 0 : ix_keys_add(&ca->incomplete, key, klen);
}

/* Titles marked complete that are not lose the mark. */
static int recheck_complete(struct store_txn *t)
{
	struct complete_arg ca = {.t = t};
	int rc = store_scan(t, IX_TITLES, "", 0, complete_cb, &ca);

	for (size_t i = 0; i < ca.incomplete.n && rc == 0; i++) {
		const char *title = ca.incomplete.k[i];
		struct edge_title rec;

		if ((rc = ix_get_title(t, title, strlen(title), &rec)) == 0) {
			rec.flags &= (uint8_t)~EDGE_TITLE_COMPLETE;
			rc = ix_put_title(t, title, strlen(title), &rec);
		}
	}
	ix_keys_free(&ca.incomplete);
	return rc;
}

int edge_index_rebuild(struct edge_index *ix)
{
	struct count c = {.write = true};
	struct keys orphans = {0};
	int rc = store_begin(ix->s, true, &c.t);

	if (rc != 0)
		return rc;
	if ((rc = store_clear(c.t, IX_LRU)) == 0)
		rc = count_all(&c, &orphans);
	for (size_t i = 0; i < orphans.n && rc == 0; i++) {
		char prefix[MANIFEST_TITLE_MAX + 2];
		size_t tlen = strlen(orphans.k[i]);

		snprintf(prefix, sizeof(prefix), "%s/", orphans.k[i]);
		if ((rc = ix_delete_prefix(c.t, IX_MANIFEST, prefix, tlen + 1)) == 0)
			rc = store_del(c.t, IX_TITLES, orphans.k[i], tlen);
	}
	ix_keys_free(&orphans);
	if (rc == 0)
		rc = recheck_complete(c.t);
	if (rc == 0)
		rc = ix_put_usage(c.t, &c.u);
	return store_finish(c.t, rc);
}
