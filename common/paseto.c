/*
 * PASETO v4.public with OpenSSL 3's Ed25519: keys, PAE, sign, verify, and a
 * keyring that picks the key by the footer's kid.
 */
#include "paseto.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "array.h"
#include "hex.h"

#define KEY_MAGIC  0x7a5e70c4u
#define RING_MAGIC 0x7a5e9c1bu
#define HDR_LEN	   (sizeof(PASETO_V4_PUBLIC) - 1)
#define PEM_MAX	   65536

struct paseto_key {
	unsigned magic;
	int secret;
	EVP_PKEY *pkey;
	EVP_MD_CTX *signer; /* a secret key's context set up to sign, copied by each signature */
	uint8_t pub[PASETO_ED25519_LEN];
	char kid[PASETO_KID_MAX + 1];
};

struct paseto_keyring {
	unsigned magic;
	uint64_t gen;
	struct paseto_key **keys;
	size_t n, cap;
};

/* The parts of a token that passed the syntax checks. */
struct token_parts {
	uint8_t *body; /* message || signature */
	size_t blen;
	const char *foot; /* base64url footer, or NULL */
	size_t foot_len;
};

static uint64_t ring_generation_counter;

/* OpenSSL's error queue to a message in ERR, once, here; returns -EIO. */
static int ossl_fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256] = "unknown error";

	if (e)
		ERR_error_string_n(e, msg, sizeof(msg));
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, msg);
	ERR_clear_error();
	return -EIO;
}

static int fail(char *err, size_t errlen, int rc, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
	return rc;
}

/* ---- base64url ---------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t paseto_b64_enclen(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

size_t paseto_b64_declen(size_t len)
{
	return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
}

size_t paseto_b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		out[o++] = b64_alphabet[in[i] >> 2];
		out[o++] = b64_alphabet[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
		out[o++] = b64_alphabet[v >> 10];
		out[o++] = b64_alphabet[v >> 4 & 63];
		out[o++] = b64_alphabet[(v & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long paseto_b64_decode(const char *in, size_t len, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (len % 4 == 1 || len > (size_t)LONG_MAX / 3)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits && (acc & ((1u << bits) - 1)))
		return -EINVAL; /* non-canonical: unused bits set */
	return (long)o;
}

/* ---- keys --------------------------------------------------------------- */

static int kid_valid(const char *kid, size_t len)
{
	if (len == 0 || len > PASETO_KID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)kid[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '~' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

/* Wrap PKEY (ownership passes in, freed on failure) as a key named KID. */
static int key_wrap(const char *kid, EVP_PKEY *pkey, int secret, struct paseto_key **out, char *err,
		    size_t errlen)
{
	struct paseto_key *k;
	size_t publen = PASETO_ED25519_LEN;

	*out = NULL;
	if (!kid || !kid_valid(kid, strlen(kid))) {
		EVP_PKEY_free(pkey);
		return fail(err, errlen, -EINVAL, "invalid key id");
	}
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return fail(err, errlen, -EINVAL, "not an Ed25519 key");
	}
	if (!(k = calloc(1, sizeof(*k)))) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, k->pub, &publen) != 1 ||
	    publen != PASETO_ED25519_LEN) {
		EVP_PKEY_free(pkey);
		free(k);
		return ossl_fail(err, errlen, "reading the public key");
	}
	/* setting up a signing context costs a sixth of a signature: done once per key */
	if (secret && (!(k->signer = EVP_MD_CTX_new()) ||
		       EVP_DigestSignInit(k->signer, NULL, NULL, NULL, pkey) != 1)) {
		EVP_MD_CTX_free(k->signer);
		EVP_PKEY_free(pkey);
		free(k);
		return ossl_fail(err, errlen, "setting up Ed25519 signing");
	}
	k->magic = KEY_MAGIC;
	k->secret = secret;
	k->pkey = pkey;
	strcpy(k->kid, kid);
	*out = k;
	return 0;
}

