/*
 * Unit tests for what the edge's processes share about revoked tokens and
 * served leases (edge/revocations.c), the heartbeat answer that fills it
 * (edge/heartbeat.c) and BIRD's replies (edge/bgp.c): each kind of
 * revocation refuses what it should and nothing else (users by issue
 * time), entries expire and their slots are reused, a full probe window
 * evicts the soonest to expire; a forked writer's entries are seen by the
 * reader here; served leases are taken once each, across processes; a
 * malformed answer applies nothing; BIRD's route listing gives its
 * prefixes, an error reply its message, a cut reply an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bgp.h"
#include "heartbeat.h"
#include "revocations.h"
#include "test.h"

static struct stream_claims claims(const char *user, const char *lease, const char *kid,
				   int64_t issued)
{
	struct stream_claims c;

	memset(&c, 0, sizeof(c));
	snprintf(c.user, sizeof(c.user), "%s", user);
	snprintf(c.lease, sizeof(c.lease), "%s", lease);
	snprintf(c.kid, sizeof(c.kid), "%s", kid);
	c.issued = issued;
	c.expires = issued + 3600;
	return c;
}

static void kinds(void)
{
	struct edge_rev *r = edge_rev_new(1024, 64);
	struct stream_claims a = claims("u1", "l1", "s1", 1000), b = claims("u2", "l2", "s1", 1000);
	struct stream_claims late = claims("u3", "l3", "s1", 2001), early = claims("u3", "l4", "s1", 1999);
	struct stream_claims other_kid = claims("u9", "l9", "s2", 1000);
	struct edge_rev_stats st;

	CHECK(r != NULL);
	CHECK(edge_rev_refused(r, &a, 1500) == NULL);
	edge_rev_add(r, EDGE_REV_LEASE, "l1", 0, 5000, 1500);
	CHECK(edge_rev_refused(r, &a, 1500) != NULL);
	CHECK(strstr(edge_rev_refused(r, &a, 1500), "lease") != NULL);
	CHECK(edge_rev_refused(r, &b, 1500) == NULL);
	/* a lease id is not a user id: the kinds do not mix */
	edge_rev_add(r, EDGE_REV_USER, "l2", 3000, 5000, 1500);
	CHECK(edge_rev_refused(r, &b, 1500) == NULL);
	/* users: only tokens issued at or before "before" */
	edge_rev_add(r, EDGE_REV_USER, "u3", 2000, 5000, 1500);
	CHECK(edge_rev_refused(r, &early, 1500) != NULL);
	CHECK(strstr(edge_rev_refused(r, &early, 1500), "user") != NULL);
	CHECK(edge_rev_refused(r, &late, 1500) == NULL);
	/* a later disable moves "before" on, never back */
	edge_rev_add(r, EDGE_REV_USER, "u3", 2500, 5000, 1500);
	CHECK(edge_rev_refused(r, &late, 1500) != NULL);
	edge_rev_add(r, EDGE_REV_USER, "u3", 100, 5000, 1500);
	CHECK(edge_rev_refused(r, &late, 1500) != NULL);
	/* key ids */
	edge_rev_add(r, EDGE_REV_KID, "s2", 0, 5000, 1500);
	CHECK(edge_rev_refused(r, &other_kid, 1500) != NULL);
	CHECK(edge_rev_refused(r, &b, 1500) == NULL);
	/* past "until" nothing is refused */
	CHECK(edge_rev_refused(r, &a, 5001) == NULL);
	CHECK(edge_rev_refused(r, &other_kid, 5001) == NULL);
	edge_rev_stats(r, &st);
	CHECK(st.refused >= 5);
	edge_rev_free(r);
}

