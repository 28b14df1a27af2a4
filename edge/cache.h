/*
 * The edge's cache store: object files under the content root, named by
 * their key ("<root>/<title>/<path>"), the LMDB index (index.h), and the
 * disk quota.  An object is written to a temporary file in "<root>/.tmp"
 * (hidden from HTTP: dot segments are never served), verified, then moved
 * into place and indexed in one step; only indexed objects are served.
 *
 * The quota is kept by reservations: before a writer may put N bytes on
 * the disk it reserves them, and the reservation succeeds only when the
 * indexed bytes plus every reservation stay within max_size and the file
 * system keeps min_free, evicting (index.h's order) first when needed.  So
 * the objects and temporary files never add up to more than max_size.
 * Reservations live in shared memory, one slot per process, decided under
 * one process-shared mutex.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_CACHE_H
#define EDGE_CACHE_H

#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "index.h"

#define EDGE_CACHE_SLOTS      128	 /* processes with reservations at once */
#define EDGE_TMP_DIR	      ".tmp"	 /* under the content root */
#define EDGE_RESERVE_CHUNK    (4u << 20) /* most reserved at a time when the size is not known */
#define EDGE_SYNC_INTERVAL_MS 5000	 /* the background sync's default interval */

/* The quota's shared state (in struct edge_shared, made before the workers fork). */
struct edge_cache_shared {
	pthread_mutex_t lock; /* robust, process-shared: every quota decision */
	struct {
		int32_t pid; /* 0: free */
		uint64_t reserved, written;
	} slots[EDGE_CACHE_SLOTS];
	uint64_t generation; /* bumped whenever objects are removed */
	uint64_t manifests;  /* bumped whenever a manifest is committed (versions.h) */
	uint64_t evicted;    /* objects evicted for the quota, by any process */
	uint64_t syncs;	     /* background syncs done (edge_cache_sync) */
	char run_id[17];     /* this run's temporary files start with it */
};

/*
 * Initialize SH in memory shared with the processes forked later; RUN_ID
 * (16 hex digits) names this run's temporary files.  0 or a negative errno.
 */
int edge_cache_shared_init(struct edge_cache_shared *sh, const char *run_id);

/* Free the slot of process PID, which is gone (its reservations end with it). */
void edge_cache_shared_release(struct edge_cache_shared *sh, pid_t pid);

struct edge_cache_config {
	const char *root;      /* the content root */
	const char *index_dir; /* the LMDB environment */
	uint64_t map_size;
	uint64_t max_size; /* bytes of objects; 0: no limit but min_free */
	uint64_t min_free; /* bytes the file system keeps free */
	struct edge_cache_shared *shared;
	/*
	 * Durability (index.h, "Durability"): SYNC_EACH makes every filled
	 * object durable (fdatasync) before it is indexed; else the store
	 * manager's background sync every SYNC_INTERVAL_MS (0: 5 s) does.
	 * BOOT_ID names this boot (NULL: the kernel's, edge_boot_id()).
	 */
	bool sync_each;
	uint64_t sync_interval_ms;
	const char *boot_id;
};

/*
 * The kernel's boot id (/proc/sys/kernel/random/boot_id) into OUT
 * (EDGE_BOOT_ID_MAX bytes); "" when it cannot be read (every start is then
 * taken for a new boot).
 */
void edge_boot_id(char out[EDGE_BOOT_ID_MAX]);

struct edge_cache;

/*
 * Open the store of CFG for this process: the index, the temporary folder
 * (created if needed) and a reservation slot.  Returns 0 and *OUT, the
 * caller's, freed with edge_cache_free(), or a negative errno with the
 * reason in ERR.  CFG is copied; its strings and shared state are borrowed
 * and must outlive the cache.
 */
int edge_cache_open(const struct edge_cache_config *cfg, struct edge_cache **out, char *err,
		    size_t errlen);

/* Release the slot, close everything.  NULL does nothing. */
void edge_cache_free(struct edge_cache *c);

/* The index, owned by C: valid until edge_cache_free(C); never free it. */
struct edge_index *edge_cache_index(struct edge_cache *c);

/* An O_PATH descriptor of the content root, owned by C. */
int edge_cache_rootfd(const struct edge_cache *c);

/* The generation counter: it changes whenever objects are removed. */
uint64_t edge_cache_generation(const struct edge_cache *c);

/* Objects evicted to keep max_size and min_free since the edge started. */
uint64_t edge_cache_evicted(const struct edge_cache *c);

/*
 * A temporary file being written: an unnamed file (O_TMPFILE) where the
 * file system has them, which a crash cannot leave behind and which is
 * linked into place at the end; else a named file under EDGE_TMP_DIR,
 * renamed into place.
 */
struct edge_tmp {
	int fd;
	bool unnamed;
	char name[64];	   /* under EDGE_TMP_DIR (named files) */
	char path[80];	   /* how another process of the edge opens it (openat on the root) */
	char title[65];	   /* whose objects eviction spares while this is written */
	uint64_t written;  /* bytes written so far, from offset 0 */
	uint64_t on_disk;  /* of which in the file (the rest is buffered) */
	uint64_t reserved; /* bytes of quota held */
	EVP_MD_CTX *sha;   /* SHA-256 of what was written */
	char *buf;	   /* EDGE_TMP_BUFFER bytes, allocated at the first small write */
	size_t buffered;
	bool writeback;	  /* start writing to the disk as it comes (a sync follows) */
	uint64_t wb_mark; /* bytes up to which writing back has been started */
};

