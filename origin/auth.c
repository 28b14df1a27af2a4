/*
 * Accounts (argon2id) and sessions (random tokens stored as SHA-256) over
 * the LMDB store; see auth.h for the record layout.
 */
#include "auth.h"

#include <argon2.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "paseto.h"

#define SALT_LEN  16
#define HASH_LEN  32
#define TOKEN_RAW 32

const char *const origin_db_names[ORIGIN_DB_COUNT] = {"accounts", "sessions"};

struct origin_auth {
	struct store *st;
	struct origin_auth_params p;
	char *dummy; /* an encoded hash of a random password, for unknown emails */
};

/* Hash PWD[0..LEN) with a fresh salt.  Returns a malloc'd encoded string or NULL (errno). */
static char *hash_password(const struct origin_auth_params *p, const void *pwd, size_t len)
{
	uint8_t salt[SALT_LEN];
	size_t cap = argon2_encodedlen(p->t, p->m_kib, p->p, SALT_LEN, HASH_LEN, Argon2_id) + 1;
	char *enc = malloc(cap);

	if (!enc)
		return NULL;
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    argon2id_hash_encoded(p->t, p->m_kib, p->p, pwd, len, salt, SALT_LEN, HASH_LEN, enc,
				  cap) != ARGON2_OK) {
		free(enc);
		errno = EIO;
		return NULL;
	}
	return enc;
}

struct origin_auth *origin_auth_new(struct store *st, const struct origin_auth_params *p)
{
	struct origin_auth *a = calloc(1, sizeof(*a));
	uint8_t junk[24];

	if (!a)
		return NULL;
	a->st = st;
	a->p = *p;
	if (RAND_bytes(junk, sizeof(junk)) != 1 ||
	    !(a->dummy = hash_password(p, junk, sizeof(junk)))) {
		free(a);
		errno = errno ? errno : EIO;
		return NULL;
	}
	return a;
}

void origin_auth_free(struct origin_auth *a)
{
	if (!a)
		return;
	free(a->dummy);
	free(a);
}

/* Serialise OBJ (consumed) and put it under KEY in DB. */
static int put_json(struct store_txn *t, unsigned db, const void *key, size_t klen, json_t *obj,
		    bool nooverwrite)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	int rc = text ? store_put(t, db, key, klen, text, strlen(text), nooverwrite) : -ENOMEM;

	free(text);
	json_decref(obj);
	return rc;
}

/* Get KEY from DB as a JSON object (the caller decrefs). */
static int get_json(struct store_txn *t, unsigned db, const void *key, size_t klen, json_t **out)
{
	const void *v;
	size_t vlen;
	int rc = store_get(t, db, key, klen, &v, &vlen);

	if (rc != 0)
		return rc;
	*out = json_loadb(v, vlen, 0, NULL);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		return -EIO;
	}
	return 0;
}

int origin_signup(struct origin_auth *a, const struct origin_creds *c, int64_t now)
{
	struct store_txn *t = NULL;
	char *hash = hash_password(&a->p, c->password, c->password_len);
	int rc;

	if (!hash)
		return -errno;
	if ((rc = store_begin(a->st, true, &t)) != 0)
		goto out;
	rc = put_json(t, ORIGIN_DB_ACCOUNTS, c->email, strlen(c->email),
		      json_pack("{s:s, s:I}", "hash", hash, "created", (json_int_t)now), true);
	if (rc == 0)
		rc = store_commit(t);
	else
		store_abort(t);
out:
	free(hash);
	return rc;
}

/* A copy of EMAIL's stored hash, or NULL (-ENOENT in *RC when there is no such account). */
static char *account_hash(struct origin_auth *a, const char *email, int *rc)
{
	struct store_txn *t = NULL;
	json_t *acct = NULL;
	char *hash = NULL;

	if ((*rc = store_begin(a->st, false, &t)) != 0)
		return NULL;
	if ((*rc = get_json(t, ORIGIN_DB_ACCOUNTS, email, strlen(email), &acct)) == 0) {
		const char *h = json_string_value(json_object_get(acct, "hash"));

		if (!h || !(hash = strdup(h)))
			*rc = h ? -ENOMEM : -EIO;
	}
	json_decref(acct);
	store_abort(t);
	return hash;
}

static void token_key(const uint8_t raw[TOKEN_RAW], uint8_t key[32])
{
	unsigned int n = 32;

	EVP_Digest(raw, TOKEN_RAW, key, &n, EVP_sha256(), NULL);
}

