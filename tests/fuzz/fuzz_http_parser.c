/*
 * Fuzz the request head parser: it must never read outside the input, and a
 * success must describe fields that lie inside the consumed bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct http_str s, const char *buf, int n)
{
	if (s.p && (s.p < buf || s.p + s.len > buf + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request req;
	const char *why = NULL;
	char *buf = malloc(size ? size : 1);
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = http_parse_request(buf, size, 1024, 4096, &req, &why);
	if (rc > 0) {
		if ((size_t)rc > size)
			abort();
		inside(req.line, buf, rc);
		inside(req.target, buf, rc);
		inside(req.host, buf, rc);
		inside(req.range, buf, rc);
		for (unsigned i = 0; i < req.nheaders && i < HTTP_MAX_HEADERS; i++) {
			inside(req.headers[i].name, buf, rc);
			inside(req.headers[i].value, buf, rc);
		}
		if (http_list_has(req.host, "close"))
			rc = 0;
	} else if (rc < 0 && (!why || (rc != -400 && rc != -414 && rc != -431 && rc != -505))) {
		abort();
	}
	free(buf);
	return 0;
}
