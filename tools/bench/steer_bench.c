/*
 * steer_bench: the CPU time of one steering decision (edges_steer(), the
 * part of POST /api/v1/play that depends on the edges) with E edges and P
 * prefixes registered in a real registry on a temporary store, every edge
 * up and holding the title, as tools/bench/origin_bench.py sets them up:
 * the address is in a /8 two edges share, so every longer length is
 * probed, those two are taken, and two alternates come from the others.
 * Prints the median, fastest and slowest of R runs of N decisions in
 * thread CPU time (so other jobs on the machine count little).
 *
 *   build/tools/bench/steer_bench [EDGES [PREFIXES [RUNS [N]]]]   (1000 100000 7 100000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edges/edges.h"
#include "keyfiles.h"
#include "schema.h"
#include "store.h"

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A random prefix (IPv4 /9../32 off 127/8, or IPv6 /16../64) into P. */
static void random_prefix(struct prefix *p)
{
	char s[64];
	int len;

	if (rand() % 2) {
		len = 9 + rand() % 24;
		snprintf(s, sizeof(s), "%d.%d.%d.%d", 1 + rand() % 126, rand() % 256, rand() % 256,
			 rand() % 256);
	} else {
		len = 16 + rand() % 49;
		snprintf(s, sizeof(s), "2001:db8:%x:%x::", rand() % 65536, rand() % 65536);
	}
	prefix_parse_address(s, strlen(s), p);
	for (int b = len; b < (p->family == 4 ? 32 : 128); b++)
		p->addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
	p->len = (uint8_t)len;
}

/* E edges with P prefixes in all, each up and holding "title". */
static int setup(struct edges *e, size_t ne, size_t np)
{
	static char titles[1][EDGE_TITLE_MAX + 1] = {"title"};
	struct prefix *pre = calloc(np / ne + 2, sizeof(*pre));

	if (!pre)
		return -1;
	for (size_t i = 0; i < ne; i++) {
		struct edge_spec s = {.capacity_mbps = 10000, .prefixes = pre};
		struct edge_report r = {.bytes_per_s = 1000000 + 1000 * i, .titles = titles, .ntitles = 1};
		char id[EDGE_ID_LEN + 1], secret[EDGE_SECRET_LEN + 1];
		struct origin_reason why = {0};
		json_t *answer = NULL;

		if (i < 2)
			prefix_parse("127.0.0.0/8", 11, &pre[s.nprefixes++]);
		for (size_t j = i; j < np; j += ne)
			random_prefix(&pre[s.nprefixes++]);
		snprintf(s.name, sizeof(s.name), "edge-%04zu", i);
		snprintf(s.url, sizeof(s.url), "http://edge-%04zu.example", i);
		snprintf(s.cluster, sizeof(s.cluster), "c");
		if (edges_add(e, &s, 1, id, secret, &why) != 0 ||
		    edges_report(e, id, &r, 2, &answer) != 0) {
			free(pre);
			return -1;
		}
		json_decref(answer);
	}
	free(pre);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t master[32];
	static struct keyset keys;
	const struct edges_params p = {3600, 60, 3600, "http://origin.example"};
	size_t ne = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000,
	       np = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	int runs = argc > 3 ? atoi(argv[3]) : 7, n = argc > 4 ? atoi(argv[4]) : 100000;
	char tmpl[] = "/tmp/steer-bench-XXXXXX", dir[64], cmd[128], err[256];
	struct store *st = NULL;
	struct edges *e = NULL;
	struct edges_choice c;
	struct prefix a;
	double *us = calloc((size_t)(runs > 0 ? runs : 1), sizeof(*us));
	int rc = 1;

	if (ne < 2 || runs < 1 || n < 1 || !us || !mkdtemp(tmpl)) {
		fprintf(stderr, "usage: steer_bench [EDGES>=2 [PREFIXES [RUNS [N]]]]\n");
		return 2;
	}
	srand(11);
	snprintf(dir, sizeof(dir), "%s/data", tmpl);
	if (store_open_flags(&st, dir, 256 << 20, origin_db_names, ORIGIN_DB_COUNT,
			     STORE_REBUILDABLE, err, sizeof(err)) != 0 ||
	    edges_new(st, master, &keys, NULL, &p, 1, &e) != 0 || setup(e, ne, np) != 0) {
		fprintf(stderr, "steer_bench: setting up %zu edges failed %s\n", ne, err);
		goto out;
	}
	prefix_parse_address("127.0.0.1", 9, &a);
	edges_steer(e, &a, "title", 3, false, &c); /* the prefix table is built here */
	if (c.n != 4 || strcmp(c.e[0].why, "prefix") != 0 || strcmp(c.e[2].why, "title") != 0) {
		fprintf(stderr, "steer_bench: unexpected choices (%zu, first %s)\n", c.n, c.e[0].why);
		goto out;
	}
	for (int r = 0; r < runs; r++) {
		double t0 = cpu_now();

		for (int i = 0; i < n; i++)
			edges_steer(e, &a, "title", 3, false, &c);
		us[r] = (cpu_now() - t0) * 1e6 / n;
	}
	qsort(us, (size_t)runs, sizeof(*us), by_value);
	printf("edges_steer, %zu edges, %zu prefixes: median %.2f us (min %.2f, max %.2f; %d runs "
	       "of %d), %.0f decisions per CPU-second\n",
	       ne, np, us[runs / 2], us[0], us[runs - 1], runs, n, 1e6 / us[runs / 2]);
	rc = 0;
out:
	edges_free(e);
	store_free(st);
	free(us);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	return system(cmd) != 0 ? 1 : rc;
}
