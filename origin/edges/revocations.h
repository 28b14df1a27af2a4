/*
 * The revocation log: what ended at the origin that edges must refuse from
 * then on (ended leases, disabled users, retired stream-key ids), numbered
 * in order, so each edge's heartbeat asks for what came after the last
 * number it got.  An entry is kept as long as a token it refuses can still
 * be valid (KEEP seconds: the longest a stream token lives), then dropped.
 * In memory, owned by the loop: an origin that restarts starts a new log
 * under a new epoch, and an edge asking with another epoch's cursor gets
 * the whole new log.  Library code: no logging.
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

enum revocation_kind { REVOKED_LEASE, REVOKED_USER, REVOKED_KID };

struct revocations;

/* A log whose entries live KEEP_S seconds, under a fresh random epoch; NULL on ENOMEM or -EIO. */
struct revocations *revocations_new(uint32_t keep_s);
void revocations_free(struct revocations *r);

/*
 * Append that ID (a lease id, a user id, a key id: at most
 * REVOCATION_ID_MAX bytes, longer ones are cut) of KIND ended at NOW.  For a
 * user, tokens issued at or before NOW are refused.  0 or -ENOMEM.
 */
int revocations_add(struct revocations *r, enum revocation_kind kind, const char *id, int64_t now);

/* Drop the entries older than KEEP at NOW. */
void revocations_expire(struct revocations *r, int64_t now);

/* Entries in the log. */
size_t revocations_count(const struct revocations *r);

/*
 * What came after CURSOR (NULL or "": the whole log; another epoch's: the
 * whole log), at most MAX entries, added to ANSWER (an object) as
 * "leases": [ID], "users": [{"user", "before"}], "kids": [ID], "keep": KEEP,
 * "cursor": the cursor to send next, and "more": true when entries are
 * left.  Returns 0, -EINVAL (a cursor that is no cursor), or -ENOMEM.
 */
int revocations_since(const struct revocations *r, const char *cursor, size_t max, json_t *answer);

#endif
