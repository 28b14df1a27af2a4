/* The unsaved history changes (pending.h): entries in an array, found through a chained hash. */
#include "viewing/pending.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "jsonfield.h"

struct pending {
	struct pending_entry **all; /* in the order added */
	size_t n, cap;
	struct pending_entry **buckets;
	size_t nbuckets; /* a power of two */
};

static size_t bucket(const struct pending *p, const char *user, const char *title)
{
	return (jf_str_hash(user) * 31 + jf_str_hash(title)) & (p->nbuckets - 1);
}

struct pending *pending_new(void)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->nbuckets = 1024;
	if (!(p->buckets = calloc(p->nbuckets, sizeof(*p->buckets)))) {
		free(p);
		return NULL;
	}
	return p;
}

void pending_clear(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->all[i]);
	p->n = 0;
	memset(p->buckets, 0, p->nbuckets * sizeof(*p->buckets));
}

void pending_free(struct pending *p)
{
	if (!p)
		return;
	pending_clear(p);
	free(p->all);
	free(p->buckets);
	free(p);
}

struct pending_entry *pending_find(const struct pending *p, const char *user, const char *title)
{
	struct pending_entry *e = p->buckets[bucket(p, user, title)];

	while (e && (strcmp(e->user, user) != 0 || strcmp(e->title, title) != 0))
		e = e->next;
	return e;
}

/* Double the buckets when the chains grow long; failing keeps them long. */
static void grow(struct pending *p)
{
	struct pending_entry **b;

	if (p->n < 2 * p->nbuckets || !(b = calloc(2 * p->nbuckets, sizeof(*b))))
		return;
	free(p->buckets);
	p->buckets = b;
	p->nbuckets *= 2;
	for (size_t i = 0; i < p->n; i++) {
		size_t k = bucket(p, p->all[i]->user, p->all[i]->title);

		p->all[i]->next = p->buckets[k];
		p->buckets[k] = p->all[i];
	}
}

struct pending_entry *pending_add(struct pending *p, const char *user, const char *title)
{
	struct pending_entry *e;
	size_t k;

	if (strlen(user) > PENDING_USER_MAX || strlen(title) > PENDING_TITLE_MAX)
		return NULL;
	if (array_reserve((void **)&p->all, &p->cap, p->n, sizeof(*p->all), 256) != 0)
		return NULL;
	if (!(e = calloc(1, sizeof(*e))))
		return NULL;
	strcpy(e->user, user);
	strcpy(e->title, title);
	grow(p); /* before E joins: the new chains are made from the entries already in */
	p->all[p->n++] = e;
	k = bucket(p, user, title);
	e->next = p->buckets[k];
	p->buckets[k] = e;
	return e;
}

size_t pending_count(const struct pending *p)
{
	return p->n;
}

struct pending_entry *pending_at(const struct pending *p, size_t i)
{
	return p->all[i];
}
