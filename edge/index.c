/*
 * The cache index in LMDB (see index.h): object, title, manifest-entry and
 * lru records kept consistent with one another in every write transaction.
 */
#include "index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "index_int.h"

static const char *const db_names[IX_NDBS] = {"objects", "titles", "manifest",
					      "lru",	 "nonces", "meta"};

#define USAGE_KEY     "usage"
#define NONCE_KEY_MAX (64 + 1 + 64)

/* ---- keys ----------------------------------------------------------------- */

size_t ix_title_len(const char *key)
{
	const char *slash = strchr(key, '/');
	size_t tl = slash ? (size_t)(slash - key) : 0;

	if (!slash || !manifest_title_ok(key, tl) ||
	    !manifest_path_ok(slash + 1, strlen(slash + 1)))
		return 0;
	return tl;
}

bool edge_index_key_ok(const char *key)
{
	return ix_title_len(key) > 0;
}

bool ix_is_manifest(const char *key)
{
	const char *slash = strchr(key, '/');

	return slash && strcmp(slash + 1, MANIFEST_NAME) == 0;
}

bool ix_in_lru(const char *key, const struct edge_object *o)
{
	return o->origin == EDGE_ORIGIN_PULL && !ix_is_manifest(key);
}

size_t ix_lru_key(uint8_t *out, int64_t last_hit, const char *key)
{
	uint64_t v = (uint64_t)(last_hit < 0 ? 0 : last_hit);
	size_t klen = strlen(key);

	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
	memcpy(out + 8, key, klen);
	return 8 + klen;
}

/* ---- records inside a transaction ------------------------------------------ */

int ix_get_object(struct store_txn *t, const char *key, struct edge_object *o)
{
	const void *v;
	size_t len;
	int rc = store_get(t, IX_OBJECTS, key, strlen(key), &v, &len);

	if (rc != 0)
		return rc;
	return edge_object_decode(v, len, o) == 0 ? 0 : -EIO;
}

int ix_put_object(struct store_txn *t, const char *key, const struct edge_object *o)
{
	uint8_t buf[EDGE_OBJECT_MAX_LEN];

	return store_put(t, IX_OBJECTS, key, strlen(key), buf, edge_object_encode(o, buf), false);
}

int ix_get_title(struct store_txn *t, const char *title, size_t tlen, struct edge_title *out)
{
	const void *v;
	size_t len;
	int rc = store_get(t, IX_TITLES, title, tlen, &v, &len);

	if (rc == -ENOENT) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (rc != 0)
		return rc;
	return edge_title_decode(v, len, out) == 0 ? 0 : -EIO;
}

int ix_put_title(struct store_txn *t, const char *title, size_t tlen, const struct edge_title *rec)
{
	uint8_t buf[EDGE_TITLE_LEN];

	edge_title_encode(rec, buf);
	return store_put(t, IX_TITLES, title, tlen, buf, sizeof(buf), false);
}

int ix_lru_put(struct store_txn *t, const char *key, int64_t last_hit)
{
	uint8_t k[IX_LRU_KEY_MAX];

	return store_put(t, IX_LRU, k, ix_lru_key(k, last_hit, key), "", 0, false);
}

int ix_lru_del(struct store_txn *t, const char *key, int64_t last_hit)
{
	uint8_t k[IX_LRU_KEY_MAX];
	int rc = store_del(t, IX_LRU, k, ix_lru_key(k, last_hit, key));

	return rc == -ENOENT ? 0 : rc;
}

int ix_get_meta(struct store_txn *t, const char *key, void *out, size_t len)
{
	const void *v;
	size_t vlen;
	int rc = store_get(t, IX_META, key, strlen(key), &v, &vlen);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (vlen != len)
		return -EIO;
	memcpy(out, v, len);
	return 0;
}

int ix_put_meta(struct store_txn *t, const char *key, const void *val, size_t len)
{
	return store_put(t, IX_META, key, strlen(key), val, len, false);
}

