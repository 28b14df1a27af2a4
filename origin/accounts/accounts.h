/*
 * Accounts, sessions and login throttling, over the origin's store
 * (tables.h holds the records).
 *
 * A user id is "u" and 16 lowercase hex digits (64 random bits); it names
 * the user in stream tokens and licenses, where an email must not appear.
 * A session's last use is written at most every idle timeout / 8 (60 s at
 * most), and not by the request that finds it stale: the touch is queued
 * and written by the next group commit of leases (main.c), off the loop, so
 * no request waits on the store's writer for it.
 *
 * Passwords are hashed with argon2id; session tokens are 32 random bytes,
 * handed out once as base64url (43 characters) and kept only as their hash.
 * Hashing takes ~20 ms at the minimum parameters, so signup, login and a
 * password change go in steps and the caller may run the hashing steps on
 * worker threads (pwhash_pool.h):
 *
 *   signup:          accounts_password_hash  -> accounts_create
 *   login:           accounts_login_lookup   -> accounts_password_check -> accounts_login_session
 *   password change: accounts_login_lookup   -> accounts_password_check and
 *                    accounts_password_hash  -> accounts_password_set -> accounts_login_session
 *
 * accounts_password_hash() and accounts_password_check() touch no store and
 * nothing of A but its parameters and dummy hash, so they may run on any
 * thread, concurrently, while A lives.  Every other call is for the thread
 * that owns the store (the event loop).
 *
 * Failed logins are throttled per account and per client address
 * (throttle.h): past 5 failures of an account (20 of an address) each
 * further one doubles the wait, 2 s, 4 s, ... up to 15 minutes.  A device
 * that once logged in to the account holds a device token (OWASP's device
 * cookie): its logins skip the account's count, which an attacker can run
 * up, and are counted per device instead (5 free).  Signups count per
 * address too (signups_per_address free).
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_ACCOUNTS_H
#define ORIGIN_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accounts/credentials.h"

struct store;
struct store_txn;

#define ACCOUNTS_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */
#define ACCOUNTS_UID_LEN   17 /* "u" + 16 hex digits */

/* A user, as a session or a lookup finds it. */
struct accounts_user {
	char id[ACCOUNTS_UID_LEN + 1];
	char email[ORIGIN_EMAIL_MAX + 1];
	int64_t created;
	bool disabled;
};

struct accounts_params {
	uint32_t m_kib, t, p;	       /* argon2id memory (KiB), passes, lanes */
	int64_t ttl_s, idle_s;	       /* session lifetime and idle timeout */
	unsigned password_strength;    /* zxcvbn's score a new password needs, 0..4 */
	unsigned signups_per_address;  /* signups an address may try before it waits */
	const uint8_t *master;	       /* 32 bytes the device tokens' key comes from (copied) */
};

struct accounts;

/*
 * Create the account service over ST (not owned; it must outlive the
 * service).  Computes the dummy hash used for unknown emails, so it takes one
 * argon2id run.  Returns NULL with errno set on failure; free with
 * accounts_free().
 */
struct accounts *accounts_new(struct store *st, const struct accounts_params *p);

/* Free A.  NULL is a no-op. */
void accounts_free(struct accounts *a);

/*
 * Hash PWD[0..LEN) with a fresh salt (any thread).  Returns 0 with *HASH the
 * encoded argon2id string (malloc'd: the caller frees it), -ENOMEM or -EIO.
 */
int accounts_password_hash(const struct accounts *a, const char *pwd, size_t len, char **hash);

/*
 * Check PWD[0..LEN) against HASH from accounts_login_lookup (any thread;
 * HASH NULL: against the dummy hash, and fail).  Returns 0 when it matches,
 * else -EACCES.
 */
int accounts_password_check(const struct accounts *a, const char *hash, const char *pwd,
			    size_t len);

/*
 * Create the account EMAIL (allowed by accounts_password_policy) with HASH
 * (from accounts_password_hash; copied) at NOW.  Returns 0, -EEXIST when
 * the email is taken, or a negative errno.
 */
int accounts_create(struct accounts *a, const char *email, const char *hash, int64_t now);

/*
 * The hash a login of EMAIL is checked against: returns 0 with *HASH a copy
 * of the account's (malloc'd: the caller frees it), or with *HASH NULL when
 * there is no such account or it is disabled (the check then runs against
 * the dummy hash: same time, same -EACCES); or a negative errno.
 */
int accounts_login_lookup(struct accounts *a, const char *email, char **hash);

/*
 * Open a session for EMAIL, whose password matched HASH, at NOW, unless the
 * account has meanwhile been disabled, removed or given another password
 * (-EACCES).  Returns 0 with the token (43 characters, NUL-terminated; the
 * caller wipes it when sent) in TOKEN and its expiry in *EXPIRES, -EACCES,
 * or a negative errno.
 */
int accounts_login_session(struct accounts *a, const char *email, const char *hash, int64_t now,
			   char token[ACCOUNTS_TOKEN_LEN + 1], int64_t *expires);

