/* The revocation log edges read with their heartbeats, kept in the store (revocations.h). */
#include "edges/revocations.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store.h"

/* The table's keys besides the entries' 8-byte numbers (tables.h). */
#define KEY_EPOCH "epoch"
#define KEY_NEXT  "next"
#define AT_LEN	  8 /* an entry's value: its time, 8 bytes big-endian, its kind, its id */

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
	uint64_t next_seq;   /* the number of the next entry; the first is 1 */
	uint64_t committed;  /* entries up to this one are in the store: heartbeats hear of them */
	uint64_t stored_low; /* the store holds no entry below this one */
	uint64_t dropped;    /* entries up to this one left the ring: delete them from the store */
	bool unstored;	     /* the last batch failed: heartbeats hear of what is in memory */
};

/* What one batch writes: the entries, the next number, the dropped range [del_lo, del_hi). */
struct revocation_batch {
	uint64_t last, next, del_lo, del_hi;
	size_t n;
	struct entry v[];
};

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

/* Append entry SEQ of KIND, ID at AT to the ring: 0 or -ENOMEM. */
static int append(struct revocations *r, uint64_t seq, enum revocation_kind kind, const char *id,
		  size_t idlen, int64_t at)
{
	struct entry *e;
	int rc;

	if (r->n == r->cap && (rc = grow(r)) != 0)
		return rc;
	e = &r->ring[(r->head + r->n) % r->cap];
	e->seq = seq;
	e->at = at;
	e->kind = kind;
	snprintf(e->id, sizeof(e->id), "%.*s", (int)idlen, id);
	r->n++;
	return 0;
}

struct load_ctx {
	struct revocations *r;
	int64_t now;
	int rc;
};

/* One record of the table into the log (an entry still kept, the epoch, the next number). */
static int load_one(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct load_ctx *c = arg;
	struct revocations *r = c->r;
	uint64_t seq, be;
	int64_t at = 0;
	const uint8_t *v = val;

	if (klen == strlen(KEY_EPOCH) && memcmp(key, KEY_EPOCH, klen) == 0) {
		if (vlen == 16)
			memcpy(r->epoch, val, 16);
		return 0;
	}
	if (klen == strlen(KEY_NEXT) && memcmp(key, KEY_NEXT, klen) == 0) {
		if (vlen == 8 && (memcpy(&be, val, 8), be64toh(be) > r->next_seq))
			r->next_seq = be64toh(be);
		return 0;
	}
	if (klen != 8)
		return 0; /* not the log's: left alone */
	memcpy(&be, key, 8);
	seq = be64toh(be);
	if (!r->stored_low)
		r->stored_low = seq;
	if (seq >= r->next_seq)
		r->next_seq = seq + 1;
	if (vlen > AT_LEN) {
		memcpy(&be, val, 8);
		at = (int64_t)be64toh(be);
	}
	if (vlen <= AT_LEN || v[AT_LEN] > REVOKED_KID || c->now - at > (int64_t)r->keep) {
		r->dropped = seq; /* damaged or expired: the next batch deletes it */
		return 0;
	}
	c->rc = append(r, seq, (enum revocation_kind)v[AT_LEN], (const char *)v + AT_LEN + 1,
		       vlen - AT_LEN - 1, at);
	return c->rc;
}

