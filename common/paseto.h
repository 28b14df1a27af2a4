/*
 * PASETO v4.public (paseto-standard/paseto-spec, Version4.md): Ed25519
 * signatures over the pre-authentication encoding (PAE, Common.md) of the
 * header, message, footer and implicit assertion.  Wire format:
 *
 *   v4.public.<base64url(message || signature[64])>[.<base64url(footer)>]
 *
 * base64url without padding, canonical (unused trailing bits zero).  Keys
 * carry a short key id (kid) chosen by the caller; a keyring of public keys
 * selects the verifying key by the footer's {"kid":"..."} so keys rotate.
 * Library code: no logging; 0 or a negative errno; ERR/ERRLEN (ERR may be
 * NULL) receive a message where a call documents it.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_PASETO_H
#define REEL_PASETO_H

#include <stddef.h>
#include <stdint.h>

#define PASETO_V4_PUBLIC   "v4.public."
#define PASETO_KID_MAX	   64	 /* longest key id, in bytes */
#define PASETO_FOOTER_MAX  1024	 /* longest footer the kid lookup parses */
#define PASETO_TOKEN_MAX   65536 /* longest token verify accepts */
#define PASETO_ED25519_LEN 32	 /* raw seed or public key */
#define PASETO_SIG_LEN	   64

struct paseto_key;     /* an Ed25519 key (secret or public only) with its kid */
struct paseto_keyring; /* public keys by kid */

/*
 * Key ids are 1..PASETO_KID_MAX bytes of [A-Za-z0-9._~:-]; anything else is
 * -EINVAL.  Every constructor stores a new key in *OUT (free it with
 * paseto_key_free) and fails with -EINVAL (bad kid or key material, message
 * in ERR), -ENOMEM, or -EIO (OpenSSL failed, message in ERR).
 */

/*
 * Every constructor below gives *OUT a new key (the caller frees it with
 * paseto_key_free(), or hands it to a keyring), or returns a negative errno
 * with *OUT NULL and a message in ERR.  KID is copied.
 */

/* A fresh random secret key. */
int paseto_key_generate(const char *kid, struct paseto_key **out, char *err, size_t errlen);

/* A secret key from its raw 32-byte seed. */
int paseto_key_from_seed(const char *kid, const uint8_t seed[PASETO_ED25519_LEN],
			 struct paseto_key **out, char *err, size_t errlen);

/* A public key from its raw 32 bytes. */
int paseto_key_from_public(const char *kid, const uint8_t pub[PASETO_ED25519_LEN],
			   struct paseto_key **out, char *err, size_t errlen);

/*
 * A secret key from hex: 64 digits (the seed), or 128 (seed || public key,
 * libsodium's layout; the public half must match the seed).  Either case.
 */
int paseto_key_from_seed_hex(const char *kid, const char *hex, struct paseto_key **out, char *err,
			     size_t errlen);

/* A public key from 64 hex digits. */
int paseto_key_from_public_hex(const char *kid, const char *hex, struct paseto_key **out, char *err,
			       size_t errlen);

/*
 * A key from PEM text (LEN bytes): an unencrypted PKCS#8 "PRIVATE KEY" as
 * `openssl genpkey -algorithm ed25519` writes it gives a secret key, a
 * "PUBLIC KEY" as `openssl pkey -pubout` writes it a public key.  Encrypted
 * keys and other algorithms are -EINVAL; nothing ever prompts for a password.
 */
int paseto_key_from_pem(const char *kid, const char *pem, size_t len, struct paseto_key **out,
			char *err, size_t errlen);

/* paseto_key_from_pem() on the contents of file PATH (at most 64 KiB); -errno if unreadable. */
int paseto_key_load_pem(const char *kid, const char *path, struct paseto_key **out, char *err,
			size_t errlen);

/*
 * PEM text of K, NUL-terminated, in *OUT (malloc'd; the caller frees it): the
 * PKCS#8 private key when SECRET is nonzero (then K must be secret, else
 * -EINVAL), else the SubjectPublicKeyInfo that `openssl pkeyutl -verify`
 * reads.  -ENOMEM, -EIO.
 */
int paseto_key_to_pem(const struct paseto_key *k, int secret, char **out);

/* The raw public key of K (secret or public).  Never fails. */
void paseto_key_public_raw(const struct paseto_key *k, uint8_t pub[PASETO_ED25519_LEN]);

/* The raw seed of secret key K: 0, or -EINVAL when K is public only, -EIO. */
int paseto_key_seed_raw(const struct paseto_key *k, uint8_t seed[PASETO_ED25519_LEN]);

/* The key id of K, owned by K. */
const char *paseto_key_kid(const struct paseto_key *k);

/* 1 when K can sign, 0 when it is public only. */
int paseto_key_is_secret(const struct paseto_key *k);

/* Free K; NULL does nothing. */
void paseto_key_free(struct paseto_key *k);

/*
 * Raw Ed25519 over DATA (LEN bytes), for protocols other than PASETO (HTTP
 * message signatures).  Sign needs a secret key (-EINVAL otherwise); verify
 * returns 0 for a valid SIG, -EBADMSG for any other.  -ENOMEM, -EIO.
 */
int paseto_key_sign_raw(const struct paseto_key *sk, const uint8_t *data, size_t len,
			uint8_t sig[PASETO_SIG_LEN]);
int paseto_key_verify_raw(const struct paseto_key *pk, const uint8_t *data, size_t len,
			  const uint8_t sig[PASETO_SIG_LEN]);