int paseto_key_generate(const char *kid, struct paseto_key **out, char *err, size_t errlen)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	*out = NULL;
	if (!pkey)
		return ossl_fail(err, errlen, "generating an Ed25519 key");
	return key_wrap(kid, pkey, 1, out, err, errlen);
}

int paseto_key_from_seed(const char *kid, const uint8_t seed[PASETO_ED25519_LEN],
			 struct paseto_key **out, char *err, size_t errlen)
{
	EVP_PKEY *pkey =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, PASETO_ED25519_LEN);

	*out = NULL;
	if (!pkey)
		return ossl_fail(err, errlen, "loading the Ed25519 seed");
	return key_wrap(kid, pkey, 1, out, err, errlen);
}

int paseto_key_from_public(const char *kid, const uint8_t pub[PASETO_ED25519_LEN],
			   struct paseto_key **out, char *err, size_t errlen)
{
	EVP_PKEY *pkey =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, PASETO_ED25519_LEN);

	*out = NULL;
	if (!pkey)
		return ossl_fail(err, errlen, "loading the Ed25519 public key");
	return key_wrap(kid, pkey, 0, out, err, errlen);
}

int paseto_key_from_seed_hex(const char *kid, const char *hex, struct paseto_key **out, char *err,
			     size_t errlen)
{
	uint8_t raw[2 * PASETO_ED25519_LEN];
	size_t len = hex ? strlen(hex) : 0;
	int rc;

	*out = NULL;
	if (len != 4 * PASETO_ED25519_LEN && len != 2 * PASETO_ED25519_LEN)
		return fail(err, errlen, -EINVAL, "an Ed25519 secret key is 64 or 128 hex digits");
	if (hex_decode(hex, len, raw, len / 2) != 0)
		return fail(err, errlen, -EINVAL, "invalid hex digit in the secret key");
	rc = paseto_key_from_seed(kid, raw, out, err, errlen);
	if (rc == 0 && len == 4 * PASETO_ED25519_LEN &&
	    memcmp((*out)->pub, raw + PASETO_ED25519_LEN, PASETO_ED25519_LEN) != 0) {
		paseto_key_free(*out);
		*out = NULL;
		rc = fail(err, errlen, -EINVAL, "the public half does not match the seed");
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int paseto_key_from_public_hex(const char *kid, const char *hex, struct paseto_key **out, char *err,
			       size_t errlen)
{
	uint8_t raw[PASETO_ED25519_LEN];

	*out = NULL;
	if (hex_decode(hex, hex ? strlen(hex) : 0, raw, sizeof(raw)) != 0)
		return fail(err, errlen, -EINVAL, "an Ed25519 public key is 64 hex digits");
	return paseto_key_from_public(kid, raw, out, err, errlen);
}

/* Refuse every password prompt: encrypted PEM keys fail to load. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int paseto_key_from_pem(const char *kid, const char *pem, size_t len, struct paseto_key **out,
			char *err, size_t errlen)
{
	BIO *bio;
	EVP_PKEY *pkey;
	int secret = 1;

	*out = NULL;
	if (len > PEM_MAX)
		return fail(err, errlen, -EINVAL, "PEM text too long");
	if (!(bio = BIO_new_mem_buf(pem, (int)len)))
		return -ENOMEM;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (!pkey) {
		secret = 0;
		ERR_clear_error();
		BIO_free(bio);
		if (!(bio = BIO_new_mem_buf(pem, (int)len)))
			return -ENOMEM;
		pkey = PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
	}
	BIO_free(bio);
	if (!pkey) {
		ERR_clear_error();
		return fail(err, errlen, -EINVAL, "no unencrypted PEM private or public key");
	}
	return key_wrap(kid, pkey, secret, out, err, errlen);
}

int paseto_key_load_pem(const char *kid, const char *path, struct paseto_key **out, char *err,
			size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (!f) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (!(buf = malloc(PEM_MAX + 1))) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, PEM_MAX + 1, f);
	if (ferror(f))
		rc = fail(err, errlen, -EIO, "reading the PEM file");
	else if (len > PEM_MAX)
		rc = fail(err, errlen, -EINVAL, "PEM file too long");
	else
		rc = paseto_key_from_pem(kid, buf, len, out, err, errlen);
	fclose(f);
	OPENSSL_cleanse(buf, PEM_MAX + 1);
	free(buf);
	return rc;
}

int paseto_key_to_pem(const struct paseto_key *k, int secret, char **out)
{
	BIO *bio;
	BUF_MEM *mem;
	int ok;

	*out = NULL;
	if (secret && !k->secret)
		return -EINVAL;
	if (!(bio = BIO_new(BIO_s_mem())))
		return -ENOMEM;
	if (secret)
		ok = PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(bio, k->pkey);
	BIO_get_mem_ptr(bio, &mem);
	if (ok != 1 || !mem) {
		BIO_free(bio);
		return ossl_fail(NULL, 0, "writing PEM");
	}
	if ((*out = malloc(mem->length + 1))) {
		memcpy(*out, mem->data, mem->length);
		(*out)[mem->length] = '\0';
	}
	OPENSSL_cleanse(mem->data, mem->length);
	BIO_free(bio);
	return *out ? 0 : -ENOMEM;
}

void paseto_key_public_raw(const struct paseto_key *k, uint8_t pub[PASETO_ED25519_LEN])
{
	memcpy(pub, k->pub, PASETO_ED25519_LEN);
}

int paseto_key_seed_raw(const struct paseto_key *k, uint8_t seed[PASETO_ED25519_LEN])
{
	size_t len = PASETO_ED25519_LEN;

	if (!k->secret)
		return -EINVAL;
	if (EVP_PKEY_get_raw_private_key(k->pkey, seed, &len) != 1 || len != PASETO_ED25519_LEN)
		return ossl_fail(NULL, 0, "reading the seed");
	return 0;
}

const char *paseto_key_kid(const struct paseto_key *k)
{
	return k->kid;
}

int paseto_key_is_secret(const struct paseto_key *k)
{
	return k->secret;
}

void paseto_key_free(struct paseto_key *k)
{
	if (!k)
		return;
	if (k->magic != KEY_MAGIC)
		abort();
	EVP_MD_CTX_free(k->signer);
	EVP_PKEY_free(k->pkey);
	k->magic = 0;
	free(k);
}

/* ---- PAE, sign, verify -------------------------------------------------- */

static uint8_t *le64(uint8_t *p, size_t n)
{
	uint64_t v = (uint64_t)n & ~(UINT64_C(1) << 63);

	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint8_t *pae_piece(uint8_t *p, const void *data, size_t len)
{
	p = le64(p, len);
	if (len)
		memcpy(p, data, len);
	return p + len;
}

/*
 * PAE(h, m, f, i) into a malloc'd buffer (*OUT, *OUTLEN): the count of pieces,
 * then each piece as its 64-bit little-endian length and its bytes.
 */
static int pae4(const uint8_t *m, size_t mlen, const uint8_t *f, size_t flen, const uint8_t *i,
		size_t ilen, uint8_t **out, size_t *outlen)
{
	size_t len = 8 + 4 * 8 + HDR_LEN;
	uint8_t *buf, *p;

	if (mlen > SIZE_MAX / 2 - len || flen > SIZE_MAX / 4 || ilen > SIZE_MAX / 4)
		return -ENOMEM;
	len += mlen + flen + ilen;
	if (!(buf = malloc(len)))
		return -ENOMEM;
	p = le64(buf, 4);
	p = pae_piece(p, PASETO_V4_PUBLIC, HDR_LEN);
	p = pae_piece(p, m, mlen);
	p = pae_piece(p, f, flen);
	pae_piece(p, i, ilen);
	*out = buf;
	*outlen = len;
	return 0;
}

/* SK's signature of DATA, from a copy of its signing context (the copy is thread-safe). */
static int ed25519_sign(const struct paseto_key *sk, const uint8_t *data, size_t len,
			uint8_t sig[PASETO_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = PASETO_SIG_LEN;
	int rc = 0;

	if (!ctx)
		return -ENOMEM;
	if (EVP_MD_CTX_copy_ex(ctx, sk->signer) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, data, len) != 1 || siglen != PASETO_SIG_LEN)
		rc = ossl_fail(NULL, 0, "Ed25519 sign");
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* 0 when SIG is a valid signature of DATA under PKEY, else -EBADMSG (or -ENOMEM, -EIO). */
static int ed25519_verify(EVP_PKEY *pkey, const uint8_t *data, size_t len,
			  const uint8_t sig[PASETO_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
		rc = ossl_fail(NULL, 0, "Ed25519 verify init");
	} else {
		rc = EVP_DigestVerify(ctx, sig, PASETO_SIG_LEN, data, len) == 1 ? 0 : -EBADMSG;
		ERR_clear_error();
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

int paseto_key_sign_raw(const struct paseto_key *sk, const uint8_t *data, size_t len,
			uint8_t sig[PASETO_SIG_LEN])
{
	if (sk->magic != KEY_MAGIC || !sk->secret)
		return -EINVAL;
	return ed25519_sign(sk, data, len, sig);
}

int paseto_key_verify_raw(const struct paseto_key *pk, const uint8_t *data, size_t len,
			  const uint8_t sig[PASETO_SIG_LEN])
{
	if (pk->magic != KEY_MAGIC)
		return -EINVAL;
	return ed25519_verify(pk->pkey, data, len, sig);
}

int paseto_v4_sign(const struct paseto_key *sk, const uint8_t *msg, size_t len,
		   const uint8_t *footer, size_t flen, const uint8_t *implicit, size_t ilen,
		   char **out)
{
	uint8_t *pae = NULL, *body = NULL;
	size_t plen, tlen, o;
	char *tok = NULL;
	int rc;

	*out = NULL;
	if (!sk->secret)
		return -EINVAL;
	if (len > PASETO_TOKEN_MAX || flen > PASETO_TOKEN_MAX)
		return -EINVAL;
	if ((rc = pae4(msg, len, footer, flen, implicit, ilen, &pae, &plen)) < 0)
		return rc;
	rc = -ENOMEM;
	if (!(body = malloc(len + PASETO_SIG_LEN)))
		goto end;
	if (len)
		memcpy(body, msg, len);
	if ((rc = ed25519_sign(sk, pae, plen, body + len)) < 0)
		goto end;
	tlen = HDR_LEN + paseto_b64_enclen(len + PASETO_SIG_LEN) + 1 + paseto_b64_enclen(flen);
	rc = -ENOMEM;
	if (!(tok = malloc(tlen + 1)))
		goto end;
	memcpy(tok, PASETO_V4_PUBLIC, HDR_LEN);
	o = HDR_LEN + paseto_b64_encode(body, len + PASETO_SIG_LEN, tok + HDR_LEN);
	if (flen) {
		tok[o++] = '.';
		paseto_b64_encode(footer, flen, tok + o);
	}
	*out = tok;
	tok = NULL;
	rc = 0;
end:
	free(tok);
	free(body);
	free(pae);
	return rc;
}

/* Decode LEN base64url characters into a malloc'd buffer with a spare NUL. */
static int b64_dup(const char *in, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = malloc(paseto_b64_declen(len) + 1);
	long n;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	if ((n = paseto_b64_decode(in, len, buf)) < 0) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

/* Check the header and split TOKEN; decodes the body into P->body. */
static int token_split(const char *token, size_t tlen, struct token_parts *p)
{
	const char *body, *dot;
	size_t blen;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!token || tlen <= HDR_LEN || tlen > PASETO_TOKEN_MAX ||
	    memcmp(token, PASETO_V4_PUBLIC, HDR_LEN) != 0)
		return -EINVAL;
	body = token + HDR_LEN;
	blen = tlen - HDR_LEN;
	if ((dot = memchr(body, '.', blen))) {
		p->foot = dot + 1;
		p->foot_len = (size_t)(token + tlen - p->foot);
		blen = (size_t)(dot - body);
		if (p->foot_len == 0 || memchr(p->foot, '.', p->foot_len))
			return -EINVAL;
	}
	if (blen < paseto_b64_enclen(PASETO_SIG_LEN))
		return -EINVAL;
	if ((rc = b64_dup(body, blen, &p->body, &p->blen)) < 0)
		return rc;
	if (p->blen < PASETO_SIG_LEN) {
		free(p->body);
		p->body = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Decode P's footer (or an empty one) into *FOOTER / *FLEN. */
static int footer_dup(const struct token_parts *p, uint8_t **footer, size_t *flen)
{
	if (p->foot)
		return b64_dup(p->foot, p->foot_len, footer, flen);
	*flen = 0;
	return (*footer = calloc(1, 1)) ? 0 : -ENOMEM;
}

int paseto_v4_peek_footer(const char *token, size_t tlen, uint8_t **footer, size_t *flen)
{
	struct token_parts p;
	int rc;

	*footer = NULL;
	*flen = 0;
	if ((rc = token_split(token, tlen, &p)) < 0)
		return rc;
	free(p.body);
	return footer_dup(&p, footer, flen);
}

/* Verify the split token P with PKEY; the outputs are filled on success only. */
static int verify_parts(EVP_PKEY *pkey, struct token_parts *p, const uint8_t *implicit, size_t ilen,
			uint8_t **msg, size_t *mlen, uint8_t **footer, size_t *flen)
{
	uint8_t *f = NULL, *pae = NULL;
	size_t fl = 0, plen, ml = p->blen - PASETO_SIG_LEN;
	int rc;

	if ((rc = footer_dup(p, &f, &fl)) < 0)
		goto end;
	if ((rc = pae4(p->body, ml, f, fl, implicit, ilen, &pae, &plen)) < 0)
		goto end;
	if ((rc = ed25519_verify(pkey, pae, plen, p->body + ml)) < 0)
		goto end;
	if (msg) {
		p->body[ml] = '\0'; /* the signature is no longer needed */
		*msg = p->body;
		*mlen = ml;
		p->body = NULL;
	}
	if (footer) {
		*footer = f;
		*flen = fl;
		f = NULL;
	}
end:
	free(pae);
	free(f);
	return rc;
}

static void clear_outputs(uint8_t **msg, size_t *mlen, uint8_t **footer, size_t *flen)
{
	if (msg) {
		*msg = NULL;
		*mlen = 0;
	}
	if (footer) {
		*footer = NULL;
		*flen = 0;
	}
}

int paseto_v4_verify(const struct paseto_key *pk, const char *token, size_t tlen,
		     const uint8_t *implicit, size_t ilen, uint8_t **msg, size_t *mlen,
		     uint8_t **footer, size_t *flen)
{
	struct token_parts p;
	int rc;

	clear_outputs(msg, mlen, footer, flen);
	if ((rc = token_split(token, tlen, &p)) < 0)
		return rc;
	rc = verify_parts(pk->pkey, &p, implicit, ilen, msg, mlen, footer, flen);
	free(p.body);
	return rc;
}

/* ---- footer kid --------------------------------------------------------- */

int paseto_footer_kid(const uint8_t *footer, size_t flen, char *kid, size_t size)
{
	json_t *root, *v;
	const char *s;
	size_t len;
	int rc = -EINVAL;

	if (flen == 0)
		return -ENOKEY;
	if (flen > PASETO_FOOTER_MAX || size < PASETO_KID_MAX + 1)
		return -EINVAL;
	root = json_loadb((const char *)footer, flen, JSON_REJECT_DUPLICATES, NULL);
	if (!root || !json_is_object(root))
		goto end;
	if (!(v = json_object_get(root, "kid"))) {
		rc = -ENOKEY;
		goto end;
	}
	if (!json_is_string(v))
		goto end;
	s = json_string_value(v);
	len = json_string_length(v);
	if (!kid_valid(s, len))
		goto end;
	memcpy(kid, s, len);
	kid[len] = '\0';
	rc = 0;
end:
	json_decref(root);
	return rc;
}

int paseto_footer_for_key(const struct paseto_key *k, char **out, size_t *len)
{
	/* kid_valid() characters need no JSON escaping */
	size_t n = strlen(k->kid) + sizeof("{\"kid\":\"\"}");

	if (!(*out = malloc(n)))
		return -ENOMEM;
	*len = (size_t)snprintf(*out, n, "{\"kid\":\"%s\"}", k->kid);
	return 0;
}

/* ---- keyring ------------------------------------------------------------ */

static uint64_t next_generation(void)
{
	return __atomic_add_fetch(&ring_generation_counter, 1, __ATOMIC_RELAXED);
}

struct paseto_keyring *paseto_keyring_new(void)
{
	struct paseto_keyring *r = calloc(1, sizeof(*r));

	if (r) {
		r->magic = RING_MAGIC;
		r->gen = next_generation();
	}
	return r;
}

void paseto_keyring_free(struct paseto_keyring *r)
{
	if (!r)
		return;
	if (r->magic != RING_MAGIC)
		abort();
	for (size_t i = 0; i < r->n; i++)
		paseto_key_free(r->keys[i]);
	free(r->keys);
	r->magic = 0;
	free(r);
}

static ssize_t ring_index(const struct paseto_keyring *r, const char *kid)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->keys[i]->kid, kid) == 0)
			return (ssize_t)i;
	return -1;
}

int paseto_keyring_add(struct paseto_keyring *r, const struct paseto_key *k)
{
	struct paseto_key *pub;
	int rc;

	if (ring_index(r, k->kid) >= 0)
		return -EEXIST;
	if (array_reserve((void **)&r->keys, &r->cap, r->n, sizeof(*r->keys), 4) != 0)
		return -ENOMEM;
	if ((rc = paseto_key_from_public(k->kid, k->pub, &pub, NULL, 0)) < 0)
		return rc;
	r->keys[r->n++] = pub;
	r->gen = next_generation();
	return 0;
}

int paseto_keyring_remove(struct paseto_keyring *r, const char *kid)
{
	ssize_t i = ring_index(r, kid);

	if (i < 0)
		return -ENOENT;
	paseto_key_free(r->keys[i]);
	r->keys[i] = r->keys[--r->n];
	r->gen = next_generation();
	return 0;
}

const struct paseto_key *paseto_keyring_find(const struct paseto_keyring *r, const char *kid)
{
	ssize_t i = ring_index(r, kid);

	return i < 0 ? NULL : r->keys[i];
}

size_t paseto_keyring_count(const struct paseto_keyring *r)
{
	return r->n;
}

uint64_t paseto_keyring_generation(const struct paseto_keyring *r)
{
	return r->gen;
}

int paseto_keyring_verify(const struct paseto_keyring *r, const char *token, size_t tlen,
			  const uint8_t *implicit, size_t ilen, uint8_t **msg, size_t *mlen,
			  uint8_t **footer, size_t *flen, char *kid)
{
	struct token_parts p;
	const struct paseto_key *k;
	char name[PASETO_KID_MAX + 1];
	uint8_t *f = NULL;
	size_t fl = 0;
	int rc;

	clear_outputs(msg, mlen, footer, flen);
	if ((rc = token_split(token, tlen, &p)) < 0)
		return rc;
	if ((rc = footer_dup(&p, &f, &fl)) < 0)
		goto end;
	if ((rc = paseto_footer_kid(f, fl, name, sizeof(name))) < 0)
		goto end;
	if (!(k = paseto_keyring_find(r, name))) {
		rc = -ENOKEY;
		goto end;
	}
	if ((rc = verify_parts(k->pkey, &p, implicit, ilen, msg, mlen, footer, flen)) < 0)
		goto end;
	if (kid)
		strcpy(kid, name);
end:
	free(f);
	free(p.body);
	return rc;
}