/* Fill a small table far past its size: live entries stay findable or are counted as evicted. */
static void full(void)
{
	struct edge_rev *r = edge_rev_new(64, 64);
	struct edge_rev_stats st;
	char id[32];
	int found = 0;

	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "lease-%d", i);
		edge_rev_add(r, EDGE_REV_LEASE, id, 0, 10000 + i, 100);
	}
	for (int i = 0; i < 200; i++) {
		struct stream_claims c;

		snprintf(id, sizeof(id), "lease-%d", i);
		c = claims("u", id, "", 50);
		found += edge_rev_refused(r, &c, 100) != NULL;
	}
	edge_rev_stats(r, &st);
	CHECK_INT(found, 64);
	CHECK_INT(st.evicted, 200 - 64);
	/* expired slots are reused without eviction */
	for (int i = 0; i < 64; i++) {
		snprintf(id, sizeof(id), "again-%d", i);
		edge_rev_add(r, EDGE_REV_LEASE, id, 0, 30000, 20000);
	}
	edge_rev_stats(r, &st);
	CHECK_INT(st.evicted, 200 - 64);
	edge_rev_free(r);
}

static int has(char (*ids)[STREAM_ID_MAX + 1], size_t n, const char *id)
{
	int k = 0;

	for (size_t i = 0; i < n; i++)
		k += strcmp(ids[i], id) == 0;
	return k;
}

