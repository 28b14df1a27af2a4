/*
 * Sessions (origin/accounts/accounts.c) over a real LMDB store in a
 * temporary folder: a session its cache holds is refused at once after a
 * logout, a disable or a password change, and at its expiry or idle timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema.h"
#include "store.h"
#include "accounts/accounts.h"
#include "test.h"

#define TTL  3600
#define IDLE 800 /* the last use is written every 60 s */

static char dir[64];

static struct accounts *open_accounts(struct store **st)
{
	static const uint8_t master[32] = {1};
	struct accounts_params p = {.m_kib = 8,
				    .t = 1,
				    .p = 1,
				    .ttl_s = TTL,
				    .idle_s = IDLE,
				    .password_strength = 0,
				    .signups_per_address = 5,
				    .master = master};
	char err[256];

	if (store_open(st, dir, 16 << 20, origin_db_names, ORIGIN_DB_COUNT, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return accounts_new(*st, &p);
}

/* A new account EMAIL with password PWD: 0 with its hash in *HASH (malloc'd). */
static int make_account(struct accounts *a, const char *email, const char *pwd, char **hash)
{
	int rc = accounts_password_hash(a, pwd, strlen(pwd), hash);

	return rc ? rc : accounts_create(a, email, *hash, 1000);
}

/* A session of EMAIL (password hash HASH) opened at NOW into TOKEN: 0 or a negative errno. */
static int login(struct accounts *a, const char *email, const char *hash, int64_t now,
		 char token[ACCOUNTS_TOKEN_LEN + 1])
{
	int64_t expires;

	return accounts_login_session(a, email, hash, now, token, &expires);
}

static int use(struct accounts *a, const char *token, int64_t now, struct accounts_user *u)
{
	return accounts_session_use(a, token, strlen(token), now, u);
}

static void cached_sessions(struct accounts *a)
{
	char t1[ACCOUNTS_TOKEN_LEN + 1], t2[ACCOUNTS_TOKEN_LEN + 1], t3[ACCOUNTS_TOKEN_LEN + 1];
	char *hash = NULL, *hash2 = NULL;
	struct accounts_user u, v;

	CHECK_INT(make_account(a, "ann@example.com", "first password", &hash), 0);
	CHECK_INT(login(a, "ann@example.com", hash, 1000, t1), 0);
	CHECK_INT(login(a, "ann@example.com", hash, 1000, t2), 0);

	/* the first use reads the store, the next ones the cache: the same user */
	CHECK_INT(use(a, t1, 1001, &u), 0);
	CHECK_STR(u.email, "ann@example.com");
	CHECK(!u.disabled);
	CHECK_INT(use(a, t1, 1002, &v), 0);
	CHECK(memcmp(&u, &v, sizeof(u)) == 0);
	CHECK_INT(use(a, t2, 1002, &v), 0);

	/* a logout refuses the cached session at once, and only that one */
	CHECK_INT(accounts_logout(a, t1, strlen(t1)), 0);
	CHECK_INT(use(a, t1, 1003, &v), -EACCES);
	CHECK_INT(accounts_logout(a, t1, strlen(t1)), -EACCES);
	CHECK_INT(use(a, t2, 1003, &v), 0);

	/* a disable ends every session at once; enabling again does not bring them back */
	CHECK_INT(use(a, t2, 1004, &v), 0);
	CHECK_INT(accounts_set_disabled(a, u.id, true), 0);
	CHECK_INT(use(a, t2, 1004, &v), -EACCES);
	CHECK_INT(login(a, "ann@example.com", hash, 1005, t3), -EACCES);
	CHECK_INT(accounts_set_disabled(a, u.id, false), 0);
	CHECK_INT(use(a, t2, 1005, &v), -EACCES);

	/* a password change ends the sessions opened before it */
	CHECK_INT(login(a, "ann@example.com", hash, 1006, t3), 0);
	CHECK_INT(use(a, t3, 1006, &v), 0);
	CHECK_INT(accounts_password_hash(a, "second password", 15, &hash2), 0);
	CHECK_INT(accounts_password_set(a, "ann@example.com", hash, hash2), 0);
	CHECK_INT(use(a, t3, 1007, &v), -EACCES);
	free(hash);
	free(hash2);
}

static void session_times(struct accounts *a)
{
	char t1[ACCOUNTS_TOKEN_LEN + 1], t2[ACCOUNTS_TOKEN_LEN + 1];
	struct accounts_user u;
	char *hash = NULL;

	CHECK_INT(make_account(a, "bob@example.com", "bob's password", &hash), 0);
	CHECK_INT(login(a, "bob@example.com", hash, 10000, t1), 0);
	CHECK_INT(login(a, "bob@example.com", hash, 10000, t2), 0);

	/* idle: used at 10001 (cached), not again until past the idle timeout */
	CHECK_INT(use(a, t1, 10001, &u), 0);
	CHECK_INT(use(a, t1, 10000 + IDLE - 1, &u), 0); /* touched: the last use is now */
	CHECK_INT(use(a, t1, 10000 + 2 * IDLE - 2, &u), 0);
	CHECK_INT(use(a, t1, 10000 + 3 * IDLE - 2, &u), -EACCES); /* idle too long: ended */
	CHECK_INT(use(a, t1, 10000 + 3 * IDLE - 2, &u), -EACCES);

	/* expiry: used every 60 s, cached between the touches, refused at TTL */
	for (int64_t now = 10001; now < 10000 + TTL; now += 59)
		if (use(a, t2, now, &u) != 0)
			break;
	CHECK_INT(use(a, t2, 10000 + TTL - 1, &u), 0);
	CHECK_INT(use(a, t2, 10000 + TTL, &u), -EACCES);

	/* malformed and unknown tokens */
	CHECK_INT(accounts_session_use(a, t1, 10, 10001, &u), -EACCES);
	t1[0] = t1[0] == 'A' ? 'B' : 'A';
	CHECK_INT(use(a, t1, 10001, &u), -EACCES);
	free(hash);
}

/* Write the touches A queued in a transaction of their own, as the group commit does. */
static int write_touches(struct accounts *a, struct store *st)
{
	struct session_touches *tt = NULL;
	struct store_txn *t = NULL;
	int rc = accounts_touches_take(a, &tt);

	if (rc == 0 && (rc = store_begin(st, true, &t)) == 0)
		rc = store_finish(t, accounts_touches_put(tt, t));
	accounts_touches_free(tt);
	return rc;
}

/*
 * Sessions are what the store holds: a second service over the same store
 * sees the touches once they are written; one never written is lost (the
 * session's last use is the one before), and one of a session that ended
 * before its write is skipped.
 */
static void reopened(void)
{
	char t[ACCOUNTS_TOKEN_LEN + 1], t2[ACCOUNTS_TOKEN_LEN + 1], t3[ACCOUNTS_TOKEN_LEN + 1];
	struct session_touches *tt = NULL;
	struct store *st = NULL;
	struct accounts *a;
	struct accounts_user u;
	char *hash = NULL;

	CHECK((a = open_accounts(&st)) != NULL);
	if (!a)
		return;
	CHECK_INT(make_account(a, "cy@example.com", "cy's password", &hash), 0);
	CHECK_INT(login(a, "cy@example.com", hash, 20000, t), 0);
	CHECK_INT(login(a, "cy@example.com", hash, 20000, t2), 0);
	CHECK_INT(use(a, t, 20000 + IDLE - 1, &u), 0); /* queued: last = 20799 */
	CHECK_INT(write_touches(a, st), 0);
	CHECK_INT(use(a, t2, 20000 + IDLE - 1, &u), 0); /* queued, never written */
	CHECK_INT(accounts_touches_take(a, &tt), 0);
	CHECK(tt != NULL);
	accounts_touches_free(tt);
	CHECK_INT(accounts_touches_take(a, &tt), 0);
	CHECK(tt == NULL); /* nothing queued since */
	accounts_free(a);
	store_free(st);

	CHECK((a = open_accounts(&st)) != NULL);
	CHECK_INT(use(a, t, 20000 + 2 * IDLE - 2, &u), 0);
	CHECK_INT(use(a, t2, 20000 + 2 * IDLE - 2, &u), -EACCES); /* idle since 20000 */
	CHECK_INT(login(a, "cy@example.com", hash, 21600, t3), 0);
	CHECK_INT(use(a, t3, 21600 + IDLE - 1, &u), 0); /* queued */
	CHECK_INT(accounts_logout(a, t3, strlen(t3)), 0);
	CHECK_INT(write_touches(a, st), 0); /* the ended session's touch is skipped */
	CHECK_INT(use(a, t3, 21600 + IDLE, &u), -EACCES);
	accounts_free(a);
	store_free(st);
	free(hash);
}

int main(void)
{
	struct store *st = NULL;
	struct accounts *a;
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/reel-sessions-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	CHECK((a = open_accounts(&st)) != NULL);
	if (a) {
		cached_sessions(a);
		session_times(a);
	}
	accounts_free(a);
	store_free(st);
	reopened();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
