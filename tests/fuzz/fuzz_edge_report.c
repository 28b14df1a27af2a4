/*
 * Fuzz target for edge_report_parse(), the parser of edges' heartbeats, and
 * edge_spec_parse() over the same bytes as an admin's edge.  A failure must
 * name a 400 or 422 with a code and message; a success must hold counts
 * within their bounds and valid prefixes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/edge_bodies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fail(const struct origin_fail *f)
{
	if ((f->status != 400 && f->status != 422) || !f->code || !f->message)
		abort();
}

static void check_prefixes(const struct prefix *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i].family != 4 || p[i].len > 32) && (p[i].family != 6 || p[i].len > 128))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size ? size : 1); /* exactly sized: ASan catches over-reads */
	struct edge_report r;
	struct edge_spec s;
	struct origin_fail f = {0};
	json_t *obj;

	memcpy(body, data, size);
	if (edge_report_parse(body, size, &r, &f) != 0)
		check_fail(&f);
	else
		check_prefixes(r.prefixes, r.nprefixes);
	edge_report_clear(&r);
	obj = json_loadb(body, size, 0, NULL);
	if (json_is_object(obj)) {
		if (edge_spec_parse(obj, &s, &f) != 0)
			check_fail(&f);
		else if (!s.name[0] || !s.capacity_mbps)
			abort();
		else
			check_prefixes(s.prefixes, s.nprefixes);
		edge_spec_clear(&s);
	}
	json_decref(obj);
	free(body);
	return 0;
}
