/*
 * Playback: authorizing a stream (the subscription's plan, the title, a
 * lease within the plan's concurrent streams, a signed stream token and the
 * edge URL), its heartbeats and stop, and the content key a player fetches
 * with its stream token.
 *
 * A stream token (common/stream_token.h) carries the user, the title and
 * its package version, the plan's largest height, the lease, and lives the
 * title's duration plus the token margin, at most the token maximum.  Leases
 * live in memory (leases.h); the caller saves them, a new one before it is
 * answered (playback_take() and the calls after it).
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_PLAYBACK_H
#define ORIGIN_PLAYBACK_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "playback/leases.h"
#include "reason.h"
#include "stream_token.h"

#define PLAYBACK_URL_MAX     512
#define PLAYBACK_TOKEN_CACHE 4096 /* stream tokens the content endpoint keeps verified */

struct store;
struct plans;
struct keyset;

struct playback_params {
	char edge_url[PLAYBACK_URL_MAX]; /* base of playback URLs, no trailing / */
	uint32_t lease_timeout_s;	 /* a lease without heartbeat ends after */
	uint32_t token_margin_s;	 /* stream token lifetime past the duration */
	uint32_t token_max_s;		 /* ... capped at */
};

/* An authorized stream, as POST /api/v1/play answers it. */
struct playback_grant {
	char *url, *token; /* malloc'd: free with playback_grant_clear() */
	char lease[LEASE_ID_LEN + 1];
	int64_t expires;	       /* of the token, unix s */
	uint32_t max_height;	       /* the plan's */
	uint32_t heartbeat_interval_s; /* advised: a third of the lease timeout, at least 1 */
	uint32_t lease_timeout_s;
};

struct playback;

/*
 * The playback service over ST, PL, CAT and the stream key set KEYS (none
 * owned; each must outlive it: KEYS may be reloaded in place), with P
 * copied, its leases loaded from ST as live at NOW.  Returns 0 with *OUT
 * (free it with playback_free()), or a negative errno.
 */
int playback_new(struct store *st, struct plans *pl, struct catalog *cat, const struct keyset *keys,
		 const struct playback_params *p, int64_t now, struct playback **out);

/* Free PB (its unsaved lease changes are lost: playback_save() first).  NULL is a no-op. */
void playback_free(struct playback *pb);

/*
 * Authorize user UID to play TITLE at NOW: 0 with *G (the caller clears
 * it), -EACCES (no active subscription), -ENOENT (no such title), -ERANGE
 * (no rendition within the plan's height), -EUSERS (at the plan's stream
 * limit: *WHY says it), or a negative errno.
 */
int playback_start(struct playback *pb, const char *uid, const char *title, int64_t now,
		   struct playback_grant *g, struct origin_reason *why);

/*
 * playback_start() with a token that lives at most TTL_MAX_S seconds (and
 * never past the token maximum): an admin's stream token for debugging.
 */
int playback_start_within(struct playback *pb, const char *uid, const char *title, int64_t now,
			  uint32_t ttl_max_s, struct playback_grant *g, struct origin_reason *why);

/* Free G's strings and zero it.  */
void playback_grant_clear(struct playback_grant *g);

/*
 * Heartbeat of UID's lease LEASE at NOW: 0 with its new end in *EXPIRES,
 * -ENOENT (unknown, ended, or another user's).
 */
int playback_heartbeat(struct playback *pb, const char *lease, const char *uid, int64_t now,
		       int64_t *expires);

/* UID's lease LEASE, live at NOW, into *OUT (its title, its start): 0 or -ENOENT. */
int playback_lease(struct playback *pb, const char *lease, const char *uid, int64_t now,
		   struct lease *out);

/* End UID's lease LEASE: 0 or -ENOENT. */
int playback_stop(struct playback *pb, const char *lease, const char *uid);

/*
 * The content key KID (NULL: the current one) of TITLE for the holder of
 * stream token TOKEN at NOW, into KEY (the caller wipes it): 0, -EBADMSG
 * (the token is not valid), -ETIMEDOUT (expired), -EACCES (for another
 * title, or not a stream token), -EKEYREVOKED (its lease has ended),
 * -ENOENT (no such key), or a negative errno.
 */
int playback_key(struct playback *pb, const char *title, const char *token, const char *kid,
		 int64_t now, uint8_t key[CONTENT_KEY_LEN]);

/*
 * A player's request for TITLE (TITLE_LEN bytes) with stream token TOKEN
 * (TLEN bytes) at NOW, checked as an edge checks it: stream_token_check()'s
 * steps (each token verified once, through a cache), then its lease, which
 * must be live and has its heartbeat (being served counts as one).  0 with
 * the claims in *C (the caller's; the height is the caller's to check),
 * stream_token_check()'s errors, or -EKEYREVOKED (the lease ended: stopped,
 * timed out, its user disabled).
 */
int playback_stream(struct playback *pb, const char *token, size_t tlen, const char *title,
		    size_t title_len, int64_t now, struct stream_claims *c);

/* Lease LEASE was served at NOW (an edge's report): its heartbeat.  0 or -ENOENT. */
int playback_served(struct playback *pb, const char *lease, int64_t now);

/* Call FN(ARG, lease id) for every lease that ends from now on (lease_table_on_end). */
void playback_on_end(struct playback *pb, void (*fn)(void *arg, const char *lease), void *arg);

/* End every lease of UID (account disabled).  Returns how many ended. */
size_t playback_end_user(struct playback *pb, const char *uid);

/* Live leases now. */
size_t playback_leases(const struct playback *pb);


/* Save the lease changes not saved yet (at shutdown).  0 or a negative errno. */
int playback_save(struct playback *pb);

/*
 * playback_save() in the three steps of leases.h, for a group commit whose
 * write runs off the loop: playback_take() on the loop (0 with *OUT, NULL
 * when nothing changed; or -ENOMEM), playback_write() on any thread while
 * PB lives, playback_taken() back on the loop with the write's result.
 */
int playback_take(struct playback *pb, struct lease_batch **out);
int playback_write(struct playback *pb, const struct lease_batch *b);
void playback_taken(struct playback *pb, struct lease_batch *b, int rc);

/* End the leases without heartbeat at NOW (the tick, when a group commit saves). */
void playback_sweep(struct playback *pb, int64_t now);

#endif
