/*
 * Co-watching counts (tables.h: finishes, cowatch, finishers), kept as
 * history is saved: a viewer's finishes form a sequence, and each pair of
 * titles at most FANOUT apart in it counts once for that viewer.  A finish
 * is appended, so it pairs with the FANOUT before it: at most FANOUT pair
 * updates (2 * FANOUT counters), however long the viewer's history.
 * Removing a finish takes away its pairs with the FANOUT on each side, and
 * joins the two sides where they come within FANOUT of each other, so the
 * counts stay exactly what the sequences say.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store.h"
#include "viewing/viewing_int.h"

#define USER_MAX   PENDING_USER_MAX
#define FANOUT_MAX 1000

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t viewing_count_of(const void *val, size_t vlen)
{
	return vlen == 4 ? get_be32(val) : 0;
}

int viewing_count_add_in(struct store_txn *t, unsigned db, const void *key, size_t klen, int delta)
{
	const void *v;
	size_t vlen;
	unsigned char buf[4];
	int64_t n;
	int rc = store_get(t, db, key, klen, &v, &vlen);

	if (rc != 0 && rc != -ENOENT)
		return rc;
	n = (int64_t)(rc == 0 ? viewing_count_of(v, vlen) : 0) + delta;
	if (n <= 0) {
		rc = rc == 0 ? store_del(t, db, key, klen) : 0;
		return rc == -ENOENT ? 0 : rc;
	}
	put_be32(buf, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
	return store_put(t, db, key, klen, buf, 4, false);
}

/* The key USER "/" SEQ of a finish into KEY; its length. */
static size_t finish_key(unsigned char *key, const char *user, uint32_t seq)
{
	size_t n = strlen(user);

	memcpy(key, user, n);
	key[n] = '/';
	put_be32(key + n + 1, seq);
	return n + 5;
}

/* Add DELTA to the pair of titles A and B, both ways. */
static int pair_add(struct store_txn *t, const char *a, const char *b, int delta)
{
	char key[2 * TITLE_ID_MAX + 2];
	size_t na = strlen(a), nb = strlen(b);
	int rc;

	if (strcmp(a, b) == 0 || na > TITLE_ID_MAX || nb > TITLE_ID_MAX)
		return 0;
	memcpy(key, a, na);
	key[na] = '/';
	memcpy(key + na + 1, b, nb);
	if ((rc = viewing_count_add_in(t, ORIGIN_DB_COWATCH, key, na + nb + 1, delta)) != 0)
		return rc;
	memcpy(key, b, nb);
	key[nb] = '/';
	memcpy(key + nb + 1, a, na);
	return viewing_count_add_in(t, ORIGIN_DB_COWATCH, key, na + nb + 1, delta);
}

/* Some finishes of a viewer, in the order a walk met them. */
struct finishes {
	char (*titles)[TITLE_ID_MAX + 1];
	uint32_t *seqs;
	size_t n, max;
	size_t user_len;
};

static int take(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct finishes *f = arg;

	if (klen != f->user_len + 5 || vlen == 0 || vlen > TITLE_ID_MAX)
		return 0; /* not one of ours: skipped */
	memcpy(f->titles[f->n], val, vlen);
	f->titles[f->n][vlen] = '\0';
	f->seqs[f->n] = get_be32((const unsigned char *)key + klen - 4);
	return ++f->n == f->max ? 1 : 0;
}

/*
 * Up to MAX of USER's finishes into *F (its arrays allocated: free them
 * with finishes_free(), whatever the result), from the one at SEQ or the
 * nearest after it onwards, or BACKWARD from the one at SEQ or the nearest
 * before it; SEQ 0 begins at the first (the last, BACKWARD).
 */
static int walk(struct store_txn *t, const char *user, uint32_t seq, bool backward, size_t max,
		struct finishes *f)
{
	unsigned char prefix[USER_MAX + 1], from[USER_MAX + 5];
	size_t plen = strlen(user) + 1;

	*f = (struct finishes){calloc(max ? max : 1, sizeof(*f->titles)),
			       calloc(max ? max : 1, sizeof(*f->seqs)), 0, max, plen - 1};
	if (!f->titles || !f->seqs)
		return -ENOMEM;
	if (plen > sizeof(prefix) || max == 0)
		return 0;
	memcpy(prefix, user, plen - 1);
	prefix[plen - 1] = '/';
	return store_walk(t, ORIGIN_DB_FINISHES, prefix, plen, from,
			  seq ? finish_key(from, user, seq) : 0, backward, take, f);
}

