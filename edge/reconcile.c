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
