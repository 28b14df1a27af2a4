/*
 * The origin's tables: the LMDB databases of its one environment, in the
 * order store_open() opens them and numbered ORIGIN_DB_<NAME>.  Each domain
 * lists its tables and documents their records in its folder's tables.h;
 * only that domain's files read or write them, every other part goes
 * through its functions.  A new domain adds its tables.h and one line below.
 */
#ifndef ORIGIN_SCHEMA_H
#define ORIGIN_SCHEMA_H

#include "accounts/tables.h"
#include "catalog/tables.h"
#include "downloads/tables.h"
#include "jobs/tables.h"
#include "edges/tables.h"
#include "plans/tables.h"
#include "playback/tables.h"
#include "viewing/tables.h"

#define ORIGIN_TABLES(X)                                                                           \
	ACCOUNTS_TABLES(X)                                                                         \
	PLANS_TABLES(X)                                                                            \
	CATALOG_TABLES(X)                                                                          \
	PLAYBACK_TABLES(X)                                                                         \
	DOWNLOADS_TABLES(X)                                                                        \
	JOBS_TABLES(X)                                                                             \
	VIEWING_TABLES(X)                                                                          \
	EDGES_TABLES(X)

#define ORIGIN_DB_ENUM(id, name) ORIGIN_DB_##id,
enum origin_db { ORIGIN_TABLES(ORIGIN_DB_ENUM) ORIGIN_DB_COUNT };
#undef ORIGIN_DB_ENUM

/* The databases' names, indexed by ORIGIN_DB_* (static strings). */
extern const char *const origin_db_names[ORIGIN_DB_COUNT];

#endif
