/*
 * The cache store: temporary files, placing and removing object files, and
 * the quota's reservations (see cache.h).
 */
#include "cache.h"
#include "pmutex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define CACHE_MAGIC 0x43616368U /* "Cach" */

struct edge_cache {
	uint32_t magic;
	struct edge_cache_config cfg;
	struct edge_cache_shared *sh;
	struct edge_index *ix;
	int rootfd, tmpfd;
	char boot_id[EDGE_BOOT_ID_MAX];
	bool no_tmpfile; /* the file system has no O_TMPFILE */
	int slot;	 /* in sh->slots */
	pid_t pid;	 /* of the process that opened it */
	uint64_t seq;
};

/* ---- shared state ----------------------------------------------------------- */

int edge_cache_shared_init(struct edge_cache_shared *sh, const char *run_id)
{
	memset(sh, 0, sizeof(*sh));
	snprintf(sh->run_id, sizeof(sh->run_id), "%s", run_id);
	return edge_pmutex_init(&sh->lock);
}

/* Lock SH; a holder that died leaves the state as consistent as its last store. */
static void lock(struct edge_cache_shared *sh)
{
	edge_pmutex_lock(&sh->lock);
}

static void unlock(struct edge_cache_shared *sh)
{
	edge_pmutex_unlock(&sh->lock);
}

void edge_cache_shared_release(struct edge_cache_shared *sh, pid_t pid)
{
	lock(sh);
	for (int i = 0; i < EDGE_CACHE_SLOTS; i++) {
		if (sh->slots[i].pid == pid) {
			sh->slots[i].pid = 0;
			sh->slots[i].reserved = sh->slots[i].written = 0;
		}
	}
	unlock(sh);
}

static int claim_slot(struct edge_cache_shared *sh)
{
	int slot = -1;

	lock(sh);
	for (int i = 0; i < EDGE_CACHE_SLOTS && slot < 0; i++) {
		if (sh->slots[i].pid == 0 || sh->slots[i].pid == getpid()) {
			sh->slots[i].pid = getpid();
			sh->slots[i].reserved = sh->slots[i].written = 0;
			slot = i;
		}
	}
	unlock(sh);
	return slot;
}

/* Bytes reserved and not yet written, by every process (under the lock). */
static void reservations(const struct edge_cache_shared *sh, uint64_t *reserved,
			 uint64_t *unwritten)
{
	*reserved = *unwritten = 0;
	for (int i = 0; i < EDGE_CACHE_SLOTS; i++) {
		if (!sh->slots[i].pid)
			continue;
		*reserved += sh->slots[i].reserved;
		if (sh->slots[i].reserved > sh->slots[i].written)
			*unwritten += sh->slots[i].reserved - sh->slots[i].written;
	}
}

/* ---- open, close ------------------------------------------------------------- */

