/*
 * Records: the values of the origin's tables (schema.h) are JSON objects,
 * stored as compact text.  Each domain keeps its records through these
 * three calls, in a transaction it owns.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_RECORDS_H
#define ORIGIN_RECORDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct store_txn;

/*
 * Store OBJ as compact JSON under KEY in table DB.  OBJ is consumed (its
 * reference is the caller's no longer, on success or failure); NULL gives
 * -ENOMEM, so a json_pack() may be passed straight in.  With NOOVERWRITE an
 * existing key gives -EEXIST.  Returns 0 or a negative errno (-ENOSPC: the
 * store is full).
 */
int records_put(struct store_txn *t, unsigned db, const void *key, size_t klen, json_t *obj,
		bool nooverwrite);

/*
 * The record under KEY in table DB: 0 with *OUT a new reference (the caller
 * decrefs it), -ENOENT, -EIO when the value is not a JSON object, or another
 * negative errno; *OUT is NULL on failure.
 */
int records_get(struct store_txn *t, unsigned db, const void *key, size_t klen, json_t **out);

/*
 * Call FN(ARG, KEY, KLEN, OBJ) for every record of table DB whose key starts
 * with PREFIX[0..PLEN) (all when PLEN is 0), in key order.  OBJ is the
 * decoded value, NULL when it is not JSON; it is borrowed (FN increfs what it
 * keeps) and KEY is valid only during the call.  FN returns 0 to go on, a
 * positive value to stop (records_scan then returns 0), or a negative errno
 * to stop with it.  FN must not change DB.
 */
int records_scan(struct store_txn *t, unsigned db, const void *prefix, size_t plen,
		 int (*fn)(void *arg, const void *key, size_t klen, json_t *obj), void *arg);

#endif
