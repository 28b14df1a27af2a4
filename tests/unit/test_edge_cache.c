/*
 * Unit tests for the edge's cache store (edge/cache.c) and the reconcile
 * (edge/reconcile.c) on real files and a real LMDB index in a temporary
 * folder: temporary files, placing, the quota with eviction, removal,
 * sweeping, and every kind of leftover a crash can leave.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "manifest.h"
#include "reconcile.h"
#include "test.h"

static char root[256], index_dir[256];
static struct edge_cache_shared *sh;

/* The store with BOOT_ID as this boot's id (NULL: the kernel's). */
static struct edge_cache *open_cache_boot(uint64_t max_size, const char *boot_id)
{
	struct edge_cache_config cfg = {.root = root,
					.index_dir = index_dir,
					.map_size = 64 << 20,
					.max_size = max_size,
					.shared = sh,
					.boot_id = boot_id};
	struct edge_cache *c = NULL;
	char err[256];

	if (edge_cache_open(&cfg, &c, err, sizeof(err)) != 0)
		printf("# %s\n", err);
	return c;
}

static struct edge_cache *open_cache(uint64_t max_size)
{
	return open_cache_boot(max_size, NULL);
}

static bool exists(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return access(p, F_OK) == 0;
}

/* Store SIZE bytes of FILL as KEY, pulled or filled; 0 or the error. */
static int put(struct edge_cache *c, const char *key, size_t size, int fill,
	       enum edge_origin origin, int64_t t)
{
	char title[65], buf[4096];
	struct edge_tmp *tmp;
	struct edge_object o = {.origin = origin, .size = size, .stored = t, .last_hit = t};
	int rc;

	snprintf(title, sizeof(title), "%.*s", (int)strcspn(key, "/"), key);
	if ((rc = edge_cache_tmp_open(c, title, size, &tmp)) != 0)
		return rc;
	memset(buf, fill, sizeof(buf));
	for (size_t off = 0; off < size && rc == 0; off += sizeof(buf))
		rc = edge_cache_tmp_write(c, tmp, buf,
					  size - off < sizeof(buf) ? size - off : sizeof(buf));
	if (rc != 0) {
		edge_cache_tmp_abort(c, tmp);
		return rc;
	}
	edge_cache_tmp_digest(tmp, o.sha256);
	edge_etag_for(o.sha256, o.etag);
	return edge_cache_tmp_commit(c, tmp, key, &o, NULL, EDGE_SYNC_NONE, NULL);
}

/* Small writes are gathered until a flush, a large one, a read back or the commit. */
static void test_gathered_writes(struct edge_cache *c)
{
	static char big[EDGE_TMP_BUFFER];
	struct edge_object o = {.origin = EDGE_ORIGIN_PULL, .size = 3 + 5 + sizeof(big) + 2};
	struct edge_tmp *tmp;
	char *text = NULL, path[512];
	struct stat st;

	memset(big, 'b', sizeof(big));
	CHECK_INT(edge_cache_tmp_open(c, "p", 0, &tmp), 0);
	CHECK_INT(edge_cache_tmp_write(c, tmp, "abc", 3), 0);
	CHECK_INT(edge_cache_tmp_write(c, tmp, "defgh", 5), 0);
	CHECK(tmp->written == 8 && tmp->on_disk == 0);
	CHECK_INT(edge_cache_tmp_contents(c, tmp, 100, &text), 0);
	CHECK(tmp->on_disk == 8 && text && memcmp(text, "abcdefgh", 8) == 0);
	free(text);
	CHECK_INT(edge_cache_tmp_contents(c, tmp, 7, &text), -EFBIG);
	CHECK_INT(edge_cache_tmp_write(c, tmp, big, sizeof(big)), 0); /* straight to the file */
	CHECK(tmp->on_disk == 8 + sizeof(big));
	CHECK_INT(edge_cache_tmp_write(c, tmp, "ij", 2), 0);
	CHECK(tmp->on_disk == 8 + sizeof(big) && tmp->written == o.size);
	edge_cache_tmp_digest(tmp, o.sha256);
	edge_etag_for(o.sha256, o.etag);
	CHECK_INT(edge_cache_tmp_commit(c, tmp, "p/gathered.ts", &o, NULL, EDGE_SYNC_NONE, NULL),
		  0);
	snprintf(path, sizeof(path), "%s/p/gathered.ts", root);
	CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == o.size);
}

/* Bytes of every file under the root, temporary ones included. */
static uint64_t disk_bytes(void)
{
	char cmd[600];
	unsigned long long n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "find %s -type f -printf '%%s\\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'",
		 root);
	if ((p = popen(cmd, "r"))) {
		if (fscanf(p, "%llu", &n) != 1)
			n = 0;
		pclose(p);
	}
	return n;
}

