/*
 * The edges' building blocks (origin/edges/): CIDR parsing, the
 * longest-prefix-match table against a linear scan over random prefixes,
 * the revocation log's cursors, the nonce cache, the title index; and
 * steering over a real registry (a temporary store): a scenario step by
 * step, and random reports, drains, clock steps, additions and removals
 * with every answer checked against the documented order computed the
 * slow way.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edges/edges.h"
#include "edges/holders.h"
#include "edges/nonces.h"
#include "edges/prefixes.h"
#include "edges/revocations.h"
#include "keyfiles.h"
#include "schema.h"
#include "store.h"
#include "test.h"

static struct prefix P(const char *s)
{
	struct prefix p;

	if (prefix_parse(s, strlen(s), &p) != 0)
		memset(&p, 0, sizeof(p));
	return p;
}

static void parsing(void)
{
	struct prefix p;
	char text[PREFIX_TEXT_MAX];
	static const char *const bad[] = {"192.0.2.1/24", "10.0.0.0/33", "10.0.0.0", "10.0.0.0/",
					  "10.0.0.0/024", "10.0.0/8", "2001:db8::1/32", "::/129",
					  "x/8", "10.0.0.0/8 ", "10.0.0.0/-1"};

	CHECK(prefix_parse("192.0.2.0/24", 12, &p) == 0 && p.family == 4 && p.len == 24);
	prefix_format(&p, text);
	CHECK_STR(text, "192.0.2.0/24");
	CHECK(prefix_parse("2001:db8::/32", 13, &p) == 0 && p.family == 6 && p.len == 32);
	prefix_format(&p, text);
	CHECK_STR(text, "2001:db8::/32");
	CHECK(prefix_parse("0.0.0.0/0", 9, &p) == 0 && p.len == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(prefix_parse(bad[i], strlen(bad[i]), &p), -EINVAL);
	CHECK(prefix_parse_address("::ffff:192.0.2.7", 16, &p) == 0 && p.family == 6);
	{
		struct prefix m;

		CHECK(prefix_from_bytes(p.addr, 16, &m) == 0 && m.family == 4 && m.len == 32 &&
		      m.addr[0] == 192 && m.addr[3] == 7);
	}
}

/* The longest prefix of PAIRS[0..N) holding A by a linear scan: its length, or -1. */
static int slow_longest(const struct prefix_pair *pairs, size_t n, const struct prefix *a)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		const struct prefix *p = &pairs[i].p;
		size_t full = p->len / 8, rest = p->len % 8;

		if (p->family != a->family || memcmp(p->addr, a->addr, full) != 0)
			continue;
		if (rest && ((p->addr[full] ^ a->addr[full]) & (0xff << (8 - rest))))
			continue;
		if ((int)p->len > best)
			best = p->len;
	}
	return best;
}

