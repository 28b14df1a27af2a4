/*
 * Unit tests for common/paseto.c beyond the published vectors: base64url
 * strictness, every flipped byte and every truncation, wrong headers, footer
 * and implicit-assertion mismatches, key loading and export, the keyring.
 */
#include "paseto.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static const char *SEED = "b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774";
static const char *PUB = "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2";

/* Verify S from an exactly-sized heap copy so ASan sees any over-read. */
static int verify_n(const struct paseto_key *k, const char *s, size_t len, const char *ia)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, s, len);
	rc = paseto_v4_verify(k, copy, len, (const uint8_t *)ia, ia ? strlen(ia) : 0, NULL, NULL,
			      NULL, NULL);
	free(copy);
	return rc;
}

static void test_b64(void)
{
	static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	static const char *bad[] = {"Zg==", "Z",    "Zm9vY", "Zh",    "Zm9",
				    "Zm+v", "Zm/v", "Zm v",  "Zm9v=", "Zm.v"};
	uint8_t all[256], dec[256];
	char out[400];

	for (size_t i = 0; i < 7; i++) {
		CHECK_INT(paseto_b64_encode((const uint8_t *)plain[i], strlen(plain[i]), out),
			  strlen(enc[i]));
		CHECK_STR(out, enc[i]);
		CHECK_INT(paseto_b64_decode(enc[i], strlen(enc[i]), dec), strlen(plain[i]));
		CHECK(memcmp(dec, plain[i], strlen(plain[i])) == 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(paseto_b64_decode(bad[i], strlen(bad[i]), dec), -EINVAL);
	CHECK_INT(paseto_b64_decode("Zm\0v", 4, dec), -EINVAL);
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	for (size_t n = 0; n <= 256; n += 1 + n / 4) {
		size_t e = paseto_b64_encode(all, n, out);
		CHECK_INT(e, paseto_b64_enclen(n));
		CHECK_INT(paseto_b64_decode(out, e, dec), n);
		CHECK(memcmp(dec, all, n) == 0);
		CHECK_INT(paseto_b64_declen(e), n);
	}
	/* "-" and "_" are the URL-safe digits 62 and 63 */
	CHECK_INT(paseto_b64_decode("-_8", 3, dec), 2);
	CHECK(dec[0] == 0xfb && dec[1] == 0xff);
}

static void test_keys(void)
{
	struct paseto_key *k = NULL, *k2 = NULL;
	uint8_t raw[32], raw2[32];
	char err[256] = "", *pem = NULL, path[] = "/tmp/reel-paseto-XXXXXX";
	int fd;

	CHECK_INT(paseto_key_from_seed_hex("a", "abc", &k, err, sizeof(err)), -EINVAL);
	CHECK(k == NULL && err[0]);
	CHECK_INT(paseto_key_from_seed_hex(
		      "a", "g4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774", &k,
		      NULL, 0),
		  -EINVAL);
	/* 128 digits whose public half does not match */
	char mism[129];
	snprintf(mism, sizeof(mism), "%s%s", SEED, SEED);
	CHECK_INT(paseto_key_from_seed_hex("a", mism, &k, NULL, 0), -EINVAL);
	CHECK_INT(paseto_key_from_public_hex("a", SEED + 2, &k, NULL, 0), -EINVAL);
	CHECK_INT(paseto_key_from_seed_hex("bad kid", SEED, &k, NULL, 0), -EINVAL);
	CHECK_INT(paseto_key_from_seed_hex("", SEED, &k, NULL, 0), -EINVAL);
	CHECK_INT(paseto_key_from_seed_hex("k\"", SEED, &k, NULL, 0), -EINVAL);
	CHECK_INT(paseto_key_from_pem("a", "garbage", 7, &k, NULL, 0), -EINVAL);

	CHECK_INT(paseto_key_from_seed_hex("a-1", SEED, &k, NULL, 0), 0);
	CHECK_STR(paseto_key_kid(k), "a-1");
	CHECK(paseto_key_is_secret(k));
	paseto_key_public_raw(k, raw);
	CHECK_INT(paseto_key_from_public_hex("a-1", PUB, &k2, NULL, 0), 0);
	paseto_key_public_raw(k2, raw2);
	CHECK(memcmp(raw, raw2, 32) == 0);
	CHECK_INT(paseto_key_seed_raw(k2, raw2), -EINVAL);
	CHECK_INT(paseto_key_to_pem(k2, 1, &pem), -EINVAL);
	paseto_key_free(k2);

	/* PEM round trips through memory and a file */
	CHECK_INT(paseto_key_to_pem(k, 1, &pem), 0);
	CHECK(pem && strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem));
	close(fd);
	CHECK_INT(paseto_key_load_pem("f", path, &k2, err, sizeof(err)), 0);
	CHECK(k2 && paseto_key_is_secret(k2));
	if (k2) {
		CHECK_INT(paseto_key_seed_raw(k2, raw2), 0);
		CHECK(memcmp(raw2, "\xb4\xcb\xfb\x43", 4) == 0);
	}
	paseto_key_free(k2);
	free(pem);
	CHECK_INT(paseto_key_to_pem(k, 0, &pem), 0);
	CHECK(pem && strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	CHECK_INT(paseto_key_from_pem("p", pem, strlen(pem), &k2, NULL, 0), 0);
	CHECK(k2 && !paseto_key_is_secret(k2));
	paseto_key_free(k2);
	free(pem);
	unlink(path);
	CHECK_INT(paseto_key_load_pem("f", path, &k2, err, sizeof(err)), -ENOENT);
	paseto_key_free(k);
	paseto_key_free(NULL);

	CHECK_INT(paseto_key_generate("gen", &k, NULL, 0), 0);
	CHECK_INT(paseto_key_generate("gen", &k2, NULL, 0), 0);
	paseto_key_public_raw(k, raw);
	paseto_key_public_raw(k2, raw2);
	CHECK(memcmp(raw, raw2, 32) != 0);
	paseto_key_free(k);
	paseto_key_free(k2);
}

/* Sign MSG with a kid footer and implicit assertion IA; returns the token. */
static char *make_token(const struct paseto_key *sk, const char *msg, const char *ia)
{
	char *footer, *tok = NULL;
	size_t flen;

	if (paseto_footer_for_key(sk, &footer, &flen) != 0)
		return NULL;
	paseto_v4_sign(sk, (const uint8_t *)msg, strlen(msg), (const uint8_t *)footer, flen,
		       (const uint8_t *)ia, ia ? strlen(ia) : 0, &tok);
	free(footer);
	return tok;
}

static void test_sign_verify(void)
{
	struct paseto_key *sk = NULL, *pk = NULL, *other = NULL;
	char *tok, *tok2 = NULL, *tmp;
	uint8_t *msg, *foot;
	size_t mlen, flen, len;
	int bad = 0;

	paseto_key_from_seed_hex("k1", SEED, &sk, NULL, 0);
	paseto_key_from_public_hex("k1", PUB, &pk, NULL, 0);
	paseto_key_generate("k1", &other, NULL, 0);
	tok = make_token(sk, "{\"hello\":\"world\"}", "ia");
	CHECK(tok != NULL);
	if (!tok)
		return;
	len = strlen(tok);
	CHECK_INT(
	    paseto_v4_verify(pk, tok, len, (const uint8_t *)"ia", 2, &msg, &mlen, &foot, &flen), 0);
	CHECK(mlen == 17 && strcmp((char *)msg, "{\"hello\":\"world\"}") == 0);
	CHECK(flen == 12 && strcmp((char *)foot, "{\"kid\":\"k1\"}") == 0);
	free(msg);
	free(foot);
	CHECK_INT(verify_n(pk, tok, len, "ia"), 0);
	CHECK_INT(verify_n(pk, tok, len, NULL), -EBADMSG);
	CHECK_INT(verify_n(pk, tok, len, "ib"), -EBADMSG);
	CHECK_INT(verify_n(other, tok, len, "ia"), -EBADMSG);
	CHECK_INT(paseto_v4_sign(pk, (const uint8_t *)"x", 1, NULL, 0, NULL, 0, &tok2), -EINVAL);

	/* one flipped byte anywhere, and every truncation */
	tmp = malloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		for (int delta = 1; delta < 256; delta += 37) {
			int rc;
			memcpy(tmp, tok, len);
			tmp[i] = (char)((unsigned char)tmp[i] ^ delta);
			rc = verify_n(pk, tmp, len, "ia");
			if (rc != -EBADMSG && rc != -EINVAL)
				bad++;
		}
	}
	CHECK_INT(bad, 0);
	bad = 0;
	for (size_t n = 0; n < len; n++) {
		int rc = verify_n(pk, tok, n, "ia");
		if (rc != -EBADMSG && rc != -EINVAL)
			bad++;
	}
	CHECK_INT(bad, 0);

	/* wrong headers */
	static const char *hdrs[] = {"v2.public.", "v4.local.",	 "V4.public.",
				     "v3.public.", "v4.publik.", "v4.public:"};
	for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++) {
		snprintf(tmp, len + 1, "%s%s", hdrs[h], tok + 10);
		CHECK_INT(verify_n(pk, tmp, strlen(tmp), "ia"), -EINVAL);
	}
	CHECK_INT(verify_n(pk, "v4.public.", 10, NULL), -EINVAL);
	CHECK_INT(verify_n(pk, "v4.public", 9, NULL), -EINVAL);
	CHECK_INT(verify_n(pk, "", 0, NULL), -EINVAL);

	/* bad base64: padding, standard alphabet, spaces */
	static const char subst[] = {'=', '+', '/', ' ', '\0', '\n', '.'};
	for (size_t s = 0; s < sizeof(subst); s++) {
		memcpy(tmp, tok, len);
		tmp[20] = subst[s];
		CHECK(verify_n(pk, tmp, len, "ia") < 0);
	}
	free(tmp);
	tmp = malloc(len + 3);
	snprintf(tmp, len + 3, "%s==", tok);
	CHECK_INT(verify_n(pk, tmp, len + 2, "ia"), -EINVAL);
	snprintf(tmp, len + 3, "%s.", tok);
	CHECK_INT(verify_n(pk, tmp, len + 1, "ia"), -EINVAL); /* extra dot */
	free(tmp);

	/* footer mismatch: removed, swapped, or empty */
	char *dot = strrchr(tok, '.');
	size_t body_len = (size_t)(dot - tok);
	CHECK_INT(verify_n(pk, tok, body_len, "ia"), -EBADMSG);
	tmp = malloc(len + 64);
	snprintf(tmp, len + 64, "%.*s.eyJraWQiOiJrMiJ9", (int)body_len, tok); /* {"kid":"k2"} */
	CHECK_INT(verify_n(pk, tmp, strlen(tmp), "ia"), -EBADMSG);
	snprintf(tmp, len + 64, "%.*s.", (int)body_len, tok);
	CHECK_INT(verify_n(pk, tmp, strlen(tmp), "ia"), -EINVAL);
	free(tmp);

	/* a token without footer, an empty message */
	CHECK_INT(paseto_v4_sign(sk, NULL, 0, NULL, 0, NULL, 0, &tok2), 0);
	CHECK(tok2 && strchr(tok2 + 10, '.') == NULL);
	CHECK_INT(paseto_v4_verify(pk, tok2, strlen(tok2), NULL, 0, &msg, &mlen, &foot, &flen), 0);
	CHECK(mlen == 0 && flen == 0 && msg && foot);
	free(msg);
	free(foot);

	/* peek: the footer without verifying */
	CHECK_INT(paseto_v4_peek_footer(tok, len, &foot, &flen), 0);
	CHECK(flen == 12 && memcmp(foot, "{\"kid\":\"k1\"}", 12) == 0);
	free(foot);
	CHECK_INT(paseto_v4_peek_footer(tok2, strlen(tok2), &foot, &flen), 0);
	CHECK(flen == 0);
	free(foot);
	CHECK_INT(paseto_v4_peek_footer("v4.local.xx", 11, &foot, &flen), -EINVAL);
	CHECK(foot == NULL);

	free(tok2);
	free(tok);
	paseto_key_free(sk);
	paseto_key_free(pk);
	paseto_key_free(other);
}

