/*
 * Unit tests for common/httpsig.c: the published examples of RFC 9421
 * (Ed25519 B.2.6, HMAC-SHA256 B.2.5) and RFC 9530, then the reel profile:
 * sign and verify both ways, every refusal, the time window.
 */
#include "httpsig.h"
#include "sfv.h"
#include "test.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* RFC 9421 B.1.4 test-key-ed25519, and B.1.5 test-shared-secret. */
static const char *RFC_SEED = "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";
static const char *RFC_PUB = "26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb";
static const char *RFC_SECRET_B64 =
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";

static const char *B26_BASE =
    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
    "\"@method\": POST\n"
    "\"@path\": /foo\n"
    "\"@authority\": example.com\n"
    "\"content-type\": application/json\n"
    "\"content-length\": 18\n"
    "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
    "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
static const char *B26_SIG = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0"
			     "w6vuQv5lIp5WPpBKRCw==";

static const char *B25_BASE =
    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
    "\"@authority\": example.com\n"
    "\"content-type\": application/json\n"
    "\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473"
    ";keyid=\"test-shared-secret\"";
static const char *B25_SIG = "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=";

static size_t b64_of(const uint8_t *p, size_t n, char *out)
{
	sfv_b64_encode(p, n, out);
	return strlen(out);
}

static void test_rfc9421_examples(void)
{
	struct paseto_key *sk = NULL, *pk = NULL;
	uint8_t sig[64], secret[64], mac[32];
	unsigned int maclen = 32;
	char b64[128];
	struct sfv f;

	CHECK_INT(paseto_key_from_seed_hex("test-key-ed25519", RFC_SEED, &sk, NULL, 0), 0);
	CHECK_INT(paseto_key_from_public_hex("test-key-ed25519", RFC_PUB, &pk, NULL, 0), 0);
	CHECK_INT(paseto_key_sign_raw(sk, (const uint8_t *)B26_BASE, strlen(B26_BASE), sig), 0);
	b64_of(sig, 64, b64);
	CHECK_STR(b64, B26_SIG);
	CHECK_INT(paseto_key_verify_raw(pk, (const uint8_t *)B26_BASE, strlen(B26_BASE), sig), 0);
	sig[10] ^= 1;
	CHECK_INT(paseto_key_verify_raw(pk, (const uint8_t *)B26_BASE, strlen(B26_BASE), sig),
		  -EBADMSG);
	CHECK_INT(paseto_key_sign_raw(pk, (const uint8_t *)"x", 1, sig), -EINVAL);

	/* the base64 secret through the byte-sequence decoder, then the B.2.5 HMAC */
	snprintf(b64, sizeof(b64), ":%s:", RFC_SECRET_B64);
	CHECK_INT(sfv_parse(b64, strlen(b64), SFV_ITEM, &f), 0);
	CHECK_INT(f.members[0].value.len, 64);
	memcpy(secret, f.members[0].value.str, 64);
	sfv_free(&f);
	HMAC(EVP_sha256(), secret, 64, (const uint8_t *)B25_BASE, strlen(B25_BASE), mac, &maclen);
	b64_of(mac, 32, b64);
	CHECK_STR(b64, B25_SIG);

	/* the B.2.6 Signature-Input member, parsed and serialized back */
	{
		const char *in = "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" "
				 "\"content-type\" \"content-length\");created=1618884473;"
				 "keyid=\"test-key-ed25519\"";
		struct buf b = {0};

		CHECK_INT(sfv_parse(in, strlen(in), SFV_DICT, &f), 0);
		CHECK_INT(sfv_write_item(&b, sfv_dict_get(&f, "sig-b26")), 0);
		CHECK(b.len == strlen(in) - 8 && memcmp(b.p, in + 8, b.len) == 0);
		buf_free(&b);
		sfv_free(&f);
	}
	paseto_key_free(sk);
	paseto_key_free(pk);
}

