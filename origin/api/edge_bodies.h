/*
 * The request bodies of the edges' resources, for the handlers
 * (api_edges.c) and their fuzz target: an admin's edge, and an edge's
 * heartbeat (docs/distribution.md).  Each checks its body against the
 * registry's rules and refuses with an origin_fail (bodies.h).
 *
 * Ownership: every output (OUT, *FAIL) is the caller's storage, written by
 * the call; the arrays of *OUT are malloc'd: edge_spec_clear() or
 * edge_report_clear() frees them, on success and on failure.
 */
#ifndef ORIGIN_API_EDGE_BODIES_H
#define ORIGIN_API_EDGE_BODIES_H

#include <jansson.h>

#include "api/bodies.h"
#include "edges/edges.h"

/*
 * An admin's edge OBJ: "name" and "cluster" (1..64 of [A-Za-z0-9._-]),
 * "url" (http:// or https://, a trailing / dropped), "capacity" (Mb/s,
 * 1..10,000,000), "prefixes" (CIDR strings, IPv4 or IPv6, at most
 * EDGE_PREFIXES_MAX; may be empty or absent), into *OUT.  Returns 0, or -1
 * with *FAIL: 400 invalid_request (an unknown or missing member, a wrong
 * type), 422 invalid_edge (a value out of its rules; the message says
 * which).
 */
int edge_spec_parse(json_t *obj, struct edge_spec *out, struct origin_fail *fail);

/*
 * An edge's heartbeat BODY[0..LEN) into *OUT: "health" ("ok", "degraded",
 * "failing"; required), "cursor", "draining", "connections",
 * "bytes_per_s", "disk_used", "disk_free", "titles" (title ids),
 * "leases" (lease ids), "prefixes" (CIDR strings; present: they replace
 * the ones the edge reported before).  Members not listed are ignored, so
 * edges may send more.  Returns 0, or -1 with *FAIL: 400 invalid_json, 422
 * invalid_report (the message names the member).
 */
int edge_report_parse(const char *body, size_t len, struct edge_report *out,
		      struct origin_fail *fail);

#endif
