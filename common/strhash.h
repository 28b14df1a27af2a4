/*
 * FNV-1a, the hash of the in-memory tables keyed by strings (open files,
 * pulls in flight, title versions).  Not for anything an attacker can aim
 * at a table that cannot bear collisions: the tables here are bounded and
 * compare the keys themselves.
 *
 * Ownership: nothing is kept; the inputs are only read.
 */
#ifndef REEL_STRHASH_H
#define REEL_STRHASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a (64 bits) of the N bytes at P. */
static inline uint64_t str_hash_n(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* FNV-1a (64 bits) of the string S. */
static inline uint64_t str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

#endif
