/*
 * Unit tests for the edge's cache index (edge/index*.c) on a real LMDB
 * environment in a temporary folder: records, commits with and without a
 * manifest, removals, eviction order, hits, reconciling, a title's new
 * version and the workers' view of versions (versions.c), nonces.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "index.h"
#include "test.h"
#include "versions.h"

static struct edge_object obj(enum edge_origin origin, uint64_t size, uint8_t fill, int64_t t)
{
	struct edge_object o = {.origin = origin, .size = size, .stored = t, .last_hit = t};

	memset(o.sha256, fill, sizeof(o.sha256));
	edge_etag_for(o.sha256, o.etag);
	return o;
}

static int placed;

static int place_ok(void *arg)
{
	placed++;
	return 0;
}

static int place_fail(void *arg)
{
	return -EXDEV;
}

static void test_records(void)
{
	struct edge_object o = obj(EDGE_ORIGIN_PULL, 12345, 7, 1700000000), d;
	struct edge_title t = {.flags = EDGE_TITLE_MANIFEST,
			       .objects = 3,
			       .pinned = 1,
			       .bytes = 99,
			       .last_hit = 5,
			       .version = "0123456789abcdef"},
			  u;
	uint8_t buf[EDGE_OBJECT_MAX_LEN], tb[EDGE_TITLE_LEN];
	size_t n;

	o.hits = 42;
	o.mtime = 1600000000;
	o.ext[0] = 9;
	o.ext[2] = 2; /* type 9, length 2 */
	o.ext[4] = 'h';
	o.ext[5] = 'i';
	o.ext_len = 6;
	n = edge_object_encode(&o, buf);
	CHECK_INT(n, EDGE_OBJECT_MIN_LEN + 18 + 6);
	CHECK_INT(edge_object_decode(buf, n, &d), 0);
	CHECK(d.origin == o.origin && d.size == o.size && d.hits == 42 && d.mtime == o.mtime &&
	      d.stored == o.stored && d.last_hit == o.last_hit && d.ext_len == 6 &&
	      memcmp(d.ext, o.ext, 6) == 0 && memcmp(d.sha256, o.sha256, 32) == 0 &&
	      strcmp(d.etag, o.etag) == 0);
	CHECK_INT(edge_object_decode(buf, n - 1, &d), -EINVAL); /* a cut extension */
	buf[1] = 3;
	CHECK_INT(edge_object_decode(buf, n, &d), -EINVAL);
	buf[1] = 2;
	buf[EDGE_OBJECT_MIN_LEN] = 'x'; /* etag without its quote */
	CHECK_INT(edge_object_decode(buf, n, &d), -EINVAL);
	edge_title_encode(&t, tb);
	CHECK_INT(edge_title_decode(tb, sizeof(tb), &u), 0);
	CHECK(u.flags == t.flags && u.objects == 3 && u.pinned == 1 && u.bytes == 99 &&
	      u.last_hit == 5 && strcmp(u.version, t.version) == 0);
	tb[1] = 0x80;
	CHECK_INT(edge_title_decode(tb, sizeof(tb), &u), -EINVAL);
	CHECK_STR(o.etag, "\"0707070707070707\"");
}

/* A manifest of TITLE's files A (size 10, digest 1) and B (size 20, digest 2). */
static struct manifest *two_files(void)
{
	const char *text =
	    "{\"files\":[{\"path\":\"a.m4s\",\"size\":10,\"sha256\":"
	    "\"0101010101010101010101010101010101010101010101010101010101010101\"},"
	    "{\"path\":\"b.m4s\",\"size\":20,\"sha256\":"
	    "\"0202020202020202020202020202020202020202020202020202020202020202\"}]}";
	struct manifest *m = NULL;
	char err[128];

	manifest_parse(text, strlen(text), &m, err, sizeof(err));
	return m;
}

