/*
 * Fuzz target for common/paseto.c: the input is a token string, fed to the
 * keyring verifier (kids "fz1" and "fz2", fixed seeds), to paseto_v4_verify()
 * with the "fz1" key, to the footer peek, and as raw bytes to the footer-kid
 * parser and the base64url decoder.  Aborts when a contract breaks: a token
 * that verifies must re-sign to exactly itself (Ed25519 is deterministic, so
 * this proves the encoding canonical), verifiers must agree, errors must be
 * the documented ones, and base64url that decodes must re-encode to itself.
 */
#include "paseto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED1 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define SEED2 "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"

static struct paseto_key *k1, *k2;
static struct paseto_keyring *ring;

static void setup(void)
{
	if (ring)
		return;
	if (paseto_key_from_seed_hex("fz1", SEED1, &k1, NULL, 0) != 0 ||
	    paseto_key_from_seed_hex("fz2", SEED2, &k2, NULL, 0) != 0 ||
	    !(ring = paseto_keyring_new()) || paseto_keyring_add(ring, k1) != 0 ||
	    paseto_keyring_add(ring, k2) != 0)
		abort();
}

static void check_resign(const struct paseto_key *k, const char *tok, size_t len,
			 const uint8_t *msg, size_t mlen, const uint8_t *foot, size_t flen)
{
	char *again = NULL;

	if (paseto_v4_sign(k, msg, mlen, foot, flen, NULL, 0, &again) != 0)
		abort();
	if (strlen(again) != len || memcmp(again, tok, len) != 0)
		abort();
	free(again);
}

static void check_b64(const uint8_t *data, size_t size)
{
	uint8_t *dec = malloc(paseto_b64_declen(size) + 1);
	long n = paseto_b64_decode((const char *)data, size, dec);

	if (n >= 0) {
		char *enc = malloc(paseto_b64_enclen((size_t)n) + 1);
		if ((size_t)n != paseto_b64_declen(size) ||
		    paseto_b64_encode(dec, (size_t)n, enc) != size || memcmp(enc, data, size) != 0)
			abort();
		free(enc);
	} else if (n != -EINVAL) {
		abort();
	}
	free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *tok = (const char *)data;
	uint8_t *msg = NULL, *foot = NULL, *pf = NULL;
	size_t mlen = 0, flen = 0, pflen = 0;
	char kid[PASETO_KID_MAX + 1];
	int rc, rc1, rcp;

	setup();
	rc = paseto_keyring_verify(ring, tok, size, NULL, 0, &msg, &mlen, &foot, &flen, kid);
	if (rc == 0) {
		const struct paseto_key *k = strcmp(kid, "fz1") == 0 ? k1 : k2;
		if (strcmp(kid, "fz1") != 0 && strcmp(kid, "fz2") != 0)
			abort();
		if (msg[mlen] != '\0' || foot[flen] != '\0')
			abort();
		check_resign(k, tok, size, msg, mlen, foot, flen);
	} else if (rc != -EINVAL && rc != -ENOKEY && rc != -EBADMSG) {
		abort();
	} else if (msg || foot || mlen || flen) {
		abort();
	}
	free(msg);
	free(foot);

	rc1 = paseto_v4_verify(k1, tok, size, NULL, 0, NULL, NULL, NULL, NULL);
	if (rc1 != 0 && rc1 != -EINVAL && rc1 != -EBADMSG)
		abort();
	if (rc == 0 && strcmp(kid, "fz1") == 0 && rc1 != 0)
		abort();
	rcp = paseto_v4_peek_footer(tok, size, &pf, &pflen);
	if ((rcp == -EINVAL) != (rc1 == -EINVAL))
		abort(); /* the same syntax checks */
	free(pf);

	rc = paseto_footer_kid(data, size, kid, sizeof(kid));
	if (rc == 0 && (strlen(kid) == 0 || strlen(kid) > PASETO_KID_MAX))
		abort();
	check_b64(data, size);
	return 0;
}
