/*
 * What the token unit tests share: the signing keys SK and SK2 (kids k1,
 * k2) in RING and STRANGER (k3) outside it, made by signing_keys_new() and
 * freed by signing_keys_free(), and sign_raw() for claims the issuers
 * would refuse to sign.
 */
#ifndef REEL_TEST_SIGNING_KEYS_H
#define REEL_TEST_SIGNING_KEYS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "paseto.h"

static struct paseto_key *sk, *sk2, *stranger;
static struct paseto_keyring *ring;

static inline void signing_keys_new(void)
{
	paseto_key_generate("k1", &sk, NULL, 0);
	paseto_key_generate("k2", &sk2, NULL, 0);
	paseto_key_generate("k3", &stranger, NULL, 0);
	ring = paseto_keyring_new();
	paseto_keyring_add(ring, sk);
	paseto_keyring_add(ring, sk2);
}

static inline void signing_keys_free(void)
{
	paseto_keyring_free(ring);
	paseto_key_free(sk);
	paseto_key_free(sk2);
	paseto_key_free(stranger);
}

/* Sign raw JSON claims MSG with K and its kid footer (the caller frees it; NULL on failure). */
static inline char *sign_raw(const struct paseto_key *k, const char *msg)
{
	char *footer, *tok = NULL;
	size_t flen;

	if (paseto_footer_for_key(k, &footer, &flen) != 0)
		return NULL;
	paseto_v4_sign(k, (const uint8_t *)msg, strlen(msg), (const uint8_t *)footer, flen, NULL, 0,
		       &tok);
	free(footer);
	return tok;
}

#endif
