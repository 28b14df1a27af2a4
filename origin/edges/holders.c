/* The title -> edges index (holders.h): an id map of sorted slot lists. */
#include "edges/holders.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "idmap.h"

/* One title's holders. */
struct held {
	uint32_t *v; /* ascending */
	size_t n, cap;
};

struct holders {
	struct idmap *titles; /* title -> struct held */
};

struct holders *holders_new(void)
{
	struct holders *h = calloc(1, sizeof(*h));

	if (h && !(h->titles = idmap_new(sizeof(struct held)))) {
		free(h);
		return NULL;
	}
	return h;
}

void holders_free(struct holders *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < idmap_slots(h->titles); i++) {
		void *v;

		if (idmap_slot(h->titles, i, &v))
			free(((struct held *)v)->v);
	}
	idmap_free(h->titles);
	free(h);
}

/* Where SLOT is in L, or would go. */
static size_t position(const uint32_t *v, size_t n, uint32_t slot)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool holders_among(const uint32_t *v, size_t n, uint32_t slot)
{
	size_t i = position(v, n, slot);

	return i < n && v[i] == slot;
}

static int add(struct holders *h, const char *title, uint32_t slot)
{
	struct held *l = idmap_put(h->titles, title, NULL);
	size_t i;

	if (!l)
		return -ENOMEM;
	i = position(l->v, l->n, slot);
	if (i < l->n && l->v[i] == slot)
		return 0;
	if (array_reserve((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 4) != 0)
		return -ENOMEM;
	memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof(*l->v));
	l->v[i] = slot;
	l->n++;
	return 0;
}

static void drop(struct holders *h, const char *title, uint32_t slot)
{
	struct held *l = idmap_get(h->titles, title);
	size_t i;

	if (!l || (i = position(l->v, l->n, slot)) == l->n || l->v[i] != slot)
		return;
	memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

int holders_change(struct holders *h, uint32_t slot, const holders_title *was, size_t nwas,
		   const holders_title *now, size_t nnow)
{
	size_t i = 0, j = 0;

	while (i < nwas || j < nnow) {
		int c = i == nwas ? 1 : j == nnow ? -1 : strcmp(was[i], now[j]);

		if (c < 0) {
			drop(h, was[i++], slot);
		} else if (c > 0) {
			if (add(h, now[j++], slot) != 0)
				return -ENOMEM;
		} else {
			i++;
			j++;
		}
	}
	return 0;
}

const uint32_t *holders_of(const struct holders *h, const char *title, size_t *n)
{
	const struct held *l = idmap_get(h->titles, title);

	*n = l ? l->n : 0;
	return *n ? l->v : NULL;
}