/*
 * Sign MSG (LEN bytes) with secret key SK, binding FOOTER (FLEN bytes, may be
 * NULL when FLEN is 0; an empty footer is left out of the token) and the
 * implicit assertion IMPLICIT (ILEN bytes, never sent).  *OUT receives the
 * NUL-terminated token (malloc'd; the caller frees it).  The footer is not
 * touched: to be found by paseto_keyring_verify() it must be the JSON
 * {"kid":"<kid>"} (see paseto_footer_for_key()).  -EINVAL when SK is public
 * only, -ENOMEM, -EIO.
 */
int paseto_v4_sign(const struct paseto_key *sk, const uint8_t *msg, size_t len,
		   const uint8_t *footer, size_t flen, const uint8_t *implicit, size_t ilen,
		   char **out);

/*
 * Verify TOKEN (TLEN bytes, need not be NUL-terminated) with public or secret
 * key PK and the implicit assertion IMPLICIT (ILEN bytes).  On success *MSG
 * and *FOOTER (each may be NULL to skip) receive malloc'd copies, with an
 * extra NUL after the *MLEN / *FLEN bytes that is not counted (the caller
 * frees them); a token without footer gives a 1-byte buffer and *FLEN 0.  Returns -EINVAL when
 * the token is malformed (not "v4.public.", bad or non-canonical base64url,
 * an empty footer part, shorter than a signature, longer than
 * PASETO_TOKEN_MAX), -EBADMSG when the signature does not verify, -ENOMEM,
 * -EIO.  On failure the outputs are NULL / 0.
 */
int paseto_v4_verify(const struct paseto_key *pk, const char *token, size_t tlen,
		     const uint8_t *implicit, size_t ilen, uint8_t **msg, size_t *mlen,
		     uint8_t **footer, size_t *flen);

/*
 * Decode the footer of TOKEN WITHOUT verifying anything but the token's
 * syntax (as paseto_v4_verify() checks it), to choose a key.  Outputs (the
 * caller frees *FOOTER) and errors as paseto_v4_verify() (never -EBADMSG).  The footer is untrusted
 * until the token verifies.
 */
int paseto_v4_peek_footer(const char *token, size_t tlen, uint8_t **footer, size_t *flen);

/*
 * The "kid" string of a JSON object footer (FLEN bytes) into the caller's KID
 * (SIZE bytes, at least PASETO_KID_MAX + 1).  -ENOKEY when the footer is empty or an
 * object without "kid"; -EINVAL when it is longer than PASETO_FOOTER_MAX,
 * not a JSON object, or "kid" is not a valid key id string.
 */
int paseto_footer_kid(const uint8_t *footer, size_t flen, char *kid, size_t size);

/*
 * The footer {"kid":"<kid of K>"} into *OUT (malloc'd, NUL-terminated: the
 * caller frees it), its length in *LEN.
 */
int paseto_footer_for_key(const struct paseto_key *k, char **out, size_t *len);

/* A new empty keyring (free it with paseto_keyring_free()), or NULL without memory. */
struct paseto_keyring *paseto_keyring_new(void);

/* Free R and its keys; NULL does nothing. */
void paseto_keyring_free(struct paseto_keyring *r);

/*
 * Add the public half of K to R under K's kid (R keeps its own reference; a
 * secret key's secret never enters the ring).  -EEXIST when R already has
 * that kid, -ENOMEM, -EIO.
 */
int paseto_keyring_add(struct paseto_keyring *r, const struct paseto_key *k);

/* Drop the key KID from R: 0, or -ENOENT. */
int paseto_keyring_remove(struct paseto_keyring *r, const char *kid);

/* The key of R named KID, or NULL; owned by R, valid until it is removed. */
const struct paseto_key *paseto_keyring_find(const struct paseto_keyring *r, const char *kid);

/* How many keys R holds. */
size_t paseto_keyring_count(const struct paseto_keyring *r);

/*
 * A number that changes whenever R's set of keys changes (add, remove), and
 * differs between rings: caches of verified tokens compare it to know their
 * entries still hold.
 */
uint64_t paseto_keyring_generation(const struct paseto_keyring *r);

/*
 * Verify TOKEN with the key of R named by its footer's kid, in this order:
 * syntax (-EINVAL), footer kid (-EINVAL when malformed, -ENOKEY when absent
 * or not in R), signature (-EBADMSG).  KID (may be NULL; else at least
 * PASETO_KID_MAX + 1 bytes, the caller's) receives the kid on success.
 * Outputs as paseto_v4_verify() (the caller frees them); -ENOMEM, -EIO.
 */
int paseto_keyring_verify(const struct paseto_keyring *r, const char *token, size_t tlen,
			  const uint8_t *implicit, size_t ilen, uint8_t **msg, size_t *mlen,
			  uint8_t **footer, size_t *flen, char *kid);

/*
 * base64url without padding (RFC 4648 section 5), exposed for tests.  Encode
 * LEN bytes of IN into the caller's OUT (room for paseto_b64_enclen(LEN) + 1;
 * NUL-terminated) and return the length written.  Decode strictly: only the 64 alphabet
 * characters, no '=', no length of 4n + 1, unused trailing bits zero; OUT
 * needs paseto_b64_declen(LEN) bytes; returns the length decoded or -EINVAL.
 */
size_t paseto_b64_enclen(size_t len);
size_t paseto_b64_declen(size_t len);
size_t paseto_b64_encode(const uint8_t *in, size_t len, char *out);
long paseto_b64_decode(const char *in, size_t len, uint8_t *out);

#endif