static void finishes_free(struct finishes *f)
{
	free(f->titles);
	free(f->seqs);
}

int cowatch_finish_in(struct store_txn *t, const char *uid, const char *title, uint32_t fanout,
		      uint32_t *seq)
{
	unsigned char key[USER_MAX + 5];
	struct finishes before;
	int rc;

	if (strlen(uid) > USER_MAX)
		return -EINVAL;
	if (fanout > FANOUT_MAX)
		fanout = FANOUT_MAX;
	if ((rc = walk(t, uid, 0, true, fanout ? fanout : 1, &before)) != 0)
		goto out;
	*seq = before.n ? before.seqs[0] + 1 : 1;
	rc = store_put(t, ORIGIN_DB_FINISHES, key, finish_key(key, uid, *seq), title, strlen(title),
		       false);
	if (rc == 0)
		rc = viewing_count_add_in(t, ORIGIN_DB_FINISHERS, title, strlen(title), 1);
	for (size_t i = 0; rc == 0 && fanout && i < before.n; i++)
		rc = pair_add(t, title, before.titles[i], 1);
out:
	finishes_free(&before);
	return rc;
}

int cowatch_forget_in(struct store_txn *t, const char *uid, const char *title, uint32_t seq,
		      uint32_t fanout)
{
	unsigned char key[USER_MAX + 5];
	struct finishes back = {0}, ahead = {0};
	int rc;

	if (strlen(uid) > USER_MAX || seq == 0)
		return -EINVAL;
	if (fanout > FANOUT_MAX)
		fanout = FANOUT_MAX;
	rc = store_del(t, ORIGIN_DB_FINISHES, key, finish_key(key, uid, seq));
	if (rc == 0)
		rc = viewing_count_add_in(t, ORIGIN_DB_FINISHERS, title, strlen(title), -1);
	/* SEQ is gone: the walks from it begin at its neighbours */
	if (rc == 0 && (rc = walk(t, uid, seq, true, fanout, &back)) == 0)
		rc = walk(t, uid, seq, false, fanout, &ahead);
	for (size_t i = 0; rc == 0 && i < back.n + ahead.n; i++)
		rc = pair_add(t, title, i < back.n ? back.titles[i] : ahead.titles[i - back.n], -1);
	/* BACK[i] and AHEAD[j] were i + j + 2 apart, now i + j + 1: FANOUT when j = FANOUT - 1 - i
	 */
	for (size_t i = 0; rc == 0 && i < back.n; i++)
		if (fanout - 1 - i < ahead.n)
			rc = pair_add(t, back.titles[i], ahead.titles[fanout - 1 - i], 1);
	finishes_free(&back);
	finishes_free(&ahead);
	return rc == -ENOENT ? -EIO : rc; /* a history record names a finish that is gone */
}

int cowatch_finishers_in(struct store_txn *t, const char *title, uint32_t *n)
{
	const void *v;
	size_t vlen;
	int rc = store_get(t, ORIGIN_DB_FINISHERS, title, strlen(title), &v, &vlen);

	*n = rc == 0 ? viewing_count_of(v, vlen) : 0;
	return rc == -ENOENT ? 0 : rc;
}

struct row {
	int (*fn)(void *arg, const char *other, uint32_t count);
	void *arg;
	size_t skip; /* the length of TITLE "/" */
};

static int row_one(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct row *r = arg;
	char other[TITLE_ID_MAX + 1];
	size_t n = klen - r->skip;

	if (n == 0 || n > TITLE_ID_MAX)
		return 0;
	memcpy(other, (const char *)key + r->skip, n);
	other[n] = '\0';
	return r->fn(r->arg, other, viewing_count_of(val, vlen));
}

int cowatch_row_in(struct store_txn *t, const char *title,
		   int (*fn)(void *arg, const char *other, uint32_t count), void *arg)
{
	char prefix[TITLE_ID_MAX + 2];
	size_t n = strlen(title);
	struct row r = {fn, arg, n + 1};

	if (n > TITLE_ID_MAX)
		return 0;
	memcpy(prefix, title, n);
	prefix[n] = '/';
	return store_scan(t, ORIGIN_DB_COWATCH, prefix, n + 1, row_one, &r);
}

int cowatch_recent_in(struct store_txn *t, const char *uid, size_t n,
		      int (*fn)(void *arg, const char *title), void *arg)
{
	struct finishes f;
	int rc = walk(t, uid, 0, true, n, &f);

	for (size_t i = 0; rc == 0 && i < f.n; i++)
		rc = fn(arg, f.titles[i]);
	finishes_free(&f);
	return rc;
}
