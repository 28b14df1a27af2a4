/*
 * Inside edges/: the registry's in-memory form, shared by the registry
 * (edges.c), the reports (report.c) and steering (steer.c).  Nobody else
 * includes this.
 */
#ifndef ORIGIN_EDGES_INT_H
#define ORIGIN_EDGES_INT_H

#include "edges/edges.h"
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
	struct edge_report rep; /* the last report: titles sorted, leases dropped */
	uint64_t steered;	/* players sent since the last report */
};

struct edges {
	uint32_t magic;
	struct store *st;
	uint8_t master[32];
	const struct keyset *keys;
	struct playback *pb;
	struct edges_params p;

	struct edge **v; /* in registration order */
	size_t n, cap;
	uint64_t gen; /* bumped when edges or their prefixes change */

	struct prefix_table *table; /* every edge's prefixes -> slots of V, built at TABLE_GEN */
	uint64_t table_gen;

	struct revocations *rev;
	struct nonce_cache *nonces;
	char kids[KEYSET_MAX][PASETO_KID_MAX + 1]; /* the stream key ids last seen */
	size_t nkids;
};

/* Edge ID, or NULL. */
struct edge *edges_find(const struct edges *e, const char *id);

/* Is ED up at NOW: reported within the down threshold and not failing? */
bool edges_is_up(const struct edges *e, const struct edge *ed, int64_t now);

#endif
