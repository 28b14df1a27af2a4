/*
 * Thin helpers over LMDB: one environment in a data folder with a fixed list
 * of named databases, transactions, and get/put/del by database index.  Every
 * LMDB error is translated once, by store_errno(), into a negative errno.
 */
#ifndef REEL_STORE_H
#define REEL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_MAX_DBS 32

struct store;
struct store_txn;

/*
 * Map an LMDB return code to 0 or a negative errno: MDB_NOTFOUND -ENOENT,
 * MDB_KEYEXIST -EEXIST, MDB_MAP_FULL/MDB_TXN_FULL/MDB_DBS_FULL/MDB_READERS_FULL
 * -ENOSPC, MDB_MAP_RESIZED -EAGAIN, MDB_BAD_VALSIZE -EINVAL, MDB_INVALID and
 * MDB_VERSION_MISMATCH -EPROTO, corruption and other MDB_* codes -EIO; a
 * positive system errno E becomes -E.
 */
int store_errno(int mdb_rc);

/*
 * Open (creating with mode 0700 if needed) the folder DIR and the LMDB
 * environment in it (data.mdb, lock.mdb) with a map of MAP_SIZE bytes, and
 * open or create the NDBS databases NAMES[0..NDBS), later named by their
 * index.  Returns 0 and *OUT, or a negative errno with a message in ERR.
 * The store is for one thread; close with store_free().
 */
int store_open(struct store **out, const char *dir, uint64_t map_size, const char *const *names,
	       unsigned ndbs, char *err, size_t errlen);

/*
 * For data that can be rebuilt (a cache's index), with store_sync() called
 * often: commits do not wait for the disk (MDB_NOSYNC) and write into a
 * writable map (MDB_WRITEMAP: no write system call per commit; the data
 * file is as large as the map, sparse).  Commits survive a crash of the
 * process; a crash of the system may undo the ones since the last
 * store_sync() and, on file systems that reorder writes, damage the
 * environment.  Every process that opens the environment must use this.
 */
#define STORE_REBUILDABLE 1U

/* store_open() with FLAGS (STORE_REBUILDABLE or 0). */
int store_open_flags(struct store **out, const char *dir, uint64_t map_size,
		     const char *const *names, unsigned ndbs, unsigned flags, char *err,
		     size_t errlen);

/* Close the environment.  NULL is a no-op; no transaction may be open. */
void store_free(struct store *s);

/*
 * Begin a transaction (read-write when WRITE).  Returns 0 and *OUT, or a
 * negative errno.  *OUT is the caller's until it finishes it with
 * store_commit(), store_abort() or store_finish(), which free it; it must
 * not outlive S.
 */
int store_begin(struct store *s, bool write, struct store_txn **out);

/* Commit and free T.  Returns 0 or a negative errno (T is freed either way). */
int store_commit(struct store_txn *t);

/* Abandon and free T.  NULL is a no-op. */
void store_abort(struct store_txn *t);

/*
 * End T by the outcome RC of the work done in it: commit when RC is 0, else
 * abort.  Returns the commit's result, or RC.  T is freed either way.
 */
int store_finish(struct store_txn *t, int rc);

/*
 * Look KEY up in database DB.  Returns 0 with *VAL and *VLEN pointing into the
 * map (valid until T ends; read-only), -ENOENT when absent (an empty key is
 * always absent), another negative errno on failure.
 */
int store_get(struct store_txn *t, unsigned db, const void *key, size_t klen, const void **val,
	      size_t *vlen);

/*
 * Store KEY -> VAL in DB.  With NOOVERWRITE an existing key gives -EEXIST and
 * is left alone.  Returns 0 or a negative errno (-ENOSPC: map full).
 */
int store_put(struct store_txn *t, unsigned db, const void *key, size_t klen, const void *val,
	      size_t vlen, bool nooverwrite);

/* Delete KEY from DB.  Returns 0, -ENOENT when absent, or a negative errno. */
int store_del(struct store_txn *t, unsigned db, const void *key, size_t klen);

/*
 * Call FN(ARG, key, klen, val, vlen) for every record of DB whose key starts
 * with PREFIX[0..PLEN) (every record when PLEN is 0), in key order.  The
 * pointers are valid until T ends; FN must not change DB.  FN returns 0 to go
 * on, a positive value to stop (store_scan then returns 0), or a negative
 * errno to stop with that result.
 */
int store_scan(struct store_txn *t, unsigned db, const void *prefix, size_t plen,
	       int (*fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
	       void *arg);

/* Flush committed transactions to the disk now.  0 or a negative errno. */
int store_sync(struct store *s);

/* Delete every record of DB (the database stays).  0 or a negative errno. */
int store_clear(struct store_txn *t, unsigned db);

/*
 * Release the reader slots of processes that died without ending their read
 * transactions (mdb_reader_check).  Returns how many, or a negative errno.
 */
int store_reader_check(struct store *s);

/*
 * store_scan() from a place, either way: call FN for the records of DB
 * whose key starts with PREFIX[0..PLEN), beginning at the first key at or
 * after FROM[0..FLEN) in key order, or with BACKWARD at the last key at or
 * before it and in reverse order; FLEN 0 begins at the prefix's first key
 * (its last, BACKWARD).  FROM must start with PREFIX.  FN and the result as
 * for store_scan().
 */
int store_walk(struct store_txn *t, unsigned db, const void *prefix, size_t plen, const void *from,
	       size_t flen, bool backward,
	       int (*fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
	       void *arg);

#endif
