/*
 * The edge registry and what the edges report (docs/distribution.md): each
 * edge registered by an admin (name, URL, cluster, capacity, the client
 * prefixes it serves) with its own credential, the secret it signs its
 * requests to the origin with (docs/fill.md, hmac-sha256); its heartbeats
 * (health, load, disk, complete titles, the leases it served, the prefixes
 * it learned), which keep those leases alive and are answered with the
 * revocations since its last one; and steering, which picks the edges a
 * player is sent to.  An edge that has not reported for the down threshold
 * is down; a draining one gets no new players.
 *
 * The registry and the revocation log are in the store, the reports in
 * memory, owned by the loop.
 *
 * Ownership: every output (OUT, ID, SECRET, *N and the like) is the
 * caller's storage, written by the call; a call that allocates says so and
 * who frees what it returns.
 */
#ifndef ORIGIN_EDGES_H
#define ORIGIN_EDGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edges/prefixes.h"
#include "httpsig.h"
#include "reason.h"

#define EDGE_ID_LEN	    17 /* "e" + 16 hex digits */
#define EDGE_SECRET_LEN	    43 /* base64url of 32 random bytes */
#define EDGE_NAME_MAX	    64
#define EDGE_URL_MAX	    256
#define EDGE_CLUSTER_MAX    64
#define EDGE_PREFIXES_MAX   65536 /* registered or reported, per edge */
#define EDGE_TITLE_MAX	    64
#define EDGES_URL_MAX	    512 /* the fallback's, and so a choice's */
#define EDGE_ALTERNATES	    3 /* edges besides the chosen one in a steering answer */

struct store;
struct playback;
struct keyset;

struct edges_params {
	uint32_t down_after_s; /* an edge is down this long after its last report */
	uint32_t interval_s;   /* the report interval edges are told */
	uint32_t keep_s;       /* revocations matter this long: the longest token life */
	char fallback_url[EDGES_URL_MAX]; /* steering's last resort, no trailing / */
};

/* An edge as an admin registers it (parsed by api/edge_bodies.h). */
struct edge_spec {
	char name[EDGE_NAME_MAX + 1];
	char url[EDGE_URL_MAX + 1]; /* http:// or https://, no trailing / */
	char cluster[EDGE_CLUSTER_MAX + 1];
	uint64_t capacity_mbps; /* 1.. */
	char fill_url[EDGE_URL_MAX + 1]; /* its fill API (docs/fill.md); "" = not filled */
	struct prefix *prefixes; /* malloc'd: edge_spec_clear() */
	size_t nprefixes;
};

enum edge_health { EDGE_OK, EDGE_DEGRADED, EDGE_FAILING };

/* One heartbeat's body (parsed by api/edge_bodies.h). */
struct edge_report {
	char cursor[48];	 /* the last answer's, "" at first */
	enum edge_health health;
	bool draining;		 /* the edge drains itself (shutting down) */
	uint64_t connections, bytes_per_s, disk_used, disk_free;
	char (*titles)[EDGE_TITLE_MAX + 1]; /* complete titles, all of them; malloc'd */
	size_t ntitles;
	char (*leases)[32]; /* lease ids served since the last report; malloc'd */
	size_t nleases;
	bool has_prefixes; /* PREFIXES replace what the edge reported before (BGP) */
	struct prefix *prefixes; /* malloc'd */
	size_t nprefixes;
};

/* Free the arrays of S or R and zero it. */
void edge_spec_clear(struct edge_spec *s);
void edge_report_clear(struct edge_report *r);

/* Where a player is sent: URLs of edges (or the fallback), best first. */
struct edges_choice {
	size_t n; /* 1..1 + EDGE_ALTERNATES */
	struct {
		char id[EDGE_ID_LEN + 1]; /* "" for the fallback */
		char url[EDGES_URL_MAX];
		const char *why; /* static: "prefix", "title", "pull", "fallback" */
		uint8_t prefix_len; /* of the prefix matched, with why "prefix" or "pull" */
	} e[1 + EDGE_ALTERNATES];
};

struct edges;

/*
 * The registry over ST, sealing credentials with MASTER (32 bytes, copied),
 * watching the stream key set KEYS (reloaded in place; its kids that go are
 * revoked) and keeping leases of PB alive (none owned; each must outlive
 * it), with P copied, the edges loaded from ST at NOW.  0 with *OUT (free
 * it with edges_free()), or a negative errno (-EIO: a record that does not
 * decode).
 */
int edges_new(struct store *st, const uint8_t master[32], const struct keyset *keys,
	      struct playback *pb, const struct edges_params *p, int64_t now, struct edges **out);

void edges_free(struct edges *e);

