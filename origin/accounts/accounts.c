/*
 * Accounts (argon2id), sessions (random tokens stored as SHA-256) and login
 * throttling (accounts.h); the records are in tables.h.
 */
#include "accounts/accounts.h"

#include <argon2.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "hex.h"
#include "jsonfield.h"
#include "record_cache.h"
#include "records.h"
#include "schema.h"
#include "accounts/throttle.h"
#include "paseto.h"
#include "store.h"

#define SALT_LEN	  16
#define THROTTLE_SLOTS	  65536
#define THROTTLE_MAX_WAIT 900 /* s: the longest a throttled key waits */
#define HASH_LEN	  32
#define TOKEN_RAW	  32
#define DEVICE_LABEL	  "reel-device-token-v1"
#define SESSION_SLOTS	  4096 /* sessions in use cached at once (direct-mapped) */

/* Seconds between writes of a session's last use: an eighth of the idle timeout, at most 60. */
#define TOUCH_EVERY(a) ((a)->p.idle_s / 8 < 60 ? (a)->p.idle_s / 8 : 60)

struct accounts {
	struct store *st;
	struct accounts_params p;
	char *dummy; /* an encoded hash of a random password, for unknown emails */
	struct throttle *by_account, *by_address; /* failed logins */
	struct throttle *by_device, *signups;	  /* failed logins with a device token; signups */
	uint8_t device_key[32];			  /* HMAC key of device tokens */
	struct record_cache *sessions; /* struct session_entry by hex session key; emptied on
					  every change of a session or an account */
	struct session_touches *touches; /* queued for the next group commit, or NULL */
	EVP_MD *sha256;
};

/* A last use to write: the session's key (the hash of its token) and the time. */
struct session_touch {
	uint8_t key[32];
	int64_t last;
};

struct session_touches {
	struct session_touch *v;
	size_t n, cap;
};

/* A session in use of an enabled account, as the store holds it. */
struct session_entry {
	struct accounts_user u;
	int64_t expires, last;
};

/* Hash PWD[0..LEN) with a fresh salt.  Returns a malloc'd encoded string or NULL (errno). */
static char *hash_password(const struct accounts_params *p, const void *pwd, size_t len)
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

struct accounts *accounts_new(struct store *st, const struct accounts_params *p)
{
	struct accounts *a = calloc(1, sizeof(*a));
	uint8_t junk[24];

	if (!a)
		return NULL;
	a->st = st;
	a->p = *p;
	/* 5 free failures per account, 20 per address; then 2 s, 4 s, 8 s ... up to 15 min */
	a->by_account = throttle_new(THROTTLE_SLOTS, 5, THROTTLE_MAX_WAIT);
	a->by_address = throttle_new(THROTTLE_SLOTS, 20, THROTTLE_MAX_WAIT);
	a->by_device = throttle_new(THROTTLE_SLOTS, 5, THROTTLE_MAX_WAIT);
	/* the signups_per_address-th signup is the last one before the wait */
	a->signups = throttle_new(THROTTLE_SLOTS, p->signups_per_address - 1, THROTTLE_MAX_WAIT);
	a->sessions = record_cache_new(SESSION_SLOTS, sizeof(struct session_entry));
	a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!a->by_account || !a->by_address || !a->by_device || !a->signups || !a->sessions ||
	    !a->sha256) {
		accounts_free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->p.master = NULL;
	if (!HMAC(EVP_sha256(), p->master, 32, (const uint8_t *)DEVICE_LABEL, strlen(DEVICE_LABEL),
		  a->device_key, NULL)) {
		accounts_free(a);
		errno = EIO;
		return NULL;
	}
	errno = 0;
	if (RAND_bytes(junk, sizeof(junk)) != 1 ||
	    !(a->dummy = hash_password(p, junk, sizeof(junk)))) {
		int e = errno ? errno : EIO;

		accounts_free(a);
		errno = e;
		return NULL;
	}
	return a;
}

void accounts_free(struct accounts *a)
{
	if (!a)
		return;
	throttle_free(a->by_account);
	throttle_free(a->by_address);
	throttle_free(a->by_device);
	throttle_free(a->signups);
	record_cache_free(a->sessions);
	accounts_touches_free(a->touches);
	EVP_MD_free(a->sha256);
	OPENSSL_cleanse(a->device_key, sizeof(a->device_key));
	free(a->dummy);
	free(a);
}

