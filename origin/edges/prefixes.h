/*
 * Client prefixes (CIDR, IPv4 and IPv6) and the longest-prefix-match table
 * steering looks addresses up in.  The table is built once from a list of
 * (prefix, value) pairs and then only read: one hash table over every
 * prefix, keyed by family, length and masked address, and per family the
 * set of lengths present, so a lookup probes the lengths present from the
 * longest down (at most 33 probes for IPv4, 129 for IPv6; a few dozen in
 * practice) whatever the number of prefixes.  Library code: no logging.
 *
 * Ownership: every output (OUT, *N and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_EDGES_PREFIXES_H
#define ORIGIN_EDGES_PREFIXES_H

#include <stddef.h>
#include <stdint.h>

#define PREFIX_TEXT_MAX 56 /* INET6_ADDRSTRLEN, "/128", rounded up */

/* A prefix, or an address (LEN 32 or 128); bits past LEN are zero. */
struct prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;	/* 0..32 or 0..128 */
	uint8_t addr[16];
};

/*
 * Parse S[0..N) as "ADDRESS/LEN" (IPv4 dotted quad or IPv6 text) into *OUT.
 * Returns 0, or -EINVAL: not an address, a length out of range or missing,
 * or bits set past the length (write 192.0.2.0/24, not 192.0.2.1/24).
 */
int prefix_parse(const char *s, size_t n, struct prefix *out);

/* Parse S[0..N) as an IPv4 or IPv6 address into *OUT (LEN 32 or 128): 0 or -EINVAL. */
int prefix_parse_address(const char *s, size_t n, struct prefix *out);

/*
 * *OUT from the 4 or 16 bytes of address ADDR (LEN bytes), as
 * prefix_parse_address(); an IPv4-mapped IPv6 address is its IPv4 one.
 */
int prefix_from_bytes(const void *addr, size_t len, struct prefix *out);

/* P as text, "ADDRESS/LEN", into OUT (PREFIX_TEXT_MAX bytes). */
void prefix_format(const struct prefix *p, char out[PREFIX_TEXT_MAX]);

/* One pair the table is built from: prefix P maps to VALUE (an edge's slot). */
struct prefix_pair {
	struct prefix p;
	uint32_t value;
};

/* What a lookup found at one length: the values of the prefix of that length. */
struct prefix_hit {
	uint8_t len;
	const uint32_t *values; /* the table's: valid until prefix_table_free() */
	size_t n;
};

struct prefix_table;

/*
 * A table of the N pairs PAIRS (sorted in place; duplicates collapse), into
 * *OUT (free it with prefix_table_free()).  0 or -ENOMEM.
 */
int prefix_table_build(struct prefix_pair *pairs, size_t n, struct prefix_table **out);

void prefix_table_free(struct prefix_table *t);

/* Prefixes in T. */
size_t prefix_table_count(const struct prefix_table *t);

/*
 * The prefixes of T that hold address A, longest first, into HITS (at most
 * MAX).  Returns how many were written.
 */
size_t prefix_table_lookup(const struct prefix_table *t, const struct prefix *a,
			   struct prefix_hit *hits, size_t max);

#endif