int ix_get_usage(struct store_txn *t, struct usage *u)
{
	memset(u, 0, sizeof(*u));
	return ix_get_meta(t, USAGE_KEY, u, sizeof(*u));
}

int ix_put_usage(struct store_txn *t, const struct usage *u)
{
	return ix_put_meta(t, USAGE_KEY, u, sizeof(*u));
}

void ix_keys_free(struct keys *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
	memset(ks, 0, sizeof(*ks));
}

int ix_keys_add(struct keys *ks, const void *key, size_t klen)
{
	char *copy;

	if (array_reserve((void **)&ks->k, &ks->cap, ks->n, sizeof(*ks->k), 16) != 0)
		return -ENOMEM;
	if (!(copy = malloc(klen + 1)))
		return -ENOMEM;
	memcpy(copy, key, klen);
	copy[klen] = '\0';
	ks->k[ks->n++] = copy;
	return 0;
}

static int collect_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	return ix_keys_add(arg, key, klen);
}

int ix_collect(struct store_txn *t, unsigned db, const char *prefix, size_t plen, struct keys *out)
{
	return store_scan(t, db, prefix, plen, collect_cb, out);
}

int ix_delete_prefix(struct store_txn *t, unsigned db, const char *prefix, size_t plen)
{
	struct keys ks = {0};
	int rc = ix_collect(t, db, prefix, plen, &ks);

	for (size_t i = 0; i < ks.n && rc == 0; i++)
		rc = store_del(t, db, ks.k[i], strlen(ks.k[i]));
	ix_keys_free(&ks);
	return rc;
}

/* ---- removed-key lists ------------------------------------------------------ */

void edge_removed_free(struct edge_removed *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->sizes);
	memset(r, 0, sizeof(*r));
}

int edge_removed_add(struct edge_removed *r, const char *key, uint64_t size)
{
	if (!r)
		return 0;
	if (array_reserve((void **)&r->keys, &r->cap, r->n, sizeof(*r->keys), 16) != 0 ||
	    array_reserve((void **)&r->sizes, &r->sizes_cap, r->n, sizeof(*r->sizes), 16) != 0)
		return -ENOMEM;
	if (!(r->keys[r->n] = strdup(key)))
		return -ENOMEM;
	r->sizes[r->n++] = size;
	r->bytes += size;
	return 0;
}

/* ---- open, read ------------------------------------------------------------- */

int edge_index_open(const char *dir, uint64_t map_size, struct edge_index **out, char *err,
		    size_t errlen)
{
	struct edge_index *ix = calloc(1, sizeof(*ix));
	int rc;

	if (!ix) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = store_open_flags(&ix->s, dir, map_size, db_names, IX_NDBS, STORE_REBUILDABLE, err,
				   errlen)) != 0) {
		free(ix);
		return rc;
	}
	store_reader_check(ix->s);
	*out = ix;
	return 0;
}

int edge_index_sync(struct edge_index *ix)
{
	return store_sync(ix->s);
}

void edge_index_free(struct edge_index *ix)
{
	if (!ix)
		return;
	store_free(ix->s);
	free(ix);
}

int edge_index_get(struct edge_index *ix, const char *key, struct edge_object *o)
{
	struct store_txn *t;
	int rc = store_begin(ix->s, false, &t);

	if (rc != 0)
		return rc;
	rc = ix_get_object(t, key, o);
	if (rc == 0 && edge_object_gen(o)) {
		struct edge_sync_state s;

		if ((rc = ix_get_sync(t, &s)) == 0 && edge_sync_unchecked(&s, edge_object_gen(o)))
			rc = -ENOENT; /* not re-checked yet since a system crash */
	}
	store_abort(t);
	return rc;
}

/* The record KEY (KLEN bytes) of DB in T, given to DECODE(P, LEN, ARG): 0, -ENOENT, -EIO. */
static int get_decoded(struct store_txn *t, unsigned db, const char *key, size_t klen,
		       int (*decode)(const void *p, size_t len, void *arg), void *arg)
{
	const void *v;
	size_t len;
	int rc = store_get(t, db, key, klen, &v, &len);

	if (rc == 0)
		rc = decode(v, len, arg) == 0 ? 0 : -EIO;
	return rc;
}