/* Small writes are gathered up to this many bytes before they go to the file. */
#define EDGE_TMP_BUFFER (64 << 10)
/* With T->writeback, the disk is asked to write each this many bytes as they come. */
#define EDGE_WRITEBACK_CHUNK (1 << 20)

/* How durable a commit is when it returns. */
enum edge_sync {
	EDGE_SYNC_NONE,	 /* the background sync's: stamped with the generation (index.h) */
	EDGE_SYNC_DATA,	 /* the file's data is on the disk before it is indexed */
	EDGE_SYNC_INDEX, /* that, and the index too (everything committed so far) */
};

/*
 * Start a temporary file for an object of TITLE that will hold SIZE bytes
 * (0: not known; reserved as it grows).  Returns 0 and *OUT, the caller's
 * until edge_cache_tmp_commit() or edge_cache_tmp_abort() frees it;
 * -ENOSPC when the quota cannot make room even after eviction, or another
 * negative errno.
 */
int edge_cache_tmp_open(struct edge_cache *c, const char *title, uint64_t size,
			struct edge_tmp **out);

/*
 * Append P[0..N) to T (reserving more when past the reservation): 0,
 * -ENOSPC, -ENOMEM, -EIO.  Writes smaller than EDGE_TMP_BUFFER are
 * gathered: the file has them (T->on_disk) after edge_cache_tmp_flush().
 */
int edge_cache_tmp_write(struct edge_cache *c, struct edge_tmp *t, const void *p, size_t n);

/* Write what T has gathered to its file: 0, -ENOSPC, -EIO.  Commits flush by themselves. */
int edge_cache_tmp_flush(struct edge_cache *c, struct edge_tmp *t);

/*
 * Everything written to T, read back (a manifest): 0 and *OUT (malloc'd,
 * T->written bytes, the caller's to free), -EFBIG (more than MAX bytes),
 * -ENOMEM, -EIO.
 */
int edge_cache_tmp_contents(struct edge_cache *c, struct edge_tmp *t, size_t max, char **out);

/* The SHA-256 of everything written to T (ends T's hashing). */
void edge_cache_tmp_digest(struct edge_tmp *t, uint8_t sha256[32]);

/*
 * Move T into place as the object KEY described by O (size, digest: the
 * caller has verified them) and index it, in one step (edge_index_commit;
 * M and MISSING as there).  SYNC says what reaches the disk before it
 * returns (enum edge_sync): with EDGE_SYNC_DATA an index entry never names
 * data a system crash lost (the entry may be lost instead); with
 * EDGE_SYNC_INDEX the entry too.  T is freed whatever happens; on failure
 * nothing of it is left.  Returns 0 or a negative errno (-EPIPE: a
 * manifest whose files are not all there).
 */
int edge_cache_tmp_commit(struct edge_cache *c, struct edge_tmp *t, const char *key,
			  const struct edge_object *o, const struct manifest *m,
			  enum edge_sync sync, size_t *missing);

/* The sync a fill commit asks for: EDGE_SYNC_DATA with sync_each, else EDGE_SYNC_NONE. */
enum edge_sync edge_cache_fill_sync(const struct edge_cache *c);

/*
 * The background sync: end the current generation, make the file system
 * durable (syncfs), record the generation durable with this boot's id and
 * flush the index.  Nothing when nothing was committed since the last.
 * 0 or a negative errno (the generation then stays not durable).
 */
int edge_cache_sync(struct edge_cache *c);

/* Background syncs done since the edge started; bytes committed and not yet durable. */
uint64_t edge_cache_syncs(const struct edge_cache *c);
uint64_t edge_cache_unsynced_bytes(struct edge_cache *c);

/*
 * At a start (the master, before the workers serve): when this is another
 * boot than the one the index recorded, mark the generations that were not
 * durable for re-checking (edge_index_sync_boot).  *FROM and *TO (0: none)
 * get what edge_recheck() (reconcile.h) has to verify.
 */
int edge_cache_boot(struct edge_cache *c, uint64_t *from, uint64_t *to);

/* Drop T: the file is removed, the reservation released.  NULL does nothing. */
void edge_cache_tmp_abort(struct edge_cache *c, struct edge_tmp *t);

/*
 * Remove the object KEY, or with PREFIX everything under it (see
 * edge_index_remove), and unlink the files.  *BYTES and *OBJECTS (may be
 * NULL) receive what went.  0 or a negative errno.
 */
int edge_cache_remove(struct edge_cache *c, const char *key, bool prefix, uint64_t *bytes,
		      uint64_t *objects);

/* Unlink the files of the objects R lists (removed from the index already). */
void edge_cache_unlink(struct edge_cache *c, const struct edge_removed *r);

/*
 * Free NEED bytes by eviction now (the store manager keeping min_free when
 * something else fills the file system).  0, -ENOSPC, or a negative errno.
 */
int edge_cache_evict(struct edge_cache *c, uint64_t need);

/*
 * Remove temporary files that no writer will finish: those of earlier runs
 * and those of this run's processes that are gone.  Returns how many went.
 */
unsigned edge_cache_sweep(struct edge_cache *c);

/* Bytes the file system has free for the content root, or 0 when unknown. */
uint64_t edge_cache_disk_free(const struct edge_cache *c);

#endif
