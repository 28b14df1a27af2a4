/*
 * Fuzz target for fold_phrase(), which folds search queries and the titles
 * and descriptions indexed for them.  The phrase must fit, be words of at
 * most FOLD_WORD_MAX bytes separated by single spaces, and fold to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1), out[512], again[512];
	size_t cap = size ? 1 + data[0] % sizeof(out) : sizeof(out), n, m;
	const char *p = out, *w;
	size_t wn;

	memcpy(in, data, size);
	n = fold_phrase(in, size, out, cap);
	if (n >= cap || strlen(out) != n || (n && (out[0] == ' ' || out[n - 1] == ' ')) ||
	    strstr(out, "  "))
		abort();
	while (fold_next_word(&p, &w, &wn) == 0)
		if (wn == 0 || wn > FOLD_WORD_MAX)
			abort();
	m = fold_phrase(out, n, again, sizeof(again));
	if (m != n || memcmp(out, again, n) != 0)
		abort();
	free(in);
	return 0;
}
