/*
 * Fuzz target for what the edge parses of an upstream's answer head
 * (edge/upstream.c): the input, cut into lines at each LF, goes through
 * edge_upstream_head_line(); at each blank line the Content-Range kept is
 * read with edge_content_range_first().  The fields must stay terminated
 * and within their size; a range that parses must have FIRST <= LAST.
 */
#include "upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *f, size_t cap)
{
	if (memchr(f, '\0', cap) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_upstream_head h;
	const char *p = (const char *)data, *end = p + size;
	bool kept = false;

	memset(&h, 0, sizeof(h));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		char *line = malloc(n); /* exactly the line: reads past it are caught */

		memcpy(line, p, n);
		if (edge_upstream_head_line(&h, line, n, kept)) {
			uint64_t first;
			int rc = edge_content_range_first(h.content_range, &first);

			if (rc != 0 && rc != -EINVAL)
				abort();
			if (rc == 0 && strncmp(h.content_range, "bytes ", 6) != 0)
				abort();
			kept = true;
		}
		free(line);
		check_field(h.etag, sizeof(h.etag));
		check_field(h.last_modified, sizeof(h.last_modified));
		check_field(h.content_range, sizeof(h.content_range));
		p += n;
	}
	return 0;
}
