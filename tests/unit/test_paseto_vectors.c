/*
 * common/paseto.c against the published PASETO v4 test vectors
 * (paseto-standard/test-vectors, ../shared/vectors/paseto-v4.json; the path
 * comes from argv[1] or $REEL_PASETO_VECTORS).  Every v4.public vector must
 * verify and re-sign to the same token; every expect-fail vector must be
 * refused by the public verifier; v4.local successes are skipped (we only
 * implement v4.public).  A missing file skips the whole test.
 */
#include "paseto.h"
#include "test.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

static int npublic_ok, nfail_ok, nlocal_skipped;

static const char *member(json_t *t, const char *name)
{
	json_t *v = json_object_get(t, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A success vector: every way of loading the keys verifies and re-signs identically. */
static void check_success(json_t *t, const char *name)
{
	const char *token = member(t, "token"), *payload = member(t, "payload");
	const char *footer = member(t, "footer"), *ia = member(t, "implicit-assertion");
	struct paseto_key *pk = NULL, *sk = NULL, *sk128 = NULL, *pkpem = NULL, *skpem = NULL;
	struct paseto_keyring *ring = paseto_keyring_new();
	uint8_t *msg = NULL, *foot = NULL;
	size_t mlen, flen;
	char *signed_tok = NULL, kid[PASETO_KID_MAX + 1];
	int before = test_failed;

	CHECK_INT(paseto_key_from_public_hex("v", member(t, "public-key"), &pk, NULL, 0), 0);
	CHECK_INT(paseto_key_from_seed_hex("v", member(t, "secret-key-seed"), &sk, NULL, 0), 0);
	CHECK_INT(paseto_key_from_seed_hex("v", member(t, "secret-key"), &sk128, NULL, 0), 0);
	CHECK_INT(paseto_key_from_pem("v", member(t, "public-key-pem"),
				      strlen(member(t, "public-key-pem")), &pkpem, NULL, 0),
		  0);
	CHECK_INT(paseto_key_from_pem("v", member(t, "secret-key-pem"),
				      strlen(member(t, "secret-key-pem")), &skpem, NULL, 0),
		  0);
	if (!pk || !sk || !sk128 || !pkpem || !skpem)
		goto end;
	CHECK(paseto_key_is_secret(skpem) && !paseto_key_is_secret(pkpem));

	CHECK_INT(paseto_v4_verify(pk, token, strlen(token), (const uint8_t *)ia, strlen(ia), &msg,
				   &mlen, &foot, &flen),
		  0);
	CHECK(msg && mlen == strlen(payload) && memcmp(msg, payload, mlen) == 0);
	CHECK(foot && flen == strlen(footer) && memcmp(foot, footer, flen) == 0);
	free(msg);
	free(foot);

	for (int i = 0; i < 2; i++) {
		const struct paseto_key *v = i ? pkpem : sk;
		CHECK_INT(paseto_v4_verify(v, token, strlen(token), (const uint8_t *)ia, strlen(ia),
					   NULL, NULL, NULL, NULL),
			  0);
	}
	for (int i = 0; i < 3; i++) {
		const struct paseto_key *s = i == 0 ? sk : i == 1 ? sk128 : skpem;
		CHECK_INT(paseto_v4_sign(s, (const uint8_t *)payload, strlen(payload),
					 (const uint8_t *)footer, strlen(footer),
					 (const uint8_t *)ia, strlen(ia), &signed_tok),
			  0);
		CHECK_STR(signed_tok, token);
		free(signed_tok);
		signed_tok = NULL;
	}
	/* with a kid footer, the keyring finds the key by it */
	if (paseto_footer_kid((const uint8_t *)footer, strlen(footer), kid, sizeof(kid)) == 0) {
		struct paseto_key *named = NULL;
		CHECK_INT(paseto_key_from_public_hex(kid, member(t, "public-key"), &named, NULL, 0),
			  0);
		CHECK_INT(paseto_keyring_add(ring, named), 0);
		CHECK_INT(paseto_keyring_verify(ring, token, strlen(token), (const uint8_t *)ia,
						strlen(ia), NULL, NULL, NULL, NULL, NULL),
			  0);
		paseto_key_free(named);
	}
end:
	if (test_failed == before)
		npublic_ok++;
	printf("# %s: %s\n", name, test_failed == before ? "verified and re-signed" : "FAILED");
	paseto_key_free(pk);
	paseto_key_free(sk);
	paseto_key_free(sk128);
	paseto_key_free(pkpem);
	paseto_key_free(skpem);
	paseto_keyring_free(ring);
}

/*
 * An expect-fail vector: the public verifier refuses it with the vector's
 * public key, or with its symmetric key taken as a public key (4-F-2: a
 * v4.public token whose key is a v4.local key), or with the 4-S-1 key.
 */
static void check_failure(json_t *t, const char *name, const struct paseto_key *fallback)
{
	const char *token = member(t, "token"), *ia = member(t, "implicit-assertion");
	const char *hex = member(t, "public-key") ? member(t, "public-key") : member(t, "key");
	struct paseto_key *k = NULL;
	const struct paseto_key *use = fallback;
	int rc, before = test_failed;

	if (hex && paseto_key_from_public_hex("v", hex, &k, NULL, 0) == 0)
		use = k;
	CHECK(use != NULL);
	if (!use)
		return;
	rc = paseto_v4_verify(use, token, strlen(token), (const uint8_t *)ia, strlen(ia), NULL,
			      NULL, NULL, NULL);
	CHECK(rc == -EINVAL || rc == -EBADMSG);
	if (test_failed == before)
		nfail_ok++;
	printf("# %s: refused (%s)\n", name,
	       rc == -EINVAL	? "EINVAL"
	       : rc == -EBADMSG ? "EBADMSG"
				: "?");
	paseto_key_free(k);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : getenv("REEL_PASETO_VECTORS");
	json_t *root, *tests, *t;
	struct paseto_key *s1 = NULL;
	size_t i;

	if (!path || !(root = json_load_file(path, 0, NULL))) {
		printf("1..0 # SKIP no PASETO vectors at %s\n", path ? path : "(unset)");
		return 0;
	}
	tests = json_object_get(root, "tests");
	CHECK(json_is_array(tests) && json_array_size(tests) > 0);
	json_array_foreach(tests, i, t)
	{
		const char *name = member(t, "name"), *token = member(t, "token");
		int fails = json_is_true(json_object_get(t, "expect-fail"));

		if (!name || !token)
			continue;
		if (!fails && strncmp(token, "v4.public.", 10) == 0) {
			check_success(t, name);
			if (!s1)
				paseto_key_from_public_hex("v", member(t, "public-key"), &s1, NULL,
							   0);
		}
	}
	json_array_foreach(tests, i, t)
	{
		const char *name = member(t, "name"), *token = member(t, "token");
		int fails = json_is_true(json_object_get(t, "expect-fail"));

		if (!name || !token)
			continue;
		if (fails)
			check_failure(t, name, s1);
		else if (strncmp(token, "v4.public.", 10) != 0)
			nlocal_skipped++;
	}
	printf("# v4.public successes passed: %d; expect-fail vectors refused: %d; "
	       "v4.local successes skipped: %d\n",
	       npublic_ok, nfail_ok, nlocal_skipped);
	CHECK(npublic_ok >= 3);
	CHECK(nfail_ok >= 5);
	paseto_key_free(s1);
	json_decref(root);
	return test_done();
}