int edge_cache_open(const struct edge_cache_config *cfg, struct edge_cache **out, char *err,
		    size_t errlen)
{
	struct edge_cache *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->magic = CACHE_MAGIC;
	c->cfg = *cfg;
	c->sh = cfg->shared;
	c->rootfd = c->tmpfd = -1;
	c->slot = -1;
	c->pid = getpid();
	if (cfg->boot_id)
		snprintf(c->boot_id, sizeof(c->boot_id), "%s", cfg->boot_id);
	else
		edge_boot_id(c->boot_id);
	if ((c->rootfd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "content root %s: %s", cfg->root, strerror(errno));
		goto fail;
	}
	if (mkdirat(c->rootfd, EDGE_TMP_DIR, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s/%s: %s", cfg->root, EDGE_TMP_DIR, strerror(errno));
		goto fail;
	}
	if ((c->tmpfd = openat(c->rootfd, EDGE_TMP_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s/%s: %s", cfg->root, EDGE_TMP_DIR, strerror(errno));
		goto fail;
	}
	if ((rc = edge_index_open(cfg->index_dir, cfg->map_size, &c->ix, err, errlen)) != 0)
		goto fail;
	if ((c->slot = claim_slot(c->sh)) < 0) {
		rc = -EAGAIN;
		snprintf(err, errlen, "more than %d processes hold the cache open",
			 EDGE_CACHE_SLOTS);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	edge_cache_free(c);
	return rc;
}

void edge_cache_free(struct edge_cache *c)
{
	if (!c)
		return;
	if (c->slot >= 0 && c->sh && c->ix)
		edge_cache_shared_release(c->sh, getpid());
	edge_index_free(c->ix);
	if (c->tmpfd >= 0)
		close(c->tmpfd);
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->magic = 0;
	free(c);
}

struct edge_index *edge_cache_index(struct edge_cache *c)
{
	return c->ix;
}

int edge_cache_rootfd(const struct edge_cache *c)
{
	return c->rootfd;
}

uint64_t edge_cache_generation(const struct edge_cache *c)
{
	return __atomic_load_n(&c->sh->generation, __ATOMIC_RELAXED);
}

uint64_t edge_cache_evicted(const struct edge_cache *c)
{
	return __atomic_load_n(&c->sh->evicted, __ATOMIC_RELAXED);
}

uint64_t edge_cache_disk_free(const struct edge_cache *c)
{
	struct statvfs st;
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->rootfd);
	if (statvfs(path, &st) != 0)
		return 0;
	return (uint64_t)st.f_bavail * st.f_frsize;
}

/* ---- durability ------------------------------------------------------------- */

void edge_boot_id(char out[EDGE_BOOT_ID_MAX])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, EDGE_BOOT_ID_MAX - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
}

enum edge_sync edge_cache_fill_sync(const struct edge_cache *c)
{
	return c->cfg.sync_each ? EDGE_SYNC_DATA : EDGE_SYNC_NONE;
}

int edge_cache_sync(struct edge_cache *c)
{
	uint64_t ended;
	int fd, rc = edge_index_sync_begin(c->ix, &ended);

	if (rc != 0 || !ended)
		return rc;
	/* every commit stamped ENDED is done: its data and its name are in the page cache */
	if ((fd = openat(c->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	rc = syncfs(fd) == 0 ? 0 : -errno;
	close(fd);
	if (rc == 0)
		rc = edge_index_sync_end(c->ix, ended, c->boot_id);
	if (rc == 0)
		__atomic_fetch_add(&c->sh->syncs, 1, __ATOMIC_RELAXED);
	return rc;
}

uint64_t edge_cache_syncs(const struct edge_cache *c)
{
	return __atomic_load_n(&c->sh->syncs, __ATOMIC_RELAXED);
}

uint64_t edge_cache_unsynced_bytes(struct edge_cache *c)
{
	struct edge_sync_state s;

	return edge_index_sync_state(c->ix, &s) == 0 ? s.pending + s.syncing : 0;
}

int edge_cache_boot(struct edge_cache *c, uint64_t *from, uint64_t *to)
{
	return edge_index_sync_boot(c->ix, c->boot_id, from, to);
}

/* ---- removing files ------------------------------------------------------------ */

/* Unlink the files of R, then empty folders up to the title's. */
void edge_cache_unlink(struct edge_cache *c, const struct edge_removed *r)
{
	for (size_t i = 0; i < r->n; i++) {
		char *key = r->keys[i], *slash;

		unlinkat(c->rootfd, key, 0);
		while ((slash = strrchr(key, '/')) != NULL) {
			*slash = '\0';
			if (unlinkat(c->rootfd, key, AT_REMOVEDIR) != 0)
				break;
		}
	}
	if (r->n)
		__atomic_fetch_add(&c->sh->generation, 1, __ATOMIC_RELAXED);
}

int edge_cache_remove(struct edge_cache *c, const char *key, bool prefix, uint64_t *bytes,
		      uint64_t *objects)
{
	struct edge_removed r = {0};
	int rc = edge_index_remove(c->ix, key, prefix, &r);

	edge_cache_unlink(c, &r);
	if (bytes)
		*bytes = r.bytes;
	if (objects)
		*objects = r.n;
	edge_removed_free(&r);
	return rc;
}

static int evict_locked(struct edge_cache *c, uint64_t need, const char *keep)
{
	struct edge_removed r = {0};
	int rc = edge_index_evict(c->ix, need, keep, &r);

	__atomic_fetch_add(&c->sh->evicted, r.n, __ATOMIC_RELAXED);
	edge_cache_unlink(c, &r);
	edge_removed_free(&r);
	return rc;
}

int edge_cache_evict(struct edge_cache *c, uint64_t need)
{
	int rc;

	lock(c->sh);
	rc = evict_locked(c, need, NULL);
	unlock(c->sh);
	return rc;
}

/* ---- reservations ---------------------------------------------------------------- */

/* How many bytes must go before N more may be written (under the lock). */
static int shortfall(struct edge_cache *c, uint64_t n, uint64_t *need)
{
	uint64_t used, objects, reserved, unwritten, free;
	int rc = edge_index_usage(c->ix, &used, &objects);

	*need = 0;
	if (rc != 0)
		return rc;
	reservations(c->sh, &reserved, &unwritten);
	if (c->cfg.max_size && used + reserved + n > c->cfg.max_size)
		*need = used + reserved + n - c->cfg.max_size;
	if (c->cfg.min_free && (free = edge_cache_disk_free(c)) != 0 &&
	    free < c->cfg.min_free + unwritten + n) {
		uint64_t more = c->cfg.min_free + unwritten + n - free;

		if (more > *need)
			*need = more;
	}
	return 0;
}

static int reserve(struct edge_cache *c, struct edge_tmp *t, uint64_t n)
{
	uint64_t need;
	int rc;

	if (c->cfg.max_size && t->reserved + n > c->cfg.max_size)
		return -ENOSPC; /* larger than the whole cache: evict nothing for it */
	lock(c->sh);
	rc = shortfall(c, n, &need);
	if (rc == 0 && need)
		rc = evict_locked(c, need, t->title[0] ? t->title : NULL);
	if (rc == 0) {
		c->sh->slots[c->slot].reserved += n;
		t->reserved += n;
	}
	unlock(c->sh);
	return rc;
}

static void release(struct edge_cache *c, struct edge_tmp *t)
{
	lock(c->sh);
	c->sh->slots[c->slot].reserved -= t->reserved;
	c->sh->slots[c->slot].written -= t->on_disk < t->reserved ? t->on_disk : t->reserved;
	unlock(c->sh);
	t->reserved = 0;
}

/* ---- temporary files ----------------------------------------------------------------- */

/* What to reserve at a time for an object of unknown size: a small share of the quota. */
static uint64_t chunk(const struct edge_cache *c)
{
	uint64_t share = c->cfg.max_size / 16;

	if (!c->cfg.max_size || share > EDGE_RESERVE_CHUNK)
		return EDGE_RESERVE_CHUNK;
	return share > 65536 ? share : 65536;
}

int edge_cache_tmp_open(struct edge_cache *c, const char *title, uint64_t size,
			struct edge_tmp **out)
{
	struct edge_tmp *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	t->fd = -1;
	snprintf(t->title, sizeof(t->title), "%s", title ? title : "");
	snprintf(t->name, sizeof(t->name), "%s.%d.%llu", c->sh->run_id, (int)c->pid,
		 (unsigned long long)++c->seq);
	if (!(t->sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL) != 1) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = reserve(c, t, size ? size : chunk(c))) != 0)
		goto fail;
	if (!c->no_tmpfile) {
		t->fd = openat(c->tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
		if (t->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
			c->no_tmpfile =
			    true; /* this file system has none: named files from now on */
	}
	if (t->fd >= 0) {
		t->unnamed = true;
		snprintf(t->path, sizeof(t->path), "/proc/%d/fd/%d", (int)c->pid, t->fd);
	} else if ((t->fd = openat(c->tmpfd, t->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
				   0644)) >= 0) {
		snprintf(t->path, sizeof(t->path), "%s/%s", EDGE_TMP_DIR, t->name);
	} else {
		rc = -errno;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	edge_cache_tmp_abort(c, t);
	return rc;
}

/* P[0..N) into T's file after what is on disk. */
static int write_out(struct edge_cache *c, struct edge_tmp *t, const void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = pwrite(t->fd, (const char *)p + done, n - done, (off_t)t->on_disk);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == ENOSPC ? -ENOSPC : -EIO;
		done += (size_t)w;
		t->on_disk += (uint64_t)w;
		__atomic_fetch_add(&c->sh->slots[c->slot].written, (uint64_t)w, __ATOMIC_RELAXED);
	}
	if (t->writeback && t->on_disk - t->wb_mark >= EDGE_WRITEBACK_CHUNK) {
		/* the disk writes while more comes: the sync that follows waits for less */
		sync_file_range(t->fd, (off_t)t->wb_mark, (off_t)(t->on_disk - t->wb_mark),
				SYNC_FILE_RANGE_WRITE);
		t->wb_mark = t->on_disk;
	}
	return 0;
}

int edge_cache_tmp_flush(struct edge_cache *c, struct edge_tmp *t)
{
	int rc = write_out(c, t, t->buf, t->buffered);

	if (rc == 0)
		t->buffered = 0;
	return rc;
}

int edge_cache_tmp_contents(struct edge_cache *c, struct edge_tmp *t, size_t max, char **out)
{
	char *text;
	int rc;

	if (t->written > max)
		return -EFBIG;
	if ((rc = edge_cache_tmp_flush(c, t)) != 0)
		return rc;
	if (!(text = malloc(t->written ? t->written : 1)))
		return -ENOMEM;
	if (pread(t->fd, text, t->written, 0) != (ssize_t)t->written) {
		free(text);
		return -EIO;
	}
	*out = text;
	return 0;
}

int edge_cache_tmp_write(struct edge_cache *c, struct edge_tmp *t, const void *p, size_t n)
{
	int rc;

	if (t->written + n > t->reserved) {
		uint64_t more = t->written + n - t->reserved;

		if ((rc = reserve(c, t, more > chunk(c) ? more : chunk(c))) != 0)
			return rc;
	}
	if (EVP_DigestUpdate(t->sha, p, n) != 1)
		return -EIO;
	if (t->buffered + n > EDGE_TMP_BUFFER && (rc = edge_cache_tmp_flush(c, t)) != 0)
		return rc;
	t->written += n;
	if (n >= EDGE_TMP_BUFFER)
		return write_out(c, t, p, n);
	if (!t->buf && !(t->buf = malloc(EDGE_TMP_BUFFER)))
		return -ENOMEM;
	memcpy(t->buf + t->buffered, p, n);
	t->buffered += n;
	return 0;
}

void edge_cache_tmp_digest(struct edge_tmp *t, uint8_t sha256[32])
{
	unsigned int len = 32;

	EVP_DigestFinal_ex(t->sha, sha256, &len);
}

void edge_cache_tmp_abort(struct edge_cache *c, struct edge_tmp *t)
{
	if (!t)
		return;
	if (t->fd >= 0) {
		close(t->fd);
		if (!t->unnamed)
			unlinkat(c->tmpfd, t->name, 0);
	}
	if (t->reserved)
		release(c, t);
	EVP_MD_CTX_free(t->sha);
	free(t->buf);
	free(t);
}

/* Create the folders of KEY's path below the root. */
static int make_parents(struct edge_cache *c, const char *key)
{
	char path[EDGE_KEY_MAX + 1];

	snprintf(path, sizeof(path), "%s", key);
	for (char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(c->rootfd, path, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

struct place_arg {
	struct edge_cache *c;
	struct edge_tmp *t;
	const char *key;
	bool placed;
};

/* Move T (named) or link it (unnamed) to KEY: 0, or -errno (ENOENT: no folder, EEXIST). */
static int place_once(struct place_arg *pa)
{
	char self[64];

	if (!pa->t->unnamed)
		return renameat(pa->c->tmpfd, pa->t->name, pa->c->rootfd, pa->key) == 0 ? 0
											: -errno;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pa->t->fd);
	return linkat(AT_FDCWD, self, pa->c->rootfd, pa->key, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

/* An unnamed file replacing an object: link it beside, then rename it over. */
static int place_over(struct place_arg *pa)
{
	char self[64];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", pa->t->fd);
	if (linkat(AT_FDCWD, self, pa->c->tmpfd, pa->t->name, AT_SYMLINK_FOLLOW) != 0)
		return -errno;
	if (renameat(pa->c->tmpfd, pa->t->name, pa->c->rootfd, pa->key) != 0) {
		int rc = -errno;

		unlinkat(pa->c->tmpfd, pa->t->name, 0);
		return rc;
	}
	return 0;
}

static int place(void *arg)
{
	struct place_arg *pa = arg;
	int rc = place_once(pa);

	/* the folders are there for all but a title's first objects: try first */
	if (rc == -ENOENT && (rc = make_parents(pa->c, pa->key)) == 0)
		rc = place_once(pa);
	if (rc == -EEXIST && pa->t->unnamed)
		rc = place_over(pa);
	if (rc == 0)
		pa->placed = true;
	return rc;
}

int edge_cache_tmp_commit(struct edge_cache *c, struct edge_tmp *t, const char *key,
			  const struct edge_object *o, const struct manifest *m,
			  enum edge_sync sync, size_t *missing)
{
	struct place_arg pa = {c, t, key, false};
	struct edge_removed retired = {0};
	struct edge_object rec = *o;
	int rc = 0;

	if (t->written != o->size)
		rc = -EINVAL;
	else
		rc = edge_cache_tmp_flush(c, t);
	if (rc == 0 && sync && fdatasync(t->fd) != 0)
		rc = -EIO;
	rec.synced = sync != EDGE_SYNC_NONE; /* else the background sync's generation */
	if (rc == 0 &&
	    (rc = edge_index_commit(c->ix, key, &rec, m, place, &pa, missing, &retired)) != 0 &&
	    pa.placed) {
		/* placed, then the commit failed: take the file back out */
		if (t->unnamed)
			unlinkat(c->rootfd, key, 0);
		else
			renameat(c->rootfd, key, c->tmpfd, t->name);
	}
	if (rc == 0) {
		close(t->fd); /* in place now: nothing to unlink */
		t->fd = -1;
		edge_cache_unlink(c, &retired); /* objects of an older version of the title */
		if (m) /* a title's version may have changed: workers look again */
			__atomic_fetch_add(&c->sh->manifests, 1, __ATOMIC_RELAXED);
		if (sync == EDGE_SYNC_INDEX)
			rc = edge_index_sync(c->ix);
	}
	edge_removed_free(&retired);
	edge_cache_tmp_abort(c, t);
	return rc;
}

/* Is the temporary file NAME one a live writer of this run may still finish? */
static bool tmp_alive(const struct edge_cache *c, const char *name)
{
	size_t rl = strlen(c->sh->run_id);
	char *end;
	long pid;

	if (strncmp(name, c->sh->run_id, rl) != 0 || name[rl] != '.')
		return false;
	pid = strtol(name + rl + 1, &end, 10);
	return *end == '.' && pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

unsigned edge_cache_sweep(struct edge_cache *c)
{
	int fd = openat(c->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	unsigned n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || tmp_alive(c, e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}