/*
 * Register S at NOW: 0 with the new edge's id in ID and its credential in
 * SECRET (shown once), -EINVAL (*WHY says why: a URL or name in use), or a
 * negative errno.
 */
int edges_add(struct edges *e, const struct edge_spec *s, int64_t now, char id[EDGE_ID_LEN + 1],
	      char secret[EDGE_SECRET_LEN + 1], struct origin_reason *why);

/* Remove edge ID (its credential is refused at once): 0 or -ENOENT. */
int edges_remove(struct edges *e, const char *id);

/* Mark edge ID draining (no new players) or not: 0 or -ENOENT. */
int edges_set_draining(struct edges *e, const char *id, bool draining);

/* A new credential for edge ID into SECRET; the old one is refused at once.  0 or -ENOENT. */
int edges_new_secret(struct edges *e, const char *id, char secret[EDGE_SECRET_LEN + 1]);

/* Every edge with its state at NOW, as a new {"edges": [...]} (the caller decrefs it). */
json_t *edges_list(const struct edges *e, int64_t now);

/* Edge ID with its state at NOW into *OUT (a new reference), or -ENOENT. */
int edges_show(const struct edges *e, const char *id, int64_t now, json_t **out);

/*
 * Check that a request of BODY[0..LEN) whose signature is P over M
 * (httpsig.h) comes from a registered edge: the alg is hmac-sha256, keyid
 * and tag are the same edge id, the signature verifies with its credential
 * at NOW, the Content-Digest is the body's, the nonce is new.  0 with the
 * id in ID; -EPROTO (not of the profile), -ENOKEY (no such edge),
 * -ETIMEDOUT, -EBADMSG (does not verify), -EILSEQ (the digest is not the
 * body's), -EALREADY (the nonce was used), -ENOMEM.
 */
int edges_authenticate(struct edges *e, const struct httpsig_params *p, const struct httpsig_msg *m,
		       const char *body, size_t len, int64_t now, char id[EDGE_ID_LEN + 1]);

/*
 * Edge ID's report R at NOW: its state is kept, the leases it served have
 * their heartbeat, and *OUT is a new answer (docs/distribution.md: the
 * revocations since R's cursor, the interval, the edge's registered
 * state).  0, -ENOENT (no such edge), -EINVAL (a cursor that is none),
 * -ENOMEM.
 */
int edges_report(struct edges *e, const char *id, const struct edge_report *r, int64_t now,
		 json_t **out);

/* Lease LEASE ended (playback's hook, ARG the edges): edges refuse its tokens from their next report. */
void edges_lease_ended(void *arg, const char *lease);

/* User UID was disabled at NOW: edges refuse the tokens issued to it until then. */
void edges_user_disabled(struct edges *e, const char *uid, int64_t now);

/* Once a tick: stream key ids gone from the key set are revoked; old revocations dropped. */
void edges_tick(struct edges *e, int64_t now);

/*
 * The revocation log's batch for the lease group commit (revocations.h:
 * take on the loop, revocations_put() in the commit's transaction, taken
 * back on the loop with its result), and a save on the caller's thread
 * (shutdown).  Revocations reach the edges once committed.
 */
struct revocation_batch;
int edges_revocations_take(struct edges *e, struct revocation_batch **out);
void edges_revocations_taken(struct edges *e, struct revocation_batch *b, int rc);
int edges_revocations_save(struct edges *e);

/*
 * Where to send a player at address A for TITLE at NOW (docs/distribution.md):
 * the healthy edges holding the title complete whose prefix is the longest
 * that matches A, least loaded first; then any healthy edge with the title;
 * then healthy edges that pull the title through (prefix first); then the
 * fallback URL.  *OUT holds 1 to 1 + EDGE_ALTERNATES choices.  SEND: a
 * player is sent to the first choice (it counts in that edge's load until
 * its next report); false for a question only (the admin's steer).
 */
void edges_steer(struct edges *e, const struct prefix *a, const char *title, int64_t now,
		 bool send, struct edges_choice *out);

/* An edge with a fill URL, as the fill scheduler sees it (docs/fill.md). */
struct edges_fill_target {
	const char *id, *name, *cluster, *fill_url; /* the registry's: valid during the call */
	bool up; /* up at NOW, or never reported (worth a try) */
};

/*
 * FN(ARG, T) for every edge with a fill URL at NOW, in registration order:
 * no JSON is made, so a tick costs little with thousands of edges and their
 * prefixes.
 */
void edges_fill_targets(const struct edges *e, int64_t now,
			void (*fn)(void *arg, const struct edges_fill_target *t), void *arg);

/* Registered edges, and those up at NOW. */
size_t edges_count(const struct edges *e);
size_t edges_up(const struct edges *e, int64_t now);

#endif
