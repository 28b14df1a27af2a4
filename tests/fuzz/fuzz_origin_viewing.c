/*
 * Fuzz target for the viewing API's outside input (api/bodies.h): a
 * heartbeat's body (position_parse), the query of the viewing lists and
 * search (title_query_parse) and a stop's ?position= (stop_position_parse),
 * the input taken as both.  A refusal must be a 400 with a code and
 * message; an accepted query must hold its bounds and a canonical language
 * tag, and an accepted position a number (the domain checks it against the
 * title).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/bodies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fail(const struct origin_fail *f)
{
	if (f->status != 400 || !f->code || !f->message)
		abort();
}

static void check_query(const struct title_query *q)
{
	char again[LANG_TAG_MAX + 1];

	if (strlen(q->q) > TITLE_QUERY_MAX || q->limit > 50 || q->offset > 1000000)
		abort();
	if (q->has_language && (lang_tag(q->language, again) != 0 || strcmp(again, q->language)))
		abort(); /* a canonical tag is its own canonical form */
}

/* DATA as the query of "GET /api/v1/search?DATA HTTP/1.1". */
static void query(const uint8_t *data, size_t size)
{
	static const char head[] = "GET /api/v1/search?", tail[] = " HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t len = sizeof(head) - 1 + size + sizeof(tail) - 1;
	char *buf = malloc(len);
	struct http_request req;
	struct title_query q;
	struct position_report p;
	struct origin_fail f = {0};
	const char *reason;

	if (!buf)
		return;
	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + sizeof(head) - 1, data, size);
	memcpy(buf + sizeof(head) - 1 + size, tail, sizeof(tail) - 1);
	if (http_parse_request(buf, len, 8192, 16384, &req, &reason) > 0) {
		if (title_query_parse(&req, 20, 50, &q, &f) != 0)
			check_fail(&f);
		else
			check_query(&q);
		if (stop_position_parse(&req, NULL, 0, &p, &f) != 0)
			check_fail(&f);
		if (stop_position_parse(&req, "{}", 2, &p, &f) != 0)
			check_fail(&f); /* a body too: refused when the query has a position */
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size ? size : 1); /* exactly sized: ASan catches over-reads */
	struct position_report p;
	struct origin_fail f = {0};

	if (!body)
		return 0;
	memcpy(body, data, size);
	if (position_parse(body, size, &p, &f) != 0)
		check_fail(&f);
	else if (p.given != (size > 0))
		abort();
	free(body);
	query(data, size);
	return 0;
}