static void test_content_digest(void)
{
	uint8_t sha[32], got[32];
	char field[CONTENT_DIGEST_LEN + 1];

	EVP_Digest("{\"hello\": \"world\"}", 18, sha, NULL, EVP_sha256(), NULL);
	content_digest_format(sha, field);
	CHECK_STR(field, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
	CHECK_INT(strlen(field), CONTENT_DIGEST_LEN);
	CHECK_INT(content_digest_sha256(field, strlen(field), got), 0);
	CHECK(memcmp(got, sha, 32) == 0);
	/* RFC 9530 allows several algorithms; sha-256 is picked out */
	{
		const char *two =
		    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiY"
		    "llu7BNNyealdVLvRwEmTHWXvJwew==:, sha-256=:X48E9qOokqqrvdts8nOJRJ"
		    "N3OWDUoyWxBf7kbu9DBPE=:";

		memset(got, 0, 32);
		CHECK_INT(content_digest_sha256(two, strlen(two), got), 0);
		CHECK(memcmp(got, sha, 32) == 0);
	}
	CHECK_INT(content_digest_sha256("sha-512=:AAAA:", 14, got), -ENOENT);
	CHECK_INT(content_digest_sha256("sha-256=:AAAA:", 14, got), -EINVAL);
	CHECK_INT(content_digest_sha256("sha-256=\"x\"", 11, got), -EINVAL);
	CHECK_INT(content_digest_sha256("sha-256", 7, got), -EINVAL);
	CHECK_INT(content_digest_sha256("SHA-256=:AAAA:", 14, got), -EINVAL);
}

static const char *DIGEST = "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:";

static struct httpsig_msg msg(const char *method, const char *path, const char *query)
{
	return (struct httpsig_msg){method,	  strlen(method), path,
				    strlen(path), query,	  query ? strlen(query) : 0,
				    DIGEST,	  strlen(DIGEST)};
}

/* Sign M with S, parse the headers back into *P. */
static int sign_parse(const struct httpsig_signer *s, const struct httpsig_msg *m, int64_t t,
		      const char *nonce, struct httpsig_params *p, char *input, size_t cap)
{
	struct buf in = {0}, sig = {0};
	int rc = httpsig_sign(s, m, t, "edge-1", nonce, &in, &sig);

	if (rc == 0) {
		snprintf(input, cap, "%.*s", (int)in.len, in.p);
		rc = httpsig_parse(in.p, in.len, sig.p, sig.len, p);
	}
	buf_free(&in);
	buf_free(&sig);
	return rc;
}

static void test_profile_ed25519(void)
{
	struct paseto_key *sk = NULL, *pk = NULL, *other = NULL;
	struct httpsig_signer s = {.alg = HTTPSIG_ED25519, .keyid = "ctl-1"};
	struct httpsig_msg m = msg("PUT", "/fill/t1/720p/seg_00001.m4s", NULL), m2;
	struct httpsig_params p;
	char input[1024];

	paseto_key_from_seed_hex("ctl-1", RFC_SEED, &sk, NULL, 0);
	paseto_key_from_public_hex("ctl-1", RFC_PUB, &pk, NULL, 0);
	paseto_key_generate("ctl-1", &other, NULL, 0);
	s.ed25519 = sk;
	CHECK_INT(sign_parse(&s, &m, 1700000000, "0123456789abcdef", &p, input, sizeof(input)), 0);
	CHECK_STR(input, "reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");"
			 "created=1700000000;nonce=\"0123456789abcdef\";keyid=\"ctl-1\";"
			 "tag=\"edge-1\";alg=\"ed25519\"");
	CHECK(p.alg == HTTPSIG_ED25519 && p.created == 1700000000 && p.siglen == 64);
	CHECK_STR(p.keyid, "ctl-1");
	CHECK_STR(p.tag, "edge-1");
	CHECK_STR(p.nonce, "0123456789abcdef");
	CHECK_INT(httpsig_verify(&p, &m, 1700000000, pk, NULL, 0), 0);
	CHECK_INT(httpsig_verify(&p, &m, 1700000000 + 300, pk, NULL, 0), 0);
	CHECK_INT(httpsig_verify(&p, &m, 1700000000 - 300, pk, NULL, 0), 0);
	CHECK_INT(httpsig_verify(&p, &m, 1700000000 + 301, pk, NULL, 0), -ETIMEDOUT);
	CHECK_INT(httpsig_verify(&p, &m, 1700000000 - 301, pk, NULL, 0), -ETIMEDOUT);
	CHECK_INT(httpsig_verify(&p, &m, 1700000000, other, NULL, 0), -EBADMSG);
	CHECK_INT(httpsig_verify(&p, &m, 1700000000, NULL, (const uint8_t *)"k", 1), -EPROTO);
	/* every covered part matters */
	m2 = msg("DELETE", "/fill/t1/720p/seg_00001.m4s", NULL);
	CHECK_INT(httpsig_verify(&p, &m2, 1700000000, pk, NULL, 0), -EBADMSG);
	m2 = msg("PUT", "/fill/t1/720p/seg_00002.m4s", NULL);
	CHECK_INT(httpsig_verify(&p, &m2, 1700000000, pk, NULL, 0), -EBADMSG);
	m2 = msg("PUT", "/fill/t1/720p/seg_00001.m4s", "x=1");
	CHECK_INT(httpsig_verify(&p, &m2, 1700000000, pk, NULL, 0), -EBADMSG);
	m2 = m;
	m2.digest = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
	m2.digest_len = strlen(m2.digest);
	CHECK_INT(httpsig_verify(&p, &m2, 1700000000, pk, NULL, 0), -EBADMSG);
	/* a fresh nonce each time when none is given */
	CHECK_INT(sign_parse(&s, &m, 1700000000, NULL, &p, input, sizeof(input)), 0);
	CHECK_INT(strlen(p.nonce), 22);
	/* a public key cannot sign; bad shapes are refused */
	s.ed25519 = pk;
	CHECK_INT(sign_parse(&s, &m, 1, "0123456789abcdef", &p, input, sizeof(input)), -EINVAL);
	s.ed25519 = sk;
	CHECK_INT(sign_parse(&s, &m, 1, "short", &p, input, sizeof(input)), -EINVAL);
	s.keyid = "bad id";
	CHECK_INT(sign_parse(&s, &m, 1, "0123456789abcdef", &p, input, sizeof(input)), -EINVAL);
	paseto_key_free(sk);
	paseto_key_free(pk);
	paseto_key_free(other);
}

