/*
 * Content keys: the keys table, each title's AES-128 keys sealed with the
 * master key (catalog.h).
 */
#include "catalog/catalog.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "jsonfield.h"
#include "record_cache.h"
#include "paseto.h"
#include "records.h"
#include "schema.h"
#include "seal.h"
#include "store.h"

#define KEY_AAD "reel-content-key-v1"

/* The associated data of a sealed content key: "reel-content-key-v1\0ID\0KID". */
static size_t key_aad(const char *id, const char *kid, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%c%s%c%s", KEY_AAD, 0, id, 0, kid);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/*
 * Store KEY as title ID's content key KID (sealed with MASTER) in T and make
 * it current.  Returns 0, -EEXIST when KID is taken, -EINVAL, or a negative
 * errno.
 */
static int key_put(struct store_txn *t, const uint8_t master[32], const char *id, const char *kid,
		   const uint8_t key[CONTENT_KEY_LEN], int64_t now)
{
	uint8_t sealed[CONTENT_KEY_LEN + SEAL_OVERHEAD];
	char aad[160], b64[2 * sizeof(sealed)];
	size_t alen = key_aad(id, kid, aad, sizeof(aad)), slen;
	json_t *rec = NULL, *keys;
	int rc;

	if (!alen || !jf_id_valid(kid, strlen(kid), CONTENT_KID_MAX))
		return -EINVAL;
	if ((rc = records_get(t, ORIGIN_DB_KEYS, id, strlen(id), &rec)) == -ENOENT) {
		rec = json_pack("{s:{}}", "keys");
		rc = rec ? 0 : -ENOMEM;
	}
	if (rc != 0)
		return rc;
	if (!json_is_object(keys = json_object_get(rec, "keys"))) {
		rc = -EIO;
		goto out;
	}
	if (json_object_get(keys, kid)) {
		rc = -EEXIST;
		goto out;
	}
	if ((rc = seal_encrypt(master, aad, alen, key, CONTENT_KEY_LEN, sealed, sizeof(sealed),
			       &slen)) != 0)
		goto out;
	paseto_b64_encode(sealed, slen, b64);
	if (!json_is_object(json_object_get(rec, "added")))
		json_object_set_new(rec, "added", json_object());
	if (json_object_set_new(keys, kid, json_string(b64)) != 0 ||
	    json_object_set_new(json_object_get(rec, "added"), kid, json_integer(now)) != 0 ||
	    json_object_set_new(rec, "current", json_string(kid)) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = records_put(t, ORIGIN_DB_KEYS, id, strlen(id), json_incref(rec), false);
out:
	json_decref(rec);
	return rc;
}

int catalog_key_in(struct catalog *c, struct store_txn *t, const char *id, const char *kid,
		   uint8_t key[CONTENT_KEY_LEN], char kid_out[CONTENT_KID_MAX + 1])
{
	uint8_t sealed[CONTENT_KEY_LEN + SEAL_OVERHEAD + 4], plain[CONTENT_KEY_LEN + 16];
	char aad[160];
	size_t alen, plen;
	const char *b64;
	json_t *rec;
	int n, rc = records_get(t, ORIGIN_DB_KEYS, id, strlen(id), &rec);

	if (rc != 0)
		return rc;
	if (!kid)
		kid = json_string_value(json_object_get(rec, "current"));
	b64 = kid ? json_string_value(json_object_get(json_object_get(rec, "keys"), kid)) : NULL;
	if (!b64) {
		rc = -ENOENT;
		goto out;
	}
	alen = key_aad(id, kid, aad, sizeof(aad));
	if (paseto_b64_declen(strlen(b64)) > sizeof(sealed) ||
	    (n = paseto_b64_decode(b64, strlen(b64), sealed)) < 0) {
		rc = -EIO;
		goto out;
	}
	rc = seal_decrypt(c->master, aad, alen, sealed, (size_t)n, plain, sizeof(plain), &plen);
	if (rc == -EBADMSG || (rc == 0 && plen != CONTENT_KEY_LEN))
		rc = -EIO;
	if (rc == 0) {
		memcpy(key, plain, CONTENT_KEY_LEN);
		if (kid_out)
			snprintf(kid_out, CONTENT_KID_MAX + 1, "%s", kid);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
out:
	json_decref(rec);
	return rc;
}

int catalog_key(struct catalog *c, const char *id, const char *kid, uint8_t key[CONTENT_KEY_LEN],
		char kid_out[CONTENT_KID_MAX + 1])
{
	struct store_txn *t;
	int rc = store_begin(c->st, false, &t);

	if (rc != 0)
		return rc;
	rc = catalog_key_in(c, t, id, kid, key, kid_out);
	store_abort(t);
	return rc;
}

int catalog_key_add(struct catalog *c, const char *id, const char *kid, const uint8_t *given,
		    int64_t now, uint8_t key[CONTENT_KEY_LEN])
{
	struct store_txn *t;
	int rc;

	if (given)
		memcpy(key, given, CONTENT_KEY_LEN);
	else if (RAND_bytes(key, CONTENT_KEY_LEN) != 1)
		return -EIO;
	if ((rc = store_begin(c->st, true, &t)) != 0)
		return rc;
	return store_finish(t, key_put(t, c->master, id, kid, key, now));
}

int catalog_keys_list(struct catalog *c, const char *id, json_t **out)
{
	struct store_txn *t;
	json_t *rec = NULL, *added, *v;
	const char *kid, *current;
	int rc;

	*out = NULL;
	if ((rc = store_begin(c->st, false, &t)) != 0)
		return rc;
	rc = records_get(t, ORIGIN_DB_KEYS, id, strlen(id), &rec);
	store_abort(t);
	if (rc != 0)
		return rc;
	current = json_string_value(json_object_get(rec, "current"));
	added = json_object_get(rec, "added");
	if (!(*out = json_array()))
		rc = -ENOMEM;
	json_object_foreach(json_object_get(rec, "keys"), kid, v)
	{
		json_t *when = json_object_get(added, kid);

		if (rc == 0 &&
		    json_array_append_new(
			*out, json_pack("{s:s, s:b, s:o}", "kid", kid,
					"current", current && strcmp(kid, current) == 0, "added",
					json_is_integer(when) ? jf_time(json_integer_value(when))
							      : json_null())) != 0)
			rc = -ENOMEM;
	}
	json_decref(rec);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int catalog_save_keyed(struct catalog *c, json_t *rec, const char *kid,
		       const uint8_t key[CONTENT_KEY_LEN], int64_t now, bool *created)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	struct store_txn *t;
	int rc;

	if (!id)
		return -EINVAL;
	if ((rc = store_begin(c->st, true, &t)) != 0)
		return rc;
	rc = key_put(t, c->master, id, kid, key, now);
	if (rc == 0)
		rc = catalog_save_in(t, rec, created);
	rc = store_finish(t, rc);
	record_cache_clear(c->cache);
	return rc;
}
