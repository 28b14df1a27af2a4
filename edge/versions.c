#include "versions.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strhash.h"

struct entry {
	char title[MANIFEST_TITLE_MAX + 1]; /* "" when the slot is free */
	char version[MANIFEST_VERSION_LEN + 1];
	char failed[MANIFEST_VERSION_LEN + 1]; /* the version whose fetch failed, or "" */
	uint64_t failed_ms;
	uint64_t gen; /* the generation VERSION was read at */
};

struct edge_versions {
	struct edge_index *ix;
	const uint64_t *removals, *manifests;
	struct entry e[EDGE_VERSIONS_SLOTS];
};

struct edge_versions *edge_versions_new(struct edge_index *ix, const uint64_t *removals,
					const uint64_t *manifests)
{
	struct edge_versions *v = calloc(1, sizeof(*v));

	if (v) {
		v->ix = ix;
		v->removals = removals;
		v->manifests = manifests;
	}
	return v;
}

void edge_versions_free(struct edge_versions *v)
{
	free(v);
}

/* TITLE's slot, taken over (cleared) when another title had it. */
static struct entry *slot(struct edge_versions *v, const char *title, size_t tlen)
{
	struct entry *e = &v->e[str_hash_n(title, tlen) % EDGE_VERSIONS_SLOTS];

	if (strlen(e->title) != tlen || memcmp(e->title, title, tlen) != 0) {
		memset(e, 0, sizeof(*e));
		memcpy(e->title, title, tlen);
		e->gen = UINT64_MAX; /* not read yet */
	}
	return e;
}

enum edge_version_check edge_versions_check(struct edge_versions *v, const char *title, size_t tlen,
					    const char *wanted, uint64_t now_ms)
{
	/* both only grow: their sum changes whenever either does */
	uint64_t gen = __atomic_load_n(v->removals, __ATOMIC_RELAXED) +
		       __atomic_load_n(v->manifests, __ATOMIC_RELAXED);
	struct edge_title t;
	struct entry *e;

	if (!wanted[0] || tlen > MANIFEST_TITLE_MAX)
		return EDGE_VERSION_SERVE;
	e = slot(v, title, tlen);
	if (e->gen != gen) {
		e->gen = gen;
		e->version[0] = '\0';
		if (edge_index_title(v->ix, e->title, &t) == 0)
			memcpy(e->version, t.version, sizeof(e->version));
	}
	if (!e->version[0] || strcmp(e->version, wanted) == 0)
		return EDGE_VERSION_SERVE;
	if (strcmp(e->failed, wanted) == 0 && now_ms - e->failed_ms < EDGE_VERSIONS_RETRY_MS)
		return EDGE_VERSION_STALE;
	return EDGE_VERSION_REFRESH;
}

void edge_versions_failed(struct edge_versions *v, const char *title, size_t tlen,
			  const char *wanted, uint64_t now_ms)
{
	struct entry *e;

	if (tlen > MANIFEST_TITLE_MAX || strlen(wanted) > MANIFEST_VERSION_LEN)
		return;
	e = slot(v, title, tlen);
	strcpy(e->failed, wanted);
	e->failed_ms = now_ms;
}
