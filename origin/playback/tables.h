/*
 * The table of playback/ (numbered in schema.h), where the lease table in
 * memory is saved (leases.h):
 *
 *   leases: lease id -> {"user", "title", "started", "last"}
 */
#ifndef ORIGIN_PLAYBACK_TABLES_H
#define ORIGIN_PLAYBACK_TABLES_H

#define PLAYBACK_TABLES(X) X(LEASES, "leases")

#endif
