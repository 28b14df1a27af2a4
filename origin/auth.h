/*
 * Accounts and sessions in the origin's LMDB store.
 *
 *   accounts: normalised email -> {"hash": argon2id encoded string, "created": unix s}
 *   sessions: SHA-256(token bytes) -> {"email", "created", "expires", "last"} (unix s)
 *
 * Passwords are hashed with argon2id; session tokens are 32 random bytes,
 * handed out once as base64url (43 characters) and kept only as their hash.
 * Hashing runs on the caller's thread (~20 ms at the minimum parameters).
 */
#ifndef ORIGIN_AUTH_H
#define ORIGIN_AUTH_H

#include <stdint.h>

#include "creds.h"
#include "store.h"

enum { ORIGIN_DB_ACCOUNTS, ORIGIN_DB_SESSIONS, ORIGIN_DB_COUNT };

/* The store's database names, indexed by ORIGIN_DB_*. */
extern const char *const origin_db_names[ORIGIN_DB_COUNT];

#define ORIGIN_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */

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
 * Create the account C (already checked by origin_creds_policy) at NOW.
 * Returns 0, -EEXIST when the email is taken, or a negative errno.
 */
int origin_signup(struct origin_auth *a, const struct origin_creds *c, int64_t now);

/*
 * Check C's password and open a session.  An unknown email is verified
 * against a dummy hash, so it takes as long as a wrong password and gives the
 * same -EACCES.  Returns 0 with the token in TOKEN (NUL-terminated) and its
 * expiry in *EXPIRES, -EACCES, or a negative errno.
 */
int origin_login(struct origin_auth *a, const struct origin_creds *c, int64_t now,
		 char token[ORIGIN_TOKEN_LEN + 1], int64_t *expires);

/*
 * Find the session of TOKEN[0..LEN) at NOW and record the use.  Returns 0
 * with the account's email and creation time, -EACCES when the token is
 * malformed, unknown, expired or idle too long (an ended session is
 * deleted), or a negative errno.
 */
int origin_session_use(struct origin_auth *a, const char *token, size_t len, int64_t now,
		       char email[ORIGIN_EMAIL_MAX + 1], int64_t *created);

/* End the session of TOKEN[0..LEN).  Returns 0, -EACCES when there is none, or a negative errno. */
int origin_logout(struct origin_auth *a, const char *token, size_t len);

#endif
