/*
 * The records of the edge's cache index (edge/index.c owns the databases):
 * their in-memory form and their byte layout in LMDB.  All integers are
 * little-endian.
 *
 * Object ("<title>/<path>"):
 *   u8 version (1), u8 origin (1 fill, 2 pull), u16 flags (0),
 *   u64 size, u8[32] sha256, i64 stored, i64 last hit (both Unix ms), u64 hits,
 *   i64 last modified, u8 etag length, etag bytes,
 *   then extensions: u16 type, u16 length, bytes (types unknown to this
 *   version are kept as they are; later versions put stored response
 *   headers and freshness there)
 *
 * Title ("<title>"):
 *   u8 version (1), u8 flags (EDGE_TITLE_*), u16 reserved (0),
 *   u32 objects, u64 bytes, u32 pinned objects, i64 last hit (Unix ms),
 *   u8[16] manifest version (hex digits; zeros when none)
 *
 * Manifest entry ("<title>/<path>"): u64 size, u8[32] sha256.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_INDEX_RECORD_H
#define EDGE_INDEX_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDGE_ETAG_MAX	    80	/* with its quotes */
#define EDGE_EXT_MAX	    512 /* bytes of extensions kept */
#define EDGE_OBJECT_MIN_LEN 77	/* the fixed part and an etag length */

enum edge_origin { EDGE_ORIGIN_FILL = 1, EDGE_ORIGIN_PULL = 2 };

struct edge_object {
	enum edge_origin origin;
	uint64_t size;
	uint8_t sha256[32];
	int64_t stored, last_hit; /* Unix milliseconds: the LRU order */
	int64_t mtime;		  /* Last-Modified, Unix seconds */
	uint64_t hits;
	char etag[EDGE_ETAG_MAX + 1]; /* '"..."', printable ASCII */
	uint8_t ext[EDGE_EXT_MAX];    /* extension TLVs, as stored */
	uint16_t ext_len;
	/*
	 * Only an input of edge_index_commit (never stored): the object's data
	 * reached the disk before the commit, so it gets no sync generation.
	 */
	bool synced;
};

#define EDGE_TITLE_MANIFEST 0x01 /* manifest.json is stored (its entries too) */
#define EDGE_TITLE_COMPLETE 0x02 /* filled: every file of the manifest is stored and verified */

struct edge_title {
	uint8_t flags;
	uint32_t objects, pinned;
	uint64_t bytes;
	int64_t last_hit;
	char version[17]; /* "" when no manifest */
};

#define EDGE_TITLE_LEN	    44
#define EDGE_MENTRY_LEN	    40
#define EDGE_OBJECT_MAX_LEN (EDGE_OBJECT_MIN_LEN + EDGE_ETAG_MAX + EDGE_EXT_MAX)

/*
 * Encode O into OUT (EDGE_OBJECT_MAX_LEN bytes); returns the length.  O must
 * be valid (edge_object_decode would accept the result).
 */
size_t edge_object_encode(const struct edge_object *o, uint8_t *out);

/*
 * Decode the LEN bytes at P into *O: 0, or -EINVAL (another version, an
 * unknown origin, an etag that is not a quoted printable string, truncated
 * or malformed extensions, trailing bytes past the last extension).
 */
int edge_object_decode(const uint8_t *p, size_t len, struct edge_object *o);

void edge_title_encode(const struct edge_title *t, uint8_t out[EDGE_TITLE_LEN]);
/* 0, or -EINVAL (length, version, unknown flags, a version that is not hex). */
int edge_title_decode(const uint8_t *p, size_t len, struct edge_title *t);

void edge_mentry_encode(uint64_t size, const uint8_t sha256[32], uint8_t out[EDGE_MENTRY_LEN]);
/* 0, or -EINVAL (length). */
int edge_mentry_decode(const uint8_t *p, size_t len, uint64_t *size, uint8_t sha256[32]);

/* Now in the unit of the records' times: Unix milliseconds. */
int64_t edge_record_time(void);

/* The strong ETag of content with digest SHA256: '"' + 16 hex digits + '"'. */
void edge_etag_for(const uint8_t sha256[32], char out[EDGE_ETAG_MAX + 1]);

/*
 * The extension TYPE of O: 0 with *P (into O->ext) and *LEN, or -ENOENT.
 * Types below 0x100 are the store's own; the generic upstream mode's stored
 * responses use EDGE_EXT_HTTP.
 */
int edge_ext_get(const struct edge_object *o, uint16_t type, const uint8_t **p, uint16_t *len);

/* Set the extension TYPE of O to P[0..LEN), replacing one of that type: 0, or -E2BIG. */
int edge_ext_put(struct edge_object *o, uint16_t type, const void *p, uint16_t len);

#define EDGE_EXT_HTTP 0x4854 /* "HT": a stored HTTP response (edge/http_cache_store.c) */

/*
 * EDGE_EXT_GEN, u64: the sync generation the object was written in (index.h,
 * "Durability"); an object without one was on the disk when it was indexed.
 */
#define EDGE_EXT_GEN 0x0047

/* The sync generation of O, or 0 when it has none (durable when indexed). */
uint64_t edge_object_gen(const struct edge_object *o);

/* Stamp O with the sync generation GEN: 0, or -E2BIG (no room for it). */
int edge_object_set_gen(struct edge_object *o, uint64_t gen);

#endif