static void table(void)
{
	enum { N = 5000 };
	struct prefix_pair *pairs = calloc(N + 3, sizeof(*pairs)), *copy = calloc(N + 3, sizeof(*pairs));
	struct prefix_table *t;
	struct prefix_hit hits[129];
	size_t n = 0, mismatches = 0;

	srand(7);
	for (; n < N; n++) { /* IPv4 /8../28 inside 10.0.0.0/8 and IPv6 /16../64 */
		struct prefix *p = &pairs[n].p;
		char s[64];

		if (n % 4) {
			snprintf(s, sizeof(s), "10.%d.%d.%d/%d", rand() % 256, rand() % 256,
				 rand() % 256, 8 + rand() % 21);
		} else {
			snprintf(s, sizeof(s), "2001:db8:%x:%x::/%d", rand() % 65536, rand() % 65536,
				 16 + rand() % 49);
		}
		*p = P(s); /* host bits set: refused, so mask them by hand */
		if (!p->family) {
			struct prefix a;
			char *slash = strchr(s, '/');
			int len = atoi(slash + 1);

			prefix_parse_address(s, (size_t)(slash - s), &a);
			for (int b = len; b < (a.family == 4 ? 32 : 128); b++)
				a.addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
			a.len = (uint8_t)len;
			*p = a;
		}
		pairs[n].value = (uint32_t)(n % 1000);
	}
	pairs[n++] = (struct prefix_pair){P("10.0.0.0/8"), 1};
	pairs[n++] = (struct prefix_pair){P("10.0.0.0/8"), 2}; /* two edges on one prefix */
	pairs[n++] = (struct prefix_pair){P("10.0.0.0/8"), 1}; /* a duplicate */
	memcpy(copy, pairs, n * sizeof(*pairs));
	CHECK(prefix_table_build(pairs, n, &t) == 0);
	for (int i = 0; i < 5000; i++) {
		struct prefix a;
		char s[64];
		size_t k;
		int slow;

		if (i % 2)
			snprintf(s, sizeof(s), "10.%d.%d.%d", rand() % 256, rand() % 256, rand() % 256);
		else
			snprintf(s, sizeof(s), "2001:db8:%x:%x::%x", rand() % 65536, rand() % 65536,
				 rand() % 65536);
		prefix_parse_address(s, strlen(s), &a);
		k = prefix_table_lookup(t, &a, hits, 129);
		slow = slow_longest(copy, n, &a);
		if (slow != (k ? hits[0].len : -1))
			mismatches++;
		for (size_t j = 1; j < k; j++)
			if (hits[j].len >= hits[j - 1].len)
				mismatches++;
	}
	CHECK_INT(mismatches, 0);
	{
		struct prefix a = P("10.255.255.255/32");
		size_t k = prefix_table_lookup(t, &a, hits, 129);

		bool one = false, two = false;

		for (size_t j = 0; k && j < hits[k - 1].n; j++) {
			one |= hits[k - 1].values[j] == 1;
			two |= hits[k - 1].values[j] == 2;
		}
		CHECK(k >= 1 && hits[k - 1].len == 8 && one && two);
		a = P("192.0.2.1/32");
		CHECK_INT(prefix_table_lookup(t, &a, hits, 129), 0);
	}
	prefix_table_free(t);
	free(pairs);
	free(copy);
}

/* The log of the store in DIR (*ST, opened) as at NOW, entries kept 100 s; NULL on failure. */
static struct revocations *open_log(const char *dir, int64_t now, struct store **st)
{
	struct revocations *r = NULL;
	char err[256];

	*st = NULL;
	if (store_open_flags(st, dir, 16 << 20, origin_db_names, ORIGIN_DB_COUNT, STORE_REBUILDABLE,
			     err, sizeof(err)) != 0 ||
	    revocations_open(*st, 100, now, &r) != 0)
		return NULL;
	return r;
}

static void close_log(struct revocations *r, struct store *st)
{
	revocations_free(r);
	store_free(st);
}

/* Close *R and open the log of DIR as at NOW in its place (a restart): false when it cannot be. */
static bool reopen(struct revocations **r, struct store **st, const char *dir, int64_t now)
{
	close_log(*r, *st);
	*r = open_log(dir, now, st);
	CHECK(*r != NULL);
	return *r != NULL;
}

/* What the log answers after CURSOR into A (cleared first) and its next cursor into NEXT. */
static int since(struct revocations *r, const char *cursor, size_t max, json_t *a,
		 char next[REVOCATION_CURSOR_MAX])
{
	int rc;

	json_object_clear(a);
	rc = revocations_since(r, cursor, max, a);
	snprintf(next, REVOCATION_CURSOR_MAX, "%s",
		 rc == 0 ? json_string_value(json_object_get(a, "cursor")) : "");
	return rc;
}

static size_t entries(const json_t *a)
{
	return json_array_size(json_object_get(a, "leases")) +
	       json_array_size(json_object_get(a, "users")) +
	       json_array_size(json_object_get(a, "kids"));
}

/* Is entry SEQ in the store's table? */
static bool stored(struct store *st, uint64_t seq)
{
	uint8_t key[8];
	struct store_txn *t;
	const void *v;
	size_t vlen;
	int rc;

	for (int i = 0; i < 8; i++)
		key[i] = (uint8_t)(seq >> (56 - 8 * i));
	if (store_begin(st, false, &t) != 0)
		return false;
	rc = store_get(t, ORIGIN_DB_REVOCATIONS, key, 8, &v, &vlen);
	store_abort(t);
	return rc == 0;
}

