/*
 * The fill scheduler's placement (origin/fill/placement.h): every title on
 * every edge when they can hold the catalog; k copies per cluster by
 * rendezvous hashing when they cannot, most popular titles first, within
 * each edge's capacity; an edge that joins or leaves moves only its share.
 * Popularity is the viewing service's (a real store): plays of a title
 * move it into a cluster smaller than the catalog, and still do after a
 * restart.  And the fill window, across midnight too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fill/fill.h"
#include "fill/placement.h"
#include "schema.h"
#include "store.h"
#include "test.h"
#include "viewing/viewing.h"

#define NT 200
#define NE 6

static char tid[NT][16], eid[NE + 1][24];
static struct place_title T[NT];

static void setup(void)
{
	for (int j = 0; j < NT; j++) {
		snprintf(tid[j], sizeof(tid[j]), "title-%03d", j);
		T[j] = (struct place_title){tid[j], 1000, (uint64_t)(NT - j)};
	}
	for (int i = 0; i <= NE; i++)
		snprintf(eid[i], sizeof(eid[i]), "e%016x", i * 7919);
}

static void everything_fits(void)
{
	struct place_edge e[3] = {{eid[0], "a", 0}, {eid[1], "a", NT * 1000}, {eid[2], "b", 0}};
	bool *want = calloc(3 * NT, sizeof(*want));
	int n = 0;

	CHECK(place_titles(e, 3, T, NT, 2, want) == 0);
	for (int i = 0; i < 3 * NT; i++)
		n += want[i];
	CHECK_INT(n, 3 * NT);
	free(want);
}

/* Copies of each title in the cluster, and titles per edge, under the capacities given. */
static void k_copies(void)
{
	struct place_edge e[NE];
	bool *want = calloc(NE * NT, sizeof(*want));
	int bad = 0, per_edge_max = 0;

	for (int i = 0; i < NE; i++)
		e[i] = (struct place_edge){eid[i], "c", 50 * 1000}; /* a quarter of the catalog */
	CHECK(place_titles(e, NE, T, NT, 2, want) == 0);
	for (int j = 0; j < NT; j++) {
		int c = 0;

		for (int i = 0; i < NE; i++)
			c += want[i * NT + j];
		/* 6 edges x 50 titles = 300 slots: the 150 most popular titles get 2 copies */
		bad += j < 150 ? c != 2 : c != 0;
	}
	CHECK_INT(bad, 0);
	for (int i = 0; i < NE; i++) {
		int c = 0;

		for (int j = 0; j < NT; j++)
			c += want[i * NT + j];
		per_edge_max = c > per_edge_max ? c : per_edge_max;
	}
	CHECK(per_edge_max <= 50);
	free(want);
}

/* With room to spare, a new edge takes only titles it now ranks first for; others stay. */
static void join_moves_its_share(void)
{
	struct place_edge e[NE + 1];
	bool *before = calloc((NE + 1) * NT, sizeof(bool)), *after = calloc((NE + 1) * NT, sizeof(bool));
	int moved_off = 0, gained = 0;

	for (int i = 0; i <= NE; i++)
		e[i] = (struct place_edge){eid[i], "c", NT * 1000 - 1}; /* cannot hold all: k applies */
	CHECK(place_titles(e, NE, T, NT, 2, before) == 0);
	CHECK(place_titles(e, NE + 1, T, NT, 2, after) == 0);
	for (int j = 0; j < NT; j++) {
		gained += after[NE * NT + j];
		for (int i = 0; i < NE; i++)
			moved_off += before[i * NT + j] && !after[i * NT + j];
	}
	/* every copy the new edge took came off exactly one old edge, and nothing else moved */
	CHECK_INT(moved_off, gained);
	CHECK(gained > NT * 2 / (NE + 1) / 2 && gained < NT * 2 * 2 / (NE + 1));
	free(before);
	free(after);
}

/* Copies of title J in a cluster of NE edges holding a quarter of the catalog each, by V's plays. */
static int copies_by_plays(const struct viewing *v, size_t j)
{
	struct place_title t[NT];
	struct place_edge e[NE];
	bool *want = calloc(NE * NT, sizeof(*want));
	int c = 0;

	for (int i = 0; i < NE; i++)
		e[i] = (struct place_edge){eid[i], "c", 50 * 1000};
	for (int k = 0; k < NT; k++)
		t[k] = (struct place_title){tid[k], 1000, viewing_plays(v, tid[k])};
	if (!want || place_titles(e, NE, t, NT, 2, want) != 0) {
		free(want);
		return -1;
	}
	for (int i = 0; i < NE; i++)
		c += want[i * NT + j];
	free(want);
	return c;
}

static void plays_move_titles(void)
{
	char tmpl[] = "/tmp/reel-fill-XXXXXX", dir[64], cmd[128], err[256];
	const struct viewing_params p = {.window_days = 7, .fanout = 8, .half_life_s = 86400};
	int64_t now = 20000 * 86400 + 3600;
	struct viewing *v = NULL;
	struct store *st = NULL;
	double resume;
	int rc = 0;

	if (!mkdtemp(tmpl))
		return;
	snprintf(dir, sizeof(dir), "%s/data", tmpl);
	CHECK(store_open(&st, dir, 16 << 20, origin_db_names, ORIGIN_DB_COUNT, err, sizeof(err)) ==
	      0);
	CHECK(st && viewing_new(st, NULL, NULL, &p, now, &v) == 0);
	if (!v)
		goto out;
	/* no plays: the first 150 ids get the 300 slots */
	CHECK_INT(copies_by_plays(v, 0), 2);
	CHECK_INT(copies_by_plays(v, NT - 1), 0);
	for (int u = 0; u < 3; u++) {
		char uid[16];

		snprintf(uid, sizeof(uid), "u%d", u);
		rc |= viewing_started(v, uid, tid[NT - 1], now, &resume);
		rc |= viewing_started(v, uid, tid[NT - 1], now + 1, &resume); /* once a day each */
	}
	CHECK_INT(rc, 0);
	CHECK_INT(viewing_tick(v, now + 60), 0); /* saved, and the window counted again */
	CHECK_INT(viewing_plays(v, tid[NT - 1]), 3);
	CHECK_INT(copies_by_plays(v, NT - 1), 2);
	CHECK_INT(copies_by_plays(v, 149), 0); /* the last of the 150 made room */
	viewing_free(v);			/* a restart: the plays are the store's */
	v = NULL;
	CHECK(viewing_new(st, NULL, NULL, &p, now + 120, &v) == 0);
	CHECK_INT(copies_by_plays(v, NT - 1), 2);
out:
	viewing_free(v);
	store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		CHECK(!"removed the temporary folder");
}

static void window(void)
{
	struct fill_params p = {.window_start = 120, .window_end = 840};
	struct fill_params night = {.window_start = 22 * 60, .window_end = 6 * 60};
	struct fill_params always = {0};

	setenv("TZ", "UTC", 1);
	CHECK(fill_window_open(&p, 86400 * 10 + 3 * 3600));
	CHECK(!fill_window_open(&p, 86400 * 10 + 14 * 3600));
	CHECK(!fill_window_open(&p, 86400 * 10 + 3600));
	CHECK(fill_window_open(&night, 86400 * 10 + 23 * 3600));
	CHECK(fill_window_open(&night, 86400 * 10 + 5 * 3600));
	CHECK(!fill_window_open(&night, 86400 * 10 + 12 * 3600));
	CHECK(fill_window_open(&always, 12345));
}

int main(void)
{
	setup();
	everything_fits();
	k_copies();
	join_moves_its_share();
	plays_move_titles();
	window();
	return test_done();
}
