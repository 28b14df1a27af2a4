/*
 * Open-file cache: a chained hash table with an LRU list.  Files are opened
 * beneath the content root (open_beneath.h), so neither ".." nor a symlink
 * can lead outside it, whatever the path says.
 */
#include "filecache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "http_date.h"
#include "open_beneath.h"
#include "strhash.h"

#define FILE_MAGIC 0x46696c65U /* "File" */

struct edge_filecache {
	struct edge_filecache_config cfg;
	bool atime_kept; /* O_NOATIME was refused (files owned by someone else): open without */
	struct edge_file **table;
	size_t mask;
	unsigned count;
	struct edge_file *lru_head, *lru_tail; /* head: most recently used */
	uint64_t gen_seen, stale_before;       /* entries checked before this look again */
};

struct edge_filecache *edge_filecache_new(const struct edge_filecache_config *cfg)
{
	struct edge_filecache *fc = calloc(1, sizeof(*fc));
	size_t n = 64;

	if (!fc)
		return NULL;
	while (n < (size_t)cfg->max_entries * 2)
		n *= 2;
	fc->cfg = *cfg;
	fc->mask = n - 1;
	if (!(fc->table = calloc(n, sizeof(*fc->table)))) {
		free(fc);
		return NULL;
	}
	return fc;
}

static void file_free(struct edge_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free((void *)f->data);
	free((void *)f->gz);
	buf_free(&f->hdr);
	buf_free(&f->gz_hdr);
	for (int i = 0; i < EDGE_VARIANTS; i++) {
		buf_free(&f->variants[i].body);
		buf_free(&f->variants[i].hdr);
	}
	f->magic = 0;
	free(f);
}

void edge_file_unref(void *file)
{
	struct edge_file *f = file;

	if (f->magic != FILE_MAGIC)
		abort();
	if (--f->refs == 0 && !f->cached)
		file_free(f);
}

