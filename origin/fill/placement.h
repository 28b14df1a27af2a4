/*
 * Where titles go (docs/fill.md, "The fill scheduler"): by default every
 * title on every edge of every cluster.  A cluster one of whose edges cannot
 * hold the whole catalog gets each title on K of its edges instead, the
 * most popular titles first: the edges are ranked for each title by
 * rendezvous hashing (the highest hash of title and edge id first), and the
 * title goes to the first K of them with room left.  An edge that joins or
 * leaves a cluster so moves only the titles it ranks first for (its share).
 */
#ifndef ORIGIN_FILL_PLACEMENT_H
#define ORIGIN_FILL_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct place_edge {
	const char *id;
	const char *cluster;
	uint64_t capacity; /* bytes it can hold; 0 = not known (assumed to hold everything) */
};

struct place_title {
	const char *id;
	uint64_t size;	/* bytes of its package */
	uint64_t plays; /* popularity: plays in the sliding window */
};

/* The rendezvous weight of TITLE on EDGE (higher: ranked first). */
uint64_t place_weight(const char *title, const char *edge);

/*
 * Place the NT titles T on the NE edges E with K copies per cluster (K >= 1):
 * WANT[i * NT + j] (the caller's NE * NT bools) says whether edge i holds
 * title j.  0, or -ENOMEM.
 */
int place_titles(const struct place_edge *e, size_t ne, const struct place_title *t, size_t nt,
		 unsigned k, bool *want);

#endif
