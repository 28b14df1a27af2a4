/*
 * Which version of each title the cache store has, as a worker sees it: a
 * small direct-mapped table in front of the index, read once per title and
 * again after the store's counters change (a manifest committed, objects
 * removed).  A stream token names the version it plays (`ver`); when the
 * store has another, pull-through fetches the token's manifest, and when
 * that fails the store's version is served stale.  A failed refresh is
 * remembered for EDGE_VERSIONS_RETRY_MS so that a title's requests do not
 * each ask the upstream again.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_VERSIONS_H
#define EDGE_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

#define EDGE_VERSIONS_SLOTS    256
#define EDGE_VERSIONS_RETRY_MS 10000

struct edge_versions;

enum edge_version_check {
	EDGE_VERSION_SERVE,   /* the store has that version, or no version to compare */
	EDGE_VERSION_REFRESH, /* another: fetch the wanted one */
	EDGE_VERSION_STALE,   /* another, and fetching the wanted one failed lately */
};

/*
 * A table over IX whose entries hold while the counters *REMOVALS and
 * *MANIFESTS (struct edge_cache_shared's) do not change (all borrowed: they
 * must outlive it).  The caller frees it with edge_versions_free(); NULL on
 * no memory.
 */
struct edge_versions *edge_versions_new(struct edge_index *ix, const uint64_t *removals,
					const uint64_t *manifests);
void edge_versions_free(struct edge_versions *v);

/*
 * A request of title TITLE (TLEN bytes) whose token names version WANTED
 * ("" when none) at NOW_MS.  Errors reading the index count as no version.
 */
enum edge_version_check edge_versions_check(struct edge_versions *v, const char *title, size_t tlen,
					    const char *wanted, uint64_t now_ms);

/* Fetching WANTED of TITLE failed at NOW_MS. */
void edge_versions_failed(struct edge_versions *v, const char *title, size_t tlen,
			  const char *wanted, uint64_t now_ms);

#endif
