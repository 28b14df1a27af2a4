/*
 * Accounts and sessions in the origin's LMDB store (tables.h).
 *
 * A user id is "u" and 16 lowercase hex digits (64 random bits); it names
 * the user in stream tokens and licenses, where an email must not appear.
 * A session's last use is written at most every idle timeout / 8 (60 s at most), so most requests
 * read the store without writing it.
 *
 * Passwords are hashed with argon2id; session tokens are 32 random bytes,
 * handed out once as base64url (43 characters) and kept only as their hash.
 * Hashing runs on the caller's thread (~20 ms at the minimum parameters);
 * the steps below let a caller move it to worker threads (hashpool.h).
 */
#ifndef ORIGIN_AUTH_H
#define ORIGIN_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "accounts/creds.h"
#include "store.h"

#define ORIGIN_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */
#define ORIGIN_UID_LEN	 17 /* "u" + 16 hex digits */

/* A signed-in user. */
struct origin_user {
	char id[ORIGIN_UID_LEN + 1];
	char email[ORIGIN_EMAIL_MAX + 1];
	int64_t created;
};

struct origin_auth_params {
	uint32_t m_kib, t, p;  /* argon2id memory (KiB), passes, lanes */
	int64_t ttl_s, idle_s; /* session lifetime and idle timeout */
};

struct origin_auth;

/*
 * Create the account service over ST (not owned; it must outlive the
 * service).  Computes the dummy hash used for unknown emails, so it takes one
 * argon2id run.  Returns NULL with errno set on failure.
 */
struct origin_auth *origin_auth_new(struct store *st, const struct origin_auth_params *p);

/* Free A.  NULL is a no-op. */
void origin_auth_free(struct origin_auth *a);

/*
 * Signup and login go in steps, so that the argon2id work can run on
 * another thread: origin_password_hash() and origin_password_check()
 * touch no store and nothing of A but its parameters and dummy hash, so they
 * may run on any thread, concurrently, while A lives.  The other steps use
 * the store, on the thread that owns it.
 *
 *   signup: origin_password_hash  -> origin_signup_hashed
 *   login:  origin_login_lookup   -> origin_password_check -> origin_login_session
 */

/*
 * Hash PWD[0..LEN) with a fresh salt.  Returns 0 with *HASH the encoded
 * argon2id string (the caller frees it), -ENOMEM or -EIO.
 */
int origin_password_hash(const struct origin_auth *a, const char *pwd, size_t len, char **hash);

/*
 * Create the account EMAIL (already checked by origin_creds_policy) with
 * HASH (from origin_password_hash) at NOW.  Returns 0, -EEXIST when the
 * email is taken, or a negative errno.
 */
int origin_signup_hashed(struct origin_auth *a, const char *email, const char *hash, int64_t now);

/*
 * The hash a login of EMAIL is checked against: returns 0 with *HASH a copy
 * of the account's (the caller frees it), or with *HASH NULL when there is no
 * such account or it is disabled (the check then runs against the dummy
 * hash: same time, same -EACCES); or a negative errno.
 */
int origin_login_lookup(struct origin_auth *a, const char *email, char **hash);

/*
 * Check PWD[0..LEN) against HASH from origin_login_lookup (NULL: against the
 * dummy hash, and fail).  Returns 0 when it matches, else -EACCES.
 */
int origin_password_check(const struct origin_auth *a, const char *hash, const char *pwd,
			  size_t len);

/*
 * Open a session for EMAIL, whose password matched HASH, at NOW, unless the
 * account has meanwhile been disabled, removed or given another password
 * (-EACCES).  Returns 0 with the token (43 characters, NUL-terminated) in
 * TOKEN and its expiry in *EXPIRES, -EACCES, or a negative errno.
 */
int origin_login_session(struct origin_auth *a, const char *email, const char *hash, int64_t now,
			 char token[ORIGIN_TOKEN_LEN + 1], int64_t *expires);

/*
 * Give EMAIL's account the password hash HASH, if its hash is still OLD
 * (the one the current password was checked against) and it is not
 * disabled, and end every session of the account, in one transaction.
 * Returns 0, -EACCES (changed or disabled meanwhile), -ENOENT, or a
 * negative errno.
 *
 *   password change: origin_login_lookup -> origin_password_check and
 *                    origin_password_hash -> origin_password_set
 */
int origin_password_set(struct origin_auth *a, const char *email, const char *old,
			const char *hash);

/*
 * Find the session of TOKEN[0..LEN) at NOW and record the use.  Returns 0
 * with the user in *U, -EACCES when the token is malformed, unknown, expired
 * or idle too long (an ended session is deleted) or the account is
 * disabled, or a negative errno.
 */
int origin_session_use(struct origin_auth *a, const char *token, size_t len, int64_t now,
		       struct origin_user *u);

/*
 * Look up the account of EMAIL_OR_ID (an email, or a user id) in T.
 * Returns 0 with *U (and *DISABLED, may be NULL), -ENOENT, or a negative errno.
 */
int origin_user_find(struct store_txn *t, const char *email_or_id, struct origin_user *u,
		     bool *disabled);

/*
 * Disable (DISABLE true) or enable the account of user id UID.  Disabling
 * deletes every session of the account at once.  Returns 0, -ENOENT, or a
 * negative errno.
 */
int origin_user_set_disabled(struct origin_auth *a, const char *uid, bool disable);

/* End the session of TOKEN[0..LEN).  Returns 0, -EACCES when there is none, or a negative errno. */
int origin_logout(struct origin_auth *a, const char *token, size_t len);

#endif
