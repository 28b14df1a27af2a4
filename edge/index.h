/*
 * The edge's cache index: one LMDB environment shared by every process of
 * the edge (workers and the store manager each open it), with these
 * databases, owned by this module alone:
 *
 *   objects   "<title>/<path>" -> object record (index_record.h)
 *   titles    "<title>"        -> title record: counts, bytes, flags, version
 *   manifest  "<title>/<path>" -> size and sha256 from the title's manifest.json
 *   lru       be64(last hit) "<title>/<path>" -> "" for pulled objects
 *   nonces    "<keyid>" NUL "<nonce>" -> be64(created), the replay cache
 *   meta      "usage" -> be64(bytes) be64(objects) of all objects
 *             "sync"  -> the durability state (struct edge_sync_state)
 *
 * Every change is one write transaction (LMDB serializes writers across
 * processes); readers never wait.  Removals return the keys removed so the
 * caller unlinks their files after the commit.  Errors are negative errno
 * values, LMDB's mapped by store_errno().
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_INDEX_H
#define EDGE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index_record.h"
#include "manifest.h"

#define EDGE_KEY_MAX (MANIFEST_TITLE_MAX + 1 + MANIFEST_PATH_MAX)

struct edge_index;

/*
 * Keys removed by a change: their files are the caller's to unlink.  The
 * list owns its KEYS and SIZES (edge_removed_free); the struct is the
 * caller's.
 */
struct edge_removed {
	char **keys;
	uint64_t *sizes;
	size_t n, cap, sizes_cap; /* the room of KEYS and of SIZES */
	uint64_t bytes;
};

/* Free the list (not R itself); a zeroed struct is fine. */
void edge_removed_free(struct edge_removed *r);

/* Append KEY (copied) of SIZE bytes to R: 0, or -ENOMEM.  R may be NULL (nothing kept). */
int edge_removed_add(struct edge_removed *r, const char *key, uint64_t size);

/*
 * Open (creating) the index in the folder DIR with a map of MAP_SIZE bytes.
 * Returns 0 and *OUT, the caller's, freed with edge_index_free(), or a
 * negative errno with "DIR: why" in ERR.  One per process; open it after
 * fork.
 */
int edge_index_open(const char *dir, uint64_t map_size, struct edge_index **out, char *err,
		    size_t errlen);

/* Is KEY "<title>/<path>" with a title id and a package path (manifest.h)? */
bool edge_index_key_ok(const char *key);

/* Close IX; NULL does nothing. */
void edge_index_free(struct edge_index *ix);

/*
 * Commits do not wait for the disk (STORE_REBUILDABLE): a crash of the
 * process loses nothing, a crash of the system at most what was committed
 * since the last edge_index_sync(), which the store manager calls every
 * second.  Flush now: 0 or a negative errno.
 */
int edge_index_sync(struct edge_index *ix);

/*
 * Durability.  Every commit of an object not yet on the disk stamps it with
 * the current sync generation (EDGE_EXT_GEN).  The background sync
 * (edge_cache_sync) ends a generation, makes the file system durable, then
 * records that generation durable together with the kernel's boot id.  A
 * process that dies loses nothing (the page cache keeps its data); a system
 * that crashed or rebooted may have lost what the generations after the
 * durable one wrote: on a start with another boot id those generations are
 * marked for re-checking, their objects are not served (edge_index_get
 * answers -ENOENT) until the store manager has verified them (size and
 * SHA-256) and dropped the bad ones.
 */
struct edge_sync_state {
	uint64_t gen;	     /* commits now are stamped with it (from 1) */
	uint64_t durable;    /* every object of a generation up to it is on the disk */
	uint64_t check_from; /* generations check_from..check_to are being re-verified */
	uint64_t check_to;   /* (0 and 0: none) */
	uint64_t pending;    /* bytes committed in generation GEN */
	uint64_t syncing;    /* bytes of the generation being made durable */
	uint64_t objects;    /* objects committed in generation GEN */
	char boot_id[40];    /* the boot the durable generation was recorded in */
};

#define EDGE_BOOT_ID_MAX 40 /* with its NUL */

/* Is an object of generation GEN waiting for its re-check in S (not to be served)? */
bool edge_sync_unchecked(const struct edge_sync_state *s, uint64_t gen);

/* The durability state into *S (zeroed but gen 1 when none was recorded): 0 or an error. */
int edge_index_sync_state(struct edge_index *ix, struct edge_sync_state *s);

/*
 * End the current generation: *ENDED gets it and the next one begins, or
 * *ENDED is 0 when nothing was committed in it and no earlier sync failed
 * (nothing to make durable).
 */
int edge_index_sync_begin(struct edge_index *ix, uint64_t *ended);

/*
 * The file system is durable up to generation ENDED (edge_index_sync_begin's):
 * record it with BOOT_ID and flush the index.  0 or a negative errno.
 */
int edge_index_sync_end(struct edge_index *ix, uint64_t ended, const char *boot_id);

/*
 * At a start: when BOOT_ID is not the one recorded, the generations after
 * the durable one are marked for re-checking (joined to a check not
 * finished before) and a new generation begins; BOOT_ID is recorded.
 * *FROM and *TO get the generations to re-check (0 and 0: none).
 */
int edge_index_sync_boot(struct edge_index *ix, const char *boot_id, uint64_t *from, uint64_t *to);

/*
 * The re-check is over: the objects BAD[0..N) failed it and are dropped
 * (unless rewritten since, in a later generation), their keys appended to
 * *OUT for the caller to unlink; the check range is cleared.
 */
int edge_index_recheck_done(struct edge_index *ix, char *const *bad, size_t n,
			    struct edge_removed *out);

