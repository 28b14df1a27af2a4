/*
 * The viewing service's rules over a real LMDB store: when a title counts
 * as finished (origin/viewing/watch.c), and the co-watching counts
 * (cowatch.c) checked after every step of a random mix of finishes and
 * removals against a model that counts the pairs of every viewer's
 * sequence of finishes from scratch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store.h"
#include "test.h"
#include "viewing/viewing_int.h"

#define NUSERS	4
#define NTITLES 7
#define FANOUT	2
#define STEPS	400

static void finishing(void)
{
	struct watch w = {0};

	CHECK(watch_play(&w, 1000, 1000 / DAY_S, 7)); /* a play counts once a day */
	CHECK(!watch_play(&w, 1005, 1005 / DAY_S, 7));
	watch_report(&w, 100, 1000, 0, 1005);
	CHECK(w.position == 100 && !w.finished && w.watched == 0); /* no clock since the play */
	watch_report(&w, 130, 1000, 0, 1015);
	CHECK(w.watched == 10); /* 30 s of progress in 10 s of clock counts 10 */
	watch_report(&w, 949, 1000, 0, 1020);
	CHECK(w.position == 949 && !w.finished);
	watch_report(&w, 950, 1000, 0, 1030);
	CHECK(w.position == 0 && w.finished == 1030); /* 95%: finished, resumes from 0 */
	watch_report(&w, 400, 1000, 0, 1040);
	CHECK(w.position == 400 && w.finished == 1030); /* watched again: the first finish stays */

	memset(&w, 0, sizeof(w));
	watch_report(&w, 800, 1000, 800, 1000);
	CHECK(w.finished == 1000 && w.position == 0); /* the end credits */
	memset(&w, 0, sizeof(w));
	watch_report(&w, 799, 1000, 800, 1000);
	CHECK(!w.finished && w.position == 799);
}

/* The model: each viewer's finishes in order. */
static int seq[NUSERS][NTITLES], nseq[NUSERS];
static uint32_t seqno[NUSERS][NTITLES]; /* the store's SEQ of each finish */

static int place(int u, int title)
{
	for (int i = 0; i < nseq[u]; i++)
		if (seq[u][i] == title)
			return i;
	return -1;
}

static uint32_t model_pair(int a, int b)
{
	uint32_t n = 0;

	for (int u = 0; u < NUSERS; u++) {
		int i = place(u, a), j = place(u, b);

		n += i >= 0 && j >= 0 && abs(i - j) <= FANOUT;
	}
	return n;
}

static uint32_t model_finishers(int a)
{
	uint32_t n = 0;

	for (int u = 0; u < NUSERS; u++)
		n += place(u, a) >= 0;
	return n;
}

struct row {
	uint32_t count[NTITLES];
};

static int take(void *arg, const char *other, uint32_t count)
{
	struct row *r = arg;

	r->count[other[1] - '0'] = count;
	return 0;
}

/* Do the store's counts equal the model's?  Counts one check per step. */
static bool counts_match(struct store *st)
{
	struct store_txn *t;
	bool same = true;

	if (store_begin(st, false, &t) != 0)
		return false;
	for (int a = 0; a < NTITLES; a++) {
		char id[3] = {'t', (char)('0' + a), '\0'};
		struct row r = {{0}};
		uint32_t f;

		if (cowatch_row_in(t, id, take, &r) != 0 || cowatch_finishers_in(t, id, &f) != 0)
			same = false;
		same = same && f == model_finishers(a);
		for (int b = 0; b < NTITLES; b++)
			if (r.count[b] != (a == b ? 0 : model_pair(a, b))) {
				printf("# pair t%d t%d: store %u, model %u\n", a, b, r.count[b],
				       model_pair(a, b));
				same = false;
			}
	}
	store_abort(t);
	return same;
}

static int step(struct store *st, uint64_t *rng)
{
	char uid[3], id[3] = {'t', 0, 0};
	struct store_txn *t;
	int u, title, i, rc;

	*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
	u = (int)((*rng >> 33) % NUSERS);
	title = (int)((*rng >> 40) % NTITLES);
	snprintf(uid, sizeof(uid), "u%d", u);
	id[1] = (char)('0' + title);
	if ((rc = store_begin(st, true, &t)) != 0)
		return rc;
	if ((i = place(u, title)) < 0) {
		rc = cowatch_finish_in(t, uid, id, FANOUT, &seqno[u][title]);
		seq[u][nseq[u]++] = title;
	} else {
		rc = cowatch_forget_in(t, uid, id, seqno[u][title], FANOUT);
		memmove(&seq[u][i], &seq[u][i + 1], (size_t)(nseq[u] - i - 1) * sizeof(int));
		nseq[u]--;
	}
	return store_finish(t, rc);
}

static void cowatching(struct store *st)
{
	uint64_t rng = 42;
	int mismatched = 0, failed = 0;

	for (int s = 0; s < STEPS; s++) {
		failed += step(st, &rng) != 0;
		mismatched += !counts_match(st);
	}
	CHECK_INT(failed, 0);
	CHECK_INT(mismatched, 0);
	CHECK(nseq[0] + nseq[1] + nseq[2] + nseq[3] > 0); /* the mix left some finishes */
}

static int recent(void *arg, const char *title)
{
	char *s = arg;

	strcat(s, title);
	return 0;
}

/* The latest finishes come newest first, whatever was removed between them. */
static void latest(struct store *st)
{
	char got[64] = "", want[64] = "";
	struct store_txn *t;

	for (int i = nseq[0] - 1; i >= 0 && i >= nseq[0] - 3; i--)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "t%d", seq[0][i]);
	CHECK_INT(store_begin(st, false, &t), 0);
	CHECK_INT(cowatch_recent_in(t, "u0", 3, recent, got), 0);
	store_abort(t);
	CHECK_STR(got, want);
}

int main(void)
{
	char tmpl[] = "/tmp/reel-viewing-XXXXXX", dir[64], cmd[128], err[256];
	struct store *st = NULL;

	finishing();
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s/data", tmpl);
	CHECK_INT(
	    store_open(&st, dir, 16 << 20, origin_db_names, ORIGIN_DB_COUNT, err, sizeof(err)), 0);
	if (st) {
		cowatching(st);
		latest(st);
	}
	store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