/* The record KEY of DB in its own read transaction, given to DECODE(P, LEN, ARG). */
static int read_one(struct edge_index *ix, unsigned db, const char *key,
		    int (*decode)(const void *p, size_t len, void *arg), void *arg)
{
	struct store_txn *t;
	int rc = store_begin(ix->s, false, &t);

	if (rc != 0)
		return rc;
	rc = get_decoded(t, db, key, strlen(key), decode, arg);
	store_abort(t);
	return rc;
}

static int title_decode(const void *p, size_t len, void *arg)
{
	return edge_title_decode(p, len, arg);
}

int edge_index_title(struct edge_index *ix, const char *title, struct edge_title *out)
{
	return read_one(ix, IX_TITLES, title, title_decode, out);
}

struct mentry {
	uint64_t *size;
	uint8_t *sha256;
};

static int mentry_decode(const void *p, size_t len, void *arg)
{
	struct mentry *me = arg;

	return edge_mentry_decode(p, len, me->size, me->sha256);
}

int edge_index_mentry(struct edge_index *ix, const char *key, uint64_t *size, uint8_t sha256[32])
{
	struct mentry me = {size, sha256};

	return read_one(ix, IX_MANIFEST, key, mentry_decode, &me);
}

int edge_index_listed(struct edge_index *ix, const char *key, uint64_t *size,
		      uint8_t sha256[32])
{
	struct mentry me = {size, sha256};
	struct edge_title title;
	struct store_txn *t;
	int rc = store_begin(ix->s, false, &t);

	if (rc != 0)
		return rc;
	rc = get_decoded(t, IX_MANIFEST, key, strlen(key), mentry_decode, &me);
	if (rc == -ENOENT) {
		rc = get_decoded(t, IX_TITLES, key, strcspn(key, "/"), title_decode, &title);
		if (rc == 0 || rc == -ENOENT)
			rc = rc == 0 && (title.flags & EDGE_TITLE_MANIFEST) ? -ENOENT : -ENODATA;
	}
	store_abort(t);
	return rc;
}

int edge_index_usage(struct edge_index *ix, uint64_t *bytes, uint64_t *objects)
{
	struct store_txn *t;
	struct usage u;
	int rc = store_begin(ix->s, false, &t);

	if (rc != 0)
		return rc;
	rc = ix_get_usage(t, &u);
	store_abort(t);
	*bytes = u.bytes;
	*objects = u.objects;
	return rc;
}

/* ---- commit ----------------------------------------------------------------- */

/* How many files M lists that are not stored under TITLE as M says. */
static int count_missing(struct store_txn *t, const char *title, size_t tlen,
			 const struct manifest *m, size_t *missing)
{
	char key[EDGE_KEY_MAX + 1];
	struct edge_object o;
	int rc;

	*missing = 0;
	for (size_t i = 0; i < m->n; i++) {
		snprintf(key, sizeof(key), "%.*s/%s", (int)tlen, title, m->files[i].path);
		rc = ix_get_object(t, key, &o);
		if (rc == -ENOENT || (rc == 0 && (o.size != m->files[i].size ||
						  memcmp(o.sha256, m->files[i].sha256, 32) != 0)))
			(*missing)++;
		else if (rc != 0)
			return rc;
	}
	return 0;
}

/* Replace TITLE's manifest entries with M's. */
static int put_entries(struct store_txn *t, const char *title, size_t tlen,
		       const struct manifest *m)
{
	char key[EDGE_KEY_MAX + 2];
	uint8_t val[EDGE_MENTRY_LEN];
	int rc;

	snprintf(key, sizeof(key), "%.*s/", (int)tlen, title);
	if ((rc = ix_delete_prefix(t, IX_MANIFEST, key, tlen + 1)) != 0)
		return rc;
	for (size_t i = 0; i < m->n && rc == 0; i++) {
		snprintf(key, sizeof(key), "%.*s/%s", (int)tlen, title, m->files[i].path);
		edge_mentry_encode(m->files[i].size, m->files[i].sha256, val);
		rc = store_put(t, IX_MANIFEST, key, strlen(key), val, sizeof(val), false);
	}
	return rc;
}

