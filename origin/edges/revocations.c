/* The revocation log edges read with their heartbeats (revocations.h). */
#include "edges/revocations.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	uint64_t seq;
	int64_t at;
	enum revocation_kind kind;
	char id[REVOCATION_ID_MAX + 1];
};

/* A ring of entries in order of SEQ: the oldest at HEAD. */
struct revocations {
	uint32_t keep;
	char epoch[17];
	struct entry *ring;
	size_t cap, head, n;
	uint64_t next_seq; /* the number of the next entry; the first is 1 */
};

struct revocations *revocations_new(uint32_t keep_s)
{
	struct revocations *r = calloc(1, sizeof(*r));
	uint8_t e[8];

	if (!r || RAND_bytes(e, sizeof(e)) != 1) {
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(e); i++)
		snprintf(r->epoch + 2 * i, 3, "%02x", e[i]);
	r->keep = keep_s;
	r->next_seq = 1;
	return r;
}

void revocations_free(struct revocations *r)
{
	if (!r)
		return;
	free(r->ring);
	free(r);
}

static struct entry *at(const struct revocations *r, size_t i)
{
	return &r->ring[(r->head + i) % r->cap];
}

/* Double the ring, keeping the order. */
static int grow(struct revocations *r)
{
	size_t cap = r->cap ? 2 * r->cap : 256;
	struct entry *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		ring[i] = *at(r, i);
	free(r->ring);
	r->ring = ring;
	r->cap = cap;
	r->head = 0;
	return 0;
}

int revocations_add(struct revocations *r, enum revocation_kind kind, const char *id, int64_t now)
{
	struct entry *e;
	int rc;

	if (r->n == r->cap && (rc = grow(r)) != 0)
		return rc;
	e = &r->ring[(r->head + r->n) % r->cap];
	e->seq = r->next_seq++;
	e->at = now;
	e->kind = kind;
	snprintf(e->id, sizeof(e->id), "%s", id);
	r->n++;
	return 0;
}

void revocations_expire(struct revocations *r, int64_t now)
{
	while (r->n && now - r->ring[r->head].at > (int64_t)r->keep) {
		r->head = (r->head + 1) % r->cap;
		r->n--;
	}
}

size_t revocations_count(const struct revocations *r)
{
	return r->n;
}

/* The sequence number CURSOR names, 0 for none or another epoch's; -EINVAL if malformed. */
static int cursor_seq(const struct revocations *r, const char *cursor, uint64_t *seq)
{
	const char *colon;
	char *end;

	*seq = 0;
	if (!cursor || !cursor[0])
		return 0;
	colon = strchr(cursor, ':');
	if (!colon || colon - cursor != 16 || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	*seq = strtoull(colon + 1, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (memcmp(cursor, r->epoch, 16) != 0 || *seq >= r->next_seq)
		*seq = 0; /* another origin's, or from before a restart: start over */
	return 0;
}

static int add_entry(const struct entry *e, json_t *leases, json_t *users, json_t *kids)
{
	switch (e->kind) {
	case REVOKED_LEASE:
		return json_array_append_new(leases, json_string(e->id));
	case REVOKED_USER:
		return json_array_append_new(
		    users, json_pack("{s:s, s:I}", "user", e->id, "before", (json_int_t)e->at));
	case REVOKED_KID:
		return json_array_append_new(kids, json_string(e->id));
	}
	return -1;
}

/* The index of the first entry after SEQ (entries are in order: a binary search). */
static size_t first_after(const struct revocations *r, uint64_t seq)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (at(r, mid)->seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int revocations_since(const struct revocations *r, const char *cursor, size_t max, json_t *answer)
{
	json_t *leases = json_array(), *users = json_array(), *kids = json_array();
	uint64_t seq, last;
	size_t i;
	char next[REVOCATION_CURSOR_MAX];
	int rc = cursor_seq(r, cursor, &seq);

	if (rc != 0 || !leases || !users || !kids)
		goto out;
	rc = -ENOMEM;
	last = r->next_seq - 1;
	for (i = first_after(r, seq); i < r->n && max; i++, max--)
		if (add_entry(at(r, i), leases, users, kids) != 0)
			goto out;
	if (i < r->n)
		last = at(r, i)->seq - 1;
	snprintf(next, sizeof(next), "%s:%" PRIu64, r->epoch, last);
	if (json_object_set(answer, "leases", leases) != 0 ||
	    json_object_set(answer, "users", users) != 0 ||
	    json_object_set(answer, "kids", kids) != 0 ||
	    json_object_set_new(answer, "keep", json_integer(r->keep)) != 0 ||
	    json_object_set_new(answer, "cursor", json_string(next)) != 0 ||
	    json_object_set_new(answer, "more", json_boolean(i < r->n)) != 0)
		goto out;
	rc = 0;
out:
	json_decref(leases);
	json_decref(users);
	json_decref(kids);
	return rc;
}
