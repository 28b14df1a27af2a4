/*
 * Unit tests for the LMDB helpers: open (also for rebuildable data),
 * put/get/del, transactions, error mapping.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "test.h"

static void test_errno(void)
{
	CHECK_INT(store_errno(0), 0);
	CHECK_INT(store_errno(MDB_NOTFOUND), -ENOENT);
	CHECK_INT(store_errno(MDB_KEYEXIST), -EEXIST);
	CHECK_INT(store_errno(MDB_MAP_FULL), -ENOSPC);
	CHECK_INT(store_errno(MDB_CORRUPTED), -EIO);
	CHECK_INT(store_errno(MDB_VERSION_MISMATCH), -EPROTO);
	CHECK_INT(store_errno(ENOMEM), -ENOMEM);
}

static void test_roundtrip(const char *dir, unsigned flags)
{
	static const char *const names[] = {"one", "two"};
	struct store *s = NULL;
	struct store_txn *t = NULL;
	const void *v;
	size_t vlen;
	char err[256];

	CHECK_INT(store_open_flags(&s, dir, 1 << 20, names, 2, flags, err, sizeof(err)), 0);
	CHECK_INT(store_begin(s, true, &t), 0);
	CHECK_INT(store_put(t, 0, "k", 1, "value", 5, true), 0);
	CHECK_INT(store_put(t, 0, "k", 1, "other", 5, true), -EEXIST);
	CHECK_INT(store_get(t, 1, "k", 1, &v, &vlen), -ENOENT); /* databases are separate */
	CHECK_INT(store_get(t, 2, "k", 1, &v, &vlen), -EINVAL);
	CHECK_INT(store_commit(t), 0);

	CHECK_INT(store_begin(s, true, &t), 0);
	CHECK_INT(store_put(t, 1, "gone", 4, "x", 1, false), 0);
	store_abort(t); /* never written */
	CHECK_INT(store_begin(s, false, &t), 0);
	CHECK_INT(store_get(t, 1, "gone", 4, &v, &vlen), -ENOENT);
	CHECK_INT(store_get(t, 0, "k", 1, &v, &vlen), 0);
	CHECK(vlen == 5 && memcmp(v, "value", 5) == 0);
	store_abort(t);
	CHECK_INT(store_sync(s), 0);
	store_free(s);

	/* reopen: the data persisted */
	s = NULL;
	CHECK_INT(store_open_flags(&s, dir, 1 << 20, names, 2, flags, err, sizeof(err)), 0);
	CHECK_INT(store_begin(s, true, &t), 0);
	CHECK_INT(store_get(t, 0, "k", 1, &v, &vlen), 0);
	CHECK_INT(store_put(t, 0, "k", 1, "new", 3, false), 0);
	CHECK_INT(store_del(t, 0, "k", 1), 0);
	CHECK_INT(store_del(t, 0, "k", 1), -ENOENT);
	CHECK_INT(store_put(t, 0, "", 0, "x", 1, false), -EINVAL); /* empty key */
	CHECK_INT(store_commit(t), 0);
	store_free(s);
	store_free(NULL);
	store_abort(NULL);
}

static void test_map_full(const char *dir)
{
	static const char *const names[] = {"big"};
	struct store *s = NULL;
	struct store_txn *t = NULL;
	static char val[4096];
	char key[16], err[256];
	int rc = 0;

	CHECK_INT(store_open(&s, dir, 64 << 10, names, 1, err, sizeof(err)), 0);
	CHECK_INT(store_begin(s, true, &t), 0);
	for (int i = 0; i < 1000 && rc == 0; i++) {
		snprintf(key, sizeof(key), "%d", i);
		rc = store_put(t, 0, key, strlen(key), val, sizeof(val), false);
	}
	CHECK_INT(rc, -ENOSPC);
	store_abort(t);
	store_free(s);
}

/* Collect the keys FN sees into ARG (a string of "key," items), stopping after "stop". */
static int collect(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	char *out = arg;

	strncat(out, key, klen);
	strcat(out, ",");
	return klen == 4 && memcmp(key, "stop", 4) == 0 ? 1 : 0;
}

static int fail(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	return -ENOMEM;
}

/* WALK's keys (prefix P, from F, BACKWARD) as "key,key,". */
static const char *walk(struct store_txn *t, const char *p, const char *f, bool backward)
{
	static char out[256];

	out[0] = '\0';
	if (store_walk(t, 0, p, strlen(p), f, f ? strlen(f) : 0, backward, collect, out) != 0)
		return "error";
	return out;
}

static void test_walk(const char *dir)
{
	static const char *const names[] = {"w"};
	static const char *const keys[] = {"a", "b/1", "b/2", "b/3", "b\xff", "c/1", "stop", "z"};
	struct store *s = NULL;
	struct store_txn *t = NULL;
	char err[256];

	CHECK_INT(store_open(&s, dir, 1 << 20, names, 1, err, sizeof(err)), 0);
	CHECK_INT(store_begin(s, true, &t), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK_INT(store_put(t, 0, keys[i], strlen(keys[i]), "", 0, false), 0);
	CHECK_STR(walk(t, "b/", NULL, false), "b/1,b/2,b/3,");
	CHECK_STR(walk(t, "b/", NULL, true), "b/3,b/2,b/1,");
	CHECK_STR(walk(t, "b/", "b/2", false), "b/2,b/3,");
	CHECK_STR(walk(t, "b/", "b/2", true), "b/2,b/1,");
	CHECK_STR(walk(t, "b/", "b/25", true), "b/2,b/1,"); /* between keys: the one before */
	CHECK_STR(walk(t, "b/", "b/0", true), "");
	CHECK_STR(walk(t, "b", NULL, true), "b\xff,b/3,b/2,b/1,");
	CHECK_STR(walk(t, "z", NULL, true), "z,"); /* the last key of all */
	CHECK_STR(walk(t, "y", NULL, true), "");
	CHECK_STR(walk(t, "", NULL, true), "z,stop,"); /* FN stops the walk */
	CHECK_STR(walk(t, "", "c/1", false), "c/1,stop,");
	CHECK_STR(walk(t, "b/", "c", false), "error"); /* FROM outside the prefix */
	CHECK_INT(store_walk(t, 0, "b/", 2, NULL, 0, false, fail, NULL), -ENOMEM);
	CHECK_INT(store_walk(t, 1, "b/", 2, NULL, 0, false, fail, NULL), -EINVAL);
	store_abort(t);
	store_free(s);
}

int main(void)
{
	char tmpl[] = "/tmp/reel-store-XXXXXX", dir[64], cmd[128];

	test_errno();
	if (!mkdtemp(tmpl)) {
		CHECK(!"mkdtemp");
		return test_done();
	}
	snprintf(dir, sizeof(dir), "%s/a", tmpl);
	test_roundtrip(dir, 0);
	snprintf(dir, sizeof(dir), "%s/r", tmpl);
	test_roundtrip(dir, STORE_REBUILDABLE); /* a writable map, no sync per commit */
	snprintf(dir, sizeof(dir), "%s/b", tmpl);
	test_map_full(dir);
	snprintf(dir, sizeof(dir), "%s/c", tmpl);
	test_walk(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		CHECK(!"cleanup");
	return test_done();
}
