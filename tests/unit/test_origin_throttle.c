/*
 * Login throttling (origin/accounts/throttle.c): the backoff, and that a new
 * key never takes a live key's slot, whatever it collides with.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "accounts/throttle.h"
#include "test.h"

static void backoff(void)
{
	struct throttle *t = throttle_new(1024, 2, 900);

	CHECK(t != NULL);
	CHECK_INT(throttle_failure(t, "a", 1, 100), 0);
	CHECK_INT(throttle_failure(t, "a", 1, 100), 0);
	CHECK_INT(throttle_wait(t, "a", 1, 100), 0); /* two free failures */
	CHECK_INT(throttle_failure(t, "a", 1, 100), 0);
	CHECK_INT(throttle_wait(t, "a", 1, 100), 2);
	CHECK_INT(throttle_failure(t, "a", 1, 102), 0);
	CHECK_INT(throttle_wait(t, "a", 1, 102), 4);
	CHECK_INT(throttle_wait(t, "b", 1, 102), 0); /* keys are apart */
	for (int i = 0; i < 30; i++)
		throttle_failure(t, "a", 1, 200);
	CHECK_INT(throttle_wait(t, "a", 1, 200), 900); /* capped */
	throttle_clear(t, "a", 1);
	CHECK_INT(throttle_wait(t, "a", 1, 200), 0);
	CHECK_INT(throttle_failure(t, "c", 1, 0), 0);
	CHECK_INT(throttle_failure(t, "c", 1, 0), 0);
	CHECK_INT(throttle_failure(t, "c", 1, 0), 0);
	CHECK_INT(throttle_wait(t, "c", 1, 1), 1);
	/* a day later the failures are forgotten: the next one is free again */
	CHECK_INT(throttle_failure(t, "c", 1, THROTTLE_FORGET + 10), 0);
	CHECK_INT(throttle_wait(t, "c", 1, THROTTLE_FORGET + 10), 0);
	throttle_free(t);
	CHECK(throttle_new(12, 2, 900) == NULL); /* not a multiple of the window */
	throttle_free(NULL);
}

/* One window of THROTTLE_PROBE slots: every key collides with every other. */
static void no_eviction(void)
{
	struct throttle *t = throttle_new(THROTTLE_PROBE, 0, 900);
	char key[16];

	for (int i = 0; i < THROTTLE_PROBE; i++) {
		snprintf(key, sizeof(key), "victim%d", i);
		CHECK_INT(throttle_failure(t, key, strlen(key), 1000), 0);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "attacker%d", i);
		CHECK(throttle_failure(t, key, strlen(key), 1000) == -ENOSPC);
	}
	for (int i = 0; i < THROTTLE_PROBE; i++) {
		snprintf(key, sizeof(key), "victim%d", i);
		CHECK_INT(throttle_wait(t, key, strlen(key), 1000), 2); /* still counted */
	}
	/* once a victim's failures are forgotten, its slot is free for another key */
	CHECK_INT(throttle_failure(t, "late", 4, 1000 + THROTTLE_FORGET), 0);
	CHECK_INT(throttle_wait(t, "late", 4, 1000 + THROTTLE_FORGET), 2);
	throttle_free(t);
}

/*
 * Two tables place the same keys differently: the hash is keyed per table.
 * In table A (two windows) find keys that fill the window of one more key
 * F; table B takes all of them and F unless its key too puts all nine in
 * one window (1 in 256), so a few tries make a false failure negligible.
 */
static void keyed(void)
{
	int differ = 0;

	for (int round = 0; round < 4 && !differ; round++) {
		struct throttle *a = throttle_new(THROTTLE_PROBE * 2, 0, 900);
		struct throttle *b = throttle_new(THROTTLE_PROBE * 2, 0, 900);
		char keys[2 * THROTTLE_PROBE + 1][16], same[THROTTLE_PROBE][16];
		int n = 0, m = 0, ok = 1;

		CHECK(a && b);
		if (!a || !b)
			return;
		/* the first key A cannot take is F = keys[n] */
		for (; n < 2 * THROTTLE_PROBE + 1; n++) {
			snprintf(keys[n], sizeof(keys[n]), "r%dk%d", round, n);
			if (throttle_failure(a, keys[n], strlen(keys[n]), 1) != 0)
				break;
		}
		CHECK(n < 2 * THROTTLE_PROBE + 1); /* two windows of 8 cannot hold 17 keys */
		/* the keys of F's window: those whose absence lets F in */
		for (int i = 0; i < n && m < THROTTLE_PROBE; i++) {
			throttle_clear(a, keys[i], strlen(keys[i]));
			if (throttle_failure(a, keys[n], strlen(keys[n]), 1) == 0) {
				memcpy(same[m++], keys[i], sizeof(same[0]));
				throttle_clear(a, keys[n], strlen(keys[n]));
			}
			throttle_failure(a, keys[i], strlen(keys[i]), 1);
		}
		CHECK_INT(m, THROTTLE_PROBE);
		for (int i = 0; i < m; i++)
			ok &= throttle_failure(b, same[i], strlen(same[i]), 1) == 0;
		differ = ok && throttle_failure(b, keys[n], strlen(keys[n]), 1) == 0;
		throttle_free(a);
		throttle_free(b);
	}
	CHECK(differ);
}

int main(void)
{
	backoff();
	no_eviction();
	keyed();
	return test_done();
}
