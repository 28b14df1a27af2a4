/*
 * Which edges hold each title complete: per title the slots (indexes into
 * the registry's edges) of the edges whose last report named it, in
 * ascending order, so that steering's "the up edges with title T" is one
 * lookup and a pass over those edges alone, not over every edge.  Kept
 * report by report from the difference between an edge's titles before and
 * after.  Library code: no logging.
 *
 * Ownership: every output is the caller's storage; the slot lists returned
 * are the index's, valid until its next change.
 */
#ifndef ORIGIN_EDGES_HOLDERS_H
#define ORIGIN_EDGES_HOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edges/edges.h"

typedef char holders_title[EDGE_TITLE_MAX + 1];

struct holders;

/* An empty index, or NULL on ENOMEM; free it with holders_free(). */
struct holders *holders_new(void);

/* Free H.  NULL is a no-op. */
void holders_free(struct holders *h);

/*
 * The edge in slot SLOT held the NWAS titles WAS and now holds the NNOW
 * titles NOW (each sorted by strcmp(), without repeats).  0, or -ENOMEM
 * with H no longer to be trusted (rebuild it).
 */
int holders_change(struct holders *h, uint32_t slot, const holders_title *was, size_t nwas,
		   const holders_title *now, size_t nnow);

/* The slots holding TITLE, ascending, with their number in *N; NULL (*N 0) when none. */
const uint32_t *holders_of(const struct holders *h, const char *title, size_t *n);

/* Is SLOT among the N slots V (ascending)? */
bool holders_among(const uint32_t *v, size_t n, uint32_t slot);

#endif