/* A fresh random epoch for R, written to T. */
static int new_epoch(struct revocations *r, struct store_txn *t)
{
	uint8_t e[8];

	if (RAND_bytes(e, sizeof(e)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(e); i++)
		snprintf(r->epoch + 2 * i, 3, "%02x", e[i]);
	return store_put(t, ORIGIN_DB_REVOCATIONS, KEY_EPOCH, strlen(KEY_EPOCH), r->epoch, 16,
			 false);
}

int revocations_open(struct store *st, uint32_t keep_s, int64_t now, struct revocations **out)
{
	struct revocations *r = calloc(1, sizeof(*r));
	struct load_ctx c = {r, now, 0};
	struct store_txn *t = NULL;
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->keep = keep_s;
	r->next_seq = 1;
	if ((rc = store_begin(st, false, &t)) != 0)
		goto fail;
	rc = store_scan(t, ORIGIN_DB_REVOCATIONS, NULL, 0, load_one, &c);
	store_abort(t);
	if (rc == 0 && (rc = c.rc) == 0 && !r->epoch[0] && (rc = store_begin(st, true, &t)) == 0)
		rc = store_finish(t, new_epoch(r, t));
	if (rc != 0)
		goto fail;
	if (!r->stored_low)
		r->stored_low = r->next_seq;
	r->committed = r->next_seq - 1;
	*out = r;
	return 0;
fail:
	revocations_free(r);
	return rc;
}

int revocations_add(struct revocations *r, enum revocation_kind kind, const char *id, int64_t now)
{
	int rc = append(r, r->next_seq, kind, id, strlen(id), now);

	if (rc == 0)
		r->next_seq++;
	return rc;
}

void revocations_expire(struct revocations *r, int64_t now)
{
	while (r->n && now - r->ring[r->head].at > (int64_t)r->keep) {
		if (r->ring[r->head].seq > r->dropped)
			r->dropped = r->ring[r->head].seq;
		r->head = (r->head + 1) % r->cap;
		r->n--;
	}
}

size_t revocations_count(const struct revocations *r)
{
	return r->n;
}

/* The last entry heartbeats hear of. */
static uint64_t heard(const struct revocations *r)
{
	return r->unstored ? r->next_seq - 1 : r->committed;
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
	if (memcmp(cursor, r->epoch, 16) != 0 || *seq > heard(r))
		*seq = 0; /* another origin's, or past what this store holds: start over */
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
	bool more;
	size_t i;
	char next[REVOCATION_CURSOR_MAX];
	int rc = cursor_seq(r, cursor, &seq);

	if (rc != 0 || !leases || !users || !kids)
		goto out;
	rc = -ENOMEM;
	last = heard(r);
	for (i = first_after(r, seq); i < r->n && at(r, i)->seq <= last && max; i++, max--)
		if (add_entry(at(r, i), leases, users, kids) != 0)
			goto out;
	more = i < r->n && at(r, i)->seq <= last;
	if (more)
		last = at(r, i)->seq - 1;
	snprintf(next, sizeof(next), "%s:%" PRIu64, r->epoch, last);
	if (json_object_set(answer, "leases", leases) != 0 ||
	    json_object_set(answer, "users", users) != 0 ||
	    json_object_set(answer, "kids", kids) != 0 ||
	    json_object_set_new(answer, "keep", json_integer(r->keep)) != 0 ||
	    json_object_set_new(answer, "cursor", json_string(next)) != 0 ||
	    json_object_set_new(answer, "more", json_boolean(more)) != 0)
		goto out;
	rc = 0;
out:
	json_decref(leases);
	json_decref(users);
	json_decref(kids);
	return rc;
}

size_t revocations_pending(const struct revocations *r)
{
	return (size_t)(r->next_seq - 1 - r->committed);
}

int revocations_take(struct revocations *r, struct revocation_batch **out)
{
	size_t first = first_after(r, r->committed), n = r->n - first;
	uint64_t del_hi = r->dropped + 1;
	struct revocation_batch *b;

	*out = NULL;
	if (del_hi > r->stored_low + REVOCATIONS_PRUNE_MAX)
		del_hi = r->stored_low + REVOCATIONS_PRUNE_MAX;
	if (r->next_seq - 1 == r->committed && del_hi <= r->stored_low)
		return 0;
	if (!(b = malloc(sizeof(*b) + n * sizeof(b->v[0]))))
		return -ENOMEM;
	b->last = r->next_seq - 1;
	b->next = r->next_seq;
	b->del_lo = r->stored_low;
	b->del_hi = del_hi > r->stored_low ? del_hi : r->stored_low;
	b->n = n;
	for (size_t i = 0; i < n; i++)
		b->v[i] = *at(r, first + i);
	*out = b;
	return 0;
}

/* The 8-byte big-endian form of V into OUT. */
static void be64(uint64_t v, uint8_t out[8])
{
	v = htobe64(v);
	memcpy(out, &v, 8);
}

int revocations_put(const struct revocation_batch *b, struct store_txn *t)
{
	uint8_t key[8], val[AT_LEN + 1 + REVOCATION_ID_MAX];
	int rc = 0;

	if (!b)
		return 0;
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		size_t len = strlen(b->v[i].id);

		be64(b->v[i].seq, key);
		be64((uint64_t)b->v[i].at, val);
		val[AT_LEN] = (uint8_t)b->v[i].kind;
		memcpy(val + AT_LEN + 1, b->v[i].id, len);
		rc = store_put(t, ORIGIN_DB_REVOCATIONS, key, 8, val, AT_LEN + 1 + len, false);
	}
	for (uint64_t s = b->del_lo; s < b->del_hi && rc == 0; s++) {
		be64(s, key);
		if ((rc = store_del(t, ORIGIN_DB_REVOCATIONS, key, 8)) == -ENOENT)
			rc = 0;
	}
	if (rc == 0) {
		be64(b->next, key);
		rc = store_put(t, ORIGIN_DB_REVOCATIONS, KEY_NEXT, strlen(KEY_NEXT), key, 8, false);
	}
	return rc;
}

void revocations_taken(struct revocations *r, struct revocation_batch *b, int rc)
{
	if (b)
		r->unstored = rc != 0;
	if (b && rc == 0) {
		if (b->last > r->committed)
			r->committed = b->last;
		if (b->del_hi > r->stored_low)
			r->stored_low = b->del_hi;
	}
	free(b);
}

int revocations_save(struct revocations *r, struct store *st)
{
	struct revocation_batch *b;
	struct store_txn *t;
	int rc = revocations_take(r, &b);

	if (rc != 0 || !b)
		return rc;
	if ((rc = store_begin(st, true, &t)) == 0)
		rc = store_finish(t, revocations_put(b, t));
	revocations_taken(r, b, rc);
	return rc;
}
