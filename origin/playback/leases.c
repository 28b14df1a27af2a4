/* Playback leases in memory, saved to the store in batches (leases.h). */
#include "playback/leases.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "hex.h"
#include "json_out.h"
#include "jsonfield.h"
#include "records.h"
#include "schema.h"
#include "store.h"

struct node {
	struct lease l;
	struct node *next_id, *next_user; /* chains of the two hash tables */
};

struct lease_table {
	uint32_t timeout;
	size_t nbuckets, count; /* nbuckets: a power of two */
	struct node **by_id, **by_user;
	char (*dirty)[LEASE_ID_LEN + 1]; /* ids changed since the last save */
	size_t ndirty, dirty_cap;
	void (*on_end)(void *arg, const struct lease *l); /* every lease that ends, if set */
	void *on_end_arg;
	uint64_t last_order; /* of the newest id made (new_id()) */
};

struct lease_table *lease_table_new(uint32_t timeout_s)
{
	struct lease_table *lt = calloc(1, sizeof(*lt));

	if (!lt)
		return NULL;
	lt->timeout = timeout_s;
	lt->nbuckets = 1024;
	lt->by_id = calloc(lt->nbuckets, sizeof(*lt->by_id));
	lt->by_user = calloc(lt->nbuckets, sizeof(*lt->by_user));
	if (!lt->by_id || !lt->by_user) {
		lease_table_free(lt);
		return NULL;
	}
	return lt;
}

void lease_table_free(struct lease_table *lt)
{
	if (!lt)
		return;
	for (size_t i = 0; lt->by_id && i < lt->nbuckets; i++) {
		struct node *n = lt->by_id[i], *next;

		for (; n; n = next) {
			next = n->next_id;
			free(n);
		}
	}
	free(lt->by_id);
	free(lt->by_user);
	free(lt->dirty);
	free(lt);
}

/* Room for one more changed id: 0 or -ENOMEM. */
static int room(struct lease_table *lt)
{
	return array_reserve((void **)&lt->dirty, &lt->dirty_cap, lt->ndirty, sizeof(*lt->dirty),
			     64);
}

/*
 * A new lease id into ID: "l", 14 hex digits of its order (the wall clock's
 * milliseconds, times 4096, plus a count within the millisecond: each id
 * sorts after the one before), and 10 random hex digits.  In that order a
 * turn's new leases sit side by side at the end of the store's table, and
 * the ended ones at its start, so a commit of many plays rewrites a few
 * pages instead of one per lease.  0 or -EIO.
 */
static int new_id(struct lease_table *lt, char id[LEASE_ID_LEN + 1])
{
	struct timespec ts;
	uint64_t order;
	uint8_t be[7];
	char rnd[12];

	clock_gettime(CLOCK_REALTIME, &ts);
	order = ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000) << 12;
	if (order <= lt->last_order)
		order = lt->last_order + 1;
	lt->last_order = order;
	for (int i = 6; i >= 0; i--, order >>= 8)
		be[i] = (uint8_t)order;
	if (jf_random_id('l', 5, rnd) != 0)
		return -EIO;
	id[0] = 'l';
	hex_encode(be, sizeof(be), id + 1);
	memcpy(id + 15, rnd + 1, 11);
	return 0;
}

static void mark(struct lease_table *lt, const char *id)
{
	if (room(lt) != 0)
		return; /* the change stays in memory; the next restart forgets it */
	memcpy(lt->dirty[lt->ndirty++], id, LEASE_ID_LEN + 1);
}

static bool ended(const struct lease_table *lt, const struct node *n, int64_t now)
{
	return now - n->l.last >= (int64_t)lt->timeout;
}

static void insert(struct lease_table *lt, struct node *n)
{
	size_t i = jf_str_hash(n->l.id) & (lt->nbuckets - 1),
	       u = jf_str_hash(n->l.user) & (lt->nbuckets - 1);

	n->next_id = lt->by_id[i];
	lt->by_id[i] = n;
	n->next_user = lt->by_user[u];
	lt->by_user[u] = n;
	lt->count++;
}

/* Double the buckets when the table is full enough; failure just keeps chains longer. */
static void grow(struct lease_table *lt)
{
	struct lease_table big = *lt;
	struct node **old = lt->by_id;
	size_t oldn = lt->nbuckets;

	if (lt->count < 2 * lt->nbuckets)
		return;
	big.nbuckets = 2 * lt->nbuckets;
	big.count = 0;
	big.by_id = calloc(big.nbuckets, sizeof(*big.by_id));
	big.by_user = calloc(big.nbuckets, sizeof(*big.by_user));
	if (!big.by_id || !big.by_user) {
		free(big.by_id);
		free(big.by_user);
		return;
	}
	for (size_t i = 0; i < oldn; i++) {
		struct node *n = old[i], *next;

		for (; n; n = next) {
			next = n->next_id;
			insert(&big, n);
		}
	}
	free(lt->by_id);
	free(lt->by_user);
	lt->by_id = big.by_id;
	lt->by_user = big.by_user;
	lt->nbuckets = big.nbuckets;
}