static void test_footer_kid(void)
{
	char kid[PASETO_KID_MAX + 1];
	char big[PASETO_FOOTER_MAX + 32];

#define KID(s) paseto_footer_kid((const uint8_t *)(s), strlen(s), kid, sizeof(kid))
	CHECK_INT(KID("{\"kid\":\"abc\"}"), 0);
	CHECK_STR(kid, "abc");
	CHECK_INT(KID("{\"x\":1,\"kid\":\"k.2\"}"), 0);
	CHECK_STR(kid, "k.2");
	CHECK_INT(KID(""), -ENOKEY);
	CHECK_INT(KID("{}"), -ENOKEY);
	CHECK_INT(KID("{\"kid\":1}"), -EINVAL);
	CHECK_INT(KID("{\"kid\":\"\"}"), -EINVAL);
	CHECK_INT(KID("{\"kid\":\"a b\"}"), -EINVAL);
	CHECK_INT(KID("{\"kid\":\"a\\u0000b\"}"), -EINVAL);
	CHECK_INT(KID("{\"kid\":\"a\",\"kid\":\"b\"}"), -EINVAL);
	CHECK_INT(KID("[\"kid\"]"), -EINVAL);
	CHECK_INT(KID("arbitrary-string-that-isn't-json"), -EINVAL);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "{\"kid\":\"", 8);
	CHECK_INT(KID(big), -EINVAL);
	memset(big, 'a', sizeof(big));
	snprintf(big, sizeof(big), "{\"kid\":\"%.*s\"}", PASETO_KID_MAX + 1, big + 100);
	CHECK_INT(KID(big), -EINVAL);
	CHECK_INT(paseto_footer_kid((const uint8_t *)"{\"kid\":\"a\"}", 11, kid, 8), -EINVAL);