static int new_session(struct origin_auth *a, const char *email, int64_t now,
		       char token[ORIGIN_TOKEN_LEN + 1], int64_t *expires)
{
	uint8_t raw[TOKEN_RAW], key[32];
	struct store_txn *t = NULL;
	int rc;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	token_key(raw, key);
	*expires = now + a->p.ttl_s;
	if ((rc = store_begin(a->st, true, &t)) != 0)
		goto out;
	rc = put_json(t, ORIGIN_DB_SESSIONS, key, sizeof(key),
		      json_pack("{s:s, s:I, s:I, s:I}", "email", email, "created", (json_int_t)now,
				"expires", (json_int_t)*expires, "last", (json_int_t)now),
		      true);
	rc = rc == 0 ? store_commit(t) : (store_abort(t), rc);
	if (rc == 0)
		paseto_b64_encode(raw, sizeof(raw), token);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int origin_login(struct origin_auth *a, const struct origin_creds *c, int64_t now,
		 char token[ORIGIN_TOKEN_LEN + 1], int64_t *expires)
{
	int rc;
	char *hash = account_hash(a, c->email, &rc);
	bool known = hash != NULL, ok;

	if (!known && rc != -ENOENT)
		return rc;
	ok = argon2id_verify(known ? hash : a->dummy, c->password, c->password_len) == ARGON2_OK;
	free(hash);
	if (!ok || !known)
		return -EACCES;
	return new_session(a, c->email, now, token, expires);
}

/* The session key of the base64url TOKEN, or -EACCES when it is malformed. */
static int decode_token(const char *token, size_t len, uint8_t key[32])
{
	uint8_t raw[TOKEN_RAW + 2];

	if (len != ORIGIN_TOKEN_LEN || paseto_b64_decode(token, len, raw) != TOKEN_RAW)
		return -EACCES;
	token_key(raw, key);
	return 0;
}

static bool session_live(const struct origin_auth *a, json_t *s, int64_t now)
{
	json_int_t expires = json_integer_value(json_object_get(s, "expires"));
	json_int_t last = json_integer_value(json_object_get(s, "last"));

	return now < expires && now - last < a->p.idle_s;
}

/* Copy the live session's account data out, and record the use. */
static int touch(struct origin_auth *a, struct store_txn *t, const uint8_t key[32], json_t *s,
		 int64_t now, char *email, int64_t *created)
{
	const char *e = json_string_value(json_object_get(s, "email"));
	json_t *acct = NULL;
	int rc;

	if (!e || origin_email_normalise(e, strlen(e), email, ORIGIN_EMAIL_MAX + 1) != 0)
		return -EIO;
	if ((rc = get_json(t, ORIGIN_DB_ACCOUNTS, e, strlen(e), &acct)) != 0)
		return rc == -ENOENT ? -EACCES : rc;
	*created = json_integer_value(json_object_get(acct, "created"));
	json_decref(acct);
	if (json_object_set_new(s, "last", json_integer(now)) != 0)
		return -ENOMEM;
	return put_json(t, ORIGIN_DB_SESSIONS, key, 32, json_incref(s), false);
}

int origin_session_use(struct origin_auth *a, const char *token, size_t len, int64_t now,
		       char email[ORIGIN_EMAIL_MAX + 1], int64_t *created)
{
	struct store_txn *t = NULL;
	json_t *s = NULL;
	uint8_t key[32];
	int rc;

	if ((rc = decode_token(token, len, key)) != 0)
		return rc;
	if ((rc = store_begin(a->st, true, &t)) != 0)
		return rc;
	if ((rc = get_json(t, ORIGIN_DB_SESSIONS, key, sizeof(key), &s)) != 0) {
		rc = rc == -ENOENT ? -EACCES : rc;
		goto fail;
	}
	if (!session_live(a, s, now)) {
		rc = store_del(t, ORIGIN_DB_SESSIONS, key, sizeof(key));
		json_decref(s);
		rc = rc == 0 ? store_commit(t) : (store_abort(t), rc);
		return rc == 0 ? -EACCES : rc;
	}
	if ((rc = touch(a, t, key, s, now, email, created)) != 0)
		goto fail;
	json_decref(s);
	return store_commit(t);
fail:
	json_decref(s);
	store_abort(t);
	return rc;
}

int origin_logout(struct origin_auth *a, const char *token, size_t len)
{
	struct store_txn *t = NULL;
	uint8_t key[32];
	int rc;

	if ((rc = decode_token(token, len, key)) != 0)
		return rc;
	if ((rc = store_begin(a->st, true, &t)) != 0)
		return rc;
	if ((rc = store_del(t, ORIGIN_DB_SESSIONS, key, sizeof(key))) != 0) {
		store_abort(t);
		return rc == -ENOENT ? -EACCES : rc;
	}
	return store_commit(t);
}
