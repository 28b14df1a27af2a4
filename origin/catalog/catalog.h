/*
 * The catalog: titles registered by admins from their package's
 * manifest.json (docs/transcoder.md), and their AES-128 content keys
 * (tables.h).
 *
 * A title id is the package's folder name at the edges: 1..64 of
 * [A-Za-z0-9._-], not starting with a dot.  The version is the first 16 hex
 * digits of the manifest's SHA-256.  Content keys are sealed with the
 * master key (seal.h, AES-256-GCM) with "reel-content-key-v1", the title and
 * the key id as associated data, so a sealed key moved to another title or
 * key id does not open.
 */
#ifndef ORIGIN_CATALOG_H
#define ORIGIN_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "reason.h"
#include "store.h"

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

/* Title ID's record (the caller decrefs): 0, -ENOENT, or a negative errno. */
int catalog_get(struct store_txn *t, const char *id, json_t **out);

/* Title ID's playback facts: 0, -ENOENT, or a negative errno. */
int catalog_info(struct store_txn *t, const char *id, struct title_info *out);

/* Write record REC (consumed) under its "id". */
int catalog_put(struct store_txn *t, json_t *rec);

/* Delete title ID and its keys: 0, -ENOENT, or a negative errno. */
int catalog_delete(struct store_txn *t, const char *id);

/*
 * The titles whose id or name contains Q (case-insensitive; NULL or "" for
 * all) and, when LANG is not NULL, that have audio or subtitles in that
 * language, in id order, skipping OFFSET and at most LIMIT: *OUT receives
 * {"titles": [...], "total": N}.
 */
int catalog_list(struct store_txn *t, const char *q, const char *lang, size_t offset, size_t limit,
		 json_t **out);

/*
 * Store KEY as title ID's content key KID (sealed with MASTER) and make it
 * current.  Returns 0, -EEXIST when KID is taken, or a negative errno.
 */
int catalog_key_put(struct store_txn *t, const uint8_t master[32], const char *id, const char *kid,
		    const uint8_t key[CONTENT_KEY_LEN]);

/*
 * Title ID's content key KID (NULL: the current one), unsealed into KEY,
 * and its id into KID_OUT (may be NULL).  0, -ENOENT (no such title or key),
 * -EBADMSG (the sealed key does not open with MASTER), or a negative errno.
 */
int catalog_key_get(struct store_txn *t, const uint8_t master[32], const char *id, const char *kid,
		    uint8_t key[CONTENT_KEY_LEN], char kid_out[CONTENT_KID_MAX + 1]);

#endif