static void test_commit_and_fill(struct edge_index *ix)
{
	struct manifest *m = two_files();
	struct edge_object o = obj(EDGE_ORIGIN_FILL, 10, 1, 100), got;
	struct edge_title t;
	uint64_t bytes, objects, size;
	uint8_t sha[32];
	size_t missing = 99;

	CHECK(m != NULL);
	CHECK_INT(edge_index_commit(ix, "t1/a.m4s", &o, NULL, place_ok, NULL, NULL, NULL), 0);
	CHECK_INT(placed, 1);
	CHECK_INT(edge_index_get(ix, "t1/a.m4s", &got), 0);
	CHECK(got.size == 10 && got.origin == EDGE_ORIGIN_FILL);
	CHECK_INT(edge_index_get(ix, "t1/b.m4s", &got), -ENOENT);
	/* a failing placement leaves nothing */
	o = obj(EDGE_ORIGIN_FILL, 20, 2, 100);
	CHECK_INT(edge_index_commit(ix, "t1/b.m4s", &o, NULL, place_fail, NULL, NULL, NULL),
		  -EXDEV);
	CHECK_INT(edge_index_get(ix, "t1/b.m4s", &got), -ENOENT);
	/* the manifest before every file is there: refused */
	o = obj(EDGE_ORIGIN_FILL, 300, 3, 100);
	CHECK_INT(edge_index_commit(ix, "t1/manifest.json", &o, m, NULL, NULL, &missing, NULL),
		  -EPIPE);
	CHECK_INT(missing, 1);
	CHECK_INT(edge_index_get(ix, "t1/manifest.json", &got), -ENOENT);
	/* a pulled b of the title, then the manifest: complete, everything pinned */
	o = obj(EDGE_ORIGIN_PULL, 20, 2, 100);
	CHECK_INT(edge_index_commit(ix, "t1/b.m4s", &o, NULL, NULL, NULL, NULL, NULL), 0);
	/* a title without its manifest lists nothing yet, nor does an unknown one */
	CHECK_INT(edge_index_listed(ix, "t1/b.m4s", &size, sha), -ENODATA);
	CHECK_INT(edge_index_listed(ix, "zz/b.m4s", &size, sha), -ENODATA);
	o = obj(EDGE_ORIGIN_FILL, 300, 3, 100);
	CHECK_INT(edge_index_commit(ix, "t1/manifest.json", &o, m, NULL, NULL, &missing, NULL), 0);
	CHECK_INT(missing, 0);
	CHECK_INT(edge_index_title(ix, "t1", &t), 0);
	CHECK(t.flags == (EDGE_TITLE_MANIFEST | EDGE_TITLE_COMPLETE));
	CHECK(t.objects == 3 && t.pinned == 3 && t.bytes == 330);
	CHECK_STR(t.version, m->version);
	CHECK_INT(edge_index_get(ix, "t1/b.m4s", &got), 0);
	CHECK(got.origin == EDGE_ORIGIN_FILL);
	CHECK_INT(edge_index_mentry(ix, "t1/b.m4s", &size, sha), 0);
	CHECK(size == 20 && sha[0] == 2);
	CHECK_INT(edge_index_mentry(ix, "t1/c.m4s", &size, sha), -ENOENT);
	size = 0;
	CHECK_INT(edge_index_listed(ix, "t1/b.m4s", &size, sha), 0);
	CHECK(size == 20 && sha[0] == 2);
	CHECK_INT(edge_index_listed(ix, "t1/c.m4s", &size, sha), -ENOENT); /* not in the package */
	CHECK_INT(edge_index_usage(ix, &bytes, &objects), 0);
	CHECK(bytes == 330 && objects == 3);
	/* replacing an object keeps the counts right */
	o = obj(EDGE_ORIGIN_FILL, 10, 1, 200);
	CHECK_INT(edge_index_commit(ix, "t1/a.m4s", &o, NULL, NULL, NULL, NULL, NULL), 0);
	CHECK_INT(edge_index_usage(ix, &bytes, &objects), 0);
	CHECK(bytes == 330 && objects == 3);
	CHECK_INT(edge_index_commit(ix, "bad key", &o, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_INT(edge_index_commit(ix, "t1/../x", &o, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_INT(edge_index_verify(ix), 1);
	manifest_free(m);
}

static void test_remove(struct edge_index *ix)
{
	struct edge_removed r = {0};
	struct edge_title t;
	struct edge_object o;
	uint64_t bytes, objects;

	/* one listed file: the title is no longer complete */
	CHECK_INT(edge_index_remove(ix, "t1/a.m4s", false, &r), 0);
	CHECK(r.n == 1 && strcmp(r.keys[0], "t1/a.m4s") == 0 && r.bytes == 10);
	edge_removed_free(&r);
	CHECK_INT(edge_index_title(ix, "t1", &t), 0);
	CHECK(t.flags == EDGE_TITLE_MANIFEST && t.objects == 2);
	CHECK_INT(edge_index_remove(ix, "t1/nothing", false, &r), 0);
	CHECK_INT(r.n, 0);
	/* a prefix: the whole title, record and entries with it */
	o = obj(EDGE_ORIGIN_PULL, 5, 9, 100);
	CHECK_INT(edge_index_commit(ix, "t2/x.ts", &o, NULL, NULL, NULL, NULL, NULL), 0);
	CHECK_INT(edge_index_remove(ix, "t1/", true, &r), 0);
	CHECK_INT(r.n, 2);
	edge_removed_free(&r);
	CHECK_INT(edge_index_title(ix, "t1", &t), -ENOENT);
	CHECK_INT(edge_index_mentry(ix, "t1/b.m4s", &bytes, o.sha256), -ENOENT);
	CHECK_INT(edge_index_listed(ix, "t1/b.m4s", &bytes, o.sha256), -ENODATA);
	CHECK_INT(edge_index_usage(ix, &bytes, &objects), 0);
	CHECK(bytes == 5 && objects == 1);
	CHECK_INT(edge_index_remove(ix, "t2/x.ts", false, &r), 0);
	edge_removed_free(&r);
	CHECK_INT(edge_index_title(ix, "t2", &t), -ENOENT);
	CHECK_INT(edge_index_verify(ix), 1);
}

static void test_evict(struct edge_index *ix)
{
	struct manifest *m = two_files();
	struct edge_removed r = {0};
	struct edge_object o;
	struct edge_touch hit = {"p/s2.m4s", 3, 500};
	struct edge_title t;
	uint64_t bytes, objects;

	/* a filled title, old; a pulled title with a manifest and three segments */
	o = obj(EDGE_ORIGIN_FILL, 10, 1, 10);
	edge_index_commit(ix, "f/a.m4s", &o, NULL, NULL, NULL, NULL, NULL);
	o = obj(EDGE_ORIGIN_FILL, 20, 2, 10);
	edge_index_commit(ix, "f/b.m4s", &o, NULL, NULL, NULL, NULL, NULL);
	o = obj(EDGE_ORIGIN_FILL, 300, 3, 10);
	CHECK_INT(edge_index_commit(ix, "f/manifest.json", &o, m, NULL, NULL, NULL, NULL), 0);
	o = obj(EDGE_ORIGIN_PULL, 100, 4, 100);
	edge_index_commit(ix, "p/manifest.json", &o, m, NULL, NULL, NULL, NULL);
	for (int i = 1; i <= 3; i++) {
		char key[32];

		snprintf(key, sizeof(key), "p/s%d.m4s", i);
		o = obj(EDGE_ORIGIN_PULL, 1000, (uint8_t)(10 + i), 100 + i);
		CHECK_INT(edge_index_commit(ix, key, &o, NULL, NULL, NULL, NULL, NULL), 0);
	}
	/* s2 hit recently: s1 and s3 go first */
	CHECK_INT(edge_index_touch(ix, &hit, 1), 0);
	CHECK_INT(edge_index_evict(ix, 1500, NULL, &r), 0);
	CHECK(r.n == 2 && strcmp(r.keys[0], "p/s1.m4s") == 0 && strcmp(r.keys[1], "p/s3.m4s") == 0);
	edge_removed_free(&r);
	CHECK_INT(edge_index_get(ix, "p/s2.m4s", &o), 0);
	CHECK(o.hits == 3 && o.last_hit == 500);
	/* the last segment takes the pulled title's manifest with it */
	CHECK_INT(edge_index_evict(ix, 1, NULL, &r), 0);
	CHECK(r.n == 2 && strcmp(r.keys[1], "p/manifest.json") == 0);
	edge_removed_free(&r);
	CHECK_INT(edge_index_title(ix, "p", &t), -ENOENT);
	/* then the filled title, whole, unless it is the one kept */
	CHECK_INT(edge_index_evict(ix, 1, "f", &r), -ENOSPC);
	CHECK_INT(r.n, 0);
	CHECK_INT(edge_index_evict(ix, 1, NULL, &r), 0);
	CHECK_INT(r.n, 3);
	CHECK_INT(r.bytes, 330);
	edge_removed_free(&r);
	CHECK_INT(edge_index_usage(ix, &bytes, &objects), 0);
	CHECK(bytes == 0 && objects == 0);
	CHECK_INT(edge_index_evict(ix, 1, NULL, &r), -ENOSPC);
	CHECK_INT(edge_index_verify(ix), 1);
	manifest_free(m);
}

static int count_cb(void *arg, const char *key, const struct edge_object *o)
{
	(*(int *)arg)++;
	return 0;
}

static void test_reconcile(struct edge_index *ix)
{
	char *gone[] = {"r/b.ts", "r/none.ts"};
	struct edge_object o;
	struct edge_title t;
	int n = 0;

	for (int i = 0; i < 3; i++) {
		char key[16];

		snprintf(key, sizeof(key), "r/%c.ts", 'a' + i);
		o = obj(EDGE_ORIGIN_PULL, 7, (uint8_t)i, 50);
		edge_index_commit(ix, key, &o, NULL, NULL, NULL, NULL, NULL);
	}
	CHECK_INT(edge_index_drop(ix, gone, 2), 0);
	CHECK_INT(edge_index_objects(ix, "r/", count_cb, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(edge_index_title(ix, "r", &t), 0);
	CHECK(t.objects == 2 && t.bytes == 14);
	CHECK_INT(edge_index_verify(ix), 1);
	CHECK_INT(edge_index_rebuild(ix), 0);
	CHECK_INT(edge_index_verify(ix), 1);
	CHECK_INT(edge_index_title(ix, "r", &t), 0);
	CHECK(t.objects == 2 && t.bytes == 14);
}

/* A manifest of a new version retires the objects it does not list as they are. */
static void test_new_version(struct edge_index *ix)
{
	const char *v1 = "{\"files\":[{\"path\":\"a.m4s\",\"size\":10,\"sha256\":"
			 "\"0101010101010101010101010101010101010101010101010101010101010101\"}]}";
	const char *v2 = "{\"files\":[{\"path\":\"a.m4s\",\"size\":10,\"sha256\":"
			 "\"0101010101010101010101010101010101010101010101010101010101010101\"},"
			 "{\"path\":\"b.m4s\",\"size\":20,\"sha256\":"
			 "\"0303030303030303030303030303030303030303030303030303030303030303\"}]}";
	struct manifest *m1 = NULL, *m2 = NULL;
	struct edge_removed r = {0};
	struct edge_object o;
	struct edge_title t;
	char err[128];

	manifest_parse(v1, strlen(v1), &m1, err, sizeof(err));
	manifest_parse(v2, strlen(v2), &m2, err, sizeof(err));
	o = obj(EDGE_ORIGIN_PULL, 5, 9, 10);
	CHECK_INT(edge_index_commit(ix, "v/manifest.json", &o, m1, NULL, NULL, NULL, &r), 0);
	CHECK_INT(r.n, 0);
	o = obj(EDGE_ORIGIN_PULL, 10, 1, 10);
	edge_index_commit(ix, "v/a.m4s", &o, NULL, NULL, NULL, NULL, NULL);
	o = obj(EDGE_ORIGIN_PULL, 20, 2, 10);
	edge_index_commit(ix, "v/b.m4s", &o, NULL, NULL, NULL, NULL, NULL);
	o = obj(EDGE_ORIGIN_PULL, 6, 8, 20);
	CHECK_INT(edge_index_commit(ix, "v/manifest.json", &o, m2, NULL, NULL, NULL, &r), 0);
	CHECK(r.n == 1 && strcmp(r.keys[0], "v/b.m4s") == 0);
	CHECK_INT(edge_index_get(ix, "v/a.m4s", &o), 0);
	CHECK_INT(edge_index_title(ix, "v", &t), 0);
	CHECK(t.objects == 2 && strcmp(t.version, m2->version) == 0);
	CHECK_INT(edge_index_verify(ix), 1);
	edge_removed_free(&r);
	manifest_free(m1);
	manifest_free(m2);
}

/* The workers' view of title versions (versions.c) over the index test_new_version() left. */
static void test_versions(struct edge_index *ix)
{
	uint64_t removals = 1, manifests = 5;
	struct edge_versions *v = edge_versions_new(ix, &removals, &manifests);
	struct edge_title t;
	struct edge_object o = obj(EDGE_ORIGIN_PULL, 5, 9, 30);
	char err[128];
	const char *v3 = "{\"files\":[]}";
	struct manifest *m3 = NULL;

	CHECK(v != NULL);
	CHECK_INT(edge_index_title(ix, "v", &t), 0);
	CHECK_INT(edge_versions_check(v, "v/a.m4s", 1, t.version, 0), EDGE_VERSION_SERVE);
	CHECK_INT(edge_versions_check(v, "v", 1, "", 0), EDGE_VERSION_SERVE); /* no ver */
	CHECK_INT(edge_versions_check(v, "v", 1, "00000000000000aa", 0), EDGE_VERSION_REFRESH);
	CHECK_INT(edge_versions_check(v, "nope", 4, "00000000000000aa", 0), EDGE_VERSION_SERVE);
	edge_versions_failed(v, "v", 1, "00000000000000aa", 1000);
	CHECK_INT(
	    edge_versions_check(v, "v", 1, "00000000000000aa", 1000 + EDGE_VERSIONS_RETRY_MS - 1),
	    EDGE_VERSION_STALE);
	CHECK_INT(edge_versions_check(v, "v", 1, "00000000000000bb", 2000), EDGE_VERSION_REFRESH);
	CHECK_INT(edge_versions_check(v, "v", 1, "00000000000000aa", 1000 + EDGE_VERSIONS_RETRY_MS),
		  EDGE_VERSION_REFRESH);
	/* a new version committed: seen once the generation changes */
	CHECK_INT(manifest_parse(v3, strlen(v3), &m3, err, sizeof(err)), 0);
	CHECK_INT(edge_index_commit(ix, "v/manifest.json", &o, m3, NULL, NULL, NULL, NULL), 0);
	CHECK_INT(edge_versions_check(v, "v", 1, m3->version, 0), EDGE_VERSION_REFRESH);
	manifests++;
	CHECK_INT(edge_versions_check(v, "v", 1, m3->version, 0), EDGE_VERSION_SERVE);
	removals++; /* read again, the same */
	CHECK_INT(edge_versions_check(v, "v", 1, m3->version, 0), EDGE_VERSION_SERVE);
	CHECK_INT(edge_versions_check(v, "v", 1, t.version, 0), EDGE_VERSION_REFRESH);
	manifest_free(m3);
	edge_versions_free(v);
}

static void test_nonces(struct edge_index *ix)
{
	CHECK_INT(edge_index_nonce_claim(ix, "ctl-1", "0123456789abcdef", 1000), 0);
	CHECK_INT(edge_index_nonce_claim(ix, "ctl-1", "0123456789abcdef", 1000), -EALREADY);
	CHECK_INT(edge_index_nonce_claim(ix, "ctl-2", "0123456789abcdef", 1000), 0);
	CHECK_INT(edge_index_nonce_claim(ix, "ctl-1", "fedcba9876543210", 2000), 0);
	CHECK_INT(edge_index_nonce_prune(ix, 1500), 0);
	CHECK_INT(edge_index_nonce_claim(ix, "ctl-1", "0123456789abcdef", 1000), 0);
	CHECK_INT(edge_index_nonce_claim(ix, "ctl-1", "fedcba9876543210", 2000), -EALREADY);
}

int main(void)
{
	char dir[] = "/tmp/reel-index-XXXXXX", err[256], cmd[64];
	struct edge_index *ix = NULL;

	test_records();
	if (!mkdtemp(dir))
		return 1;
	CHECK_INT(edge_index_open(dir, 64 << 20, &ix, err, sizeof(err)), 0);
	test_commit_and_fill(ix);
	test_remove(ix);
	test_evict(ix);
	test_reconcile(ix);
	test_new_version(ix);
	test_versions(ix);
	test_nonces(ix);
	edge_index_free(ix);
	/* the data persisted */
	CHECK_INT(edge_index_open(dir, 64 << 20, &ix, err, sizeof(err)), 0);
	CHECK_INT(edge_index_verify(ix), 1);
	edge_index_free(ix);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
	return test_done();
}