/* Unlink and free N. */
static void drop(struct lease_table *lt, struct node *n)
{
	struct node **p = &lt->by_id[jf_str_hash(n->l.id) & (lt->nbuckets - 1)];

	while (*p != n)
		p = &(*p)->next_id;
	*p = n->next_id;
	p = &lt->by_user[jf_str_hash(n->l.user) & (lt->nbuckets - 1)];
	while (*p != n)
		p = &(*p)->next_user;
	*p = n->next_user;
	mark(lt, n->l.id);
	lt->count--;
	if (lt->on_end)
		lt->on_end(lt->on_end_arg, &n->l);
	free(n);
}

static struct node *find(struct lease_table *lt, const char *id)
{
	struct node *n = lt->by_id[jf_str_hash(id) & (lt->nbuckets - 1)];

	while (n && strcmp(n->l.id, id) != 0)
		n = n->next_id;
	return n;
}

int lease_acquire(struct lease_table *lt, const char *user, const char *title, int64_t now,
		  uint32_t max, struct lease *out)
{
	struct node *n = lt->by_user[jf_str_hash(user) & (lt->nbuckets - 1)], *next, *oldest = NULL;
	uint32_t live = 0;

	if (strlen(user) >= sizeof(n->l.user) || strlen(title) >= sizeof(n->l.title))
		return -EINVAL;
	for (; n; n = next) {
		next = n->next_user;
		if (strcmp(n->l.user, user) != 0)
			continue;
		if (ended(lt, n, now)) {
			drop(lt, n);
			continue;
		}
		live++;
		if (!oldest || n->l.started < oldest->l.started)
			oldest = n;
	}
	if (live >= max) {
		if (oldest)
			*out = oldest->l;
		return -EUSERS;
	}
	/* a new lease is always saved: with no room to note it, there is none */
	if (room(lt) != 0 || !(n = calloc(1, sizeof(*n))))
		return -ENOMEM;
	if (new_id(lt, n->l.id) != 0) {
		free(n);
		return -EIO;
	}
	snprintf(n->l.user, sizeof(n->l.user), "%s", user);
	snprintf(n->l.title, sizeof(n->l.title), "%s", title);
	n->l.started = n->l.last = now;
	grow(lt);
	insert(lt, n);
	mark(lt, n->l.id);
	*out = n->l;
	return 0;
}

int lease_heartbeat(struct lease_table *lt, const char *id, const char *user, int64_t now,
		    struct lease *out)
{
	struct node *n = find(lt, id);

	if (!n || strcmp(n->l.user, user) != 0)
		return -ENOENT;
	if (ended(lt, n, now)) {
		drop(lt, n);
		return -ENOENT;
	}
	n->l.last = now;
	mark(lt, id);
	*out = n->l;
	return 0;
}

int lease_touch(struct lease_table *lt, const char *id, int64_t now)
{
	struct lease l;
	struct node *n = find(lt, id);

	return n ? lease_heartbeat(lt, id, n->l.user, now, &l) : -ENOENT;
}

void lease_table_on_end(struct lease_table *lt, void (*fn)(void *arg, const struct lease *l),
			void *arg)
{
	lt->on_end = fn;
	lt->on_end_arg = arg;
}

int lease_release(struct lease_table *lt, const char *id, const char *user)
{
	struct node *n = find(lt, id);

	if (!n || strcmp(n->l.user, user) != 0)
		return -ENOENT;
	drop(lt, n);
	return 0;
}

bool lease_live(struct lease_table *lt, const char *id, int64_t now)
{
	struct node *n = find(lt, id);

	return n && !ended(lt, n, now);
}

int lease_get(struct lease_table *lt, const char *id, const char *user, int64_t now,
	      struct lease *out)
{
	struct node *n = find(lt, id);

	if (!n || strcmp(n->l.user, user) != 0 || ended(lt, n, now))
		return -ENOENT;
	*out = n->l;
	return 0;
}

size_t lease_end_user(struct lease_table *lt, const char *user)
{
	struct node *n = lt->by_user[jf_str_hash(user) & (lt->nbuckets - 1)], *next;
	size_t k = 0;

	for (; n; n = next) {
		next = n->next_user;
		if (strcmp(n->l.user, user) == 0) {
			drop(lt, n);
			k++;
		}
	}
	return k;
}

json_t *lease_list(struct lease_table *lt, const char *user, int64_t now)
{
	struct node *n = lt->by_user[jf_str_hash(user) & (lt->nbuckets - 1)];
	json_t *arr = json_array();

	for (; n && arr; n = n->next_user)
		if (strcmp(n->l.user, user) == 0 && !ended(lt, n, now))
			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:o, s:o, s:o}", "lease", n->l.id, "title",
					   n->l.title, "started", jf_time(n->l.started),
					   "last_heartbeat", jf_time(n->l.last), "expires",
					   jf_time(n->l.last + lt->timeout)));
	return arr;
}

size_t lease_table_sweep(struct lease_table *lt, int64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < lt->nbuckets; i++) {
		struct node *n = lt->by_id[i], *next;

		for (; n; n = next) {
			next = n->next_id;
			if (ended(lt, n, now)) {
				drop(lt, n);
				k++;
			}
		}
	}
	return k;
}

