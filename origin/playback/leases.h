/*
 * Playback leases: one per stream a user is watching, so the plan's limit of
 * concurrent streams holds.  A lease lives while its heartbeats come (a
 * lease without one for TIMEOUT seconds ends) and ends at an explicit stop.
 *
 * The table is in memory, owned by the event loop: acquiring a lease is a
 * hash lookup, not a store write.  lease_table_save() writes the changes
 * since the last save to the store in one transaction, and
 * lease_table_load() brings them back after a restart.  The origin answers
 * a new lease only once a save has committed it (one save for every lease
 * decided in the same turn of the loop: group commit), so a crash loses no
 * lease a client holds; it may lose heartbeats and stops of the last
 * second, which only keeps a lease a little longer (tables.h).
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_LEASES_H
#define ORIGIN_LEASES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_txn;

#define LEASE_ID_LEN 25 /* "l" + 14 hex digits, in the order made, + 10 random */

struct lease {
	char id[LEASE_ID_LEN + 1];
	char user[24];
	char title[72];
	int64_t started, last; /* unix seconds: creation, last heartbeat */
};

struct lease_table;

/*
 * A table whose leases end TIMEOUT_S seconds after their last heartbeat
 * (free it with lease_table_free()); NULL on ENOMEM.
 */
struct lease_table *lease_table_new(uint32_t timeout_s);
void lease_table_free(struct lease_table *lt);

/*
 * Start a lease for USER on TITLE at NOW if USER holds fewer than MAX live
 * leases (ended ones are dropped first).  Returns 0 with *OUT, -EUSERS at
 * the limit (*OUT then holds the user's oldest live lease), -ENOMEM or -EIO.
 */
int lease_acquire(struct lease_table *lt, const char *user, const char *title, int64_t now,
		  uint32_t max, struct lease *out);

/* Heartbeat of lease ID of USER at NOW: 0 with *OUT, -ENOENT (unknown, ended, another user's). */
int lease_heartbeat(struct lease_table *lt, const char *id, const char *user, int64_t now,
		    struct lease *out);

/* Heartbeat of lease ID at NOW whoever's it is (an edge served it): 0 or -ENOENT. */
int lease_touch(struct lease_table *lt, const char *id, int64_t now);

/*
 * Call FN(ARG, the lease) for every lease of LT that ends from now on:
 * stopped, of a disabled user, or without heartbeat (NULL FN: none).  FN
 * must not change LT.
 */
void lease_table_on_end(struct lease_table *lt, void (*fn)(void *arg, const struct lease *l),
			void *arg);

/* End lease ID of USER: 0 or -ENOENT. */
int lease_release(struct lease_table *lt, const char *id, const char *user);

/* Is lease ID live at NOW (for the key endpoint and revocation checks)? */
bool lease_live(struct lease_table *lt, const char *id, int64_t now);

/* USER's lease ID, live at NOW, into *OUT: 0, or -ENOENT (unknown, ended, another user's). */
int lease_get(struct lease_table *lt, const char *id, const char *user, int64_t now,
	      struct lease *out);

/* End every lease of USER (account disabled).  Returns how many ended. */
size_t lease_end_user(struct lease_table *lt, const char *user);

/* USER's live leases at NOW as a new JSON array (the caller decrefs it; NULL on ENOMEM). */
json_t *lease_list(struct lease_table *lt, const char *user, int64_t now);

/* Drop leases ended at NOW.  Returns how many were dropped. */
size_t lease_table_sweep(struct lease_table *lt, int64_t now);

/* Live leases in the table. */
size_t lease_table_count(const struct lease_table *lt);

/* Write the changes since the last save to ST in one transaction (nothing if none). */
int lease_table_save(struct lease_table *lt, struct store *st);

/*
 * lease_table_save() in three steps, so the write may run on another
 * thread while the loop goes on: lease_table_take() (the loop) moves the
 * changes since the last save into *OUT (NULL when there are none; free it
 * with lease_table_taken()): 0 or -ENOMEM (nothing moved).
 * lease_batch_write() writes a batch to ST in one transaction (any thread;
 * it reads only the batch; B NULL: nothing): 0 or a negative errno;
 * lease_batch_put() writes it in the write transaction T of the caller's,
 * so other changes may commit with it.
 * lease_table_taken() (the loop) frees B after its write returned RC; when
 * RC is not 0 its leases are noted as changed again, so the next save
 * writes them as they are then.
 */
struct lease_batch;
int lease_table_take(struct lease_table *lt, struct lease_batch **out);
int lease_batch_write(const struct lease_batch *b, struct store *st);
int lease_batch_put(const struct lease_batch *b, struct store_txn *t);
void lease_table_taken(struct lease_table *lt, struct lease_batch *b, int rc);
void lease_batch_free(struct lease_batch *b);

/* Load the leases of ST still live at NOW (after a restart). */
int lease_table_load(struct lease_table *lt, struct store *st, int64_t now);

#endif
