/*
 * Playback leases (origin/playback/leases.c) and subscription periods
 * (origin/plans/plans.c) over a real LMDB store in a temporary folder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema.h"
#include "store.h"
#include "playback/leases.h"
#include "plans/plans.h"
#include "test.h"

static char dir[64];

static struct store *open_store(void)
{
	struct store *st = NULL;
	char err[256];

	if (store_open(&st, dir, 16 << 20, origin_db_names, ORIGIN_DB_COUNT, err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	return st;
}

static void leases(void)
{
	struct lease_table *lt = lease_table_new(30);
	struct lease a, b, c, oldest;
	char ids[3000][LEASE_ID_LEN + 1];
	struct store *st;
	json_t *list;

	CHECK(lt != NULL);
	CHECK_INT(lease_acquire(lt, "u1", "movie", 1000, 2, &a), 0);
	CHECK_INT(strlen(a.id), LEASE_ID_LEN);
	CHECK_INT(lease_acquire(lt, "u1", "other", 1001, 2, &b), 0);
	CHECK(strcmp(a.id, b.id) != 0);
	CHECK_INT(lease_acquire(lt, "u1", "movie", 1002, 2, &oldest), -EUSERS);
	CHECK_STR(oldest.id, a.id); /* the oldest live lease is reported */
	CHECK_INT(lease_acquire(lt, "u2", "movie", 1002, 1, &c), 0); /* limits are per user */
	CHECK_INT(lease_heartbeat(lt, a.id, "u2", 1003, &oldest), -ENOENT); /* not u2's */
	CHECK_INT(lease_heartbeat(lt, a.id, "u1", 1025, &oldest), 0);
	CHECK(lease_live(lt, b.id, 1029));
	CHECK(!lease_live(lt, b.id, 1031));			     /* 30 s without heartbeat */
	CHECK_INT(lease_acquire(lt, "u1", "movie", 1031, 2, &b), 0); /* b's slot is free */
	CHECK_INT(lease_heartbeat(lt, c.id, "u2", 1040, &oldest), -ENOENT); /* c lapsed */
	CHECK(lease_live(lt, a.id, 1054));
	list = lease_list(lt, "u1", 1040);
	CHECK_INT(json_array_size(list), 2);
	json_decref(list);
	CHECK_INT(lease_release(lt, a.id, "u1"), 0);
	CHECK_INT(lease_release(lt, a.id, "u1"), -ENOENT);
	CHECK_INT(lease_end_user(lt, "u1"), 1);
	CHECK_INT(lease_table_count(lt), 0); /* c was dropped when its heartbeat came too late */
	CHECK_INT(lease_acquire(lt, "u3", "movie", 1050, 1, &c), 0);
	CHECK_INT(lease_table_sweep(lt, 1079), 0);
	CHECK_INT(lease_table_sweep(lt, 1080), 1);
	CHECK_INT(lease_table_count(lt), 0);

	/* many users: the table grows and keeps every lease findable */
	for (int i = 0; i < 3000; i++) {
		char user[16];

		snprintf(user, sizeof(user), "u%d", i);
		CHECK_INT(lease_acquire(lt, user, "movie", 2000, 1, &a), 0);
		memcpy(ids[i], a.id, sizeof(ids[i]));
	}
	CHECK_INT(lease_table_count(lt), 3000);
	for (int i = 0; i < 3000; i += 7)
		CHECK(lease_live(lt, ids[i], 2001));
	/* ids sort in the order made (3000 within a few milliseconds), so a commit appends */
	{
		int sorted = 1;

		for (int i = 1; i < 3000; i++)
			sorted &= strcmp(ids[i - 1], ids[i]) < 0;
		CHECK(sorted);
		CHECK(ids[0][0] == 'l' && strspn(ids[0] + 1, "0123456789abcdef") == LEASE_ID_LEN - 1);
	}

	/* saved in one transaction, loaded back after a "restart" */
	CHECK((st = open_store()) != NULL);
	CHECK_INT(lease_table_save(lt, st), 0);
	CHECK_INT(lease_release(lt, ids[5], "u5"), 0);
	CHECK_INT(lease_table_save(lt, st), 0);
	lease_table_free(lt);
	lt = lease_table_new(30);
	CHECK_INT(lease_table_load(lt, st, 2010), 0);
	CHECK_INT(lease_table_count(lt), 2999);
	CHECK(lease_live(lt, ids[6], 2010));
	CHECK(!lease_live(lt, ids[5], 2010));
	CHECK_INT(lease_acquire(lt, "u6", "movie", 2010, 1, &a), -EUSERS);
	lease_table_free(lt);
	lt = lease_table_new(30);
	CHECK_INT(lease_table_load(lt, st, 2040), 0); /* all lapsed by then */
	CHECK_INT(lease_table_count(lt), 0);
	lease_table_free(lt);
	store_free(st);
}

