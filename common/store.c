/*
 * LMDB helpers (see store.h).  The only place that turns MDB_* codes into
 * errno values.
 */
#include "store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_MAX_DBS];
	unsigned ndbs;
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
};

int store_errno(int rc)
{
	if (rc == 0)
		return 0;
	if (rc > 0)
		return -rc;
	switch (rc) {
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_DBS_FULL:
	case MDB_READERS_FULL:
		return -ENOSPC;
	case MDB_MAP_RESIZED:
		return -EAGAIN;
	case MDB_BAD_VALSIZE:
		return -EINVAL;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return -EPROTO;
	default:
		return -EIO;
	}
}

static int open_dbs(struct store *s, const char *const *names, unsigned ndbs, char *err,
		    size_t errlen)
{
	MDB_txn *txn = NULL;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (unsigned i = 0; i < ndbs; i++) {
		if ((rc = mdb_dbi_open(txn, names[i], MDB_CREATE, &s->dbi[i])) != 0) {
			snprintf(err, errlen, "database %s: %s", names[i], mdb_strerror(rc));
			mdb_txn_abort(txn);
			return store_errno(rc);
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	s->ndbs = ndbs;
	return 0;
fail:
	snprintf(err, errlen, "opening databases: %s", mdb_strerror(rc));
	return store_errno(rc);
}

int store_open(struct store **out, const char *dir, uint64_t map_size, const char *const *names,
	       unsigned ndbs, char *err, size_t errlen)
{
	return store_open_flags(out, dir, map_size, names, ndbs, 0, err, errlen);
}

int store_open_flags(struct store **out, const char *dir, uint64_t map_size,
		     const char *const *names, unsigned ndbs, unsigned flags, char *err,
		     size_t errlen)
{
	unsigned env_flags =
	    MDB_NOTLS | (flags & STORE_REBUILDABLE ? MDB_NOSYNC | MDB_WRITEMAP : 0);
	struct store *s = NULL;
	int rc;

	if (ndbs > STORE_MAX_DBS) {
		snprintf(err, errlen, "too many databases");
		return -EINVAL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return rc;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, (size_t)map_size)) != 0 ||
	    (rc = mdb_env_open(s->env, dir, env_flags, 0600)) != 0) {
		snprintf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
		rc = store_errno(rc);
		goto fail;
	}
	if ((rc = open_dbs(s, names, ndbs, err, errlen)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_free(s);
	return rc;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	if (s->env)
		mdb_env_close(s->env);
	free(s);
}

int store_begin(struct store *s, bool write, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	t->s = s;
	if ((rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn)) != 0) {
		free(t);
		return store_errno(rc);
	}
	*out = t;
	return 0;
}

int store_commit(struct store_txn *t)
{
	int rc = mdb_txn_commit(t->txn);

	free(t);
	return store_errno(rc);
}

void store_abort(struct store_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

int store_finish(struct store_txn *t, int rc)
{
	if (rc == 0)
		return store_commit(t);
	store_abort(t);
	return rc;
}

int store_get(struct store_txn *t, unsigned db, const void *key, size_t klen, const void **val,
	      size_t *vlen)
{
	MDB_val k = {klen, (void *)key}, v;
	int rc;

	if (db >= t->s->ndbs)
		return -EINVAL;
	if (klen == 0)
		return -ENOENT; /* LMDB has no empty keys */
	if ((rc = mdb_get(t->txn, t->s->dbi[db], &k, &v)) != 0)
		return store_errno(rc);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int store_put(struct store_txn *t, unsigned db, const void *key, size_t klen, const void *val,
	      size_t vlen, bool nooverwrite)
{
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};

	if (db >= t->s->ndbs)
		return -EINVAL;
	return store_errno(
	    mdb_put(t->txn, t->s->dbi[db], &k, &v, nooverwrite ? MDB_NOOVERWRITE : 0));
}

int store_del(struct store_txn *t, unsigned db, const void *key, size_t klen)
{
	MDB_val k = {klen, (void *)key};

	if (db >= t->s->ndbs)
		return -EINVAL;
	if (klen == 0)
		return -ENOENT;
	return store_errno(mdb_del(t->txn, t->s->dbi[db], &k, NULL));
}

int store_scan(struct store_txn *t, unsigned db, const void *prefix, size_t plen,
	       int (*fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
	       void *arg)
{
	MDB_cursor *cur;
	MDB_val k = {plen, (void *)prefix}, v;
	int rc;

	if (db >= t->s->ndbs)
		return -EINVAL;
	if ((rc = mdb_cursor_open(t->txn, t->s->dbi[db], &cur)) != 0)
		return store_errno(rc);
	rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0) {
		if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		if ((rc = fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size)) != 0) {
			mdb_cursor_close(cur);
			return rc > 0 ? 0 : rc;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_errno(rc);
}

int store_clear(struct store_txn *t, unsigned db)
{
	if (db >= t->s->ndbs)
		return -EINVAL;
	return store_errno(mdb_drop(t->txn, t->s->dbi[db], 0));
}

int store_reader_check(struct store *s)
{
	int dead = 0, rc = mdb_reader_check(s->env, &dead);

	return rc ? store_errno(rc) : dead;
}

int store_sync(struct store *s)
{
	return store_errno(mdb_env_sync(s->env, 1));
}

/*
 * Put CUR at the record a backward walk begins with: the last key at or
 * before KEY (only before it, unless INCLUSIVE), or the last of all when
 * KEY is past every key.  Returns the cursor's result (MDB_NOTFOUND: none).
 */
static int seek_back(MDB_cursor *cur, MDB_val *k, MDB_val *v, const void *key, size_t klen,
		     bool inclusive)
{
	int rc;

	k->mv_size = klen;
	k->mv_data = (void *)key;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	if (rc == 0 && (!inclusive || k->mv_size != klen || memcmp(k->mv_data, key, klen) != 0))
		return mdb_cursor_get(cur, k, v, MDB_PREV);
	return rc;
}

/*
 * The first key after every key that starts with PREFIX[0..PLEN) into OUT
 * (PLEN bytes): PREFIX with its last byte below 0xff raised by one and the
 * rest dropped.  Returns its length, 0 when there is none (all 0xff).
 */
static size_t prefix_end(const unsigned char *prefix, size_t plen, unsigned char *out)
{
	while (plen && prefix[plen - 1] == 0xff)
		plen--;
	if (!plen)
		return 0;
	memcpy(out, prefix, plen);
	out[plen - 1]++;
	return plen;
}

/* Put CUR where store_walk() begins (its arguments); the cursor's result. */
static int walk_start(MDB_cursor *cur, MDB_val *k, MDB_val *v, const void *prefix, size_t plen,
		      const void *from, size_t flen, bool backward)
{
	unsigned char end[512];
	size_t elen;

	k->mv_size = flen ? flen : plen;
	k->mv_data = (void *)(flen ? from : prefix);
	if (!backward)
		return mdb_cursor_get(cur, k, v, k->mv_size ? MDB_SET_RANGE : MDB_FIRST);
	if (flen)
		return seek_back(cur, k, v, from, flen, true);
	if (plen <= sizeof(end) && (elen = prefix_end(prefix, plen, end)) != 0)
		return seek_back(cur, k, v, end, elen, false);
	return mdb_cursor_get(cur, k, v, MDB_LAST);
}

int store_walk(struct store_txn *t, unsigned db, const void *prefix, size_t plen, const void *from,
	       size_t flen, bool backward,
	       int (*fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
	       void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, frc = 0;

	if (db >= t->s->ndbs || (flen && (flen < plen || memcmp(from, prefix, plen) != 0)))
		return -EINVAL;
	if ((rc = mdb_cursor_open(t->txn, t->s->dbi[db], &cur)) != 0)
		return store_errno(rc);
	for (rc = walk_start(cur, &k, &v, prefix, plen, from, flen, backward); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, backward ? MDB_PREV : MDB_NEXT)) {
		if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		if ((frc = fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (frc)
		return frc > 0 ? 0 : frc;
	return rc == MDB_NOTFOUND ? 0 : store_errno(rc);
}