/* The log's numbers, what a heartbeat hears, and what a restart keeps. */
static void revocations(const char *dir, const char *other)
{
	struct store *st;
	struct revocations *r = open_log(dir, 1000, &st);
	struct revocation_batch *b;
	json_t *a = json_object();
	char c1[REVOCATION_CURSOR_MAX], c2[REVOCATION_CURSOR_MAX], c3[REVOCATION_CURSOR_MAX],
	    old[REVOCATION_CURSOR_MAX], x[REVOCATION_CURSOR_MAX];

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(revocations_add(r, REVOKED_LEASE, "l1", 1000) == 0);
	CHECK(revocations_add(r, REVOKED_USER, "u1", 1001) == 0);
	CHECK(since(r, "", 10, a, c1) == 0);
	CHECK_INT(entries(a), 0); /* not committed yet: nobody hears of it */
	CHECK_INT(revocations_pending(r), 2);
	CHECK_INT(revocations_save(r, st), 0);
	CHECK_INT(revocations_pending(r), 0);
	CHECK(since(r, "", 10, a, c1) == 0);
	CHECK_INT(json_array_size(json_object_get(a, "leases")), 1);
	CHECK_INT(json_integer_value(json_object_get(
		      json_array_get(json_object_get(a, "users"), 0), "before")),
		  1001);
	CHECK(strlen(c1) == 18 && strcmp(c1 + 16, ":2") == 0);
	CHECK(revocations_add(r, REVOKED_KID, "s1", 1002) == 0);
	CHECK_INT(revocations_save(r, st), 0);
	CHECK(since(r, c1, 10, a, c2) == 0);
	CHECK_INT(entries(a), 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(a, "kids"), 0)), "s1");
	CHECK(since(r, "0000000000000000:1", 10, a, x) == 0); /* another epoch: all */
	CHECK_INT(entries(a), 3);
	CHECK(since(r, "", 1, a, x) == 0); /* one at a time */
	CHECK(json_is_true(json_object_get(a, "more")) && entries(a) == 1);
	CHECK_INT(since(r, "nonsense", 10, a, x), -EINVAL);
	CHECK(revocations_add(r, REVOKED_LEASE, "lost", 1003) == 0); /* never committed: */
	CHECK(revocations_take(r, &b) == 0 && b != NULL);
	revocations_taken(r, b, -ENOSPC); /* a store that refuses it does not hold it back */
	CHECK(since(r, c2, 10, a, x) == 0);
	CHECK_INT(entries(a), 1);

	/* a restart: the same epoch and numbers, so cursors hold */
	if (!reopen(&r, &st, dir, 1050))
		goto out;
	CHECK_INT(revocations_count(r), 3);
	CHECK(since(r, c2, 10, a, x) == 0);
	CHECK(entries(a) == 0 && strcmp(x, c2) == 0);
	CHECK(since(r, c1, 10, a, x) == 0);
	CHECK_INT(entries(a), 1); /* s1 only */
	CHECK(revocations_add(r, REVOKED_LEASE, "l2", 1050) == 0);
	CHECK_INT(revocations_save(r, st), 0);
	CHECK(since(r, c2, 10, a, c3) == 0);
	/* number 4 again: "lost" was heard of only while the store refused it */
	CHECK(entries(a) == 1 && strcmp(c3 + 16, ":4") == 0);
	snprintf(old, sizeof(old), "%.16s:1", c1);

	/* pruned once no token can be valid: from memory, then from the store by the next batch */
	revocations_expire(r, 1101);
	CHECK_INT(revocations_count(r), 3);
	CHECK(stored(st, 1));
	CHECK_INT(revocations_save(r, st), 0);
	CHECK(!stored(st, 1) && stored(st, 2));
	CHECK(since(r, old, 10, a, x) == 0); /* older than what is kept: all that is */
	CHECK_INT(entries(a), 3);
	if (!reopen(&r, &st, dir, 1101))
		goto out;
	CHECK_INT(revocations_count(r), 3);

	/* loaded at a later time: what expired meanwhile is not kept, and goes */
	if (!reopen(&r, &st, dir, 1102))
		goto out;
	CHECK_INT(revocations_count(r), 2);
	CHECK_INT(revocations_save(r, st), 0);
	CHECK(!stored(st, 2) && stored(st, 3));
	revocations_expire(r, 5000); /* everything */
	CHECK_INT(revocations_count(r), 0);
	CHECK_INT(revocations_save(r, st), 0);
	CHECK(!stored(st, 3) && !stored(st, 4));
	if (!reopen(&r, &st, dir, 5000))
		goto out;
	CHECK(revocations_add(r, REVOKED_USER, "u2", 5000) == 0);
	CHECK_INT(revocations_save(r, st), 0);
	CHECK(since(r, c3, 10, a, x) == 0);
	CHECK(entries(a) == 1 && strcmp(x + 16, ":5") == 0); /* the numbers go on */
	snprintf(x, sizeof(x), "%.16s:99", c1);
	CHECK(since(r, x, 10, a, x) == 0); /* past the last number: all */
	CHECK_INT(entries(a), 1);

	/* another store is another origin: its own epoch */
	if (!reopen(&r, &st, other, 5000))
		goto out;
	CHECK(revocations_add(r, REVOKED_LEASE, "l9", 5000) == 0);
	CHECK_INT(revocations_save(r, st), 0);
	CHECK(since(r, c3, 10, a, x) == 0);
	CHECK(entries(a) == 1 && strncmp(x, c3, 16) != 0);
	close_log(r, st);