int accounts_password_hash(const struct accounts *a, const char *pwd, size_t len, char **hash)
{
	errno = 0;
	if (!(*hash = hash_password(&a->p, pwd, len)))
		return errno == ENOMEM ? -ENOMEM : -EIO;
	return 0;
}

int accounts_create(struct accounts *a, const char *email, const char *hash, int64_t now)
{
	struct store_txn *t = NULL;
	char id[ACCOUNTS_UID_LEN + 1];
	json_t *acct;
	int rc;

	if ((rc = jf_random_id('u', 8, id)) != 0 || (rc = store_begin(a->st, true, &t)) != 0)
		return rc;
	acct = json_pack("{s:s, s:s, s:I}", "id", id, "hash", hash, "created", (json_int_t)now);
	rc = records_put(t, ORIGIN_DB_ACCOUNTS, email, strlen(email), acct, true);
	if (rc == 0)
		rc = store_put(t, ORIGIN_DB_USERS, id, strlen(id), email, strlen(email), true);
	if (rc == 0)
		rc = store_commit(t);
	else
		store_abort(t);
	return rc;
}

/* Fill *U from the account record ACCT of EMAIL. */
static int user_from(json_t *acct, const char *email, struct accounts_user *u)
{
	const char *id = json_string_value(json_object_get(acct, "id"));

	if (!id || strlen(id) != ACCOUNTS_UID_LEN || strlen(email) > ORIGIN_EMAIL_MAX)
		return -EIO;
	memcpy(u->id, id, ACCOUNTS_UID_LEN + 1);
	snprintf(u->email, sizeof(u->email), "%s", email);
	u->created = json_integer_value(json_object_get(acct, "created"));
	u->disabled = json_is_true(json_object_get(acct, "disabled"));
	return 0;
}

int accounts_find_in(struct store_txn *t, const char *email_or_id, struct accounts_user *u)
{
	char email[ORIGIN_EMAIL_MAX + 1];
	json_t *acct = NULL;
	const void *v;
	size_t vlen;
	int rc;

	if (!strchr(email_or_id, '@')) {
		if ((rc = store_get(t, ORIGIN_DB_USERS, email_or_id, strlen(email_or_id), &v,
				    &vlen)) != 0)
			return rc;
		if (vlen > ORIGIN_EMAIL_MAX)
			return -EIO;
		memcpy(email, v, vlen);
		email[vlen] = '\0';
	} else if (origin_email_normalise(email_or_id, strlen(email_or_id), email, sizeof(email)) !=
		   0) {
		return -ENOENT;
	}
	if ((rc = records_get(t, ORIGIN_DB_ACCOUNTS, email, strlen(email), &acct)) != 0)
		return rc;
	rc = user_from(acct, email, u);
	json_decref(acct);
	return rc;
}

int accounts_find(struct accounts *a, const char *email_or_id, struct accounts_user *u)
{
	struct store_txn *t;
	int rc = store_begin(a->st, false, &t);

	if (rc != 0)
		return rc;
	rc = accounts_find_in(t, email_or_id, u);
	store_abort(t);
	return rc;
}

struct drop_sessions {
	struct store_txn *t;
	const char *email;
	uint8_t (*keys)[32];
	size_t n, cap;
};

static int collect_session(void *arg, const void *key, size_t klen, json_t *s)
{
	struct drop_sessions *d = arg;
	const char *e = json_string_value(json_object_get(s, "email"));

	if (klen != 32 || !e || strcmp(e, d->email) != 0)
		return 0;
	if (array_reserve((void **)&d->keys, &d->cap, d->n, sizeof(*d->keys), 16) != 0)
		return -ENOMEM;
	memcpy(d->keys[d->n++], key, 32);
	return 0;
}

/*
 * Change the account of WHO (an email or a user id) in one write
 * transaction: EDIT(ACCT, ARG) changes its record (0, or a negative errno
 * that cancels); with END_SESSIONS every session of the account is deleted
 * in the same transaction.
 */
