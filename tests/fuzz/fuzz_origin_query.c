/*
 * Fuzz target for the origin's percent-decoding of request input:
 * api_query() (query parameters such as ?license= and ?q=) and
 * api_param_decoded() (a path segment naming a user by email).  The first
 * byte picks the output's size; the rest is the query string and the
 * segment.  Whatever they hold, an answer fits its buffer, is never longer
 * than its input, and a decoded segment holds no NUL before its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"license", "token", "q", "offset", ""};
	struct http_request req;
	struct http_str seg;
	size_t cap;
	char *in, *out;

	if (size < 1)
		return 0;
	cap = 1 + data[0] % 96;
	in = malloc(size - 1 ? size - 1 : 1); /* exactly sized: ASan catches over-reads */
	out = malloc(cap);
	memcpy(in, data + 1, size - 1);
	memset(&req, 0, sizeof(req));
	req.query = (struct http_str){in, (uint32_t)(size - 1)};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int rc = api_query(&req, names[i], out, cap);

		if (rc < -1 || rc > 1 || (rc == 1 && (strlen(out) >= cap || strlen(out) > size - 1)))
			abort();
	}
	seg = req.query;
	if (api_param_decoded(&seg, out, cap) && (strlen(out) >= cap || strlen(out) > seg.len))
		abort();
	if (!memchr(in, '%', size - 1) && api_param_decoded(&seg, out, cap) &&
	    (strlen(out) != seg.len || memcmp(out, in, seg.len) != 0))
		abort(); /* nothing to decode: the segment as it is */
	free(out);
	free(in);
	return 0;
}