out:
	json_decref(a);
}

static void nonces(void)
{
	struct nonce_cache *c = nonce_cache_new(600, 0);
	int dup = 0;

	CHECK(nonce_cache_claim(c, "e1", "abcdefghijklmnop", 0) == 0);
	CHECK_INT(nonce_cache_claim(c, "e1", "abcdefghijklmnop", 10), -EALREADY);
	CHECK(nonce_cache_claim(c, "e2", "abcdefghijklmnop", 10) == 0);
	CHECK_INT(nonce_cache_claim(c, "e1", "abcdefghijklmnop", 900), -EALREADY); /* kept 600+ */
	CHECK(nonce_cache_claim(c, "e1", "abcdefghijklmnop", 2500) == 0);	 /* forgotten */
	for (int i = 0; i < 100000; i++) {
		char n[32];

		snprintf(n, sizeof(n), "nonce-%08d-xxxxx", i);
		dup += nonce_cache_claim(c, "e3", n, 2600) != 0;
	}
	CHECK_INT(dup, 0);
	nonce_cache_free(c);
}

static void holders(void)
{
	static const holders_title one[] = {"a", "b", "c"}, two[] = {"b", "d"};
	struct holders *h = holders_new();
	const uint32_t *v;
	size_t n;

	CHECK(h != NULL);
	CHECK(holders_change(h, 5, NULL, 0, one, 3) == 0);
	CHECK(holders_change(h, 2, NULL, 0, one, 3) == 0);
	CHECK(holders_change(h, 9, NULL, 0, two, 2) == 0);
	v = holders_of(h, "b", &n);
	CHECK(n == 3 && v[0] == 2 && v[1] == 5 && v[2] == 9); /* ascending, whatever the order */
	CHECK(holders_change(h, 5, one, 3, two, 2) == 0);	   /* 5 drops a, c; adds d */
	v = holders_of(h, "a", &n);
	CHECK(n == 1 && v[0] == 2);
	v = holders_of(h, "d", &n);
	CHECK(n == 2 && v[0] == 5 && v[1] == 9);
	CHECK(holders_change(h, 2, one, 3, NULL, 0) == 0);
	CHECK(holders_of(h, "a", &n) == NULL && n == 0);
	CHECK(holders_of(h, "nobody", &n) == NULL && n == 0);
	CHECK(holders_among(v, 2, 9) && !holders_among(v, 2, 7));
	holders_free(h);
}

/* ---- steering over a registry ---- */

#define DOWN_AFTER 10
#define MAX_EDGES  40
#define NTITLES	   6

static const struct edges_params PARAMS = {DOWN_AFTER, 5, 3600, "http://origin.example"};

/* What the test knows of each edge, in the registry's order. */
struct model {
	char id[EDGE_ID_LEN + 1];
	struct prefix pre[3];
	size_t npre;
	bool title[NTITLES];
	int64_t last; /* 0: never reported */
	bool failing, drained, draining; /* drained: by the admin; draining: its own */
	uint64_t bps, capacity;
};

static struct model M[MAX_EDGES];
static size_t NM;
static unsigned serial;