/* A forked worker notes leases and a forked heartbeat revokes: both seen here. */
static void processes(void)
{
	struct edge_rev *r = edge_rev_new(1024, 64);
	struct edge_rev_seen *seen = calloc(1, sizeof(*seen));
	char(*ids)[STREAM_ID_MAX + 1] = NULL;
	struct stream_claims c = claims("u1", "lx", "", 10);
	struct edge_rev_stats st;
	size_t n = 0;
	pid_t pid;
	int status = -1;

	edge_rev_note(r, seen, "la");
	edge_rev_note(r, seen, "la"); /* the worker's cache: once */
	pid = fork();
	if (pid == 0) {
		struct edge_rev_seen mine = {0};

		edge_rev_note(r, &mine, "la"); /* another worker: the shared set dedupes */
		edge_rev_note(r, &mine, "lb");
		edge_rev_add(r, EDGE_REV_LEASE, "lx", 0, 9999, 10);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK_INT(status, 0);
	CHECK(edge_rev_refused(r, &c, 20) != NULL);
	CHECK_INT(edge_rev_take(r, &ids, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(has(ids, n, "la"), 1);
	CHECK_INT(has(ids, n, "lb"), 1);
	free(ids);
	CHECK_INT(edge_rev_take(r, &ids, &n), 0);
	CHECK_INT(n, 0);
	/* a new period: the worker's cache lets the lease through again */
	edge_rev_note(r, seen, "la");
	CHECK_INT(edge_rev_take(r, &ids, &n), 0);
	CHECK_INT(n, 1);
	free(ids);
	/* the set is bounded (3/4 of 64 slots) and counts what it drops */
	for (int i = 0; i < 100; i++) {
		char id[16];

		snprintf(id, sizeof(id), "m%d", i);
		edge_rev_note(r, seen, id);
	}
	CHECK_INT(edge_rev_take(r, &ids, &n), 0);
	CHECK_INT(n, 48);
	free(ids);
	edge_rev_stats(r, &st);
	CHECK_INT(st.dropped, 52);
	free(seen);
	edge_rev_free(r);
}

static void answers(void)
{
	struct edge_rev *r = edge_rev_new(1024, 64);
	struct edge_hb_answer a;
	struct stream_claims l = claims("u5", "l7", "s1", 100), u = claims("u6", "l8", "s1", 100);
	struct stream_claims k = claims("u7", "l9", "s3", 100);
	char err[256];
	const char *good =
	    "{\"interval\": 2, \"down_after\": 10, \"state\": \"draining\", \"leases\": [\"l7\"],"
	    " \"users\": [{\"user\": \"u6\", \"before\": 150}], \"kids\": [\"s3\"], \"keep\": 600,"
	    " \"cursor\": \"abc:12\", \"more\": true, \"extra\": 1}";
	const char *bad[] = {
	    "{\"leases\": [\"l7\", 3]}",
	    "{\"leases\": [\"l7\"], \"users\": [{\"user\": \"u6\"}]}",
	    "{\"leases\": [\"l7\"], \"interval\": 0}",
	    "{\"leases\": [\"l7\"], \"kids\": \"s3\"}",
	    "{\"leases\": [\"l7\"], \"cursor\": 5}",
	    "{\"leases\": [\"l7\"], \"leases\": []}",
	    "[\"l7\"]",
	    "{\"leases\": [\"l7\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(edge_heartbeat_apply(r, bad[i], strlen(bad[i]), 200, &a, err, sizeof(err)),
			  -EINVAL);
		CHECK(err[0] != '\0');
	}
	CHECK(edge_rev_refused(r, &l, 200) == NULL); /* nothing of a bad answer applied */
	CHECK_INT(edge_heartbeat_apply(r, good, strlen(good), 200, &a, err, sizeof(err)), 0);
	CHECK_INT(a.interval_ms, 2000);
	CHECK_STR(a.cursor, "abc:12");
	CHECK(a.more && a.draining);
	CHECK_INT(a.leases + a.users + a.kids, 3);
	CHECK(edge_rev_refused(r, &l, 200) != NULL);
	CHECK(edge_rev_refused(r, &u, 200) != NULL);
	CHECK(edge_rev_refused(r, &k, 200) != NULL);
	CHECK(edge_rev_refused(r, &l, 801) == NULL); /* kept for "keep" seconds */
	edge_rev_free(r);
}

static int parse(const char *text, struct edge_bgp_prefixes *p, char *err)
{
	return edge_bgp_parse(text, strlen(text), p, err, 256);
}

static void bird(void)
{
	struct edge_bgp_prefixes p;
	char err[256];
	const char *routes =
	    "1007-Table master4:\n"
	    " 198.51.100.0/24      unicast [isp4 12:46:22.627] * (100) [AS65001i]\n"
	    " \tvia 192.0.2.1 on rtv1\n"
	    "                      unicast [isp5 12:46:22.627] (100) [AS65003i]\n"
	    " \tvia 192.0.2.3 on rtv1\n"
	    " 192.0.2.128/25       unicast [isp4 12:46:22.627] * (100) [AS65001i]\n"
	    " \n"
	    " Table master6:\n"
	    " 2001:0db8:0100::/48    unicast [isp6 12:46:22.554] * (100) [AS65001i]\n"
	    " \tvia 2001:db8:1::1 on rtv1\n"
	    "1007 198.51.100.0/24 unicast [isp9 12:46:22.627] (100)\n"
	    "0000 \n";

	CHECK_INT(parse(routes, &p, err), 0);
	CHECK_INT(p.n, 3);
	if (p.n == 3) {
		CHECK_STR(p.p[0], "192.0.2.128/25");
		CHECK_STR(p.p[1], "198.51.100.0/24");
		CHECK_STR(p.p[2], "2001:db8:100::/48"); /* canonical text */
	}
	edge_bgp_prefixes_free(&p);
	CHECK_INT(parse("0000 \n", &p, err), 0);
	CHECK_INT(p.n, 0);
	edge_bgp_prefixes_free(&p);
	CHECK_INT(parse("9001 syntax error, unexpected CF_SYM_UNDEFINED\n", &p, err), -EPROTO);
	CHECK(strstr(err, "syntax error") != NULL);
	edge_bgp_prefixes_free(&p);
	CHECK_INT(parse("1007-Table master4:\n 198.51.100.0/24 unicast\n", &p, err), -EINVAL);
	edge_bgp_prefixes_free(&p);
	CHECK_INT(parse("1007-Table master4:\n 198.51.100.0/24 unicast", &p, err), -EINVAL);
	edge_bgp_prefixes_free(&p);
	CHECK_INT(parse("hello\n0000 \n", &p, err), -EINVAL);
	edge_bgp_prefixes_free(&p);
	CHECK_INT(parse("0000 \n1007 10.0.0.0/8 unicast\n", &p, err), -EINVAL);
	edge_bgp_prefixes_free(&p);
	/* host bits past the length, a length past the family's, not prefixes: skipped */
	CHECK_INT(parse("1007-10.0.0.1/8 x\n 10.0.0.0/33 x\n 1.2.3/8 x\n ::/0 x\n0000 \n", &p, err),
		  0);
	CHECK_INT(p.n, 1);
	if (p.n == 1)
		CHECK_STR(p.p[0], "::/0");
	edge_bgp_prefixes_free(&p);
}

int main(void)
{
	kinds();
	full();
	processes();
	answers();
	bird();
	return test_done();
}