/* Every pulled object of TITLE becomes filled (pinned); counts into *REC. */
static int pin_title(struct store_txn *t, const char *title, size_t tlen, struct edge_title *rec)
{
	char prefix[MANIFEST_TITLE_MAX + 2];
	struct keys ks = {0};
	struct edge_object o;
	int rc;

	snprintf(prefix, sizeof(prefix), "%.*s/", (int)tlen, title);
	rc = ix_collect(t, IX_OBJECTS, prefix, tlen + 1, &ks);
	for (size_t i = 0; i < ks.n && rc == 0; i++) {
		if ((rc = ix_get_object(t, ks.k[i], &o)) != 0 || o.origin == EDGE_ORIGIN_FILL)
			continue;
		if (ix_in_lru(ks.k[i], &o))
			rc = ix_lru_del(t, ks.k[i], o.last_hit);
		o.origin = EDGE_ORIGIN_FILL;
		if (rc == 0)
			rc = ix_put_object(t, ks.k[i], &o);
		rec->pinned++;
	}
	ix_keys_free(&ks);
	return rc;
}

/* Take the old record of KEY (if any) out of the counts. */
static int forget_old(struct store_txn *t, const char *key, struct edge_title *rec, struct usage *u)
{
	struct edge_object old;
	int rc = ix_get_object(t, key, &old);

	if (rc == -ENOENT || rc == -EIO)
		return 0; /* nothing, or an unreadable record that is overwritten */
	if (rc != 0)
		return rc;
	rec->objects--;
	rec->bytes -= old.size;
	rec->pinned -= old.origin == EDGE_ORIGIN_FILL;
	u->objects--;
	u->bytes -= old.size;
	return ix_in_lru(key, &old) ? ix_lru_del(t, key, old.last_hit) : 0;
}

/* Another version of TITLE's manifest, M, is in: drop its objects M does not list as they are. */
static int retire_old(struct store_txn *t, const char *title, size_t tlen, const struct manifest *m,
		      struct edge_removed *out)
{
	char prefix[MANIFEST_TITLE_MAX + 2];
	struct keys ks = {0};
	int rc;

	snprintf(prefix, sizeof(prefix), "%.*s/", (int)tlen, title);
	rc = ix_collect(t, IX_OBJECTS, prefix, tlen + 1, &ks);
	for (size_t i = 0; i < ks.n && rc == 0; i++) {
		const struct manifest_file *mf = manifest_find(m, ks.k[i] + tlen + 1);
		struct edge_object o;

		if (ix_is_manifest(ks.k[i]) || ix_get_object(t, ks.k[i], &o) != 0)
			continue;
		if (!mf || mf->size != o.size || memcmp(mf->sha256, o.sha256, 32) != 0)
			rc = ix_drop_object(t, ks.k[i], out);
	}
	ix_keys_free(&ks);
	return rc;
}

static int record_object(struct store_txn *t, const char *key, size_t tlen,
			 const struct edge_object *o, const struct manifest *m,
			 struct edge_removed *retired)
{
	struct edge_object stamped;
	struct edge_title rec;
	struct usage u;
	bool new_version;
	int rc;