static int add_edge(struct edges *e, const struct prefix *pre, size_t npre, uint64_t capacity)
{
	struct edge_spec s = {.capacity_mbps = capacity, .nprefixes = npre};
	char secret[EDGE_SECRET_LEN + 1];
	struct origin_reason why = {0};
	struct model *m = &M[NM];
	int rc;

	snprintf(s.name, sizeof(s.name), "edge-%u", serial);
	snprintf(s.url, sizeof(s.url), "http://edge-%u.example", serial++);
	snprintf(s.cluster, sizeof(s.cluster), "c");
	s.prefixes = (struct prefix *)pre;
	*m = (struct model){.npre = npre, .capacity = capacity};
	if (npre)
		memcpy(m->pre, pre, npre * sizeof(*pre));
	if ((rc = edges_add(e, &s, 1, m->id, secret, &why)) == 0)
		NM++;
	return rc;
}

/* Edge I reports at NOW what M[I] says. */
static int report(struct edges *e, size_t i, int64_t now)
{
	struct edge_report r = {.health = M[i].failing ? EDGE_FAILING : EDGE_OK,
				.draining = M[i].draining, .bytes_per_s = M[i].bps};
	char titles[2 * NTITLES][EDGE_TITLE_MAX + 1];
	json_t *answer = NULL;
	int rc;

	for (int t = NTITLES - 1; t >= 0; t--) /* unsorted, the first one twice */
		if (M[i].title[t])
			snprintf(titles[r.ntitles++], sizeof(titles[0]), "t%d", t);
	if (r.ntitles) {
		memcpy(titles[r.ntitles], titles[0], sizeof(titles[0]));
		r.ntitles++;
	}
	r.titles = titles;
	rc = edges_report(e, M[i].id, &r, now, &answer);
	json_decref(answer);
	if (rc == 0)
		M[i].last = now;
	return rc;
}

static bool contains(const struct prefix *p, const struct prefix *a)
{
	size_t full = p->len / 8, rest = p->len % 8;

	return p->family == a->family && memcmp(p->addr, a->addr, full) == 0 &&
	       (!rest || !((p->addr[full] ^ a->addr[full]) & (0xff << (8 - rest))));
}

/* The longest of M[I]'s prefixes holding A: its length, or -1. */
static int matched(size_t i, const struct prefix *a)
{
	int best = -1;

	for (size_t j = 0; j < M[i].npre; j++)
		if (contains(&M[i].pre[j], a) && (int)M[i].pre[j].len > best)
			best = M[i].pre[j].len;
	return best;
}

static bool model_eligible(size_t i, int64_t now)
{
	return M[i].last && now - M[i].last < DOWN_AFTER && !M[i].failing && !M[i].drained &&
	       !M[i].draining;
}

static double model_load(size_t i)
{
	return (double)M[i].bps * 8 / ((double)M[i].capacity * 1e6);
}

/*
 * The documented order the slow way into OUT: for every length from 128
 * down, the edges with a prefix of that length holding A, then every edge;
 * first among those holding TITLE ("prefix", "title"), then any ("pull");
 * each group least loaded first (the slot breaks ties), then the fallback.
 */
static void slow_steer(const struct prefix *a, int title, int64_t now, struct edges_choice *out)
{
	static const char *const whys[4] = {"prefix", "title", "pull", "pull"};
	bool picked[MAX_EDGES] = {false}, present[129] = {false};
	int longest[MAX_EDGES];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < NM; i++)
		if ((longest[i] = matched(i, a)) >= 0)
			present[longest[i]] = true;
	for (int step = 0; step < 4; step++) {
		for (int len = step % 2 ? 0 : 128; len >= 0; len--) {
			for (; step % 2 || present[len];) { /* the least loaded left, one at a time */
				size_t best = NM;

				for (size_t i = 0; i < NM; i++) {
					if (picked[i] || !model_eligible(i, now) ||
					    (step < 2 && !M[i].title[title]) ||
					    (step % 2 == 0 && longest[i] != len))
						continue;
					if (best == NM || model_load(i) < model_load(best))
						best = i;
				}
				if (best == NM || out->n == 1 + EDGE_ALTERNATES)
					break;
				picked[best] = true;
				memcpy(out->e[out->n].id, M[best].id, sizeof(M[best].id));
				out->e[out->n].why = whys[step];
				out->e[out->n++].prefix_len = step % 2 ? 0 : (uint8_t)len;
			}
		}
	}
	if (out->n < 1 + EDGE_ALTERNATES)
		out->e[out->n++].why = "fallback";
}

