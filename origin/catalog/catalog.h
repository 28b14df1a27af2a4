/*
 * The catalog: titles registered by admins from their package's
 * manifest.json (docs/transcoder.md), and their AES-128 content keys
 * (tables.h), behind the catalog service (struct catalog).
 *
 * A title id is the package's folder name at the edges: 1..64 of
 * [A-Za-z0-9._-], not starting with a dot.  The version is the first 16 hex
 * digits of the manifest's SHA-256.  Content keys are sealed with the
 * master key (seal.h, AES-256-GCM) with "reel-content-key-v1", the title and
 * the key id as associated data, so a sealed key moved to another title or
 * key id does not open.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_CATALOG_H
#define ORIGIN_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "reason.h"

struct store;
struct store_txn;

#define TITLE_ID_MAX	  64
#define TITLE_NAME_MAX	  256
#define CONTENT_KEY_LEN	  16
#define CONTENT_KID_MAX	  32
#define CATALOG_MAX_RUNGS 32

/* What playback needs to know of a title. */
struct title_info {
	char id[TITLE_ID_MAX + 1];
	char version[17];
	double duration; /* seconds */
	bool encrypted;
	uint32_t min_height; /* the smallest video rendition (0: audio only) */
};

/* The catalog service: the store (not owned), the master key and a cache of title_info. */
struct catalog;

/* Is S[0..LEN) a valid title id? */
bool title_id_valid(const char *s, size_t len);

/*
 * Build the catalog record of title ID from its manifest.json BODY[0..LEN)
 * (as reel-transcode wrote it; "files" is not kept) at NOW.  NAME overrides
 * the manifest's "title" as the display name when not NULL.  Returns 0 with
 * *OUT a new record (the caller decrefs it), or with *OUT NULL -EBADMSG (the
 * body is not a JSON object), -EINVAL (not a valid manifest, or ID not a
 * title id: the rule in *WHY, which may be NULL), or -ENOMEM.
 */
int catalog_record(const char *body, size_t len, const char *id, const char *name, int64_t now,
		   json_t **out, struct origin_reason *why);

/*
 * The catalog service over ST (not owned; it must outlive the service), with
 * MASTER (32 bytes, not copied: it must outlive the service) sealing content
 * keys, and a cache of titles' playback facts; NULL on ENOMEM.  Free it with
 * catalog_free().  It alone writes titles, so its cache is never stale.
 */
struct catalog *catalog_new(struct store *st, const uint8_t *master);

/* Free C.  NULL is a no-op. */
void catalog_free(struct catalog *c);

/* Title ID's record as a new JSON object in *OUT (the caller decrefs it): 0, -ENOENT, or a negative
 * errno. */
int catalog_title(struct catalog *c, const char *id, json_t **out);

/*
 * The titles whose id or name contains Q (case-insensitive; NULL or "" for
 * all) and, when LANG is not NULL, that have audio or subtitles in that
 * language, in id order, skipping OFFSET and at most LIMIT: *OUT receives a
 * new {"titles": [...], "total": N} (the caller decrefs it).
 */
int catalog_titles(struct catalog *c, const char *q, const char *lang, size_t offset, size_t limit,
		   json_t **out);

/*
 * Register REC (from catalog_record; borrowed) under its "id", replacing a
 * title of that id (*CREATED false) or not (true).  0 or a negative errno.
 */
int catalog_save(struct catalog *c, json_t *rec, bool *created);

/*
 * Register REC as catalog_save() does and, in the same transaction, store
 * KEY as its title's content key KID and make it current (catalog_key_add
 * with the key given, added at NOW): both or neither.  0, -EEXIST (the title
 * has a key KID), -EINVAL, or a negative errno.
 */
int catalog_save_keyed(struct catalog *c, json_t *rec, const char *kid,
		       const uint8_t key[CONTENT_KEY_LEN], int64_t now, bool *created);

/* Delete title ID and its content keys: 0, -ENOENT, or a negative errno. */
int catalog_remove(struct catalog *c, const char *id);

/*
 * Title ID's playback facts into *OUT, read in T (the caller's transaction)
 * through C's cache: 0, -ENOENT, or a negative errno.
 */
int catalog_info_in(struct catalog *c, struct store_txn *t, const char *id, struct title_info *out);

/* ---- content keys (content_keys.c) ---- */

/*
 * Store a content key KID for title ID (which need not be registered yet:
 * its key comes before its package) and make it current: the 16 bytes
 * GIVEN, or fresh random ones when GIVEN is NULL; KEY receives them.
 * Returns 0, -EEXIST (the title has a key KID), -EINVAL (KID is not 1..32
 * of the token id characters), or a negative errno.
 */
int catalog_key_add(struct catalog *c, const char *id, const char *kid, const uint8_t *given,
		    int64_t now, uint8_t key[CONTENT_KEY_LEN]);

/*
 * Title ID's content keys, never their bytes, as a new JSON array in *OUT
 * (the caller decrefs it), in the order they were added: [{"kid",
 * "current", "added" (null for keys stored before dates were kept)}].
 * Returns 0, -ENOENT (the title has no keys), or a negative errno.
 */
int catalog_keys_list(struct catalog *c, const char *id, json_t **out);

/*
 * Title ID's content key KID (NULL: the current one), unsealed into KEY
 * (the caller wipes it), and its id into KID_OUT (may be NULL), read in T
 * (catalog_key_in) or in a read transaction of its own (catalog_key).
 * Returns 0, -ENOENT (no such title or key), -EIO (the sealed key is
 * damaged or does not open with the master key), or a negative errno.
 */
int catalog_key_in(struct catalog *c, struct store_txn *t, const char *id, const char *kid,
		   uint8_t key[CONTENT_KEY_LEN], char kid_out[CONTENT_KID_MAX + 1]);
int catalog_key(struct catalog *c, const char *id, const char *kid, uint8_t key[CONTENT_KEY_LEN],
		char kid_out[CONTENT_KID_MAX + 1]);

#endif
