/*
 * The tables of edges/ (numbered in schema.h):
 *
 *   edges: edge id -> {"id", "name", "url", "cluster", "capacity" (Mb/s),
 *                      "prefixes": ["192.0.2.0/24", ...], "draining": bool,
 *                      "secret": base64url(sealed credential), "created"}
 *
 * The credential is sealed under the master key with "reel-edge-secret-v1"
 * and the edge id as associated data.  What edges report (health, load,
 * titles) lives in memory only: after a restart every edge is down until
 * it reports.
 */
#ifndef ORIGIN_EDGES_TABLES_H
#define ORIGIN_EDGES_TABLES_H

#define EDGES_TABLES(X) X(EDGES, "edges")

#endif
