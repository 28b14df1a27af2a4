/*
 * Offline licenses: the reel-license-v1 claims on top of PASETO v4.public,
 * their checks, and the X25519 + HKDF-SHA256 + AES-256-GCM wrap of the
 * content key for one device (OpenSSL 3 EVP).
 */
#include "license.h"
#include "claims.h"
#include "seal.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_INFO "reel-license-v1 key wrap"
#define NMEMBERS  12 /* members of the claims object */
#define AAD_MAX	  (3 * (STREAM_ID_MAX + 1))

/* The wrap is the body of a version-1 seal blob: nonce || ciphertext || tag. */
_Static_assert(SEAL_NONCE_LEN == LICENSE_NONCE_LEN, "the wrap nonce is a seal nonce");
_Static_assert(LICENSE_WRAPPED_LEN == LICENSE_CKEY_LEN + SEAL_TAG_LEN, "the wrap is a seal body");

/* ---- X25519 ------------------------------------------------------------- */

/* OpenSSL failed: clear its queue, once, here. */
static int ossl_fail(int rc)
{
	ERR_clear_error();
	return rc;
}

int license_device_keygen(uint8_t priv[LICENSE_X25519_LEN], uint8_t pub[LICENSE_X25519_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t plen = LICENSE_X25519_LEN, qlen = LICENSE_X25519_LEN;
	int rc = 0;

	if (!pkey)
		return ossl_fail(-EIO);
	if (EVP_PKEY_get_raw_private_key(pkey, priv, &plen) != 1 ||
	    EVP_PKEY_get_raw_public_key(pkey, pub, &qlen) != 1 || plen != LICENSE_X25519_LEN ||
	    qlen != LICENSE_X25519_LEN) {
		OPENSSL_cleanse(priv, LICENSE_X25519_LEN);
		rc = ossl_fail(-EIO);
	}
	EVP_PKEY_free(pkey);
	return rc;
}

int license_device_public(const uint8_t priv[LICENSE_X25519_LEN], uint8_t pub[LICENSE_X25519_LEN])
{
	EVP_PKEY *pkey =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, LICENSE_X25519_LEN);
	size_t len = LICENSE_X25519_LEN;
	int rc = 0;

	if (!pkey)
		return ossl_fail(-EIO);
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1 || len != LICENSE_X25519_LEN)
		rc = ossl_fail(-EIO);
	EVP_PKEY_free(pkey);
	return rc;
}

/*
 * X25519(PRIV, PEER) into SHARED: 0, -EINVAL when PEER is a low-order point
 * (OpenSSL refuses the all-zero result), -ENOMEM, -EIO.
 */
static int x25519(const uint8_t priv[LICENSE_X25519_LEN], const uint8_t peer[LICENSE_X25519_LEN],
		  uint8_t shared[LICENSE_X25519_LEN])
{
	EVP_PKEY *sk =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, LICENSE_X25519_LEN);
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, LICENSE_X25519_LEN);
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = LICENSE_X25519_LEN;
	int rc = -EIO;

	if (!sk || !pk || !(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk, NULL)))
		goto end;
	if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, pk) != 1)
		goto end;
	rc = EVP_PKEY_derive(ctx, shared, &len) == 1 && len == LICENSE_X25519_LEN ? 0 : -EINVAL;
end:
	if (rc < 0) {
		OPENSSL_cleanse(shared, LICENSE_X25519_LEN);
		ERR_clear_error();
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(sk);
	return rc;
}

int license_device_key_hash(const uint8_t pub[LICENSE_X25519_LEN], uint8_t hash[LICENSE_HASH_LEN])
{
	unsigned len = 0;

	if (EVP_Digest(pub, LICENSE_X25519_LEN, hash, &len, EVP_sha256(), NULL) != 1 ||
	    len != LICENSE_HASH_LEN)
		return ossl_fail(-EIO);
	return 0;
}