static bool same_choices(const struct edges_choice *a, const struct edges_choice *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->e[i].id, b->e[i].id) != 0 || strcmp(a->e[i].why, b->e[i].why) != 0 ||
		    a->e[i].prefix_len != b->e[i].prefix_len)
			return false;
	return true;
}

/* Are edges_steer()'s choices for ADDR and title tTITLE at NOW the slow way's? */
static bool steers_as_documented(struct edges *e, const char *addr, int title, int64_t now)
{
	struct edges_choice got, want;
	struct prefix a;
	char t[16];

	snprintf(t, sizeof(t), "t%d", title);
	prefix_parse_address(addr, strlen(addr), &a);
	edges_steer(e, &a, t, now, false, &got);
	slow_steer(&a, title, now, &want);
	return same_choices(&got, &want);
}

static struct edges *registry(const char *dir, struct store **st)
{
	static const uint8_t master[32];
	static struct keyset keys;
	char err[256];
	struct edges *e = NULL;

	NM = 0;
	/* no disk sync: the registry is thrown away */
	if (store_open_flags(st, dir, 16 << 20, origin_db_names, ORIGIN_DB_COUNT, STORE_REBUILDABLE,
			     err, sizeof(err)) != 0 ||
	    edges_new(*st, master, &keys, NULL, &PARAMS, 1, &e) != 0)
		return NULL;
	return e;
}

/* A: 10.1.0.0/16, B: 10.0.0.0/8, C: no prefix; all hold t0, A least loaded. */
static void scenario(const char *dir)
{
	struct store *st = NULL;
	struct edges *e = registry(dir, &st);
	struct prefix p16 = P("10.1.0.0/16"), p8 = P("10.0.0.0/8"), a = P("10.1.2.3/32");
	struct edges_choice c;
	int64_t now = 100;

	CHECK(e != NULL);
	if (!e)
		goto out;
	CHECK(add_edge(e, &p16, 1, 1000) == 0 && add_edge(e, &p8, 1, 1000) == 0 &&
	      add_edge(e, NULL, 0, 1000) == 0);
	edges_steer(e, &a, "t0", now, false, &c);
	CHECK(c.n == 1 && strcmp(c.e[0].why, "fallback") == 0); /* none reported yet */
	for (size_t i = 0; i < 3; i++) {
		M[i].title[0] = true;
		M[i].bps = 1000000 * (i + 1);
		CHECK(report(e, i, now) == 0);
	}
	CHECK(steers_as_documented(e, "10.1.2.3", 0, now));
	edges_steer(e, &a, "t0", now, false, &c);
	CHECK(c.n == 4 && strcmp(c.e[0].id, M[0].id) == 0 && c.e[0].prefix_len == 16 &&
	      strcmp(c.e[1].id, M[1].id) == 0 && strcmp(c.e[2].why, "title") == 0 &&
	      strcmp(c.e[3].why, "fallback") == 0);

	M[0].title[0] = false; /* A loses the title: pulled through, after B and C */
	CHECK(report(e, 0, now) == 0);
	edges_steer(e, &a, "t0", now, false, &c);
	CHECK(c.n == 4 && strcmp(c.e[0].id, M[1].id) == 0 && strcmp(c.e[1].id, M[2].id) == 0 &&
	      strcmp(c.e[2].id, M[0].id) == 0 && strcmp(c.e[2].why, "pull") == 0);
	CHECK(steers_as_documented(e, "10.1.2.3", 0, now));

	CHECK(edges_set_draining(e, M[1].id, true) == 0); /* B drained: C, then A pulls */
	M[1].drained = true;
	edges_steer(e, &a, "t0", now, false, &c);
	CHECK(c.n == 3 && strcmp(c.e[0].id, M[2].id) == 0 && strcmp(c.e[1].id, M[0].id) == 0);

	now += DOWN_AFTER; /* everyone down but A, which reports */
	CHECK(report(e, 0, now) == 0);
	edges_steer(e, &a, "t0", now, false, &c);
	CHECK(c.n == 2 && strcmp(c.e[0].id, M[0].id) == 0 && strcmp(c.e[0].why, "pull") == 0);
	CHECK(steers_as_documented(e, "10.1.2.3", 0, now));

	M[2].bps = 0; /* C back, sent players until its next report weigh on it */
	CHECK(report(e, 2, now) == 0);
	CHECK(edges_set_draining(e, M[1].id, false) == 0);
	M[1].drained = false;
	CHECK(report(e, 1, now) == 0);
	edges_steer(e, &a, "t0", now, true, &c);
	CHECK(strcmp(c.e[0].id, M[1].id) == 0); /* B: the prefix */
	edges_steer(e, &a, "t5", now, false, &c);
	CHECK(c.n == 4 && strcmp(c.e[0].why, "pull") == 0 && c.e[0].prefix_len == 16);

	CHECK(edges_remove(e, M[0].id) == 0); /* the slots move down; the index follows */
	memmove(M, M + 1, 2 * sizeof(*M));
	NM = 2;
	CHECK(steers_as_documented(e, "10.1.2.3", 0, now));
	edges_steer(e, &a, "t0", now, false, &c);
	CHECK(c.n == 3 && strcmp(c.e[0].id, M[0].id) == 0 && strcmp(c.e[1].id, M[1].id) == 0 &&
	      strcmp(c.e[1].why, "title") == 0);
out:
	edges_free(e);
	store_free(st);
}

