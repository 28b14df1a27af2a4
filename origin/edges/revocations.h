/*
 * The revocation log: what ended at the origin that edges must refuse from
 * then on (ended leases, disabled users, retired stream-key ids), numbered
 * in order, so each edge's heartbeat asks for what came after the last
 * number it got.  An entry is kept as long as a token it refuses can still
 * be valid (KEEP seconds: the longest a stream token lives), then dropped.
 *
 * Durable: the log lives in memory, owned by the loop, and in the store's
 * revocations table (tables.h), which it is loaded from at start.  New
 * entries are written in batches (revocations_take() and the calls after
 * it, the lease group commit's), together with the deletion of the entries
 * dropped since the last batch, so neither an answer nor a heartbeat waits
 * on a store write of its own.  A heartbeat hears only of committed
 * entries: numbers it saw are never given again, even after a crash, and
 * its cursor stays good across restarts.  The epoch (the cursor's first
 * part) is the store's, made when the table is first used: a cursor of
 * another epoch (another origin, or a store made anew) or past the last
 * number gets every entry still kept.  Library code: no logging.
 *
 * Ownership: every output (OUT, *N and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_EDGES_REVOCATIONS_H
#define ORIGIN_EDGES_REVOCATIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REVOCATION_ID_MAX  64
#define REVOCATION_CURSOR_MAX 40 /* "EPOCH:SEQ": 16 hex digits, ':', 20 digits */

#define REVOCATIONS_PRUNE_MAX 10000 /* deletions of dropped entries per batch at most */

enum revocation_kind { REVOKED_LEASE, REVOKED_USER, REVOKED_KID };

struct revocations;
struct store;
struct store_txn;

/*
 * The log of ST's revocations table, whose entries live KEEP_S seconds:
 * the entries still kept at NOW loaded, the epoch made and written if the
 * table has none.  0 with *OUT (free it with revocations_free()), -ENOMEM,
 * -EIO, or the store's error.
 */
int revocations_open(struct store *st, uint32_t keep_s, int64_t now, struct revocations **out);
void revocations_free(struct revocations *r);

/*
 * Append that ID (a lease id, a user id, a key id: at most
 * REVOCATION_ID_MAX bytes, longer ones are cut) of KIND ended at NOW.  For a
 * user, tokens issued at or before NOW are refused.  0 or -ENOMEM.
 */
int revocations_add(struct revocations *r, enum revocation_kind kind, const char *id, int64_t now);

/* Drop the entries older than KEEP at NOW (the next batch deletes them from the store). */
void revocations_expire(struct revocations *r, int64_t now);

/* Entries in the log (in memory). */
size_t revocations_count(const struct revocations *r);

/* Entries added but not committed yet (heartbeats do not hear of them). */
size_t revocations_pending(const struct revocations *r);

/*
 * A batch, in three steps as lease batches (leases.h): revocations_take()
 * (the loop) copies the entries not committed yet and the range of
 * dropped ones to delete into *OUT (NULL when there is nothing to write):
 * 0 or -ENOMEM.  revocations_put() writes a batch in the write transaction
 * T (any thread; it reads only the batch; B NULL: nothing): 0 or the
 * store's error.  revocations_taken() (the loop) frees B after its
 * transaction ended with RC; when RC is 0 its entries are committed and
 * heartbeats hear of them, otherwise the next batch writes them again and
 * until one commits heartbeats hear of every entry in memory (a store that
 * refuses them, its map full, does not hold revocations back; a crash then
 * may give numbers an edge saw again).
 */
struct revocation_batch;
int revocations_take(struct revocations *r, struct revocation_batch **out);
int revocations_put(const struct revocation_batch *b, struct store_txn *t);
void revocations_taken(struct revocations *r, struct revocation_batch *b, int rc);

/* Take, put and commit in one transaction of ST, on the caller's thread (tests, shutdown). */
int revocations_save(struct revocations *r, struct store *st);

/*
 * The committed entries after CURSOR (NULL or "", another epoch's, or past
 * the last number: the whole log), at most MAX entries, added to ANSWER (an object) as
 * "leases": [ID], "users": [{"user", "before"}], "kids": [ID], "keep": KEEP,
 * "cursor": the cursor to send next, and "more": true when entries are
 * left.  Returns 0, -EINVAL (a cursor that is no cursor), or -ENOMEM.
 */
int revocations_since(const struct revocations *r, const char *cursor, size_t max, json_t *answer);

#endif