static void test_place_and_quota(void)
{
	struct edge_cache *c = open_cache(1000000);
	struct edge_object o;
	struct edge_tmp *tmp;
	uint64_t bytes, objects, gen;

	CHECK(c != NULL);
	CHECK_INT(put(c, "t1/a/seg1.m4s", 300000, 1, EDGE_ORIGIN_FILL, 10), 0);
	CHECK(exists("t1/a/seg1.m4s"));
	CHECK_INT(edge_index_get(edge_cache_index(c), "t1/a/seg1.m4s", &o), 0);
	CHECK(o.size == 300000 && o.origin == EDGE_ORIGIN_FILL);
	CHECK_INT(put(c, "p/s1.ts", 300000, 2, EDGE_ORIGIN_PULL, 20), 0);
	CHECK_INT(put(c, "p/s2.ts", 300000, 3, EDGE_ORIGIN_PULL, 30), 0);
	CHECK(disk_bytes() == 900000);
	/* past max_size: the oldest pulled object goes, the filled one stays */
	gen = edge_cache_generation(c);
	CHECK_INT(put(c, "p/s3.ts", 300000, 4, EDGE_ORIGIN_PULL, 40), 0);
	CHECK(!exists("p/s1.ts") && exists("p/s2.ts") && exists("t1/a/seg1.m4s"));
	CHECK(edge_cache_generation(c) != gen);
	CHECK(disk_bytes() <= 1000000);
	/* an object larger than what may go: refused, nothing left behind */
	CHECK_INT(put(c, "p/huge.ts", 2000000, 5, EDGE_ORIGIN_PULL, 50), -ENOSPC);
	CHECK(!exists("p/huge.ts"));
	/* an unknown size reserves as it grows; a short write does not commit */
	CHECK_INT(edge_cache_tmp_open(c, "p", 0, &tmp), 0);
	CHECK_INT(edge_cache_tmp_write(c, tmp, "abc", 3), 0);
	o = (struct edge_object){.origin = EDGE_ORIGIN_PULL, .size = 4};
	strcpy(o.etag, "\"x\"");
	CHECK_INT(edge_cache_tmp_commit(c, tmp, "p/short.ts", &o, NULL, EDGE_SYNC_NONE, NULL),
		  -EINVAL);
	CHECK(!exists("p/short.ts"));
	CHECK(disk_bytes() <= 1000000);
	test_gathered_writes(c);
	/* removal of a whole title */
	CHECK_INT(edge_cache_remove(c, "t1/", true, &bytes, &objects), 0);
	CHECK(bytes == 300000 && objects == 1);
	CHECK(!exists("t1/a/seg1.m4s") && !exists("t1"));
	CHECK_INT(edge_cache_remove(c, "p/", true, &bytes, &objects), 0);
	CHECK_INT(edge_index_usage(edge_cache_index(c), &bytes, &objects), 0);
	CHECK(bytes == 0 && objects == 0);
	edge_cache_free(c);
}

static void test_quota_across_processes(void)
{
	struct edge_cache *c;
	int status = 0;

	/* four processes fill 40 objects of 1000 bytes into a 10000-byte quota */
	for (int p = 0; p < 4; p++) {
		if (fork() == 0) {
			struct edge_cache *cc = open_cache(10000);
			int bad = !cc;

			for (int i = 0; i < 10 && !bad; i++) {
				char key[64];

				snprintf(key, sizeof(key), "q%d/o%d.ts", p, i);
				/* the walk of disk_bytes() is not atomic: a file evicted after the
				 * walk counted it and one placed where the walk goes later are
				 * both counted, at most one per process placing meanwhile */
				bad = put(cc, key, 1000, i, EDGE_ORIGIN_PULL, 100 + i) != 0 ||
				      disk_bytes() > 10000 + 4 * 1000;
			}
			edge_cache_free(cc);
			_exit(bad);
		}
	}
	for (int p = 0; p < 4; p++) {
		wait(&status);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	c = open_cache(10000);
	CHECK(disk_bytes() <= 10000);
	CHECK_INT(edge_index_verify(edge_cache_index(c)), 1);
	for (int p = 0; p < 4; p++) {
		char key[16];

		snprintf(key, sizeof(key), "q%d/", p);
		edge_cache_remove(c, key, true, NULL, NULL);
	}
	edge_cache_free(c);
}

static void write_file(const char *rel, size_t size)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
}