/*
 * Give EMAIL's account the password hash HASH (copied), if its hash is still
 * OLD (the one the current password was checked against) and it is not
 * disabled, and end every session of the account, in one transaction.
 * Returns 0, -ESTALE (changed or disabled meanwhile), -ENOENT, or a negative
 * errno.
 */
int accounts_password_set(struct accounts *a, const char *email, const char *old, const char *hash);

/*
 * Find the session of TOKEN[0..LEN) at NOW and record the use.  Returns 0
 * with the user in *U, -EACCES when the token is malformed, unknown, expired
 * or idle too long (an ended session is deleted) or the account is
 * disabled, or a negative errno.
 */
int accounts_session_use(struct accounts *a, const char *token, size_t len, int64_t now,
			 struct accounts_user *u);

/* End the session of TOKEN[0..LEN).  Returns 0, -EACCES when there is none, or a negative errno. */
int accounts_logout(struct accounts *a, const char *token, size_t len);

/*
 * Session touches: the last uses accounts_session_use() queued.  Take them
 * on the loop (always 0, with *OUT NULL when there are none), write
 * them in a write transaction on any thread (a session that ended
 * meanwhile is skipped; a last use is never moved back), then free them.
 * Touches that fail to commit are dropped: the store keeps the use before,
 * at most one idle timeout / 8 older.
 */
struct session_touches;
int accounts_touches_take(struct accounts *a, struct session_touches **out);
int accounts_touches_put(const struct session_touches *st, struct store_txn *t);
void accounts_touches_free(struct session_touches *st);

/*
 * Look up the account of EMAIL_OR_ID (an email, normalised here, or a user
 * id), in T or (accounts_find) in a read transaction of its own.  Returns 0
 * with *U, -ENOENT, or a negative errno.
 */
int accounts_find_in(struct store_txn *t, const char *email_or_id, struct accounts_user *u);
int accounts_find(struct accounts *a, const char *email_or_id, struct accounts_user *u);

/*
 * Disable (DISABLE true) or enable the account of user id UID.  Disabling
 * deletes every session of the account at once.  Returns 0, -ENOENT, or a
 * negative errno.
 */
int accounts_set_disabled(struct accounts *a, const char *uid, bool disable);

/*
 * The accounts in email order, skipping OFFSET and at most LIMIT: *USERS
 * (malloc'd: the caller frees it; NULL when none) holds *N of them, and
 * *TOTAL counts every account.  Returns 0 or a negative errno (-EIO: a
 * damaged record).
 */
int accounts_list(struct accounts *a, size_t offset, size_t limit, struct accounts_user **users,
		  size_t *n, size_t *total);

/*
 * Is the new password PWD (NUL-terminated) of EMAIL hard enough to guess
 * at A's password_strength (accounts_password_strength())?  0, or -EINVAL
 * with *WHY.  Any thread, like accounts_password_hash().
 */
int accounts_password_guessable(const struct accounts *a, const char *email, const char *pwd,
				struct origin_reason *why);

#define ACCOUNTS_DEVICE_ID_LEN	  16
#define ACCOUNTS_DEVICE_TOKEN_LEN 43 /* base64url of the id and 16 bytes of HMAC */

/*
 * A new device token for EMAIL's account into TOKEN (NUL-terminated): the
 * device that logged in now holds it.  0 or -EIO.
 */
int accounts_device_token(struct accounts *a, const char *email,
			  char token[ACCOUNTS_DEVICE_TOKEN_LEN + 1]);

/*
 * Is TOKEN[0..LEN) a device token of EMAIL's account?  True with its id in
 * ID, false for anything else.
 */
bool accounts_device_of(const struct accounts *a, const char *email, const char *token,
			size_t len, uint8_t id[ACCOUNTS_DEVICE_ID_LEN]);

/* Who tries a password: the account, the device's id (NULL: no valid token), the address. */
struct accounts_attempt {
	const char *email;
	const uint8_t *device; /* ACCOUNTS_DEVICE_ID_LEN bytes, or NULL */
	const void *addr;      /* ALEN bytes, or NULL */
	size_t alen;
};

/*
 * Login throttling, for the loop's thread.  accounts_throttled(): the
 * seconds a password check by W must still wait at NOW (the device's count
 * for a device, else the account's; and the address's); 0 when it may run.
 * accounts_check_started(): a check by W starts at NOW; it counts as a
 * failure of the device or account at once, so that checks in flight
 * together cannot get past the throttle.  accounts_check_done(): the check
 * ended; a pass clears the account and the device, a failure also counts
 * for the address.
 */
unsigned accounts_throttled(struct accounts *a, const struct accounts_attempt *w, int64_t now);
void accounts_check_started(struct accounts *a, const struct accounts_attempt *w, int64_t now);
void accounts_check_done(struct accounts *a, const struct accounts_attempt *w, bool passed,
			 int64_t now);

/*
 * A well-formed signup from the address ADDR[0..ALEN) at NOW: the seconds
 * it must still wait (0: it may go on, and it is counted).
 */
unsigned accounts_signup_throttled(struct accounts *a, const void *addr, size_t alen, int64_t now);

#endif
