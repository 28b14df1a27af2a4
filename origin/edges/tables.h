/*
 * The tables of edges/ (numbered in schema.h):
 *
 *   edges: edge id -> {"id", "name", "url", "cluster", "capacity" (Mb/s),
 *                      "prefixes": ["192.0.2.0/24", ...], "draining": bool,
 *                      "secret": base64url(sealed credential), "created"}
 *
 *   revocations: the revocation log (revocations.h), binary records:
 *       8-byte big-endian number -> 8-byte big-endian Unix time, 1 byte
 *                                   kind (0 lease, 1 user, 2 key id), the id
 *       "epoch" -> 16 hex digits, the log's, made with the table
 *       "next"  -> 8-byte big-endian number of the next entry (it survives
 *                  the deletion of every entry)
 *
 * The credential is sealed under the master key with "reel-edge-secret-v1"
 * and the edge id as associated data.  What edges report (health, load,
 * titles) lives in memory only: after a restart every edge is down until
 * it reports.
 */
#ifndef ORIGIN_EDGES_TABLES_H
#define ORIGIN_EDGES_TABLES_H

#define EDGES_TABLES(X)                                                                            \
	X(EDGES, "edges")                                                                          \
	X(REVOCATIONS, "revocations")

#endif
