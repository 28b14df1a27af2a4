/*
 * The edges' building blocks (origin/edges/): CIDR parsing, the
 * longest-prefix-match table against a linear scan over random prefixes,
 * the revocation log's cursors, the nonce cache.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edges/nonces.h"
#include "edges/prefixes.h"
#include "edges/revocations.h"
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

static void revocations(void)
{
	struct revocations *r = revocations_new(100);
	json_t *a = json_object(), *b = json_object();
	char cursor[REVOCATION_CURSOR_MAX];

	CHECK(revocations_add(r, REVOKED_LEASE, "l1", 1000) == 0);
	CHECK(revocations_add(r, REVOKED_USER, "u1", 1001) == 0);
	CHECK(revocations_since(r, "", 10, a) == 0);
	CHECK_INT(json_array_size(json_object_get(a, "leases")), 1);
	CHECK_INT(json_integer_value(json_object_get(
		      json_array_get(json_object_get(a, "users"), 0), "before")),
		  1001);
	snprintf(cursor, sizeof(cursor), "%s", json_string_value(json_object_get(a, "cursor")));
	CHECK(revocations_add(r, REVOKED_KID, "s1", 1002) == 0);
	CHECK(revocations_since(r, cursor, 10, b) == 0);
	CHECK_INT(json_array_size(json_object_get(b, "leases")), 0);
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "kids"), 0)), "s1");
	CHECK(revocations_since(r, "0000000000000000:1", 10, b) == 0); /* another epoch: all */
	CHECK_INT(json_array_size(json_object_get(b, "leases")), 1);
	CHECK(revocations_since(r, "", 1, b) == 0); /* one at a time */
	CHECK(json_is_true(json_object_get(b, "more")));
	CHECK_INT(revocations_since(r, "nonsense", 10, b), -EINVAL);
	revocations_expire(r, 1101);
	CHECK_INT(revocations_count(r), 2);
	revocations_expire(r, 1103);
	CHECK_INT(revocations_count(r), 0);
	json_decref(a);
	json_decref(b);
	revocations_free(r);
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

int main(void)
{
	parsing();
	table();
	revocations();
	nonces();
	return test_done();
}