int license_device_matches(const struct license_claims *c, const uint8_t pub[LICENSE_X25519_LEN])
{
	uint8_t hash[LICENSE_HASH_LEN];
	int rc;

	if ((rc = license_device_key_hash(pub, hash)) < 0)
		return rc;
	return CRYPTO_memcmp(hash, c->device_key_hash, LICENSE_HASH_LEN) == 0 ? 0 : -EACCES;
}

/* ---- the key wrap ------------------------------------------------------- */

/* The wrap's AAD, LID || 0x00 || TITLE || 0x00 || CKID, into AAD (AAD_MAX); its length. */
static size_t wrap_aad(const char *lid, const char *title, const char *ckid, uint8_t *aad)
{
	size_t a = strlen(lid), b = strlen(title), c = strlen(ckid);

	memcpy(aad, lid, a);
	aad[a] = 0;
	memcpy(aad + a + 1, title, b);
	aad[a + 1 + b] = 0;
	memcpy(aad + a + b + 2, ckid, c);
	return a + b + c + 2;
}

/* The key-encryption key: HKDF-SHA256(SHARED, EPK || DEVICE_PUB, WRAP_INFO || LID). */
static int wrap_kek(const uint8_t shared[LICENSE_X25519_LEN], const uint8_t epk[LICENSE_X25519_LEN],
		    const uint8_t device_pub[LICENSE_X25519_LEN], const char *lid,
		    uint8_t kek[SEAL_KEY_LEN])
{
	uint8_t salt[2 * LICENSE_X25519_LEN], info[sizeof(WRAP_INFO) - 1 + STREAM_ID_MAX];
	size_t ilen = sizeof(WRAP_INFO) - 1, llen = strlen(lid);
	char digest[] = "SHA256";
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5];
	int rc = 0;

	memcpy(salt, epk, LICENSE_X25519_LEN);
	memcpy(salt + LICENSE_X25519_LEN, device_pub, LICENSE_X25519_LEN);
	memcpy(info, WRAP_INFO, ilen);
	memcpy(info + ilen, lid, llen);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)shared,
						      LICENSE_X25519_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, sizeof(salt));
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, ilen + llen);
	params[4] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_KDF_derive(ctx, kek, SEAL_KEY_LEN, params) != 1) {
		OPENSSL_cleanse(kek, SEAL_KEY_LEN);
		rc = ossl_fail(-EIO);
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int license_wrap_key(const uint8_t device_pub[LICENSE_X25519_LEN], const char *lid,
		     const char *title, const char *ckid,
		     const uint8_t content_key[LICENSE_CKEY_LEN], struct license_wrapped *out)
{
	uint8_t esk[LICENSE_X25519_LEN], shared[LICENSE_X25519_LEN], kek[SEAL_KEY_LEN];
	uint8_t aad[AAD_MAX], blob[LICENSE_CKEY_LEN + SEAL_OVERHEAD];
	size_t blen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!claims_id_ok(lid) || !claims_id_ok(title) || !claims_id_ok(ckid))
		return -EINVAL;
	if ((rc = license_device_keygen(esk, out->epk)) < 0)
		return rc;
	if ((rc = x25519(esk, device_pub, shared)) < 0)
		goto end;
	if ((rc = wrap_kek(shared, out->epk, device_pub, lid, kek)) < 0)
		goto end;
	rc = seal_encrypt(kek, aad, wrap_aad(lid, title, ckid, aad), content_key, LICENSE_CKEY_LEN,
			  blob, sizeof(blob), &blen);
	if (rc < 0)
		goto end;
	memcpy(out->nonce, blob + 1, LICENSE_NONCE_LEN);
	memcpy(out->ct, blob + 1 + LICENSE_NONCE_LEN, LICENSE_WRAPPED_LEN);
end:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	OPENSSL_cleanse(esk, sizeof(esk));
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(blob, sizeof(blob));
	return rc;
}

