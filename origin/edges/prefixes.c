/* Client prefixes and the longest-prefix-match table (prefixes.h). */
#include "edges/prefixes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	struct prefix p; /* len 255: empty */
	uint32_t first, n; /* the values, in the table's VALUES */
};

struct prefix_table {
	struct slot *slots;
	size_t nslots, count; /* nslots: a power of two */
	uint32_t *values;
	uint8_t lengths[2][129]; /* per family (IPv4, IPv6): the lengths present, longest first */
	uint8_t nlengths[2];
};

/* Zero the bits of P past its length; true when none was set. */
static bool mask(struct prefix *p)
{
	bool clean = true;

	for (size_t i = 0; i < 16; i++) {
		unsigned keep = p->len >= 8 * (i + 1) ? 8 : p->len > 8 * i ? p->len - 8 * i : 0;
		uint8_t m = (uint8_t)(keep ? 0xff << (8 - keep) : 0);

		if (p->addr[i] & ~m)
			clean = false;
		p->addr[i] &= m;
	}
	return clean;
}

int prefix_parse_address(const char *s, size_t n, struct prefix *out)
{
	char text[INET6_ADDRSTRLEN + 1];

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(text) || memchr(s, '\0', n))
		return -EINVAL;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = 4;
		out->len = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->family = 6;
		out->len = 128;
		return 0;
	}
	return -EINVAL;
}

int prefix_from_bytes(const void *addr, size_t len, struct prefix *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(out, 0, sizeof(*out));
	if (len != 4 && len != 16)
		return -EINVAL;
	if (len == 16 && memcmp(addr, mapped, sizeof(mapped)) == 0) { /* ::ffff:a.b.c.d */
		addr = (const uint8_t *)addr + sizeof(mapped);
		len = 4;
	}
	memcpy(out->addr, addr, len);
	out->family = len == 4 ? 4 : 6;
	out->len = (uint8_t)(8 * len);
	return 0;
}

int prefix_parse(const char *s, size_t n, struct prefix *out)
{
	const char *slash = memchr(s, '/', n);
	size_t digits = slash ? n - (size_t)(slash - s) - 1 : 0;
	unsigned len = 0;

	if (!slash || digits == 0 || digits > 3 || (digits > 1 && slash[1] == '0') ||
	    prefix_parse_address(s, (size_t)(slash - s), out) != 0)
		goto bad;
	for (size_t i = 0; i < digits; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			goto bad;
		len = 10 * len + (unsigned)(slash[1 + i] - '0');
	}
	if (len > out->len)
		goto bad;
	out->len = (uint8_t)len;
	if (!mask(out))
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

void prefix_format(const struct prefix *p, char out[PREFIX_TEXT_MAX])
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	snprintf(out, PREFIX_TEXT_MAX, "%s/%u", text, (unsigned)p->len);
}

/* ---- the table ---- */

static int pair_cmp(const void *a, const void *b)
{
	const struct prefix_pair *x = a, *y = b;
	int c;

	if (x->p.family != y->p.family)
		return x->p.family < y->p.family ? -1 : 1;
	if (x->p.len != y->p.len)
		return x->p.len < y->p.len ? -1 : 1;
	if ((c = memcmp(x->p.addr, y->p.addr, 16)) != 0)
		return c;
	return x->value < y->value ? -1 : x->value > y->value;
}

static bool same_prefix(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len && memcmp(a->addr, b->addr, 16) == 0;
}

/* A mix of P's family, length and address (masked: bits past the length are zero). */
static uint64_t prefix_hash(const struct prefix *p)
{
	uint64_t a, b, h;

	memcpy(&a, p->addr, 8);
	memcpy(&b, p->addr + 8, 8);
	h = a * 0x9e3779b97f4a7c15ULL ^ b * 0xc2b2ae3d27d4eb4fULL ^
	    ((uint64_t)p->family << 8 | p->len) * 0x165667b19e3779f9ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static struct slot *find(const struct prefix_table *t, const struct prefix *p)
{
	size_t m = t->nslots - 1;

	for (size_t i = prefix_hash(p) & m;; i = (i + 1) & m) {
		struct slot *s = &t->slots[i];

		if (s->p.len == 255)
			return (struct slot *)s;
		if (same_prefix(&s->p, p))
			return (struct slot *)s;
	}
}

/* Note length LEN of FAMILY as present (the lists stay longest first). */
static void note_length(struct prefix_table *t, const struct prefix *p)
{
	int f = p->family == 4 ? 0 : 1;
	uint8_t *l = t->lengths[f];
	size_t n = t->nlengths[f], i = 0;

	while (i < n && l[i] > p->len)
		i++;
	if (i < n && l[i] == p->len)
		return;
	memmove(l + i + 1, l + i, n - i);
	l[i] = p->len;
	t->nlengths[f]++;
}

int prefix_table_build(struct prefix_pair *pairs, size_t n, struct prefix_table **out)
{
	struct prefix_table *t = calloc(1, sizeof(*t));
	size_t nslots = 16;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	while (nslots < 2 * n)
		nslots *= 2;
	t->nslots = nslots;
	t->slots = malloc(nslots * sizeof(*t->slots));
	t->values = malloc((n ? n : 1) * sizeof(*t->values));
	if (!t->slots || !t->values) {
		prefix_table_free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nslots; i++)
		t->slots[i].p.len = 255;
	for (size_t i = 0, nv = 0; i < n; i++) {
		struct slot *s;

		if (i && pairs[i].value == pairs[i - 1].value && same_prefix(&pairs[i].p, &pairs[i - 1].p))
			continue;
		s = find(t, &pairs[i].p);
		if (s->p.len == 255) {
			*s = (struct slot){pairs[i].p, (uint32_t)nv, 0};
			t->count++;
			note_length(t, &pairs[i].p);
		}
		t->values[nv++] = pairs[i].value;
		s->n++;
	}
	*out = t;
	return 0;
}

void prefix_table_free(struct prefix_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->values);
	free(t);
}

size_t prefix_table_count(const struct prefix_table *t)
{
	return t ? t->count : 0;
}

size_t prefix_table_lookup(const struct prefix_table *t, const struct prefix *a,
			   struct prefix_hit *hits, size_t max)
{
	int f = a->family == 4 ? 0 : 1;
	size_t found = 0;

	if (!t || (a->family != 4 && a->family != 6))
		return 0;
	for (size_t i = 0; i < t->nlengths[f] && found < max; i++) {
		struct prefix p = *a;
		const struct slot *s;

		if (t->lengths[f][i] > a->len)
			continue;
		p.len = t->lengths[f][i];
		mask(&p);
		s = find(t, &p);
		if (s->p.len != 255)
			hits[found++] = (struct prefix_hit){p.len, t->values + s->first, s->n};
	}
	return found;
}
