/*
 * The stored responses of the generic upstream mode, kept by the cache
 * store (cache.h, index.h) like any pulled object: one object per request
 * target, keyed "http-cache/<2 hex>/<sha256 hex of the target>", in the
 * LRU of pulled objects, under the same quota.  The object file holds
 *
 *   the response's header lines    (a header block, HEAD_LEN bytes)
 *   the request lines Vary names   (a header block, VARY_LEN bytes)
 *   the body                       (the rest)
 *
 * and the index record's EDGE_EXT_HTTP extension the status, times and
 * lengths (struct hc_meta, 44 bytes, little-endian).  A 206 is stored as
 * a partial entry: one piece, its first byte and the whole length.
 *
 * A target whose responses vary (a Vary other than "*") keeps up to
 * HC_VARIANTS of them, each under a variant key "<key>-<n>", and under
 * the target's own key a variant list: an entry whose head block holds
 * the Vary lines and whose second block names, for each place N, the
 * hash of the (normalized, hc_vary_capture) request lines its response
 * was chosen by ("Variant-N: <16 hex>").  A new variant takes a free
 * place, else replaces the one its hash names.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_HTTP_CACHE_STORE_H
#define EDGE_HTTP_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"

#define HC_TITLE   "http-cache"
#define HC_KEY_MAX 96

struct hc_meta {
	int status;
	bool partial;
	bool variants; /* a variant list: the head block holds the Vary lines, nothing else */
	int64_t request_time, response_time; /* Unix seconds */
	uint32_t head_len, vary_len;
	uint64_t range_first, complete_len; /* partial: the piece's first byte, the whole length */
};

#define HC_META_LEN 44

/* M into OUT; and back: 0, or -EINVAL (a length or a status that cannot be). */
void hc_meta_encode(const struct hc_meta *m, uint8_t out[HC_META_LEN]);
int hc_meta_decode(const uint8_t *p, size_t len, struct hc_meta *m);

/* The index key of request target T[0..LEN) into OUT. */
void hc_key(const char *t, size_t len, char out[HC_KEY_MAX]);

#define HC_VARIANTS 8 /* stored responses per target at most, when they vary */


/* A stored response opened for answering. */
struct hc_entry {
	struct hc_meta m;
	int fd;		   /* the object file, the entry's */
	char *head;	   /* HEAD_LEN + VARY_LEN bytes (head block, then vary block), malloc'd */
	uint64_t body_off; /* where the body starts in FD */
	uint64_t body_len;
};

/*
 * Open the entry KEY of C into *E (closed with hc_entry_close()): 0,
 * -ENOENT (none, or it changed while being opened), -EIO (unreadable), -ENOMEM.
 */
int hc_entry_open(struct edge_cache *c, const char *key, struct hc_entry *e);

/* Close E's file and free its head.  A zeroed or closed entry does nothing. */
void hc_entry_close(struct hc_entry *e);

/*
 * The variant of target KEY that the variant list LIST names for the
 * captured request lines VARY[0..LEN): 0 and its key in OUT, or -ENOENT
 * and in OUT a key for the variant that is not stored (a miss's name).
 */
int hc_variant_find(const struct hc_entry *list, const char *key, const char *vary, size_t len,
		    char out[HC_KEY_MAX]);

/* Where the body of a new entry comes from: memory, or a range of a file (a 304's update). */
struct hc_body {
	const void *mem;
	int fd; /* when MEM is NULL */
	uint64_t off, len;
};

/*
 * Store under KEY the response M (its lengths are set here from HEAD and
 * VARY) with the header blocks HEAD[0..HLEN) and VARY[0..VLEN) and body B,
 * replacing what KEY had, in one step (a temporary file, then placed and
 * indexed).  0, -ENOSPC (the quota), -EIO, -ENOMEM.
 */
int hc_entry_store(struct edge_cache *c, const char *key, struct hc_meta *m, const char *head,
		   size_t hlen, const char *vary, size_t vlen, const struct hc_body *b);

/*
 * An entry written as its body arrives: hc_entry_begin() opens the
 * temporary file (*T, the caller's until hc_entry_commit() or
 * edge_cache_tmp_abort()), hc_entry_head() writes the header blocks
 * (setting M's lengths), then the body goes in with edge_cache_tmp_write(),
 * and hc_entry_commit() places and indexes it under KEY in one step.
 * 0 or a negative errno (as hc_entry_store(); the commit frees T whatever
 * it gives).
 */
int hc_entry_begin(struct edge_cache *c, struct edge_tmp **t);
int hc_entry_head(struct edge_cache *c, struct edge_tmp *t, struct hc_meta *m, const char *head,
		  size_t hlen, const char *vary, size_t vlen);
int hc_entry_commit(struct edge_cache *c, struct edge_tmp *t, const char *key,
		    const struct hc_meta *m);

/*
 * Commit T (as hc_entry_commit) as the response of target KEY with the
 * header block HEAD[0..HLEN), chosen by the request lines VARY[0..VLEN)
 * (also the file's blocks): under KEY, or, when HEAD's Vary names fields,
 * under a variant key, KEY's variant list then naming it.  LISTED:
 * KEY holds a variant list now, whose variants go when HEAD does not vary.
 * 0 or a negative errno (T is freed whatever happens).
 */
int hc_entry_commit_target(struct edge_cache *c, struct edge_tmp *t, const char *key,
			   const struct hc_meta *m, const char *head, size_t hlen, const char *vary,
			   size_t vlen, bool listed);

/* Remove the entry KEY and its variants (nothing when there is none).  0 or a negative errno. */
int hc_entry_remove(struct edge_cache *c, const char *key);

#endif