int license_bind_device(struct license_claims *c, const uint8_t device_pub[LICENSE_X25519_LEN],
			const uint8_t content_key[LICENSE_CKEY_LEN])
{
	int rc = license_device_key_hash(device_pub, c->device_key_hash);

	if (rc == 0)
		rc = license_wrap_key(device_pub, c->lid, c->title, c->ckid, content_key,
				      &c->wrapped);
	if (rc < 0) {
		memset(c->device_key_hash, 0, sizeof(c->device_key_hash));
		memset(&c->wrapped, 0, sizeof(c->wrapped));
	}
	return rc;
}

int license_unwrap_key(const uint8_t device_priv[LICENSE_X25519_LEN],
		       const struct license_claims *c, uint8_t content_key[LICENSE_CKEY_LEN])
{
	uint8_t pub[LICENSE_X25519_LEN], shared[LICENSE_X25519_LEN], kek[SEAL_KEY_LEN];
	uint8_t aad[AAD_MAX], blob[LICENSE_CKEY_LEN + SEAL_OVERHEAD];
	size_t klen;
	int rc;

	memset(content_key, 0, LICENSE_CKEY_LEN);
	if (!claims_id_ok(c->lid) || !claims_id_ok(c->title) || !claims_id_ok(c->ckid))
		return -EINVAL;
	if ((rc = license_device_public(device_priv, pub)) < 0)
		return rc;
	if ((rc = license_device_matches(c, pub)) < 0)
		return rc == -EACCES ? -EBADMSG : rc;
	if ((rc = x25519(device_priv, c->wrapped.epk, shared)) < 0) {
		rc = rc == -EINVAL ? -EBADMSG : rc; /* a low-order epk */
		goto end;
	}
	if ((rc = wrap_kek(shared, c->wrapped.epk, pub, c->lid, kek)) < 0)
		goto end;
	blob[0] = SEAL_VERSION;
	memcpy(blob + 1, c->wrapped.nonce, LICENSE_NONCE_LEN);
	memcpy(blob + 1 + LICENSE_NONCE_LEN, c->wrapped.ct, LICENSE_WRAPPED_LEN);
	rc = seal_decrypt(kek, aad, wrap_aad(c->lid, c->title, c->ckid, aad), blob, sizeof(blob),
			  content_key, LICENSE_CKEY_LEN, &klen);
end:
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(kek, sizeof(kek));
	return rc;
}

/* ---- claims ------------------------------------------------------------- */

static bool claims_valid(const void *arg)
{
	const struct license_claims *c = arg;

	return claims_id_ok(c->lid) && claims_id_ok(c->user) && claims_id_ok(c->device) &&
	       claims_id_ok(c->title) && claims_id_ok(c->ckid) && c->window_s >= 1 &&
	       c->window_s <= LICENSE_WINDOW_MAX && c->expires > c->issued;
}

/* N bytes of IN as base64url into OUT (room for paseto_b64_enclen(N) + 1). */
static const char *b64(const uint8_t *in, size_t n, char *out)
{
	paseto_b64_encode(in, n, out);
	return out;
}

int license_issue(const struct paseto_key *sk, const struct license_claims *c, char **out)
{
	char iat[CLAIMS_TIME_LEN + 1], exp[CLAIMS_TIME_LEN + 1], dkh[64], epk[64], nonce[32],
	    ct[64];

	*out = NULL;
	if (!paseto_key_is_secret(sk) || !claims_valid(c) ||
	    c->expires - c->issued > LICENSE_TTL_MAX ||
	    claims_times(c->issued, c->expires, iat, exp) < 0)
		return -EINVAL;
	return claims_sign(sk,
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
				     "s:{s:s, s:s, s:s}}",
				     "purpose", LICENSE_TOKEN_PURPOSE, "lid", c->lid, "sub",
				     c->user, "device", c->device, "dkh",
				     b64(c->device_key_hash, LICENSE_HASH_LEN, dkh), "title",
				     c->title, "ckid", c->ckid, "iat", iat, "exp", exp, "window",
				     (json_int_t)c->window_s, "renewal", (json_int_t)c->renewal,
				     "wrapped", "epk", b64(c->wrapped.epk, LICENSE_X25519_LEN, epk),
				     "nonce", b64(c->wrapped.nonce, LICENSE_NONCE_LEN, nonce), "ct",
				     b64(c->wrapped.ct, LICENSE_WRAPPED_LEN, ct)),
			   out);
}