static void test_reconcile(void)
{
	struct edge_cache *c = open_cache(0);
	struct edge_reconcile_stats st;
	struct edge_object o;
	struct edge_title t;
	char p[512];

	CHECK_INT(put(c, "r/keep.ts", 100, 1, EDGE_ORIGIN_PULL, 10), 0);
	CHECK_INT(put(c, "r/gone.ts", 100, 2, EDGE_ORIGIN_PULL, 10), 0);
	CHECK_INT(put(c, "r/resized.ts", 100, 3, EDGE_ORIGIN_PULL, 10), 0);
	snprintf(p, sizeof(p), "%s/r/gone.ts", root);
	unlink(p);
	write_file("r/resized.ts", 50);
	write_file("r/orphan.ts", 10);
	mkdir(strcat(strcpy(p, root), "/o"), 0755);
	write_file("o/lone.ts", 10);
	write_file(".tmp/0000000000000000.1.1", 10);	     /* an earlier run's */
	write_file(".tmp/ffffffffffffffff.999999999.1", 10); /* this run, a dead pid */
	/* everything above happened "before" the reconcile started */
	CHECK_INT(edge_reconcile(c, time(NULL) + 5, &st), 0);
	CHECK_INT(st.tmp, 2);
	CHECK_INT(st.orphans, 3); /* orphan.ts, lone.ts, resized.ts */
	CHECK_INT(st.dropped, 2); /* gone.ts, resized.ts */
	CHECK(!st.rebuilt);
	CHECK(exists("r/keep.ts") && !exists("r/orphan.ts") && !exists("o"));
	CHECK_INT(edge_index_get(edge_cache_index(c), "r/gone.ts", &o), -ENOENT);
	CHECK_INT(edge_index_title(edge_cache_index(c), "r", &t), 0);
	CHECK(t.objects == 1 && t.bytes == 100);
	/* a second pass finds nothing; work newer than the start is left alone */
	write_file("r/new.ts", 10);
	CHECK_INT(edge_reconcile(c, time(NULL) - 60, &st), 0);
	CHECK(st.orphans == 0 && st.dropped == 0 && exists("r/new.ts"));
	edge_cache_free(c);
}

/* Commit a manifest of TITLE listing the stored objects TITLE/A and TITLE/B: filled, complete. */
static int put_manifest(struct edge_cache *c, const char *title, const char *a, const char *b)
{
	struct edge_object oa, ob, o = {.origin = EDGE_ORIGIN_FILL};
	char key[128], text[512], ha[65], hb[65];
	struct manifest *m = NULL;
	struct edge_tmp *tmp;
	int rc;

	snprintf(key, sizeof(key), "%s/%s", title, a);
	if ((rc = edge_index_get(edge_cache_index(c), key, &oa)) != 0)
		return rc;
	snprintf(key, sizeof(key), "%s/%s", title, b);
	if ((rc = edge_index_get(edge_cache_index(c), key, &ob)) != 0)
		return rc;
	for (int i = 0; i < 32; i++) {
		snprintf(ha + 2 * i, 3, "%02x", oa.sha256[i]);
		snprintf(hb + 2 * i, 3, "%02x", ob.sha256[i]);
	}
	snprintf(text, sizeof(text),
		 "{\"files\":[{\"path\":\"%s\",\"size\":%llu,\"sha256\":\"%s\"},"
		 "{\"path\":\"%s\",\"size\":%llu,\"sha256\":\"%s\"}]}",
		 a, (unsigned long long)oa.size, ha, b, (unsigned long long)ob.size, hb);
	if ((rc = manifest_parse(text, strlen(text), &m, key, sizeof(key))) != 0)
		return rc;
	o.size = strlen(text);
	snprintf(key, sizeof(key), "%s/manifest.json", title);
	if ((rc = edge_cache_tmp_open(c, title, o.size, &tmp)) == 0 &&
	    (rc = edge_cache_tmp_write(c, tmp, text, o.size)) == 0) {
		edge_cache_tmp_digest(tmp, o.sha256);
		edge_etag_for(o.sha256, o.etag);
		rc = edge_cache_tmp_commit(c, tmp, key, &o, m, EDGE_SYNC_NONE, NULL);
	} else if (rc == 0) {
		edge_cache_tmp_abort(c, tmp);
	}
	manifest_free(m);
	return rc;
}

/*
 * Objects are indexed at once and made durable by the background sync; a
 * start after a system crash (another boot id) re-verifies those that were
 * not durable yet: the damaged and the lost are dropped and never served,
 * the intact kept, the durable ones not read at all.
 */