static int account_update(struct accounts *a, const char *who,
			  int (*edit)(json_t *acct, const void *arg), const void *arg,
			  bool end_sessions)
{
	struct drop_sessions d = {0};
	struct accounts_user u;
	struct store_txn *t = NULL;
	json_t *acct = NULL;
	int rc;

	if ((rc = store_begin(a->st, true, &t)) != 0)
		return rc;
	if ((rc = accounts_find_in(t, who, &u)) != 0 ||
	    (rc = records_get(t, ORIGIN_DB_ACCOUNTS, u.email, strlen(u.email), &acct)) != 0 ||
	    (rc = edit(acct, arg)) != 0)
		goto fail;
	rc = records_put(t, ORIGIN_DB_ACCOUNTS, u.email, strlen(u.email), json_incref(acct), false);
	if (rc == 0 && end_sessions) {
		d.t = t;
		d.email = u.email;
		rc = records_scan(t, ORIGIN_DB_SESSIONS, NULL, 0, collect_session, &d);
		for (size_t i = 0; rc == 0 && i < d.n; i++)
			rc = store_del(t, ORIGIN_DB_SESSIONS, d.keys[i], 32);
	}
	if (rc != 0)
		goto fail;
	json_decref(acct);
	free(d.keys);
	record_cache_clear(a->sessions); /* the account's sessions, or what they tell of it */
	return store_commit(t);
fail:
	json_decref(acct);
	free(d.keys);
	store_abort(t);
	return rc;
}

static int set_disabled(json_t *acct, const void *arg)
{
	return json_object_set_new(acct, "disabled", json_boolean(*(const bool *)arg)) ? -ENOMEM
										       : 0;
}

int accounts_set_disabled(struct accounts *a, const char *uid, bool disable)
{
	return account_update(a, uid, set_disabled, &disable, disable);
}

struct new_hash {
	const char *old, *hash;
};

static int set_hash(json_t *acct, const void *arg)
{
	const struct new_hash *h = arg;
	const char *cur = json_string_value(json_object_get(acct, "hash"));

	if (!cur || strcmp(cur, h->old) != 0 || json_is_true(json_object_get(acct, "disabled")))
		return -ESTALE; /* changed or disabled meanwhile */
	return json_object_set_new(acct, "hash", json_string(h->hash)) ? -ENOMEM : 0;
}

int accounts_password_set(struct accounts *a, const char *email, const char *old, const char *hash)
{
	struct new_hash h = {old, hash};

	return account_update(a, email, set_hash, &h, true);
}

/*
 * A copy of EMAIL's stored hash, or NULL (-ENOENT in *RC when there is no
 * such account; a disabled account has no usable hash).
 */
static char *account_hash(struct accounts *a, const char *email, int *rc)
{
	struct store_txn *t = NULL;
	json_t *acct = NULL;
	char *hash = NULL;

	if ((*rc = store_begin(a->st, false, &t)) != 0)
		return NULL;
	if ((*rc = records_get(t, ORIGIN_DB_ACCOUNTS, email, strlen(email), &acct)) == 0) {
		const char *h = json_string_value(json_object_get(acct, "hash"));

		if (json_is_true(json_object_get(acct, "disabled")))
			*rc = -ENOENT;
		else if (!h || !(hash = strdup(h)))
			*rc = h ? -ENOMEM : -EIO;
	}
	json_decref(acct);
	store_abort(t);
	return hash;
}

/* A session's key: the SHA-256 of its token's bytes (with SHA-256 fetched once, not per use). */
static void token_key(const struct accounts *a, const uint8_t raw[TOKEN_RAW], uint8_t key[32])
{
	unsigned int n = 32;

	EVP_Digest(raw, TOKEN_RAW, key, &n, a->sha256, NULL);
}

/* Does EMAIL's account in T still have HASH and is it enabled?  0, -EACCES or a negative errno. */
static int account_unchanged(struct store_txn *t, const char *email, const char *hash)
{
	json_t *acct = NULL;
	const char *h;
	int rc = records_get(t, ORIGIN_DB_ACCOUNTS, email, strlen(email), &acct);

	if (rc != 0)
		return rc == -ENOENT ? -EACCES : rc;
	h = json_string_value(json_object_get(acct, "hash"));
	if (!h || strcmp(h, hash) != 0 || json_is_true(json_object_get(acct, "disabled")))
		rc = -EACCES;
	json_decref(acct);
	return rc;
}