	if ((rc = ix_sync_stamp(t, o, &stamped)) != 0)
		return rc;
	o = &stamped;
	if ((rc = ix_get_title(t, key, tlen, &rec)) != 0 || (rc = ix_get_usage(t, &u)) != 0 ||
	    (rc = forget_old(t, key, &rec, &u)) != 0 || (rc = ix_put_object(t, key, o)) != 0)
		return rc;
	if (ix_in_lru(key, o) && (rc = ix_lru_put(t, key, o->last_hit)) != 0)
		return rc;
	rec.objects++;
	rec.bytes += o->size;
	rec.pinned += o->origin == EDGE_ORIGIN_FILL;
	if (o->last_hit > rec.last_hit)
		rec.last_hit = o->last_hit;
	u.objects++;
	u.bytes += o->size;
	new_version = m && rec.version[0] && strcmp(rec.version, m->version) != 0;
	if (m) {
		if ((rc = put_entries(t, key, tlen, m)) != 0)
			return rc;
		rec.flags |= EDGE_TITLE_MANIFEST;
		memcpy(rec.version, m->version, sizeof(rec.version));
		if (o->origin == EDGE_ORIGIN_FILL) {
			rec.flags |= EDGE_TITLE_COMPLETE;
			if ((rc = pin_title(t, key, tlen, &rec)) != 0)
				return rc;
		}
	}
	if ((rc = ix_put_title(t, key, tlen, &rec)) != 0 || (rc = ix_put_usage(t, &u)) != 0)
		return rc;
	return new_version ? retire_old(t, key, tlen, m, retired) : 0;
}

int edge_index_commit(struct edge_index *ix, const char *key, const struct edge_object *o,
		      const struct manifest *m, int (*place)(void *arg), void *arg, size_t *missing,
		      struct edge_removed *retired)
{
	size_t tlen = ix_title_len(key), miss = 0;
	struct store_txn *t;
	int rc;

	if (missing)
		*missing = 0;
	if (tlen == 0 || (m && !ix_is_manifest(key)))
		return -EINVAL;
	if ((rc = store_begin(ix->s, true, &t)) != 0)
		return rc;
	if (m && o->origin == EDGE_ORIGIN_FILL) {
		if ((rc = count_missing(t, key, tlen, m, &miss)) == 0 && miss)
			rc = -EPIPE;
		if (missing)
			*missing = miss;
	}
	if (rc == 0)
		rc = record_object(t, key, tlen, o, m, retired);
	if (rc == 0 && place)
		rc = place(arg);
	return store_finish(t, rc);
}

/* ---- removal ---------------------------------------------------------------- */

int ix_drop_object(struct store_txn *t, const char *key, struct edge_removed *out)
{
	size_t tlen = ix_title_len(key);
	struct edge_object o;
	struct edge_title rec;
	struct usage u;
	int rc = ix_get_object(t, key, &o);

	if (rc == -EIO) /* unreadable: drop it without counts */
		return store_del(t, IX_OBJECTS, key, strlen(key));
	if (rc != 0)
		return rc == -ENOENT ? 0 : rc;
	if ((rc = store_del(t, IX_OBJECTS, key, strlen(key))) != 0 ||
	    (ix_in_lru(key, &o) && (rc = ix_lru_del(t, key, o.last_hit)) != 0) ||
	    (rc = ix_get_usage(t, &u)) != 0)
		return rc;
	u.objects--;
	u.bytes -= o.size;
	if ((rc = ix_put_usage(t, &u)) != 0 || (rc = edge_removed_add(out, key, o.size)) != 0 ||
	    !tlen || (rc = ix_get_title(t, key, tlen, &rec)) != 0)
		return rc;
	rec.objects--;
	rec.bytes -= o.size;
	rec.pinned -= o.origin == EDGE_ORIGIN_FILL;
	if (ix_is_manifest(key)) {
		rec.flags = 0;
		rec.version[0] = '\0';
		if ((rc = ix_delete_prefix(t, IX_MANIFEST, key, tlen + 1)) != 0)
			return rc;
	} else if (store_get(t, IX_MANIFEST, key, strlen(key), &(const void *){0}, &(size_t){0}) ==
		   0) {
		rec.flags &= (uint8_t)~EDGE_TITLE_COMPLETE;
	}
	return ix_put_title(t, key, tlen, &rec);
}

