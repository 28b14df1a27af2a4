/*
 * Growing arrays: the one way the project makes room in a realloc'ed array.
 *
 * Ownership: *ARR stays the caller's to free, whatever the result.
 */
#ifndef REEL_COMMON_ARRAY_H
#define REEL_COMMON_ARRAY_H

#include <errno.h>
#include <stdlib.h>

/*
 * Room for element N (of SIZE bytes) in the array *ARR of *CAP elements,
 * which doubles when full (from FIRST elements when empty).  0, or -ENOMEM
 * with the array unchanged.
 */
static inline int array_reserve(void **arr, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t more = *cap ? 2 * *cap : first;
	void *p;

	if (n < *cap)
		return 0;
	if (!(p = realloc(*arr, more * size)))
		return -ENOMEM;
	*arr = p;
	*cap = more;
	return 0;
}

#endif
