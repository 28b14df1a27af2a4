/*
 * The edge's open-file cache, one per worker: path -> open descriptor,
 * metadata, validators, prebuilt header lines, and for small objects the
 * bytes themselves (plus their gzip form for playlists, subtitles and JSON).
 * Entries are checked against the disk every `revalidate` milliseconds, so
 * the request path neither opens nor stats files.
 */
#ifndef EDGE_FILECACHE_H
#define EDGE_FILECACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "content_type.h"
#include "index.h"

#define EDGE_VARIANTS 4

/* A master playlist cut down to a maximum height (per-viewer plans). */
struct edge_variant {
	unsigned max_height; /* 0: slot unused */
	int removed;	     /* master_filter()'s result */
	struct buf body, hdr;
};

/*
 * A cached object.  It owns its descriptor, DATA, GZ, the header buffers and
 * the variants; they live as long as the entry (see edge_file_unref), and a
 * holder of a reference only reads them, except VARIANTS, which the request
 * handler fills.  CONTENT_TYPE is a static string.
 */
struct edge_file {
	uint32_t magic;
	uint32_t refs;
	int fd;
	uint64_t size;
	time_t mtime;
	const char *content_type;
	enum content_kind kind;
	char etag[64]; /* with quotes */
	uint32_t etag_len;
	char gz_etag[72];
	uint32_t gz_etag_len;
	const char *data; /* whole content when size <= inline_max, else NULL */
	const char *gz;	  /* gzip form, or NULL */
	uint64_t gz_len;
	struct buf hdr; /* Content-Type, ETag, Last-Modified, Cache-Control, Accept-Ranges, CORS */
	struct buf gz_hdr; /* the same for the gzip form, with Content-Encoding */
	struct edge_variant
	    variants[EDGE_VARIANTS]; /* filled by the handler, freed with the entry */

	/* cache bookkeeping */
	uint32_t hits; /* since the last edge_filecache_hits() (store objects only) */
	uint64_t hash, checked_ms;
	time_t disk_mtime; /* of the file (MTIME is what is served) */
	dev_t dev;
	ino_t ino;
	long mtime_ns;
	bool cached; /* still in the table */
	struct edge_file *hnext, *lru_prev, *lru_next;
	char key[];
};

struct edge_filecache_config {
	int rootfd; /* O_PATH descriptor of the content root; not owned */
	unsigned max_entries;
	uint64_t inline_max;
	uint64_t revalidate_ms;
	bool gzip;
	const char *cache_control[3]; /* by enum content_kind */
	const char *cors_static;      /* header lines sent on every object, or "" */
	/*
	 * The cache store's index, or NULL when the root is a folder served as
	 * it is.  With it, only indexed objects are served, with the index's
	 * ETag and Last-Modified; GENERATION (may be NULL) is a counter that
	 * changes when objects are removed, and every entry is then checked
	 * against the disk again before it is served.
	 */
	struct edge_index *index;
	const uint64_t *generation;
};

struct edge_filecache;

/*
 * A new cache with CFG (copied; its strings and ROOTFD are borrowed and must
 * outlive the cache).  The caller owns it and frees it with
 * edge_filecache_free() (NULL: no-op), which drops the table's references:
 * an entry still referenced elsewhere lives on until its last
 * edge_file_unref().  NULL with errno set on failure.
 */
struct edge_filecache *edge_filecache_new(const struct edge_filecache_config *cfg);
void edge_filecache_free(struct edge_filecache *fc);

/*
 * Look up the relative path PATH (already decoded and checked by
 * http_path_decode; only read during the call) at time NOW_MS.  On success
 * returns 0, stores in *OUT an entry with one reference that belongs to the
 * caller (release it with edge_file_unref; the entry, its descriptor and its
 * buffers stay valid until then, even if the cache drops it meanwhile) and
 * whether it came from the cache in *HIT.  Errors: -ENOENT (missing, not a
 * regular file, or outside the root through a symlink), -EACCES, -EMFILE,
 * -ENOMEM, -EIO; *OUT and *HIT are then untouched.
 */
int edge_filecache_get(struct edge_filecache *fc, const char *path, uint64_t now_ms,
		       struct edge_file **out, bool *hit);

/*
 * Call FN(ARG, key, hits) for every cached store object hit since the last
 * call, and reset its count (the worker reports hits to the index so).
 */
void edge_filecache_hits(struct edge_filecache *fc,
			 void (*fn)(void *arg, const char *key, uint32_t hits), void *arg);

/*
 * The header block the cache builds for an object PATH with ETAG and
 * MTIME (no gzip form), appended to OUT: for answers from elsewhere (an
 * object still being fetched).  0 or -ENOMEM.
 */
int edge_filecache_headers(const struct edge_filecache *fc, const char *path, const char *etag,
			   time_t mtime, struct buf *out);

/* Drop a reference; the entry is freed once unreferenced and out of the table. */
void edge_file_unref(void *file);

#endif