int ix_title_gc(struct store_txn *t, const char *title, size_t tlen, const char *keep,
		struct edge_removed *out)
{
	char key[EDGE_KEY_MAX + 1];
	struct edge_title rec;
	int rc = ix_get_title(t, title, tlen, &rec);

	if (rc != 0)
		return rc;
	if (rec.objects == 1 && rec.pinned == 0 && (rec.flags & EDGE_TITLE_MANIFEST) &&
	    !(keep && strlen(keep) == tlen && memcmp(keep, title, tlen) == 0)) {
		snprintf(key, sizeof(key), "%.*s/%s", (int)tlen, title, MANIFEST_NAME);
		if ((rc = ix_drop_object(t, key, out)) != 0 ||
		    (rc = ix_get_title(t, title, tlen, &rec)) != 0)
			return rc;
	}
	if (rec.objects > 0)
		return 0;
	snprintf(key, sizeof(key), "%.*s/", (int)tlen, title);
	if ((rc = ix_delete_prefix(t, IX_MANIFEST, key, tlen + 1)) != 0)
		return rc;
	rc = store_del(t, IX_TITLES, title, tlen);
	return rc == -ENOENT ? 0 : rc;
}

int edge_index_remove(struct edge_index *ix, const char *key, bool prefix, struct edge_removed *out)
{
	struct store_txn *t;
	struct keys ks = {0};
	int rc = store_begin(ix->s, true, &t);

	if (rc != 0)
		return rc;
	if (prefix)
		rc = ix_collect(t, IX_OBJECTS, key, strlen(key), &ks);
	else
		rc = ix_keys_add(&ks, key, strlen(key));
	for (size_t i = 0; i < ks.n && rc == 0; i++)
		rc = ix_drop_object(t, ks.k[i], out);
	for (size_t i = 0; i < ks.n && rc == 0; i++) {
		size_t tlen = ix_title_len(ks.k[i]);

		/* keys come sorted: one pass per title */
		if (tlen && (i + 1 == ks.n || strncmp(ks.k[i], ks.k[i + 1], tlen + 1) != 0))
			rc = ix_title_gc(t, ks.k[i], tlen, NULL, out);
	}
	ix_keys_free(&ks);
	return store_finish(t, rc);
}

/* ---- eviction ---------------------------------------------------------------- */

static int lru_first_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	int rc = klen > 8 ? ix_keys_add(arg, key, klen) : -EIO;

	return rc < 0 ? rc : 1;
}

/*
 * The lru record of the least recently hit pulled object into *KS (8 bytes
 * of time, then the object's key): 0, or -ENOENT when none.
 */
static int lru_first(struct store_txn *t, struct keys *ks)
{
	int rc = store_scan(t, IX_LRU, "", 0, lru_first_cb, ks);

	return rc != 0 ? rc : ks->n ? 0 : -ENOENT;
}

struct pick {
	const char *keep;
	char title[MANIFEST_TITLE_MAX + 1];
	int64_t last_hit;
	bool found;
};

static int pick_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct pick *p = arg;
	struct edge_title rec;

	if (klen > MANIFEST_TITLE_MAX || edge_title_decode(val, vlen, &rec) != 0 ||
	    rec.pinned == 0 || rec.objects == 0)
		return 0;
	if (p->keep && strlen(p->keep) == klen && memcmp(p->keep, key, klen) == 0)
		return 0;
	if (!p->found || rec.last_hit < p->last_hit) {
		memcpy(p->title, key, klen);
		p->title[klen] = '\0';
		p->last_hit = rec.last_hit;
		p->found = true;
	}
	return 0;
}

/* Remove the whole title TITLE inside T. */
static int drop_title(struct store_txn *t, const char *title, struct edge_removed *out)
{
	char prefix[MANIFEST_TITLE_MAX + 2];
	size_t tlen = strlen(title);
	struct keys ks = {0};
	int rc;

	snprintf(prefix, sizeof(prefix), "%s/", title);
	rc = ix_collect(t, IX_OBJECTS, prefix, tlen + 1, &ks);
	for (size_t i = 0; i < ks.n && rc == 0; i++)
		rc = ix_drop_object(t, ks.k[i], out);
	ix_keys_free(&ks);
	return rc == 0 ? ix_title_gc(t, title, tlen, NULL, out) : rc;
}