static void lru_unlink(struct edge_filecache *fc, struct edge_file *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		fc->lru_head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		fc->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_push(struct edge_filecache *fc, struct edge_file *f)
{
	f->lru_next = fc->lru_head;
	f->lru_prev = NULL;
	if (fc->lru_head)
		fc->lru_head->lru_prev = f;
	fc->lru_head = f;
	if (!fc->lru_tail)
		fc->lru_tail = f;
}

/* Take F out of the table; it lives on while requests hold it. */
static void evict(struct edge_filecache *fc, struct edge_file *f)
{
	struct edge_file **pp = &fc->table[f->hash & fc->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	lru_unlink(fc, f);
	fc->count--;
	f->cached = false;
	if (f->refs == 0)
		file_free(f);
}

void edge_filecache_free(struct edge_filecache *fc)
{
	if (!fc)
		return;
	while (fc->lru_head)
		evict(fc, fc->lru_head);
	free(fc->table);
	free(fc);
}

/* Compress DATA with gzip; keep the result only when it is smaller. */
static void make_gzip(struct edge_file *f)
{
	z_stream z = {0};
	uLong bound;
	char *out;

	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	bound = deflateBound(&z, (uLong)f->size);
	if (!(out = malloc(bound))) {
		deflateEnd(&z);
		return;
	}
	z.next_in = (Bytef *)f->data;
	z.avail_in = (uInt)f->size;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= f->size) {
		free(out);
		deflateEnd(&z);
		return;
	}
	f->gz = out;
	f->gz_len = z.total_out;
	deflateEnd(&z);
}

static int read_all(int fd, char *p, uint64_t size)
{
	uint64_t off = 0;

	while (off < size) {
		ssize_t n = pread(fd, p + off, size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		off += (uint64_t)n;
	}
	return 0;
}

/*
 * The header lines of an object of TYPE and KIND (gzip form when GZ) with
 * ETAG ("" for none) and MTIME (0: none), then EXTRA, appended to OUT.
 */
static int object_headers(const struct edge_filecache *fc, struct buf *out, const char *type,
			  enum content_kind kind, bool compressible, bool gz, const char *etag,
			  time_t mtime, const char *extra)
{
	char date[HTTP_DATE_LEN + 1];
	const char *cc = fc->cfg.cache_control[kind];
	const char *vary = compressible && fc->cfg.gzip ? "Vary: Accept-Encoding\r\n" : "";

	if (mtime)
		http_date_format(mtime, date);
	return buf_printf(out,
			  "Content-Type: %s\r\n%s%s%s%s%s%s%s%s%s%sAccept-Ranges: bytes\r\n%s%s%s",
			  type, gz ? "Content-Encoding: gzip\r\n" : "", etag[0] ? "ETag: " : "",
			  etag, etag[0] ? "\r\n" : "", mtime ? "Last-Modified: " : "",
			  mtime ? date : "", mtime ? "\r\n" : "", cc[0] ? "Cache-Control: " : "",
			  cc, cc[0] ? "\r\n" : "", vary, fc->cfg.cors_static, extra);
}

static int build_headers(struct edge_filecache *fc, struct edge_file *f, bool compressible)
{
	int rc = object_headers(fc, &f->hdr, f->content_type, f->kind, compressible, false, f->etag,
				f->mtime, "");

	if (rc == 0 && f->gz)
		rc = object_headers(fc, &f->gz_hdr, f->content_type, f->kind, compressible, true,
				    f->gz_etag, f->mtime, "");
	return rc;
}

int edge_filecache_headers(const struct edge_filecache *fc, const char *path, const char *etag,
			   time_t mtime, struct buf *out)
{
	enum content_kind kind;
	bool compressible;
	const char *type = content_type_of(path, &kind, &compressible);

	return object_headers(fc, out, type, kind, compressible, false, etag, mtime, "");
}

/*
 * Build a new entry for PATH from the open descriptor FD (taken over) and,
 * in a store, its index record REC.
 */
static int file_load(struct edge_filecache *fc, const char *path, int fd, const struct stat *st,
		     const struct edge_object *rec, struct edge_file **out)
{
	size_t klen = strlen(path);
	struct edge_file *f = calloc(1, sizeof(*f) + klen + 1);
	bool compressible;
	int rc = -ENOMEM;

	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	f->magic = FILE_MAGIC;
	f->fd = fd;
	memcpy(f->key, path, klen + 1);
	f->size = (uint64_t)st->st_size;
	f->mtime = f->disk_mtime = st->st_mtim.tv_sec;
	f->mtime_ns = st->st_mtim.tv_nsec;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->content_type = content_type_of(path, &f->kind, &compressible);
	if (rec) {
		/* the store's validators: the same on every edge that has the object */
		f->mtime = (time_t)rec->mtime;
		f->etag_len = (uint32_t)snprintf(f->etag, sizeof(f->etag), "%s", rec->etag);
	} else {
		f->etag_len = (uint32_t)snprintf(f->etag, sizeof(f->etag), "\"%llx%08lx-%llx\"",
						 (unsigned long long)f->mtime, f->mtime_ns,
						 (unsigned long long)f->size);
	}
	if (f->size <= fc->cfg.inline_max) {
		char *data = malloc(f->size ? f->size : 1);

		if (!data)
			goto fail;
		f->data = data;
		if ((rc = read_all(fd, data, f->size)) != 0)
			goto fail;
		if (compressible && fc->cfg.gzip && f->size >= 256)
			make_gzip(f);
		close(f->fd); /* served from memory; revalidation reopens by path */
		f->fd = -1;
	}
	if (f->gz)
		f->gz_etag_len = (uint32_t)snprintf(f->gz_etag, sizeof(f->gz_etag), "%.*s-gz\"",
						    (int)f->etag_len - 1, f->etag);
	if (build_headers(fc, f, compressible) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = f;
	return 0;
fail:
	file_free(f);
	return rc;
}

static int open_regular(struct edge_filecache *fc, const char *path, struct stat *st)
{
	int fd = open_beneath(fc->cfg.rootfd, path, &fc->atime_kept);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

static void insert(struct edge_filecache *fc, struct edge_file *f, uint64_t hash, uint64_t now)
{
	size_t b = hash & fc->mask;

	f->hash = hash;
	f->checked_ms = now;
	f->cached = true;
	f->hnext = fc->table[b];
	fc->table[b] = f;
	lru_push(fc, f);
	fc->count++;
	while (fc->count > fc->cfg.max_entries && fc->lru_tail != f)
		evict(fc, fc->lru_tail);
}

static struct edge_file *lookup(struct edge_filecache *fc, const char *path, uint64_t hash)
{
	struct edge_file *f;

	for (f = fc->table[hash & fc->mask]; f; f = f->hnext)
		if (f->hash == hash && strcmp(f->key, path) == 0)
			return f;
	return NULL;
}

/* Is the cached F still what PATH names on disk?  Returns 1 yes, 0 no, < 0 gone. */
static int revalidate(struct edge_filecache *fc, struct edge_file *f, int *fd, struct stat *st)
{
	*fd = open_regular(fc, f->key, st);
	if (*fd < 0)
		return *fd;
	if (st->st_dev == f->dev && st->st_ino == f->ino && (uint64_t)st->st_size == f->size &&
	    st->st_mtim.tv_sec == f->disk_mtime && st->st_mtim.tv_nsec == f->mtime_ns) {
		close(*fd);
		*fd = -1;
		return 1;
	}
	return 0;
}

/* A store object the index does not know, or whose file is not the one indexed: -ENODATA. */
static int store_check(struct edge_filecache *fc, const char *path, int fd, const struct stat *st,
		       struct edge_object *rec)
{
	int rc = edge_index_get(fc->cfg.index, path, rec);

	if (rc == 0 && rec->size != (uint64_t)st->st_size)
		rc = -ENOENT;
	if (rc != 0)
		close(fd);
	return rc == 0 ? 0 : rc == -ENOENT ? -ENODATA : -EIO;
}

/* The entry F serves the request: it goes to the front, gets a reference and a hit. */
static void take(struct edge_filecache *fc, struct edge_file *f, struct edge_file **out)
{
	lru_unlink(fc, f);
	lru_push(fc, f);
	f->refs++;
	f->hits += fc->cfg.index != NULL;
	*out = f;
}

/* Removals in the store: every entry is checked against the disk before its next use. */
static void check_generation(struct edge_filecache *fc, uint64_t now_ms)
{
	uint64_t gen = __atomic_load_n(fc->cfg.generation, __ATOMIC_RELAXED);

	if (gen != fc->gen_seen) {
		fc->gen_seen = gen;
		fc->stale_before = now_ms + 1;
	}
}

int edge_filecache_get(struct edge_filecache *fc, const char *path, uint64_t now_ms,
		       struct edge_file **out, bool *hit)
{
	uint64_t hash = str_hash(path);
	struct edge_file *f = lookup(fc, path, hash);
	struct edge_object rec;
	struct stat st;
	int fd = -1, rc;

	if (fc->cfg.generation)
		check_generation(fc, now_ms);
	if (f && now_ms - f->checked_ms < fc->cfg.revalidate_ms &&
	    f->checked_ms >= fc->stale_before) {
		take(fc, f, out);
		*hit = true;
		return 0;
	}
	if (f) {
		rc = revalidate(fc, f, &fd, &st);
		if (rc == 1) {
			f->checked_ms = now_ms;
			take(fc, f, out);
			*hit = true;
			return 0;
		}
		evict(fc, f);
		if (rc < 0)
			return rc == -ENOENT && fc->cfg.index ? -ENODATA : rc;
		if (fc->cfg.index && (rc = store_check(fc, path, fd, &st, &rec)) != 0)
			return rc;
	} else if (fc->cfg.index) {
		/* a store: the index first, so a miss costs no system call */
		if ((rc = edge_index_get(fc->cfg.index, path, &rec)) != 0)
			return rc == -ENOENT ? -ENODATA : -EIO;
		if ((fd = open_regular(fc, path, &st)) < 0)
			return fd == -ENOENT ? -ENODATA : fd;
		if (rec.size != (uint64_t)st.st_size) {
			close(fd);
			return -ENODATA; /* not the file indexed: the reconcile will see to it */
		}
	} else if ((fd = open_regular(fc, path, &st)) < 0) {
		return fd;
	}
	if ((rc = file_load(fc, path, fd, &st, fc->cfg.index ? &rec : NULL, &f)) != 0)
		return rc;
	insert(fc, f, hash, now_ms);
	take(fc, f, out);
	*hit = false;
	return 0;
}

void edge_filecache_hits(struct edge_filecache *fc,
			 void (*fn)(void *arg, const char *key, uint32_t hits), void *arg)
{
	for (struct edge_file *f = fc->lru_head; f; f = f->lru_next) {
		if (f->hits) {
			fn(arg, f->key, f->hits);
			f->hits = 0;
		}
	}
}
