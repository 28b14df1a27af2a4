/* Placement of titles on edges (placement.h). */
#include "placement.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over S, then a 64-bit finalizer so that near ids spread. */
static uint64_t mix(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

uint64_t place_weight(const char *title, const char *edge)
{
	uint64_t h = mix(mix(0xcbf29ce484222325ULL, title) * 0x100000001b3ULL, edge);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static const struct place_title *sort_titles;

/* Most plays first, then by id, so the order is the same on every pass. */
static int by_popularity(const void *a, const void *b)
{
	const struct place_title *x = &sort_titles[*(const size_t *)a],
				 *y = &sort_titles[*(const size_t *)b];

	if (x->plays != y->plays)
		return x->plays > y->plays ? -1 : 1;
	return strcmp(x->id, y->id);
}

struct ranked {
	size_t edge;
	uint64_t w;
};

static int by_weight(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return x->w == y->w ? 0 : x->w > y->w ? -1 : 1;
}

/* Cluster C's edges (indexes MEMBERS[0..N)) get their titles; WANT as in place_titles. */
static void place_cluster(const struct place_edge *e, const size_t *members, size_t n,
			  const struct place_title *t, const size_t *order, size_t nt, unsigned k,
			  uint64_t catalog, bool *want, uint64_t *left, struct ranked *rank)
{
	bool all = true;

	for (size_t i = 0; i < n; i++)
		if (e[members[i]].capacity && e[members[i]].capacity < catalog)
			all = false;
	for (size_t i = 0; i < n; i++)
		left[i] = e[members[i]].capacity ? e[members[i]].capacity : UINT64_MAX;
	for (size_t o = 0; o < nt; o++) {
		size_t j = order[o];
		unsigned placed = 0;

		if (all) {
			for (size_t i = 0; i < n; i++)
				want[members[i] * nt + j] = true;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			rank[i] = (struct ranked){i, place_weight(t[j].id, e[members[i]].id)};
		qsort(rank, n, sizeof(*rank), by_weight);
		for (size_t r = 0; r < n && placed < k; r++) {
			size_t i = rank[r].edge;

			if (left[i] < t[j].size)
				continue;
			left[i] -= t[j].size;
			want[members[i] * nt + j] = true;
			placed++;
		}
	}
}

int place_titles(const struct place_edge *e, size_t ne, const struct place_title *t, size_t nt,
		 unsigned k, bool *want)
{
	size_t *order = malloc((nt + 1) * sizeof(*order)), *members = malloc((ne + 1) * sizeof(*members));
	uint64_t *left = malloc((ne + 1) * sizeof(*left)), catalog = 0;
	struct ranked *rank = malloc((ne + 1) * sizeof(*rank));
	bool *done = calloc(ne + 1, sizeof(*done));
	int rc = -ENOMEM;

	if (!order || !members || !left || !rank || !done)
		goto out;
	memset(want, 0, ne * nt * sizeof(*want));
	for (size_t j = 0; j < nt; j++) {
		order[j] = j;
		catalog += t[j].size;
	}
	sort_titles = t;
	qsort(order, nt, sizeof(*order), by_popularity);
	for (size_t i = 0; i < ne; i++) {
		size_t n = 0;

		if (done[i])
			continue;
		for (size_t m = i; m < ne; m++)
			if (!done[m] && strcmp(e[m].cluster, e[i].cluster) == 0) {
				done[m] = true;
				members[n++] = m;
			}
		place_cluster(e, members, n, t, order, nt, k ? k : 1, catalog, want, left, rank);
	}
	rc = 0;
out:
	free(order);
	free(members);
	free(left);
	free(rank);
	free(done);
	return rc;
}
