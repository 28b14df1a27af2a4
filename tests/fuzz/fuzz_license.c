/*
 * Fuzz target for common/license.c: the input is a license token checked at a
 * fixed time with a fixed keyring (kid "fz1", the seed of fuzz_paseto.c),
 * whose claims, when it passes, are unwrapped with a fixed device key; and
 * raw bytes to the claims parser.  Aborts when an error is not one of the
 * documented ones, when accepted claims break their own rules, or when parsed
 * claims do not survive issue + check unchanged.
 */
#include "license.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/license_claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED1 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define NOW   1750000000LL

static struct paseto_key *k1;
static struct paseto_keyring *ring;
static uint8_t dev_priv[LICENSE_X25519_LEN];

static void setup(void)
{
	if (ring)
		return;
	for (size_t i = 0; i < sizeof(dev_priv); i++)
		dev_priv[i] = (uint8_t)(0x40 + i); /* the device of the corpus's licenses */
	if (paseto_key_from_seed_hex("fz1", SEED1, &k1, NULL, 0) != 0 ||
	    !(ring = paseto_keyring_new()) || paseto_keyring_add(ring, k1) != 0)
		abort();
}

static int documented(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -ENOKEY || rc == -EBADMSG || rc == -EACCES ||
	       rc == -ETIMEDOUT;
}

/* Claims that parsed must round-trip through issue and check. */
static void check_roundtrip(const struct license_claims *c)
{
	struct license_claims again;
	char *tok = NULL;

	if (c->expires - c->issued > LICENSE_TTL_MAX || c->issued < -62167219200LL ||
	    c->expires > 253402300799LL)
		return; /* parseable, but the issuer caps the lifetime and the years */
	if (license_issue(k1, c, &tok) != 0)
		abort();
	if (license_check(ring, tok, strlen(tok), c->issued, &again) != 0 ||
	    strcmp(again.kid, "fz1") != 0 || !claims_equal(&again, c))
		abort();
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[LICENSE_CKEY_LEN];
	struct license_claims a;
	int rc;

	setup();
	rc = license_check(ring, (const char *)data, size, NOW, &a);
	if (!documented(rc))
		abort();
	if ((rc == 0 || rc == -ETIMEDOUT) != (a.lid[0] != '\0'))
		abort();
	if (rc == 0) {
		if (a.expires <= NOW || a.window_s < 1 || a.window_s > LICENSE_WINDOW_MAX ||
		    strcmp(a.kid, "fz1") != 0)
			abort();
		rc = license_unwrap_key(dev_priv, &a, key);
		if (rc != 0 && rc != -EBADMSG)
			abort();
	}

	rc = license_claims_parse((const char *)data, size, &a);
	if (rc != 0 && rc != -EINVAL && rc != -EACCES)
		abort();
	if (rc == 0)
		check_roundtrip(&a);
	return 0;
}