static void test_recheck_after_crash(void)
{
	struct edge_cache *c = open_cache_boot(0, "boot-a");
	struct edge_recheck_stats st;
	struct edge_sync_state ss;
	struct edge_object o;
	struct edge_title t;
	uint64_t from = 1, to = 1, syncs, mlen;
	char p[512];

	/* everything so far made durable in this boot: nothing to re-check on a restart */
	CHECK_INT(edge_cache_sync(c), 0);
	CHECK_INT(edge_cache_unsynced_bytes(c), 0);
	CHECK_INT(edge_cache_boot(c, &from, &to), 0);
	CHECK(from == 0 && to == 0);
	CHECK_INT(put(c, "d/synced.ts", 100, 1, EDGE_ORIGIN_FILL, 10), 0);
	CHECK_INT(edge_cache_unsynced_bytes(c), 100);
	syncs = edge_cache_syncs(c);
	CHECK_INT(edge_cache_sync(c), 0);
	CHECK_INT(edge_cache_syncs(c), syncs + 1);
	CHECK_INT(edge_cache_unsynced_bytes(c), 0);
	CHECK_INT(edge_cache_sync(c), 0); /* nothing written since: no sync */
	CHECK_INT(edge_cache_syncs(c), syncs + 1);
	CHECK_INT(edge_index_sync_state(edge_cache_index(c), &ss), 0);
	CHECK(ss.durable == ss.gen - 1 && strcmp(ss.boot_id, "boot-a") == 0);
	/* written and indexed, served at once, not yet durable */
	CHECK_INT(put(c, "d/good.ts", 100, 2, EDGE_ORIGIN_FILL, 10), 0);
	CHECK_INT(put(c, "d/bad.ts", 100, 3, EDGE_ORIGIN_FILL, 10), 0);
	CHECK_INT(put(c, "d/lost.ts", 100, 4, EDGE_ORIGIN_PULL, 10), 0);
	CHECK_INT(put(c, "d/again.ts", 100, 5, EDGE_ORIGIN_PULL, 10), 0);
	CHECK_INT(put_manifest(c, "d", "good.ts", "bad.ts"), 0);
	CHECK_INT(edge_index_title(edge_cache_index(c), "d", &t), 0);
	CHECK(t.flags & EDGE_TITLE_COMPLETE);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/manifest.json", &o), 0);
	mlen = o.size;
	CHECK_INT(edge_cache_unsynced_bytes(c), 400 + mlen);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/bad.ts", &o), 0);
	edge_cache_free(c);
	/* the system crashed: bytes changed, a file lost; the durable one damaged too */
	write_file("d/bad.ts", 100);
	write_file("d/synced.ts", 100);
	write_file("d/again.ts", 100);
	snprintf(p, sizeof(p), "%s/d/lost.ts", root);
	CHECK_INT(unlink(p), 0);

	c = open_cache_boot(0, "boot-b");
	CHECK_INT(edge_cache_boot(c, &from, &to), 0);
	CHECK(from == ss.gen && to == ss.gen);
	/* not served until checked; one rewritten meanwhile is the new copy */
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/good.ts", &o), -ENOENT);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/bad.ts", &o), -ENOENT);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/synced.ts", &o), 0);
	CHECK_INT(put(c, "d/again.ts", 100, 5, EDGE_ORIGIN_PULL, 10), 0);
	CHECK_INT(edge_recheck(c, &st), 0);
	/* good, bad, lost, the manifest: not synced.ts, not the new again.ts */
	CHECK_INT(st.checked, 4);
	CHECK_INT(st.bad, 2);
	CHECK_INT(st.bytes, 200 + mlen);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/good.ts", &o), 0);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/bad.ts", &o), -ENOENT);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/lost.ts", &o), -ENOENT);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/again.ts", &o), 0);
	CHECK_INT(edge_index_get(edge_cache_index(c), "d/synced.ts", &o), 0);
	CHECK(!exists("d/bad.ts") && exists("d/good.ts"));
	/* the title lost a file of its manifest: partial again, the next fill sends it */
	CHECK_INT(edge_index_title(edge_cache_index(c), "d", &t), 0);
	CHECK(t.objects == 4 && t.bytes == 300 + mlen && t.pinned == 3);
	CHECK((t.flags & EDGE_TITLE_MANIFEST) && !(t.flags & EDGE_TITLE_COMPLETE));
	/* the check is over: a restart in this boot checks nothing */
	CHECK_INT(edge_cache_boot(c, &from, &to), 0);
	CHECK(from == 0 && to == 0);
	CHECK_INT(edge_recheck(c, &st), 0);
	CHECK_INT(st.checked, 0);
	CHECK_INT(edge_cache_remove(c, "d/", true, NULL, NULL), 0);
	edge_cache_free(c);
}

int main(void)
{
	char base[] = "/tmp/reel-cache-XXXXXX", cmd[300];

	if (!mkdtemp(base))
		return 1;
	snprintf(root, sizeof(root), "%s/content", base);
	snprintf(index_dir, sizeof(index_dir), "%s/index", base);
	mkdir(root, 0755);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK_INT(edge_cache_shared_init(sh, "ffffffffffffffff"), 0);
	test_place_and_quota();
	test_quota_across_processes();
	test_reconcile();
	test_recheck_after_crash();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	CHECK_INT(system(cmd), 0);
	return test_done();
}