/* One eviction step: the next victim; *FREED grows by what went.  -ENOSPC: none left. */
static int evict_one(struct store_txn *t, const char *keep, struct edge_removed *out,
		     uint64_t *freed)
{
	struct edge_removed step = {0};
	struct keys ks = {0};
	struct pick p = {.keep = keep};
	int rc = lru_first(t, &ks);

	if (rc == 0) {
		const char *key = ks.k[0] + 8;
		size_t tlen = ix_title_len(key);

		rc = ix_drop_object(t, key, &step);
		if (rc == 0 && tlen)
			rc = ix_title_gc(t, key, tlen, keep, &step);
		if (rc == 0 && step.n == 0) { /* a stale lru record: drop it, go on */
			rc = store_del(t, IX_LRU, ks.k[0], 8 + strlen(key));
			ix_keys_free(&ks);
			return rc;
		}
	} else if (rc == -ENOENT) {
		rc = store_scan(t, IX_TITLES, "", 0, pick_cb, &p);
		if (rc == 0)
			rc = p.found ? drop_title(t, p.title, &step) : -ENOSPC;
	}
	ix_keys_free(&ks);
	*freed += step.bytes;
	for (size_t i = 0; i < step.n && rc == 0; i++)
		rc = edge_removed_add(out, step.keys[i], step.sizes[i]);
	if (rc == 0 && step.n == 0)
		rc = -EIO; /* a victim that removed nothing: the lists disagree */
	edge_removed_free(&step);
	return rc;
}

int edge_index_evict(struct edge_index *ix, uint64_t need, const char *keep,
		     struct edge_removed *out)
{
	struct store_txn *t;
	uint64_t freed = 0;
	int rc = store_begin(ix->s, true, &t), crc;

	if (rc != 0)
		return rc;
	while (freed < need && rc == 0)
		rc = evict_one(t, keep, out, &freed);
	if (rc != 0 && rc != -ENOSPC) {
		store_abort(t);
		return rc;
	}
	crc = store_commit(t);
	return crc ? crc : rc;
}

/* ---- hits ---------------------------------------------------------------------- */

static int touch_one(struct store_txn *t, const struct edge_touch *h)
{
	size_t tlen = ix_title_len(h->key);
	struct edge_object o;
	struct edge_title rec;
	int64_t old;
	int rc = ix_get_object(t, h->key, &o);

	if (rc == -ENOENT || rc == -EIO || !tlen)
		return 0;
	if (rc != 0)
		return rc;
	old = o.last_hit;
	o.hits += h->hits;
	if (h->last_hit > o.last_hit)
		o.last_hit = h->last_hit;
	if ((rc = ix_put_object(t, h->key, &o)) != 0)
		return rc;
	if (o.last_hit != old && ix_in_lru(h->key, &o) &&
	    ((rc = ix_lru_del(t, h->key, old)) != 0 ||
	     (rc = ix_lru_put(t, h->key, o.last_hit)) != 0))
		return rc;
	if ((rc = ix_get_title(t, h->key, tlen, &rec)) != 0 || rec.last_hit >= o.last_hit)
		return rc;
	rec.last_hit = o.last_hit;
	return ix_put_title(t, h->key, tlen, &rec);
}

int edge_index_touch(struct edge_index *ix, const struct edge_touch *h, size_t n)
{
	struct store_txn *t;
	int rc = store_begin(ix->s, true, &t);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = touch_one(t, &h[i]);
	return store_finish(t, rc);
}

/* ---- listing ---------------------------------------------------------------------- */

struct list_arg {
	int (*obj_fn)(void *arg, const char *key, const struct edge_object *o);
	int (*title_fn)(void *arg, const char *title, const struct edge_title *t);
	void *arg;
};