static struct prefix random_prefix(void)
{
	char s[32];

	switch (rand() % 3) {
	case 0:
		return P("10.0.0.0/8");
	case 1:
		snprintf(s, sizeof(s), "10.%d.0.0/16", rand() % 4);
		return P(s);
	default:
		snprintf(s, sizeof(s), "10.%d.%d.0/24", rand() % 4, rand() % 4);
		return P(s);
	}
}

static void random_steering(const char *dir)
{
	struct store *st = NULL;
	struct edges *e = registry(dir, &st);
	size_t mismatches = 0, failures = 0, checks = 0;
	int64_t now = 100;

	CHECK(e != NULL);
	if (!e)
		goto out;
	srand(11);
	for (int round = 0; round < 3000; round++) {
		int op = rand() % 100;
		size_t i = NM ? (size_t)rand() % NM : 0;

		if (NM < 3 || (op < 4 && NM < MAX_EDGES)) {
			struct prefix pre[3];
			size_t n = (size_t)rand() % 4;

			for (size_t j = 0; j < n; j++)
				pre[j] = random_prefix();
			failures += add_edge(e, pre, n, 1000 + (uint64_t)(rand() % 3) * 1000) != 0;
		} else if (op < 7) {
			failures += edges_remove(e, M[i].id) != 0;
			memmove(M + i, M + i + 1, (NM - i - 1) * sizeof(*M));
			NM--;
		} else if (op < 12) {
			M[i].drained = !M[i].drained;
			failures += edges_set_draining(e, M[i].id, M[i].drained) != 0;
		} else if (op < 20) {
			now += rand() % 4;
		} else {
			for (int t = 0; t < NTITLES; t++)
				M[i].title[t] = rand() % 2;
			M[i].failing = rand() % 10 == 0;
			M[i].draining = rand() % 10 == 0;
			M[i].bps = (uint64_t)rand() % 100000000 * 16 + i; /* no two loads equal */
			failures += report(e, i, now) != 0;
		}
		for (int q = 0; q < 4; q++) {
			char addr[32];

			snprintf(addr, sizeof(addr), "10.%d.%d.7", rand() % 5, rand() % 5);
			mismatches += !steers_as_documented(e, addr, rand() % NTITLES, now);
			checks++;
		}
	}
	CHECK_INT(failures, 0);
	CHECK_INT(mismatches, 0);
	CHECK(checks == 12000);
out:
	edges_free(e);
	store_free(st);
}

int main(void)
{
	char tmpl[] = "/tmp/reel-edges-XXXXXX", dir[64], cmd[128];

	char other[64];

	parsing();
	table();
	nonces();
	holders();
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s/r", tmpl);
	snprintf(other, sizeof(other), "%s/r2", tmpl);
	revocations(dir, other);
	snprintf(dir, sizeof(dir), "%s/a", tmpl);
	scenario(dir);
	snprintf(dir, sizeof(dir), "%s/b", tmpl);
	random_steering(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