int accounts_login_session(struct accounts *a, const char *email, const char *hash, int64_t now,
			   char token[ACCOUNTS_TOKEN_LEN + 1], int64_t *expires)
{
	uint8_t raw[TOKEN_RAW], key[32];
	struct store_txn *t = NULL;
	int rc;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	token_key(a, raw, key);
	*expires = now + a->p.ttl_s;
	if ((rc = store_begin(a->st, true, &t)) != 0)
		goto out;
	rc = account_unchanged(t, email, hash);
	if (rc == 0)
		rc = records_put(t, ORIGIN_DB_SESSIONS, key, sizeof(key),
				 json_pack("{s:s, s:I, s:I, s:I}", "email", email, "created",
					   (json_int_t)now, "expires", (json_int_t)*expires, "last",
					   (json_int_t)now),
				 true);
	rc = rc == 0 ? store_commit(t) : (store_abort(t), rc);
	if (rc == 0)
		paseto_b64_encode(raw, sizeof(raw), token);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int accounts_login_lookup(struct accounts *a, const char *email, char **hash)
{
	int rc;

	if ((*hash = account_hash(a, email, &rc)))
		return 0;
	return rc == -ENOENT ? 0 : rc;
}

int accounts_password_check(const struct accounts *a, const char *hash, const char *pwd, size_t len)
{
	bool ok = argon2id_verify(hash ? hash : a->dummy, pwd, len) == ARGON2_OK;

	return ok && hash ? 0 : -EACCES;
}

/* The session key of the base64url TOKEN, or -EACCES when it is malformed. */
static int decode_token(const struct accounts *a, const char *token, size_t len, uint8_t key[32])
{
	uint8_t raw[TOKEN_RAW + 2];

	if (len != ACCOUNTS_TOKEN_LEN || paseto_b64_decode(token, len, raw) != TOKEN_RAW)
		return -EACCES;
	token_key(a, raw, key);
	return 0;
}

/* Is session E unexpired and not idle at NOW? */
static bool session_live(const struct accounts *a, const struct session_entry *e, int64_t now)
{
	return now < e->expires && now - e->last < a->p.idle_s;
}

/* Fill *U from the account of the live session S; -EACCES if it is gone or disabled. */
static int session_user(struct store_txn *t, json_t *s, struct accounts_user *u)
{
	const char *e = json_string_value(json_object_get(s, "email"));
	json_t *acct = NULL;
	int rc;

	if (!e)
		return -EIO;
	if ((rc = records_get(t, ORIGIN_DB_ACCOUNTS, e, strlen(e), &acct)) != 0)
		return rc == -ENOENT ? -EACCES : rc;
	rc = user_from(acct, e, u);
	json_decref(acct);
	return rc == 0 && u->disabled ? -EACCES : rc;
}

/*
 * One attempt at using the session of KEY: WRITE false reads only and gives
 * -EAGAIN when the session ended and must be deleted.  0 with *E the
 * session as it is stored now.
 */
static int session_use(struct accounts *a, const uint8_t key[32], int64_t now, bool write,
		       struct session_entry *e)
{
	struct store_txn *t = NULL;
	json_t *s = NULL;
	int rc;

	if ((rc = store_begin(a->st, write, &t)) != 0)
		return rc;
	if ((rc = records_get(t, ORIGIN_DB_SESSIONS, key, 32, &s)) != 0) {
		rc = rc == -ENOENT ? -EACCES : rc;
		goto out;
	}
	e->expires = json_integer_value(json_object_get(s, "expires"));
	e->last = json_integer_value(json_object_get(s, "last"));
	if (!session_live(a, e, now)) {
		if (!write) {
			rc = -EAGAIN;
		} else if ((rc = store_del(t, ORIGIN_DB_SESSIONS, key, 32)) == 0) {
			rc = store_commit(t);
			t = NULL;
			rc = rc == 0 ? -EACCES : rc;
		}
		goto out;
	}
	rc = session_user(t, s, &e->u);
out:
	json_decref(s);
	store_abort(t);
	return rc;
}

/* Queue the last use NOW of the session of KEY: false on ENOMEM (the next use tries again). */
static bool touch(struct accounts *a, const uint8_t key[32], int64_t now)
{
	struct session_touches *st = a->touches ? a->touches : calloc(1, sizeof(*st));

	if (!(a->touches = st) ||
	    array_reserve((void **)&st->v, &st->cap, st->n, sizeof(*st->v), 64))
		return false;
	memcpy(st->v[st->n].key, key, 32);
	st->v[st->n++].last = now;
	return true;
}

/*
 * Most uses of a session find it in A's cache, live and with a recent last
 * use, and need no store read.  What the cache holds is what the store
 * holds, or will once the touches queued are written: a touch of the last
 * use replaces the session's entry, and every other change of a session or
 * an account (logout, disable, password) empties the cache.
 */
int accounts_session_use(struct accounts *a, const char *token, size_t len, int64_t now,
			 struct accounts_user *u)
{
	char hex[2 * 32 + 1];
	struct session_entry e;
	uint8_t key[32];
	int rc;

	if ((rc = decode_token(a, token, len, key)) != 0)
		return rc;
	hex_encode(key, sizeof(key), hex);
	if (!record_cache_get(a->sessions, hex, &e) || !session_live(a, &e, now)) {
		rc = session_use(a, key, now, false, &e);
		if (rc == -EAGAIN)
			rc = session_use(a, key, now, true, &e);
		if (rc != 0)
			return rc; /* a cached entry of an ended session is not live: it stays unused */
		record_cache_put(a->sessions, hex, &e);
	}
	if (now - e.last >= TOUCH_EVERY(a) && touch(a, key, now)) {
		e.last = now;
		record_cache_put(a->sessions, hex, &e);
	}
	*u = e.u;
	return 0;
}

int accounts_touches_take(struct accounts *a, struct session_touches **out)
{
	*out = a->touches;
	a->touches = NULL;
	return 0;
}

int accounts_touches_put(const struct session_touches *st, struct store_txn *t)
{
	int rc = 0;

	for (size_t i = 0; st && i < st->n && rc == 0; i++) {
		const struct session_touch *k = &st->v[i];
		json_t *s = NULL;

		if (records_get(t, ORIGIN_DB_SESSIONS, k->key, 32, &s) != 0)
			continue; /* ended meanwhile (or unreadable: the next use finds out) */
		if (json_integer_value(json_object_get(s, "last")) < k->last)
			rc = json_object_set_new(s, "last", json_integer(k->last)) != 0
				 ? -ENOMEM
				 : records_put(t, ORIGIN_DB_SESSIONS, k->key, 32, json_incref(s), false);
		json_decref(s);
	}
	return rc;
}

void accounts_touches_free(struct session_touches *st)
{
	if (st)
		free(st->v);
	free(st);
}

int accounts_logout(struct accounts *a, const char *token, size_t len)
{
	struct store_txn *t = NULL;
	uint8_t key[32];
	int rc;

	if ((rc = decode_token(a, token, len, key)) != 0)
		return rc;
	if ((rc = store_begin(a->st, true, &t)) != 0)
		return rc;
	record_cache_clear(a->sessions);
	if ((rc = store_del(t, ORIGIN_DB_SESSIONS, key, sizeof(key))) != 0) {
		store_abort(t);
		return rc == -ENOENT ? -EACCES : rc;
	}
	return store_commit(t);
}

struct user_page {
	size_t offset, limit, total, n;
	struct accounts_user *v;
};

static int page_one(void *arg, const void *key, size_t klen, json_t *acct)
{
	struct user_page *pg = arg;
	char email[ORIGIN_EMAIL_MAX + 1];

	if (pg->total++ < pg->offset || pg->n >= pg->limit)
		return 0;
	if (klen > ORIGIN_EMAIL_MAX || !acct)
		return -EIO;
	memcpy(email, key, klen);
	email[klen] = '\0';
	if (user_from(acct, email, &pg->v[pg->n]) == 0)
		pg->n++;
	return 0;
}

int accounts_list(struct accounts *a, size_t offset, size_t limit, struct accounts_user **users,
		  size_t *n, size_t *total)
{
	struct user_page pg = {.offset = offset, .limit = limit};
	struct store_txn *t;
	int rc;

	*users = NULL;
	*n = *total = 0;
	if (limit && !(pg.v = calloc(limit, sizeof(*pg.v))))
		return -ENOMEM;
	if ((rc = store_begin(a->st, false, &t)) == 0) {
		rc = records_scan(t, ORIGIN_DB_ACCOUNTS, NULL, 0, page_one, &pg);
		store_abort(t);
	}
	if (rc != 0) {
		free(pg.v);
		return rc;
	}
	*users = pg.v;
	*n = pg.n;
	*total = pg.total;
	return 0;
}

int accounts_password_guessable(const struct accounts *a, const char *email, const char *pwd,
				struct origin_reason *why)
{
	return accounts_password_strength(email, pwd, a->p.password_strength, why);
}

/* The MAC of device ID for EMAIL into MAC (16 bytes). */
static int device_mac(const struct accounts *a, const char *email,
		      const uint8_t id[ACCOUNTS_DEVICE_ID_LEN], uint8_t mac[16])
{
	uint8_t full[EVP_MAX_MD_SIZE], msg[ACCOUNTS_DEVICE_ID_LEN + ORIGIN_EMAIL_MAX];
	size_t elen = strlen(email);

	if (elen > ORIGIN_EMAIL_MAX)
		return -EINVAL;
	memcpy(msg, id, ACCOUNTS_DEVICE_ID_LEN);
	memcpy(msg + ACCOUNTS_DEVICE_ID_LEN, email, elen);
	if (!HMAC(EVP_sha256(), a->device_key, sizeof(a->device_key), msg,
		  ACCOUNTS_DEVICE_ID_LEN + elen, full, NULL))
		return -EIO;
	memcpy(mac, full, 16);
	return 0;
}

int accounts_device_token(struct accounts *a, const char *email,
			  char token[ACCOUNTS_DEVICE_TOKEN_LEN + 1])
{
	uint8_t raw[ACCOUNTS_DEVICE_ID_LEN + 16];
	int rc;

	if (RAND_bytes(raw, ACCOUNTS_DEVICE_ID_LEN) != 1)
		return -EIO;
	if ((rc = device_mac(a, email, raw, raw + ACCOUNTS_DEVICE_ID_LEN)) != 0)
		return rc;
	paseto_b64_encode(raw, sizeof(raw), token);
	return 0;
}

bool accounts_device_of(const struct accounts *a, const char *email, const char *token,
			size_t len, uint8_t id[ACCOUNTS_DEVICE_ID_LEN])
{
	uint8_t raw[ACCOUNTS_DEVICE_ID_LEN + 16 + 2], mac[16];

	if (len != ACCOUNTS_DEVICE_TOKEN_LEN ||
	    paseto_b64_decode(token, len, raw) != ACCOUNTS_DEVICE_ID_LEN + 16 ||
	    device_mac(a, email, raw, mac) != 0 ||
	    CRYPTO_memcmp(mac, raw + ACCOUNTS_DEVICE_ID_LEN, 16) != 0)
		return false;
	memcpy(id, raw, ACCOUNTS_DEVICE_ID_LEN);
	return true;
}

/* The table and key that count W's own failures: its device's, else its account's. */
static struct throttle *own_count(struct accounts *a, const struct accounts_attempt *w,
				  const void **key, size_t *len)
{
	if (w->device) {
		*key = w->device;
		*len = ACCOUNTS_DEVICE_ID_LEN;
		return a->by_device;
	}
	*key = w->email;
	*len = strlen(w->email);
	return a->by_account;
}

unsigned accounts_throttled(struct accounts *a, const struct accounts_attempt *w, int64_t now)
{
	const void *key;
	size_t len;
	struct throttle *t = own_count(a, w, &key, &len);
	unsigned wait = throttle_wait(t, key, len, now), v;

	if (w->addr && (v = throttle_wait(a->by_address, w->addr, w->alen, now)) > wait)
		wait = v;
	return wait;
}

void accounts_check_started(struct accounts *a, const struct accounts_attempt *w, int64_t now)
{
	const void *key;
	size_t len;
	struct throttle *t = own_count(a, w, &key, &len);

	(void)throttle_failure(t, key, len, now); /* a full window: not counted (throttle.h) */
}

void accounts_check_done(struct accounts *a, const struct accounts_attempt *w, bool passed,
			 int64_t now)
{
	if (passed) {
		throttle_clear(a->by_account, w->email, strlen(w->email));
		if (w->device)
			throttle_clear(a->by_device, w->device, ACCOUNTS_DEVICE_ID_LEN);
	} else if (w->addr) {
		(void)throttle_failure(a->by_address, w->addr, w->alen, now);
	}
}

unsigned accounts_signup_throttled(struct accounts *a, const void *addr, size_t alen, int64_t now)
{
	unsigned wait = throttle_wait(a->signups, addr, alen, now);

	if (wait == 0)
		(void)throttle_failure(a->signups, addr, alen, now);
	return wait;
}
