/*
 * Inside edges/: the registry's in-memory form, shared by the registry
 * (edges.c), the reports (report.c) and steering (steer.c).  Nobody else
 * includes this.
 */
#ifndef ORIGIN_EDGES_INT_H
#define ORIGIN_EDGES_INT_H

#include "edges/edges.h"
#include "edges/holders.h"
#include "edges/nonces.h"
#include "edges/revocations.h"
#include "keyfiles.h"

#define EDGES_MAGIC 0x45444753u /* "EDGS" */

/* One registered edge: what the admin gave, and what it reported last. */
struct edge {
	char id[EDGE_ID_LEN + 1];
	struct edge_spec spec;
	bool draining; /* by the admin */
	int64_t created;
	char secret[EDGE_SECRET_LEN + 1];

	int64_t last_report; /* 0: never */
	struct edge_report rep; /* the last report: titles sorted without repeats, leases dropped */
};

/*
 * What steering reads of the edge in the same slot, in an array of its own
 * so that a pass over every edge reads 32 bytes of each: set from the edge
 * by edges_slot_update() when it reports or the admin drains it.
 */
struct steer_slot {
	int64_t until;	   /* it may get players while now < until: last report + down_after;
			      0 when it never reported, is failing or is draining */
	double bits_per_s; /* reported: bytes/s x 8 */
	double capacity;   /* bits/s */
	uint64_t steered;  /* players sent since its last report */
	double load;	   /* steer_slot_load(): what a play compares, kept as it changes */
};

#define PLAY_BPS 5000000.0 /* what a player sent since the last report is assumed to add */

/* S's load relative to its capacity, counting the players sent since its report. */
static inline void steer_slot_load(struct steer_slot *s)
{
	s->load = (s->bits_per_s + (double)s->steered * PLAY_BPS) / s->capacity;
}

struct edges {
	uint32_t magic;
	struct store *st;
	uint8_t master[32];
	const struct keyset *keys;
	struct playback *pb;
	struct edges_params p;

	struct edge **v; /* in registration order */
	size_t n, cap;
	struct steer_slot *slots; /* slots[i] is v[i]'s */
	size_t slots_cap;
	struct holders *holders; /* title -> slots of the edges holding it complete */
	bool holders_stale;	 /* a change failed (ENOMEM): rebuild before use */
	uint64_t gen; /* bumped when edges or their prefixes change */

	struct prefix_table *table; /* every edge's prefixes -> slots of V, built at TABLE_GEN */
	uint64_t table_gen;

	struct revocations *rev;
	struct nonce_cache *nonces;
	char kids[KEYSET_MAX][PASETO_KID_MAX + 1]; /* the stream key ids last seen */
	size_t nkids;
};

/* The slot of edge ID, or E->n when there is none. */
size_t edges_slot(const struct edges *e, const char *id);

/* Edge ID, or NULL. */
struct edge *edges_find(const struct edges *e, const char *id);

/* Set slot I's steer_slot from its edge (all but the players sent). */
void edges_slot_update(struct edges *e, size_t i);

/* The title index, rebuilt from the edges' titles when stale; false when it cannot be (ENOMEM). */
bool edges_holders_fresh(struct edges *e);

/* Is ED up at NOW: reported within the down threshold and not failing? */
bool edges_is_up(const struct edges *e, const struct edge *ed, int64_t now);

#endif