/* A base64url string member of exactly N bytes into DST. */
static int take_bytes(json_t *v, uint8_t *dst, size_t n)
{
	if (!json_is_string(v) || json_string_length(v) != paseto_b64_enclen(n))
		return -EINVAL;
	return paseto_b64_decode(json_string_value(v), json_string_length(v), dst) == (long)n
		   ? 0
		   : -EINVAL;
}

/* The "wrapped" object: exactly "epk", "nonce" and "ct". */
static int take_wrapped(json_t *obj, struct license_wrapped *w)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(obj) || json_object_size(obj) != 3)
		return -EINVAL;
	json_object_foreach(obj, key, v)
	{
		if (strcmp(key, "epk") == 0)
			rc = take_bytes(v, w->epk, sizeof(w->epk));
		else if (strcmp(key, "nonce") == 0)
			rc = take_bytes(v, w->nonce, sizeof(w->nonce));
		else if (strcmp(key, "ct") == 0)
			rc = take_bytes(v, w->ct, sizeof(w->ct));
		else
			rc = -EINVAL;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One member KEY = V of the claims object into ARG; unknown keys are -EINVAL. */
static int take_member(const char *key, json_t *v, void *arg)
{
	struct license_claims *c = arg;

	if (strcmp(key, "purpose") == 0)
		return 0; /* checked before */
	if (strcmp(key, "lid") == 0)
		return claims_take_id(v, c->lid, false);
	if (strcmp(key, "sub") == 0)
		return claims_take_id(v, c->user, false);
	if (strcmp(key, "device") == 0)
		return claims_take_id(v, c->device, false);
	if (strcmp(key, "dkh") == 0)
		return take_bytes(v, c->device_key_hash, sizeof(c->device_key_hash));
	if (strcmp(key, "title") == 0)
		return claims_take_id(v, c->title, false);
	if (strcmp(key, "ckid") == 0)
		return claims_take_id(v, c->ckid, false);
	if (strcmp(key, "iat") == 0)
		return claims_take_time(v, &c->issued);
	if (strcmp(key, "exp") == 0)
		return claims_take_time(v, &c->expires);
	if (strcmp(key, "window") == 0)
		return claims_take_uint(v, 1, LICENSE_WINDOW_MAX, &c->window_s);
	if (strcmp(key, "renewal") == 0)
		return claims_take_uint(v, 0, UINT32_MAX, &c->renewal);
	if (strcmp(key, "wrapped") == 0)
		return take_wrapped(v, &c->wrapped);
	return -EINVAL;
}

static const struct claims_schema schema = {
    .purpose = LICENSE_TOKEN_PURPOSE,
    .max_len = LICENSE_TOKEN_MAX,
    .nmembers = NMEMBERS,
    .size = sizeof(struct license_claims),
    .take = take_member,
    .valid = claims_valid,
};

int license_claims_parse(const char *json, size_t len, struct license_claims *out)
{
	return claims_parse(&schema, json, len, out);
}

int license_check(const struct paseto_keyring *ring, const char *token, size_t tlen, int64_t now,
		  struct license_claims *out)
{
	char kid[PASETO_KID_MAX + 1];
	struct license_claims c;
	uint8_t *msg = NULL;
	size_t mlen;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = claims_verify(ring, token, tlen, LICENSE_TOKEN_MAX, &msg, &mlen, kid)) < 0)
		goto end;
	if ((rc = license_claims_parse((const char *)msg, mlen, &c)) < 0)
		goto end;
	memcpy(c.kid, kid, sizeof(kid));
	if (now >= c.expires || c.issued > now + LICENSE_SKEW)
		rc = -ETIMEDOUT;
end:
	free(msg);
	if (out)
		*out = c;
	return rc;
}