size_t lease_table_count(const struct lease_table *lt)
{
	return lt->count;
}

/* The changes of a save: each changed lease's record, or NULL where it ended. */
struct lease_batch {
	size_t n;
	struct {
		char id[LEASE_ID_LEN + 1];
		char *record; /* compact JSON, malloc'd; NULL: delete */
	} v[];
};

void lease_batch_free(struct lease_batch *b)
{
	for (size_t i = 0; b && i < b->n; i++)
		free(b->v[i].record);
	free(b);
}

/* N's record as compact JSON (malloc'd), or NULL on ENOMEM; written directly, once per play. */
static char *record_of(const struct node *n)
{
	struct json_out o = {0};
	char *text;
	size_t len;

	json_out_open(&o, NULL, '{');
	json_out_str(&o, "user", n->l.user);
	json_out_str(&o, "title", n->l.title);
	json_out_int(&o, "started", (long long)n->l.started);
	json_out_int(&o, "last", (long long)n->l.last);
	json_out_close(&o, '}');
	return json_out_end(&o, &text, &len) == 0 ? text : NULL;
}

int lease_table_take(struct lease_table *lt, struct lease_batch **out)
{
	struct lease_batch *b;

	*out = NULL;
	if (!lt->ndirty)
		return 0;
	if (!(b = calloc(1, sizeof(*b) + lt->ndirty * sizeof(b->v[0]))))
		return -ENOMEM;
	for (size_t i = 0; i < lt->ndirty; i++) {
		const struct node *n = find(lt, lt->dirty[i]);

		memcpy(b->v[i].id, lt->dirty[i], LEASE_ID_LEN + 1);
		b->n = i + 1;
		if (n && !(b->v[i].record = record_of(n))) {
			lease_batch_free(b);
			return -ENOMEM;
		}
	}
	lt->ndirty = 0;
	*out = b;
	return 0;
}

int lease_batch_put(const struct lease_batch *b, struct store_txn *t)
{
	int rc = 0;

	for (size_t i = 0; b && i < b->n && rc == 0; i++) {
		const char *id = b->v[i].id, *rec = b->v[i].record;

		if (rec) {
			rc = store_put(t, ORIGIN_DB_LEASES, id, LEASE_ID_LEN, rec, strlen(rec), false);
		} else if ((rc = store_del(t, ORIGIN_DB_LEASES, id, LEASE_ID_LEN)) == -ENOENT) {
			rc = 0;
		}
	}
	return rc;
}

int lease_batch_write(const struct lease_batch *b, struct store *st)
{
	struct store_txn *t;
	int rc;

	if (!b)
		return 0;
	if ((rc = store_begin(st, true, &t)) != 0)
		return rc;
	return store_finish(t, lease_batch_put(b, t));
}

void lease_table_taken(struct lease_table *lt, struct lease_batch *b, int rc)
{
	for (size_t i = 0; rc != 0 && b && i < b->n; i++)
		mark(lt, b->v[i].id); /* the next save writes them again, as they are then */
	lease_batch_free(b);
}

int lease_table_save(struct lease_table *lt, struct store *st)
{
	struct lease_batch *b;
	int rc = lease_table_take(lt, &b);

	if (rc == 0)
		rc = lease_batch_write(b, st);
	lease_table_taken(lt, b, rc);
	return rc;
}

struct load_ctx {
	struct lease_table *lt;
	int64_t now;
};

static int load_one(void *arg, const void *key, size_t klen, json_t *obj)
{
	struct load_ctx *c = arg;
	struct node *n = calloc(1, sizeof(*n));
	uint64_t started, last;

	if (!n || !obj || klen != LEASE_ID_LEN ||
	    jf_str(obj, "user", n->l.user, sizeof(n->l.user)) != 0 ||
	    jf_str(obj, "title", n->l.title, sizeof(n->l.title)) != 0 ||
	    jf_uint(obj, "started", 0, INT64_MAX, &started) != 0 ||
	    jf_uint(obj, "last", 0, INT64_MAX, &last) != 0) {
		free(n);
		if (klen == LEASE_ID_LEN) { /* a damaged record: deleted at the next save */
			char id[LEASE_ID_LEN + 1];

			memcpy(id, key, LEASE_ID_LEN);
			id[LEASE_ID_LEN] = '\0';
			mark(c->lt, id);
		}
		return 0;
	}
	memcpy(n->l.id, key, LEASE_ID_LEN);
	n->l.started = (int64_t)started;
	n->l.last = (int64_t)last;
	if (ended(c->lt, n, c->now) || find(c->lt, n->l.id)) {
		mark(c->lt, n->l.id);
		free(n);
		return 0;
	}
	grow(c->lt);
	insert(c->lt, n);
	return 0;
}

int lease_table_load(struct lease_table *lt, struct store *st, int64_t now)
{
	struct load_ctx c = {lt, now};
	struct store_txn *t;
	int rc = store_begin(st, false, &t);

	if (rc != 0)
		return rc;
	rc = records_scan(t, ORIGIN_DB_LEASES, NULL, 0, load_one, &c);
	store_abort(t);
	return rc;
}