static int list_object_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct list_arg *la = arg;
	char k[EDGE_KEY_MAX + 1];
	struct edge_object o;

	if (klen > EDGE_KEY_MAX)
		return 0;
	memcpy(k, key, klen);
	k[klen] = '\0';
	return la->obj_fn(la->arg, k, edge_object_decode(val, vlen, &o) == 0 ? &o : NULL);
}

static int list_title_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct list_arg *la = arg;
	char k[MANIFEST_TITLE_MAX + 1];
	struct edge_title rec;

	if (klen > MANIFEST_TITLE_MAX || edge_title_decode(val, vlen, &rec) != 0)
		return 0;
	memcpy(k, key, klen);
	k[klen] = '\0';
	return la->title_fn(la->arg, k, &rec);
}

int edge_index_objects(struct edge_index *ix, const char *prefix,
		       int (*fn)(void *arg, const char *key, const struct edge_object *o),
		       void *arg)
{
	struct list_arg la = {.obj_fn = fn, .arg = arg};
	struct store_txn *t;
	int rc = store_begin(ix->s, false, &t);

	if (rc != 0)
		return rc;
	rc = store_scan(t, IX_OBJECTS, prefix, strlen(prefix), list_object_cb, &la);
	store_abort(t);
	return rc;
}

int edge_index_titles(struct edge_index *ix,
		      int (*fn)(void *arg, const char *title, const struct edge_title *t),
		      void *arg)
{
	struct list_arg la = {.title_fn = fn, .arg = arg};
	struct store_txn *t;
	int rc = store_begin(ix->s, false, &t);

	if (rc != 0)
		return rc;
	rc = store_scan(t, IX_TITLES, "", 0, list_title_cb, &la);
	store_abort(t);
	return rc;
}

/* ---- nonces ------------------------------------------------------------------------ */

int edge_index_nonce_claim(struct edge_index *ix, const char *keyid, const char *nonce,
			   int64_t created)
{
	char key[NONCE_KEY_MAX + 1];
	size_t klen = strlen(keyid), nlen = strlen(nonce);
	struct store_txn *t;
	int rc;

	if (klen == 0 || klen > 64 || nlen == 0 || nlen > 64)
		return -EINVAL;
	memcpy(key, keyid, klen + 1);
	memcpy(key + klen + 1, nonce, nlen);
	if ((rc = store_begin(ix->s, true, &t)) != 0)
		return rc;
	rc = store_put(t, IX_NONCES, key, klen + 1 + nlen, &created, sizeof(created), true);
	rc = store_finish(t, rc);
	return rc == -EEXIST ? -EALREADY : rc;
}

struct prune_arg {
	int64_t before;
	struct keys old;
};

static int prune_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct prune_arg *pa = arg;
	int64_t created;

	if (vlen != sizeof(created))
		return ix_keys_add(&pa->old, key, klen);
	memcpy(&created, val, sizeof(created));
	return created < pa->before ? ix_keys_add(&pa->old, key, klen) : 0;
}

int edge_index_nonce_prune(struct edge_index *ix, int64_t before)
{
	struct prune_arg pa = {.before = before};
	struct store_txn *t;
	int rc = store_begin(ix->s, true, &t);

	if (rc != 0)
		return rc;
	/* keys hold a NUL: delete by the lengths the scan saw */
	rc = store_scan(t, IX_NONCES, "", 0, prune_cb, &pa);
	for (size_t i = 0; i < pa.old.n && rc == 0; i++) {
		size_t klen = strlen(pa.old.k[i]);

		rc =
		    store_del(t, IX_NONCES, pa.old.k[i], klen + 1 + strlen(pa.old.k[i] + klen + 1));
	}
	ix_keys_free(&pa.old);
	return store_finish(t, rc);
}

int edge_index_reader_check(struct edge_index *ix)
{
	return store_reader_check(ix->s);
}