static void test_profile_hmac(void)
{
	const uint8_t secret[] = "per-edge secret of edge-1, 32+ bytes long";
	struct httpsig_signer s = {.alg = HTTPSIG_HMAC_SHA256,
				   .keyid = "edge-1",
				   .secret = secret,
				   .secret_len = sizeof(secret) - 1};
	struct httpsig_msg m = msg("GET", "/content/t1/720p/seg_00001.m4s", "");
	struct httpsig_params p;
	char input[1024];

	CHECK_INT(sign_parse(&s, &m, 1700000000, "abcdefghijklmnop", &p, input, sizeof(input)), 0);
	CHECK(p.alg == HTTPSIG_HMAC_SHA256 && p.siglen == 32);
	CHECK_INT(httpsig_verify(&p, &m, 1700000100, NULL, secret, sizeof(secret) - 1), 0);
	CHECK_INT(httpsig_verify(&p, &m, 1700000100, NULL, secret, sizeof(secret) - 2), -EBADMSG);
	/* an empty query signs like none ("?" alone, RFC 9421 2.2.7) */
	m.query = NULL;
	CHECK_INT(httpsig_verify(&p, &m, 1700000100, NULL, secret, sizeof(secret) - 1), 0);
}

static void test_parse_refusals(void)
{
	static const char *sig64 = "reel=:"
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==:";
	static const struct {
		const char *input;
		int rc;
	} cases[] = {
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"ed25519\"",
	     0},
	    {"other=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"ed25519\"",
	     -EINVAL},
	    {"reel=(\"@method\" \"@path\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"ed25519\"",
	     -EPROTO},
	    {"reel=(\"@path\" \"@method\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"ed25519\"",
	     -EPROTO},
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\"",
	     -EPROTO},
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"rsa-pss-sha512\"",
	     -EPROTO},
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"short\";keyid=\"k\";tag=\"e\";alg=\"ed25519\"",
	     -EPROTO},
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=\"1\";nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"ed25519\"",
	     -EPROTO},
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"ed25519\";expires=5",
	     -EPROTO},
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\";bs);created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"ed25519\"",
	     -EPROTO},
	    {"reel=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1;nonce="
	     "\"0123456789abcdef\";keyid=\"k\";tag=\"e\";alg=\"hmac-sha256\"",
	     -EINVAL}, /* a 64-byte signature for a 32-byte MAC */
	    {"reel=\"not a list\"", -EPROTO},
	    {"reel=(", -EINVAL},
	};
	struct httpsig_params p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(
		    httpsig_parse(cases[i].input, strlen(cases[i].input), sig64, strlen(sig64), &p),
		    cases[i].rc);
	CHECK_INT(httpsig_parse(cases[0].input, strlen(cases[0].input), "reel=:AAAA:", 11, &p),
		  -EINVAL);
	CHECK_INT(httpsig_parse(cases[0].input, strlen(cases[0].input), "reel=1", 6, &p), -EINVAL);
}

int main(void)
{
	test_rfc9421_examples();
	test_content_digest();
	test_profile_ed25519();
	test_profile_hmac();
	test_parse_refusals();
	return test_done();
}