#undef KID
}

static void test_keyring(void)
{
	struct paseto_keyring *r = paseto_keyring_new();
	struct paseto_key *a = NULL, *b = NULL, *c = NULL;
	char *ta, *tb, *tc, *nofoot = NULL, kid[PASETO_KID_MAX + 1];
	uint8_t *msg;
	size_t mlen;
	uint64_t g0, g1;

	paseto_key_generate("old", &a, NULL, 0);
	paseto_key_generate("new", &b, NULL, 0);
	paseto_key_generate("gone", &c, NULL, 0);
	ta = make_token(a, "a", NULL);
	tb = make_token(b, "b", NULL);
	tc = make_token(c, "c", NULL);
	paseto_v4_sign(a, (const uint8_t *)"n", 1, NULL, 0, NULL, 0, &nofoot);

	g0 = paseto_keyring_generation(r);
	CHECK_INT(paseto_keyring_add(r, a), 0);
	CHECK_INT(paseto_keyring_add(r, b), 0);
	CHECK_INT(paseto_keyring_add(r, a), -EEXIST);
	g1 = paseto_keyring_generation(r);
	CHECK(g1 != g0);
	CHECK_INT(paseto_keyring_count(r), 2);
	CHECK(paseto_keyring_find(r, "old") &&
	      !paseto_key_is_secret(paseto_keyring_find(r, "old")));
	CHECK(paseto_keyring_find(r, "gone") == NULL);

	CHECK_INT(paseto_keyring_verify(r, ta, strlen(ta), NULL, 0, &msg, &mlen, NULL, NULL, kid),
		  0);
	CHECK(mlen == 1 && msg[0] == 'a');
	CHECK_STR(kid, "old");
	free(msg);
	CHECK_INT(paseto_keyring_verify(r, tb, strlen(tb), NULL, 0, NULL, NULL, NULL, NULL, kid),
		  0);
	CHECK_STR(kid, "new");
	CHECK_INT(paseto_keyring_verify(r, tc, strlen(tc), NULL, 0, NULL, NULL, NULL, NULL, NULL),
		  -ENOKEY);
	CHECK_INT(
	    paseto_keyring_verify(r, nofoot, strlen(nofoot), NULL, 0, NULL, NULL, NULL, NULL, NULL),
	    -ENOKEY);
	CHECK_INT(
	    paseto_keyring_verify(r, "v2.public.x", 11, NULL, 0, NULL, NULL, NULL, NULL, NULL),
	    -EINVAL);

	/* a token signed by "gone" but relabelled "old": the signature fails */
	char *dot = strrchr(tc, '.'), relabel[1024];
	snprintf(relabel, sizeof(relabel), "%.*s.eyJraWQiOiJvbGQifQ", (int)(dot - tc), tc);
	CHECK_INT(paseto_keyring_verify(r, relabel, strlen(relabel), NULL, 0, NULL, NULL, NULL,
					NULL, NULL),
		  -EBADMSG);

	/* rotation: drop the old key */
	CHECK_INT(paseto_keyring_remove(r, "old"), 0);
	CHECK_INT(paseto_keyring_remove(r, "old"), -ENOENT);
	CHECK(paseto_keyring_generation(r) != g1);
	CHECK_INT(paseto_keyring_verify(r, ta, strlen(ta), NULL, 0, NULL, NULL, NULL, NULL, NULL),
		  -ENOKEY);
	CHECK_INT(paseto_keyring_verify(r, tb, strlen(tb), NULL, 0, NULL, NULL, NULL, NULL, NULL),
		  0);

	/* two rings never share a generation */
	struct paseto_keyring *r2 = paseto_keyring_new();
	CHECK(paseto_keyring_generation(r2) != paseto_keyring_generation(r));
	paseto_keyring_free(r2);
	paseto_keyring_free(NULL);

	free(ta);
	free(tb);
	free(tc);
	free(nofoot);
	paseto_key_free(a);
	paseto_key_free(b);
	paseto_key_free(c);
	paseto_keyring_free(r);
}

int main(void)
{
	test_b64();
	test_keys();
	test_sign_verify();
	test_footer_kid();
	test_keyring();
	return test_done();
}
