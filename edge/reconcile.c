/*
 * Reconciling index and files (see reconcile.h): a walk of the content
 * root that checks each file against its record, then a scan of the index
 * that checks each record against its file.
 */
#include "reconcile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <unistd.h>

struct walk {
	struct edge_cache *c;
	time_t started;
	struct edge_reconcile_stats *st;
	char key[EDGE_KEY_MAX + 2];
	struct edge_removed drop; /* records to drop */
};

/* Placed or changed since the reconcile began: a writer's, not ours. */
static bool recent(const struct walk *w, const struct stat *st)
{
	return st->st_ctim.tv_sec >= w->started - 1;
}

/* The file at w->key (in DIRFD as NAME): keep it, or remove it with its record. */
static void check_file(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
	struct edge_object o;
	int rc;

	w->st->files++;
	if (recent(w, st))
		return;
	rc = edge_index_get(edge_cache_index(w->c), w->key, &o);
	if (rc == 0 && S_ISREG(st->st_mode) && o.size == (uint64_t)st->st_size)
		return;
	/* no record, or one of another size or unreadable (the scan then drops it) */
	if ((rc == -ENOENT || rc == 0 || rc == -EIO) && unlinkat(dirfd, name, 0) == 0)
		w->st->orphans++;
}

static int walk_dir(struct walk *w, int fd, size_t klen, int depth);

static void walk_entry(struct walk *w, DIR *d, const char *name, size_t klen, int depth)
{
	size_t nlen = strlen(name);
	struct stat st;

	if (klen + nlen + 1 >= sizeof(w->key) ||
	    fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	memcpy(w->key + klen, name, nlen + 1);
	if (S_ISDIR(st.st_mode) && depth < 16) {
		int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (sub >= 0) {
			w->key[klen + nlen] = '/';
			w->key[klen + nlen + 1] = '\0';
			walk_dir(w, sub, klen + nlen + 1, depth + 1);
			w->key[klen + nlen] = '\0';
			if (!recent(w, &st))
				unlinkat(dirfd(d), name, AT_REMOVEDIR); /* only when empty */
		}
		return;
	}
	if (depth == 0)
		return; /* a file at the top has no title: not the cache's */
	check_file(w, dirfd(d), name, &st);
}

/* Walk the folder FD (taken over) whose key prefix is w->key[0..KLEN). */
static int walk_dir(struct walk *w, int fd, size_t klen, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;

	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		/* dot entries: ".", "..", the temporary folder; never objects */
		if (e->d_name[0] == '.')
			continue;
		walk_entry(w, d, e->d_name, klen, depth);
	}
	closedir(d);
	return 0;
}

static int record_cb(void *arg, const char *key, const struct edge_object *o)
{
	struct walk *w = arg;
	struct stat st;

	w->st->records++;
	if (o && o->stored / 1000 >= w->started - 1)
		return 0;
	if (!o || fstatat(edge_cache_rootfd(w->c), key, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != o->size)
		return edge_removed_add(&w->drop, key, 0);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int edge_reconcile(struct edge_cache *c, time_t started, struct edge_reconcile_stats *st)
{
	struct walk w = {.c = c, .started = started, .st = st};
	struct edge_index *ix = edge_cache_index(c);
	uint64_t t0 = now_ms();
	int fd, rc;

	memset(st, 0, sizeof(*st));
	st->tmp = edge_cache_sweep(c);
	fd = openat(edge_cache_rootfd(c), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = fd < 0 ? -errno : walk_dir(&w, fd, 0, 0);
	if (rc == 0)
		rc = edge_index_objects(ix, "", record_cb, &w);
	if (rc == 0 && w.drop.n) {
		st->dropped = w.drop.n;
		rc = edge_index_drop(ix, w.drop.keys, w.drop.n);
	}
	if (rc == 0 && (rc = edge_index_verify(ix)) == 0) {
		st->rebuilt = true;
		rc = edge_index_rebuild(ix);
	}
	edge_removed_free(&w.drop);
	st->ms = now_ms() - t0;
	return rc < 0 ? rc : 0;
}

/* ---- the re-check after a system crash ----------------------------------------- */

#define RECHECK_BUF (1 << 20)

struct suspect {
	char *key;
	uint64_t size;
	uint8_t sha256[32];
};

struct recheck {
	struct edge_sync_state s;
	struct suspect *v;
	size_t n, cap;
	int rc;
};

static int suspect_cb(void *arg, const char *key, const struct edge_object *o)
{
	struct recheck *r = arg;
	struct suspect *sp;

	if (!o || !edge_sync_unchecked(&r->s, edge_object_gen(o)))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct suspect *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	sp = &r->v[r->n];
	if (!(sp->key = strdup(key)))
		return -ENOMEM;
	sp->size = o->size;
	memcpy(sp->sha256, o->sha256, 32);
	r->n++;
	return 0;
}

/* Is the file of SP there with its size and digest?  *BYTES counts what was read. */
static bool intact(struct edge_cache *c, const struct suspect *sp, char *buf, uint64_t *bytes)
{
	int fd = openat(edge_cache_rootfd(c), sp->key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	uint8_t got[32];
	unsigned len = 32;
	uint64_t total = 0;
	struct stat st;
	bool ok = false;
	ssize_t n;

	if (fd < 0 || !h || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != sp->size || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, RECHECK_BUF)) > 0) {
		total += (uint64_t)n;
		if (EVP_DigestUpdate(h, buf, (size_t)n) != 1)
			goto out;
	}
	ok = n == 0 && total == sp->size && EVP_DigestFinal_ex(h, got, &len) == 1 &&
	     memcmp(got, sp->sha256, 32) == 0;
out:
	*bytes += total;
	EVP_MD_CTX_free(h);
	if (fd >= 0)
		close(fd);
	return ok;
}

int edge_recheck(struct edge_cache *c, struct edge_recheck_stats *st)
{
	struct edge_index *ix = edge_cache_index(c);
	struct recheck r = {0};
	struct edge_removed gone = {0};
	char **bad = NULL, *buf = NULL;
	uint64_t t0 = now_ms();
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = edge_index_sync_state(ix, &r.s)) != 0 || !r.s.check_from)
		return rc;
	rc = edge_index_objects(ix, "", suspect_cb, &r);
	if (rc == 0 && r.n && (!(bad = calloc(r.n, sizeof(*bad))) || !(buf = malloc(RECHECK_BUF))))
		rc = -ENOMEM;
	for (size_t i = 0; i < r.n && rc == 0; i++) {
		st->checked++;
		if (!intact(c, &r.v[i], buf, &st->bytes))
			bad[st->bad++] = r.v[i].key;
	}
	if (rc == 0 && (rc = edge_index_recheck_done(ix, bad, st->bad, &gone)) == 0)
		edge_cache_unlink(c, &gone);
	edge_removed_free(&gone);
	for (size_t i = 0; i < r.n; i++)
		free(r.v[i].key);
	free(r.v);
	free(bad);
	free(buf);
	st->ms = now_ms() - t0;
	return rc;
}