static void subscriptions(void)
{
	struct plan p = {.name = "basic", .max_streams = 2, .max_height = 720, .period_days = 30};
	struct subscription s = {.plan = "basic", .started = 0, .period_end = 30 * 86400};
	struct store *st = open_store();
	struct store_txn *t;
	struct plan got;
	const int64_t day = 86400;

	CHECK(st != NULL);
	CHECK_INT(store_begin(st, true, &t), 0);
	CHECK_INT(plan_put(t, &p), 0);
	CHECK_INT(subscription_put(t, "u1", &s), 0);
	CHECK_INT(subscription_get(t, "u1", 10 * day, &s), 0);
	CHECK_INT(s.state, SUB_ACTIVE);
	CHECK_INT(s.period_end, 30 * day);
	/* renewal is computed on read: at day 75 the third period runs to day 90 */
	CHECK_INT(subscription_get(t, "u1", 75 * day, &s), 0);
	CHECK_INT(s.state, SUB_ACTIVE);
	CHECK_INT(s.period_end, 90 * day);
	CHECK_INT(plans_entitled(t, "u1", 75 * day, NULL, &got), 0);
	CHECK_INT(got.max_height, 720);
	/* cancelled: active to the end of the period it is in, then ended */
	s.cancel_at_period_end = true;
	CHECK_INT(subscription_put(t, "u1", &s), 0);
	CHECK_INT(subscription_get(t, "u1", 89 * day, &s), 0);
	CHECK_INT(s.state, SUB_ACTIVE);
	CHECK_INT(subscription_get(t, "u1", 90 * day, &s), 0);
	CHECK_INT(s.state, SUB_ENDED);
	CHECK_INT(plans_entitled(t, "u1", 90 * day, NULL, &got), -EACCES);
	/* a grant ends at its time and does not renew */
	s = (struct subscription){.plan = "basic", .period_end = 7 * day, .grant = true};
	CHECK_INT(subscription_put(t, "u2", &s), 0);
	CHECK_INT(plans_entitled(t, "u2", 6 * day, NULL, &got), 0);
	CHECK_INT(plans_entitled(t, "u2", 7 * day, NULL, &got), -EACCES);
	CHECK_INT(plans_entitled(t, "nobody", 0, NULL, &got), -EACCES);
	CHECK_INT(store_commit(t), 0);
	store_free(st);
}

/* Through the plans service's cache: every subscription change shows at once. */
static void subscriptions_cached(void)
{
	struct plan basic = {
	    .name = "basic", .max_streams = 2, .max_height = 720, .period_days = 30};
	struct plan big = {.name = "big", .max_streams = 4, .max_height = 2160, .period_days = 30};
	const int64_t day = 86400;
	struct store *st = open_store();
	struct plans *pl = st ? plans_new(st) : NULL;
	struct subscription s;
	struct store_txn *t;
	struct plan got;
	bool created;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_INT(store_begin(st, true, &t), 0);
	CHECK_INT(plan_put(t, &basic), 0);
	CHECK_INT(plan_put(t, &big), 0);
	CHECK_INT(store_commit(t), 0);

#define ENTITLED(uid, now, want)                                                                   \
	do {                                                                                       \
		CHECK_INT(store_begin(st, false, &t), 0);                                          \
		CHECK_INT(plans_entitled(t, uid, now, pl, &got), want);                            \
		store_abort(t);                                                                    \
	} while (0)

	ENTITLED("c1", 0, -EACCES);
	CHECK_INT(plans_subscribe(pl, "c1", "basic", 0, &s, &got, &created), 0);
	ENTITLED("c1", 1, 0); /* read, then cached */
	ENTITLED("c1", 2, 0);
	CHECK_INT(got.max_height, 720);
	ENTITLED("c1", 45 * day, 0); /* renewed on read, from the cached record too */

	/* another plan at once */
	CHECK_INT(plans_subscribe(pl, "c1", "big", 3, &s, &got, &created), 0);
	ENTITLED("c1", 4, 0);
	CHECK_INT(got.max_height, 2160);

	/* cancelled: active to the end of its period, then refused */
	CHECK_INT(plans_cancel(pl, "c1", 5, &s), 0);
	ENTITLED("c1", 30 * day - 1, 0);
	ENTITLED("c1", 30 * day, -EACCES);

	/* a grant replaces it at once, and ends at its time */
	CHECK_INT(plans_grant(pl, "c1", "basic", 40, 10, &s), 0);
	ENTITLED("c1", 11, 0);
	CHECK_INT(got.max_height, 720);
	ENTITLED("c1", 10 + 40 * day, -EACCES);
#undef ENTITLED
	plans_free(pl);
	store_free(st);
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/reel-leases-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	leases();
	subscriptions();
	subscriptions_cached();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