/*
 * The object KEY into *O: 0, -ENOENT (also while it waits for its re-check),
 * -EIO (a record that does not decode).
 */
int edge_index_get(struct edge_index *ix, const char *key, struct edge_object *o);

/* The title TITLE into *T: 0, -ENOENT, -EIO. */
int edge_index_title(struct edge_index *ix, const char *title, struct edge_title *t);

/* The manifest entry of "<title>/<path>" KEY: 0, -ENOENT (no manifest, or not listed). */
int edge_index_mentry(struct edge_index *ix, const char *key, uint64_t *size, uint8_t sha256[32]);

/*
 * Does the stored manifest of KEY's title list KEY ("<title>/<path>")?
 * Both looked up in one read transaction, so a manifest committed
 * meanwhile is seen whole or not at all: 0 (listed, with *SIZE and
 * SHA256), -ENOENT (the title's manifest is stored and does not list it),
 * -ENODATA (no manifest stored for the title), -EIO.
 */
int edge_index_listed(struct edge_index *ix, const char *key, uint64_t *size,
		      uint8_t sha256[32]);

/* Bytes and objects of the whole cache. */
int edge_index_usage(struct edge_index *ix, uint64_t *bytes, uint64_t *objects);

/*
 * Record the verified object KEY ("<title>/<path>") as O, replacing an older
 * record of the same key, in one transaction that also calls PLACE(ARG)
 * (which moves the file into place; its error aborts everything) before it
 * commits.  When KEY is a title's manifest.json, M is its parsed list: its
 * entries replace the title's, and with O->origin EDGE_ORIGIN_FILL the title
 * becomes complete and every object of it pinned, but only when every file
 * M lists is stored with the size and digest M gives; otherwise nothing
 * changes, *MISSING (may be NULL) counts the files that are not, and the
 * result is -EPIPE.  A manifest of another version than the title had
 * retires the title's objects that M does not list as they are (a new
 * encode): their keys are appended to *RETIRED (may be NULL) for the caller
 * to unlink.  Other errors: -EINVAL (KEY), -ENOSPC (the map is full), -EIO.
 */
int edge_index_commit(struct edge_index *ix, const char *key, const struct edge_object *o,
		      const struct manifest *m, int (*place)(void *arg), void *arg, size_t *missing,
		      struct edge_removed *retired);

/*
 * Remove objects: the object KEY itself, or, with PREFIX, every object whose
 * key starts with KEY ("<title>/" removes the whole title, its manifest
 * entries and its record).  A title left with no object loses its record; a
 * title that loses manifest.json loses its entries and flags, one that loses
 * a listed file is no longer complete.  The keys removed are appended to
 * *OUT.  0 (also when nothing matched), or a negative errno.
 */
int edge_index_remove(struct edge_index *ix, const char *key, bool prefix,
		      struct edge_removed *out);

/*
 * Free at least NEED bytes: pulled objects first, least recently hit first;
 * then, when no pulled object is left, whole titles holding filled objects,
 * least recently hit first, never the title KEEP (may be NULL).  The keys
 * removed are appended to *OUT.  0 when NEED bytes were freed, -ENOSPC when
 * everything that may go is gone and it was not enough (what was removed
 * stays removed), or another negative errno.
 */
int edge_index_evict(struct edge_index *ix, uint64_t need, const char *keep,
		     struct edge_removed *out);

/* Hits counted by a worker since its last report. */
struct edge_touch {
	const char *key;
	uint32_t hits;
	int64_t last_hit; /* Unix milliseconds */
};

/* Add the hits T[0..N) to their objects (gone ones are skipped) in one transaction. */
int edge_index_touch(struct edge_index *ix, const struct edge_touch *t, size_t n);

/*
 * Call FN(ARG, key, object) for every object whose key starts with PREFIX
 * ("" for all), in key order, in one read transaction; FN returns 0 to go
 * on, > 0 to stop.  Records that do not decode are passed as NULL objects.
 */
int edge_index_objects(struct edge_index *ix, const char *prefix,
		       int (*fn)(void *arg, const char *key, const struct edge_object *o),
		       void *arg);

/* Call FN(ARG, title, record) for every title in order, as edge_index_objects. */
int edge_index_titles(struct edge_index *ix,
		      int (*fn)(void *arg, const char *title, const struct edge_title *t),
		      void *arg);

/*
 * Drop the records of KEYS[0..N), whose files are gone (the store manager
 * reconciling with the disk), in transactions of at most 1,000 keys, so
 * that writers elsewhere never wait long.  The counts follow as in
 * edge_index_remove.
 */
int edge_index_drop(struct edge_index *ix, char *const *keys, size_t n);

/*
 * Do the titles' counts, the lru list and the usage totals agree with the
 * objects?  One read transaction: 1 yes, 0 no, or a negative errno.
 */
int edge_index_verify(struct edge_index *ix);

/*
 * Rebuild every title's counts and flags, the lru list and the usage totals
 * from the objects and manifest entries, in one write transaction (after
 * edge_index_verify() found them wrong).
 */
int edge_index_rebuild(struct edge_index *ix);

/*
 * Record NONCE of KEYID as seen at CREATED: 0, or -EALREADY when it was
 * seen before (a replay).  KEYID and NONCE as the httpsig profile allows.
 */
int edge_index_nonce_claim(struct edge_index *ix, const char *keyid, const char *nonce,
			   int64_t created);

/* Forget nonces created before BEFORE (they fall outside the signature window). */
int edge_index_nonce_prune(struct edge_index *ix, int64_t before);

/* Release reader slots of processes that died (mdb_reader_check); returns how many. */
int edge_index_reader_check(struct edge_index *ix);

#endif
