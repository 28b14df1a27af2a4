/*
 * Steering: which edges a player at an address is sent to for a title
 * (edges.h).  The prefixes of every edge (registered, and learned over BGP
 * and reported) are in one longest-prefix-match table (prefixes.h), rebuilt
 * when an edge or its prefixes change; a lookup is a few hash probes, so a
 * play costs the same with 100,000 prefixes as with ten.  The edges that
 * hold a title come from the title index (holders.h), and each pass reads
 * only the compact steer slots (edges_int.h), so a play touches no edge's
 * registration or report.
 */
#include "edges/edges_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHOICES (1 + EDGE_ALTERNATES)

/* The table over every edge's prefixes, rebuilt when they changed; false on ENOMEM. */
static bool table_fresh(struct edges *e)
{
	struct prefix_pair *pairs;
	struct prefix_table *t;
	size_t n = 0, k = 0;

	if (e->table && e->table_gen == e->gen)
		return true;
	for (size_t i = 0; i < e->n; i++)
		n += e->v[i]->spec.nprefixes + e->v[i]->rep.nprefixes;
	if (!(pairs = malloc((n ? n : 1) * sizeof(*pairs))))
		return false;
	for (size_t i = 0; i < e->n; i++) {
		const struct edge *ed = e->v[i];

		for (size_t j = 0; j < ed->spec.nprefixes; j++)
			pairs[k++] = (struct prefix_pair){ed->spec.prefixes[j], (uint32_t)i};
		for (size_t j = 0; j < ed->rep.nprefixes; j++)
			pairs[k++] = (struct prefix_pair){ed->rep.prefixes[j], (uint32_t)i};
	}
	if (prefix_table_build(pairs, k, &t) != 0) {
		free(pairs);
		return false;
	}
	free(pairs);
	prefix_table_free(e->table);
	e->table = t;
	e->table_gen = e->gen;
	return true;
}

/* The choices being made: slots of edges, and why each. */
struct pick {
	uint32_t slot[MAX_CHOICES];
	const char *why[MAX_CHOICES];
	uint8_t len[MAX_CHOICES];
	size_t n;
};

static bool picked(const struct pick *k, uint32_t slot)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->slot[i] == slot)
			return true;
	return false;
}

/* Slots a pass is limited to (the holders of a title), ascending. */
struct among {
	const uint32_t *v;
	size_t n;
};

/*
 * Add to K, least loaded first, the edges among SLOTS[0..N) (all edges when
 * SLOTS is NULL) that may get a player at NOW, are in ONLY (when not NULL)
 * and are not picked yet, as WHY with prefix length LEN: one pass over
 * their steer slots, keeping the few least loaded in order.
 */
static void take(const struct edges *e, struct pick *k, const uint32_t *slots, size_t n,
		 const struct among *only, int64_t now, const char *why, uint8_t len)
{
	uint32_t best[MAX_CHOICES];
	double best_load[MAX_CHOICES];
	size_t want = MAX_CHOICES - k->n, nb = 0;

	for (size_t i = 0; want && i < n; i++) {
		uint32_t s = slots ? slots[i] : (uint32_t)i;
		double l;
		size_t j;

		if (now >= e->slots[s].until)
			continue;
		l = e->slots[s].load;
		if ((nb == want && l >= best_load[nb - 1]) || picked(k, s) ||
		    (only && !holders_among(only->v, only->n, s)))
			continue; /* the cheap test first: most edges are not among the best */
		j = nb < want ? nb++ : nb - 1;
		for (; j > 0 && best_load[j - 1] > l; j--) {
			best[j] = best[j - 1];
			best_load[j] = best_load[j - 1];
		}
		best[j] = s;
		best_load[j] = l;
	}
	for (size_t i = 0; i < nb; i++) {
		k->slot[k->n] = best[i];
		k->why[k->n] = why;
		k->len[k->n++] = len;
	}
}

void edges_steer(struct edges *e, const struct prefix *a, const char *title, int64_t now,
		 bool send, struct edges_choice *out)
{
	struct prefix_hit hits[129];
	struct pick k = {.n = 0};
	size_t nhits = table_fresh(e) ? prefix_table_lookup(e->table, a, hits, 129) : 0;
	struct among held = {NULL, 0};

	if (edges_holders_fresh(e))
		held.v = holders_of(e->holders, title, &held.n);
	if (held.n) {
		for (size_t i = 0; i < nhits; i++)
			take(e, &k, hits[i].values, hits[i].n, &held, now, "prefix", hits[i].len);
		take(e, &k, held.v, held.n, NULL, now, "title", 0);
	}
	for (size_t i = 0; i < nhits; i++)
		take(e, &k, hits[i].values, hits[i].n, NULL, now, "pull", hits[i].len);
	take(e, &k, NULL, e->n, NULL, now, "pull", 0);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < k.n; i++) {
		const struct edge *ed = e->v[k.slot[i]];

		memcpy(out->e[i].id, ed->id, sizeof(ed->id));
		snprintf(out->e[i].url, sizeof(out->e[i].url), "%s", ed->spec.url);
		out->e[i].why = k.why[i];
		out->e[i].prefix_len = k.len[i];
	}
	out->n = k.n;
	if (send && k.n) {
		e->slots[k.slot[0]].steered++;
		steer_slot_load(&e->slots[k.slot[0]]);
	}
	if (out->n < MAX_CHOICES) {
		snprintf(out->e[out->n].url, sizeof(out->e[0].url), "%s", e->p.fallback_url);
		out->e[out->n++].why = "fallback";
	}
}
