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

#include "language.h"
#include "reason.h"

struct store;
struct store_txn;

#define TITLE_ID_MAX	  64
#define TITLE_NAME_MAX	  256
#define TITLE_DESC_MAX	  4096
#define CONTENT_KEY_LEN	  16
#define CONTENT_KID_MAX	  32
#define CATALOG_MAX_RUNGS 32

/* What playback and viewing need to know of a title. */
struct title_info {
	char id[TITLE_ID_MAX + 1];
	char version[17];
	char name[TITLE_NAME_MAX + 1];
	double duration;    /* seconds */
	double end_credits; /* seconds: where the end credits begin; 0 when not marked */
	bool encrypted;
	uint32_t min_height; /* the smallest video rendition (0: audio only) */
};

/* What an admin gives beside the manifest; NULL members: the manifest's. */
struct title_meta {
	const char *name;	 /* the display name, instead of the manifest's "title" */
	const char *description; /* instead of the manifest's "description" */
};

/* The catalog service: the store (not owned), the master key and a cache of title_info. */
struct catalog;

/* Is S[0..LEN) a valid title id? */
bool title_id_valid(const char *s, size_t len);

/*
 * Build the catalog record of title ID from its manifest.json BODY[0..LEN)
 * (as reel-transcode wrote it; "files" is not kept) at NOW.  META (may be
 * NULL) overrides the manifest's display name and description.  The
 * manifest may carry, beside what reel-transcode writes, a "description"
 * (at most TITLE_DESC_MAX bytes) and "end_credits" (seconds from the start
 * where the end credits begin, within the duration).  Returns 0 with *OUT a
 * new record (the caller decrefs it), or with *OUT NULL -EBADMSG (the body
 * is not a JSON object), -EINVAL (not a valid manifest, or ID not a title
 * id: the rule in *WHY, which may be NULL), or -ENOMEM.
 */
int catalog_record(const char *body, size_t len, const char *id, const struct title_meta *meta,
		   int64_t now, json_t **out, struct origin_reason *why);

/*
 * The catalog service over ST (not owned; it must outlive the service), with
 * MASTER (32 bytes, not copied: it must outlive the service) sealing content
 * keys, and a cache of titles' playback facts.  A store whose search index
 * is missing or of another format (titles registered before it) gets it
 * rebuilt here.  NULL with errno set on failure (ENOMEM, a store error).
 * Free it with catalog_free().  It alone writes titles, so its cache is
 * never stale.
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
 * language (a tag or an ISO 639-2 code: "eng" is "en"), in id order,
 * skipping OFFSET and at most LIMIT: *OUT receives a new {"titles": [...],
 * "total": N} (the caller decrefs it).
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

/* ---- search (search_index.c) ---- */

/* How a title matched a query, best first. */
enum catalog_match {
	CATALOG_MATCH_EXACT,	  /* its whole name is the query */
	CATALOG_MATCH_PREFIX,	  /* its name begins with the query */
	CATALOG_MATCH_NAME_WORDS, /* every word of the query is (begins) a word of its name */
	CATALOG_MATCH_WORDS,	  /* ... of its name or description */
};

#define CATALOG_QUERY_WORDS 8	   /* words of a query that count; the rest are ignored */
#define CATALOG_SCAN_MAX    100000 /* index entries one query word may visit */

/*
 * Call FN(ARG, ID, MATCH) for every title that matches the folded query
 * PHRASE (fold_phrase()'s output): each word of the query a word of the
 * title's name or description, the last one as a prefix (as the user types
 * it), or the name beginning with the whole query; and, when LANG is not
 * NULL, with audio or subtitles in LANG (a canonical tag, lang_tag()).  In
 * no particular order; ID is valid during the call.  A word whose prefix
 * visits more than CATALOG_SCAN_MAX entries of the index stops there.  FN
 * returns 0 to go on or a negative errno to stop with it.  Runs in T.
 * Returns 0 or a negative errno.
 */
int catalog_search_in(struct catalog *c, struct store_txn *t, const char *phrase, const char *lang,
		      int (*fn)(void *arg, const char *id, enum catalog_match match), void *arg);

/*
 * The audio languages of title ID (canonical tags, at most MAX) into LANGS,
 * their number in *N, read in T: 0 (none is not an error), or a negative errno.
 */
int catalog_languages_in(struct catalog *c, struct store_txn *t, const char *id,
			 char (*langs)[LANG_TAG_MAX + 1], size_t max, size_t *n);

/*
 * Call FN(ARG, ID) for every title with audio in LANG (a canonical tag), in
 * id order, read in T; FN returns 0 to go on, a positive value to stop, or a
 * negative errno to stop with it.  Returns 0 or a negative errno.
 */
int catalog_language_titles_in(struct catalog *c, struct store_txn *t, const char *lang,
			       int (*fn)(void *arg, const char *id), void *arg);

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
