/*
 * Fuzz target for common/stream_token.c: the input is a token string checked
 * at a fixed time for the title "big-buck-bunny" with a fixed keyring (kid
 * "fz1", the seed of fuzz_paseto.c), both directly and through a small
 * token_cache, twice; and as raw bytes to the claims parser and the RFC 3339
 * parser.  Aborts when the cache and the direct check disagree, when an error
 * is not one of the documented ones, or when parsed claims do not survive
 * issue + check unchanged.
 */
#include "stream_token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED1 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define NOW   1750000000LL
#define TITLE "big-buck-bunny"

static struct paseto_key *k1;
static struct paseto_keyring *ring;
static struct token_cache *cache;

static void setup(void)
{
	if (ring)
		return;
	if (paseto_key_from_seed_hex("fz1", SEED1, &k1, NULL, 0) != 0 ||
	    !(ring = paseto_keyring_new()) || paseto_keyring_add(ring, k1) != 0 ||
	    !(cache = token_cache_new(16)))
		abort();
}

static int documented(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -ENOKEY || rc == -EBADMSG || rc == -EACCES ||
	       rc == -ETIMEDOUT;
}

static int claims_equal(const struct stream_claims *a, const struct stream_claims *b)
{
	return strcmp(a->user, b->user) == 0 && strcmp(a->title, b->title) == 0 &&
	       strcmp(a->version, b->version) == 0 && strcmp(a->lease, b->lease) == 0 &&
	       strcmp(a->kid, b->kid) == 0 && a->max_height == b->max_height &&
	       a->issued == b->issued && a->expires == b->expires;
}

/* Claims that parsed must round-trip through issue and check. */
static void check_roundtrip(const struct stream_claims *c)
{
	struct stream_claims again;
	char *tok = NULL;
	int rc;

	if (c->expires - c->issued > STREAM_TOKEN_TTL_MAX || c->issued < -62167219200LL ||
	    c->expires > 253402300799LL)
		return; /* parseable, but the issuer caps the lifetime and the years */
	if (stream_token_issue(k1, c, &tok) != 0)
		abort();
	rc = stream_token_check(ring, tok, strlen(tok), c->issued, c->title, strlen(c->title),
				&again);
	if (rc != 0 || strcmp(again.kid, "fz1") != 0)
		abort();
	memcpy(again.kid, c->kid, sizeof(again.kid));
	if (!claims_equal(&again, c))
		abort();
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *tok = (const char *)data;
	struct stream_claims a, b;
	int64_t t;
	int rc, rc2;

	setup();
	rc = stream_token_check(ring, tok, size, NOW, TITLE, strlen(TITLE), &a);
	if (!documented(rc))
		abort();
	for (int i = 0; i < 2; i++) {
		rc2 = token_cache_check(cache, ring, tok, size, NOW, TITLE, strlen(TITLE), &b);
		if (rc2 != rc || !claims_equal(&a, &b))
			abort();
	}
	if (rc == 0 && (a.max_height < 1 || a.expires <= NOW || strcmp(a.title, TITLE) != 0))
		abort();

	rc = stream_claims_parse(tok, size, &a);
	if (rc != 0 && rc != -EINVAL && rc != -EACCES)
		abort();
	if (rc == 0)
		check_roundtrip(&a);
	rc = stream_time_parse(tok, size, &t);
	if (rc != 0 && rc != -EINVAL)
		abort();
	return 0;
}
