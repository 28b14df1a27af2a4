/*
 * Unit tests for common/license.c: the device key wrap (round trip, another
 * device, AAD binding, tampering, a known answer computed with pyca/cryptography
 * by license_kat.py), issue and check in their order (format, kid, signature,
 * purpose, expiry), strict claims, and licenses and stream tokens never
 * passing for each other.
 */
#include "license.h"
#include "license_claims.h"
#include "signing_keys.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>

#define T0 1750000000LL /* 2025-06-15T15:06:40Z */

/* From license_kat.py; the X25519 keys are RFC 7748 section 6.1's. */
static const uint8_t kat_device_priv[32] = {
    0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
    0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a};
static const uint8_t kat_device_pub[32] = {
    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
    0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
static const uint8_t kat_dkh[32] = {
    0x30, 0x0c, 0x9c, 0x96, 0x03, 0xb9, 0x2a, 0x4b, 0x39, 0xed, 0x39, 0x58, 0xbf, 0x92, 0x40, 0x11,
    0x48, 0x04, 0xdb, 0x4f, 0xd3, 0x73, 0x01, 0x2c, 0x0c, 0xa4, 0x74, 0x32, 0xd6, 0x34, 0x25, 0xae};
static const uint8_t kat_epk[32] = {
    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f};
static const uint8_t kat_nonce[12] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5,
				      0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb};
static const uint8_t kat_ct[32] = {0x82, 0x96, 0x8b, 0x67, 0x90, 0x71, 0xb5, 0x37, 0x20, 0xb0, 0xd1,
				   0xc7, 0x27, 0x9a, 0x06, 0xa1, 0x61, 0x08, 0xf5, 0xf7, 0x2d, 0xe5,
				   0x8e, 0xe9, 0x8b, 0xca, 0x8e, 0x4b, 0xda, 0x3c, 0x1d, 0xf5};
static const uint8_t kat_content_key[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static uint8_t dev_priv[32], dev_pub[32], other_priv[32], other_pub[32];
static const uint8_t ckey[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static struct license_claims claims(void)
{
	struct license_claims c;

	memset(&c, 0, sizeof(c));
	strcpy(c.lid, "lic-0001");
	strcpy(c.user, "u-42");
	strcpy(c.device, "dev:phone-1");
	strcpy(c.title, "big-buck-bunny");
	strcpy(c.ckid, "ck:bbb:1");
	c.issued = T0;
	c.expires = T0 + 30 * 86400;
	c.window_s = 48 * 3600;
	c.renewal = 2;
	if (license_bind_device(&c, dev_pub, ckey) != 0)
		abort();
	return c;
}

static int check(const char *tok, int64_t now, struct license_claims *out)
{
	return license_check(ring, tok, strlen(tok), now, out);
}

static void test_device_keys(void)
{
	uint8_t pub[32], hash[32], priv2[32], pub2[32];
	struct license_claims c;

	CHECK_INT(license_device_public(dev_priv, pub), 0);
	CHECK(memcmp(pub, dev_pub, 32) == 0);
	CHECK_INT(license_device_keygen(priv2, pub2), 0);
	CHECK(memcmp(priv2, dev_priv, 32) != 0 && memcmp(pub2, dev_pub, 32) != 0);
	/* RFC 7748 section 6.1: Alice's key pair */
	CHECK_INT(license_device_public(kat_device_priv, pub), 0);
	CHECK(memcmp(pub, kat_device_pub, 32) == 0);
	CHECK_INT(license_device_key_hash(kat_device_pub, hash), 0);
	CHECK(memcmp(hash, kat_dkh, 32) == 0);

	c = claims();
	CHECK_INT(license_device_matches(&c, dev_pub), 0);
	CHECK_INT(license_device_matches(&c, other_pub), -EACCES);
}

static void test_wrap(void)
{
	struct license_claims c = claims(), d;
	struct license_wrapped w1, w2;
	uint8_t k[16], low[32] = {0};
	int bad = 0;

	CHECK_INT(license_unwrap_key(dev_priv, &c, k), 0);
	CHECK(memcmp(k, ckey, 16) == 0);

	/* fresh ephemeral key and nonce per wrap */
	CHECK_INT(license_wrap_key(dev_pub, "l", "t", "c", ckey, &w1), 0);
	CHECK_INT(license_wrap_key(dev_pub, "l", "t", "c", ckey, &w2), 0);
	CHECK(memcmp(w1.epk, w2.epk, 32) != 0 && memcmp(w1.nonce, w2.nonce, 12) != 0 &&
	      memcmp(w1.ct, w2.ct, 32) != 0);

	/* another device's key opens nothing: by the key hash ... */
	CHECK_INT(license_unwrap_key(other_priv, &c, k), -EBADMSG);
	CHECK(k[0] == 0 && memcmp(k, k + 1, 15) == 0);
	/* ... and by the wrap itself, even with a forged key hash */
	d = c;
	license_device_key_hash(other_pub, d.device_key_hash);
	CHECK_INT(license_unwrap_key(other_priv, &d, k), -EBADMSG);
	CHECK(k[0] == 0 && memcmp(k, k + 1, 15) == 0);

	/* the wrap is bound to lid, title and ckid */
	d = c;
	strcpy(d.title, "big-buck-bunny2");
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), -EBADMSG);
	d = c;
	strcpy(d.lid, "lic-0002");
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), -EBADMSG);
	d = c;
	strcpy(d.ckid, "ck:bbb:2");
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), -EBADMSG);
	/* the separators count: "ab" + "c" is not "a" + "bc" */
	CHECK_INT(license_wrap_key(dev_pub, "x", "ab", "c", ckey, &d.wrapped), 0);
	strcpy(d.lid, "x");
	strcpy(d.title, "a");
	strcpy(d.ckid, "bc");
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), -EBADMSG);
	strcpy(d.title, "ab");
	strcpy(d.ckid, "c");
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), 0);
	/* the user, device id, times and counters are not in the wrap */
	d = c;
	strcpy(d.user, "someone-else");
	d.renewal = 9;
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), 0);

	/* every bit of the wrapped object */
	uint8_t *raw = (uint8_t *)&d.wrapped;
	d = c;
	for (size_t i = 0; i < sizeof(d.wrapped); i++)
		for (int b = 0; b < 8; b++) {
			raw[i] ^= (uint8_t)(1 << b);
			if (license_unwrap_key(dev_priv, &d, k) != -EBADMSG)
				bad++;
			raw[i] ^= (uint8_t)(1 << b);
		}
	CHECK_INT(bad, 0);
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), 0);

	/* low-order points: refused as a device key, and as an ephemeral key */
	CHECK_INT(license_wrap_key(low, "l", "t", "c", ckey, &w1), -EINVAL);
	low[0] = 1;
	CHECK_INT(license_wrap_key(low, "l", "t", "c", ckey, &w1), -EINVAL);
	memset(d.wrapped.epk, 0, 32);
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), -EBADMSG);

	/* ids out of syntax */
	CHECK_INT(license_wrap_key(dev_pub, "", "t", "c", ckey, &w1), -EINVAL);
	CHECK_INT(license_wrap_key(dev_pub, "l", "t/x", "c", ckey, &w1), -EINVAL);
	CHECK_INT(license_wrap_key(dev_pub, "l", "t", NULL, ckey, &w1), -EINVAL);
	d = c;
	d.title[0] = '\0';
	CHECK_INT(license_unwrap_key(dev_priv, &d, k), -EINVAL);
	d = claims();
	memset(d.lid, 'a', sizeof(d.lid));
	CHECK_INT(license_bind_device(&d, dev_pub, ckey), -EINVAL);
	CHECK(d.device_key_hash[0] == 0 && d.wrapped.epk[0] == 0);
}

/* The wrap against a vector computed by another implementation (license_kat.py). */
static void test_kat(void)
{
	struct license_claims c;
	uint8_t k[16];

	memset(&c, 0, sizeof(c));
	strcpy(c.lid, "lic-0001");
	strcpy(c.title, "big-buck-bunny");
	strcpy(c.ckid, "ck:bbb:1");
	memcpy(c.device_key_hash, kat_dkh, 32);
	memcpy(c.wrapped.epk, kat_epk, 32);
	memcpy(c.wrapped.nonce, kat_nonce, 12);
	memcpy(c.wrapped.ct, kat_ct, 32);
	CHECK_INT(license_unwrap_key(kat_device_priv, &c, k), 0);
	CHECK(memcmp(k, kat_content_key, 16) == 0);
	c.ckid[0] = 'C';
	CHECK_INT(license_unwrap_key(kat_device_priv, &c, k), -EBADMSG);
}

static void test_issue_check(void)
{
	struct license_claims c = claims(), out;
	uint8_t k[16];
	char *tok = NULL, *tok2 = NULL;

	CHECK_INT(license_issue(sk, &c, &tok), 0);
	CHECK(tok && strncmp(tok, "v4.public.", 10) == 0 && strlen(tok) < LICENSE_TOKEN_MAX);
	if (!tok)
		return;
	printf("# license: %zu bytes\n", strlen(tok));
	CHECK_INT(check(tok, T0 + 10, &out), 0);
	CHECK(claims_equal(&out, &c));
	CHECK_STR(out.lid, "lic-0001");
	CHECK_STR(out.user, "u-42");
	CHECK_STR(out.device, "dev:phone-1");
	CHECK_STR(out.ckid, "ck:bbb:1");
	CHECK_STR(out.kid, "k1");
	CHECK_INT(out.window_s, 48 * 3600);
	CHECK_INT(out.renewal, 2);
	CHECK_INT(out.expires, T0 + 30 * 86400);
	/* the player's path: the checked claims unwrap on the device only */
	CHECK_INT(license_unwrap_key(dev_priv, &out, k), 0);
	CHECK(memcmp(k, ckey, 16) == 0);
	CHECK_INT(license_unwrap_key(other_priv, &out, k), -EBADMSG);

	/* storage expiry; iat at most LICENSE_SKEW ahead */
	CHECK_INT(check(tok, c.expires - 1, NULL), 0);
	CHECK_INT(check(tok, c.expires, &out), -ETIMEDOUT);
	CHECK_STR(out.lid, "lic-0001"); /* claims still returned: the signature held */
	CHECK_INT(check(tok, T0 - LICENSE_SKEW, NULL), 0);
	CHECK_INT(check(tok, T0 - LICENSE_SKEW - 1, NULL), -ETIMEDOUT);

	/* order: an unknown kid before the signature, the signature before expiry */
	CHECK_INT(license_issue(stranger, &c, &tok2), 0);
	CHECK_INT(check(tok2, T0, &out), -ENOKEY);
	CHECK(out.lid[0] == '\0');
	free(tok2);
	CHECK_INT(license_issue(sk2, &c, &tok2), 0);
	CHECK_INT(check(tok2, T0, &out), 0);
	CHECK_STR(out.kid, "k2");
	free(tok2);

	/* any character of the token changed: refused, never accepted */
	size_t n = strlen(tok), accepted = 0, badmsg = 0, unexplained = 0;
	for (size_t i = 0; i < n; i++) {
		char saved = tok[i];
		tok[i] = saved == 'A' ? 'B' : 'A';
		int rc = check(tok, c.expires + 100, &out);
		if (rc == 0 || rc == -ETIMEDOUT)
			accepted++;
		else if (rc == -EBADMSG)
			badmsg++;
		else if (rc != -EINVAL && rc != -ENOKEY)
			unexplained++;
		if (rc != 0 && rc != -ETIMEDOUT && out.lid[0] != '\0')
			accepted++;
		tok[i] = saved;
	}
	CHECK_INT(accepted, 0);
	CHECK_INT(unexplained, 0);
	CHECK(badmsg > n / 2); /* the message and signature characters */
	CHECK_INT(check(tok, T0, NULL), 0);

	/* malformed */
	CHECK_INT(check("", T0, NULL), -EINVAL);
	CHECK_INT(check("v4.local.abc", T0, NULL), -EINVAL);
	CHECK_INT(license_check(ring, tok, n - 1, T0, NULL), -EINVAL);
	char *huge = malloc(LICENSE_TOKEN_MAX + 100);
	snprintf(huge, LICENSE_TOKEN_MAX + 100, "%s%0*d", tok, LICENSE_TOKEN_MAX, 0);
	CHECK_INT(check(huge, T0, NULL), -EINVAL);
	free(huge);
	free(tok);

	/* the longest ids still fit */
	c = claims();
	memset(c.lid, 'l', STREAM_ID_MAX);
	memset(c.user, 'u', STREAM_ID_MAX);
	memset(c.device, 'd', STREAM_ID_MAX);
	memset(c.title, 't', STREAM_ID_MAX);
	memset(c.ckid, 'c', STREAM_ID_MAX);
	c.renewal = UINT32_MAX;
	c.window_s = LICENSE_WINDOW_MAX;
	c.expires = c.issued + LICENSE_TTL_MAX;
	CHECK_INT(license_bind_device(&c, dev_pub, ckey), 0);
	CHECK_INT(license_issue(sk, &c, &tok), 0);
	printf("# longest license: %zu bytes\n", tok ? strlen(tok) : 0);
	CHECK_INT(check(tok, T0, &out), 0);
	CHECK(claims_equal(&out, &c));
	CHECK_INT(license_unwrap_key(dev_priv, &out, k), 0);
	free(tok);
}

/* Neither kind of token passes for the other. */
static void test_purposes(void)
{
	struct license_claims c = claims(), out;
	struct stream_claims sc, sout;
	char *lic = NULL, *st = NULL;

	memset(&sc, 0, sizeof(sc));
	strcpy(sc.user, "u-42");
	strcpy(sc.title, "big-buck-bunny");
	strcpy(sc.lease, "lease:1");
	sc.max_height = 1080;
	sc.issued = T0;
	sc.expires = T0 + 3600;
	CHECK_INT(stream_token_issue(sk, &sc, &st), 0);
	CHECK_INT(license_issue(sk, &c, &lic), 0);
	CHECK_INT(check(st, T0, &out), -EACCES);
	CHECK(out.lid[0] == '\0');
	CHECK_INT(stream_token_check(ring, lic, strlen(lic), T0, "big-buck-bunny", 14, &sout),
		  -EACCES);
	CHECK(sout.user[0] == '\0');
	/* the purpose is checked before expiry */
	CHECK_INT(check(st, T0 + 86400 * 365, NULL), -EACCES);
	CHECK_INT(check(lic, T0, NULL), 0);
	free(lic);
	free(st);
}

static void test_issue_refuses(void)
{
	struct license_claims c;
	struct paseto_key *pub = NULL;
	uint8_t raw[32];
	char *tok = NULL;

#define REFUSE(stmt)                                                                               \
	do {                                                                                       \
		c = claims();                                                                      \
		stmt;                                                                              \
		CHECK_INT(license_issue(sk, &c, &tok), -EINVAL);                                   \
		CHECK(tok == NULL);                                                                \
	} while (0)
	REFUSE(c.lid[0] = '\0');
	REFUSE(c.user[0] = '\0');
	REFUSE(c.device[0] = '\0');
	REFUSE(c.ckid[0] = '\0');
	REFUSE(strcpy(c.title, "a/b"));
	REFUSE(strcpy(c.device, "a b"));
	REFUSE(strcpy(c.ckid, "\"x"));
	REFUSE(memset(c.user, 'a', sizeof(c.user)));
	REFUSE(c.window_s = 0);
	REFUSE(c.window_s = LICENSE_WINDOW_MAX + 1);
	REFUSE(c.expires = c.issued);
	REFUSE(c.expires = c.issued - 1);
	REFUSE(c.expires = c.issued + LICENSE_TTL_MAX + 1);
	REFUSE(c.issued = 253402300800LL; c.expires = c.issued + 10);
#undef REFUSE
	c = claims();
	c.renewal = 0;
	c.window_s = 1;
	CHECK_INT(license_issue(sk, &c, &tok), 0);
	CHECK_INT(check(tok, T0, NULL), 0);
	free(tok);
	paseto_key_public_raw(sk, raw);
	paseto_key_from_public("k1", raw, &pub, NULL, 0);
	CHECK_INT(license_issue(pub, &c, &tok), -EINVAL);
	CHECK(tok == NULL);
	paseto_key_free(pub);
}

/* The claims JSON of a good license, for edits (malloc'd). */
static char *good_json(void)
{
	struct license_claims c = claims();
	uint8_t *msg = NULL;
	size_t mlen;
	char *tok = NULL, *json;

	license_issue(sk, &c, &tok);
	paseto_v4_verify(sk, tok, strlen(tok), NULL, 0, &msg, &mlen, NULL, NULL);
	json = strndup((const char *)msg, mlen);
	free(msg);
	free(tok);
	return json;
}

/* JSON with the first FROM replaced by TO (malloc'd). */
static char *edit(const char *json, const char *from, const char *to)
{
	const char *at = strstr(json, from);
	size_t n = strlen(json) + strlen(to) + 1;
	char *s = malloc(n);

	if (!at)
		abort(); /* the test is wrong */
	snprintf(s, n, "%.*s%s%s", (int)(at - json), json, to, at + strlen(from));
	return s;
}

/* Claims that are signed correctly but break the syntax, or have another purpose. */
static void test_claims_strict(void)
{
	static const struct {
		const char *from, *to;
		int rc;
	} cases[] = {
	    {"\"renewal\":2", "\"renewal\":2", 0},
	    {"\"renewal\":2", "\"renewal\":4294967295", 0},
	    {"\"window\":172800", "\"window\":1", 0},
	    {"\"iat\":\"2025-06-15T15:06:40Z\"", "\"iat\":\"2025-06-15T17:06:40+02:00\"", 0},
	    {"reel-license-v1", "reel-stream-v1", -EACCES},
	    {"reel-license-v1", "reel-license-v2", -EACCES},
	    {"reel-license-v1", "reel-license-v1\\u0000", -EINVAL},
	    {"\"purpose\":\"reel-license-v1\",", "", -EINVAL},
	    {"\"purpose\":\"reel-license-v1\"", "\"purpose\":1", -EINVAL},
	    {"\"renewal\":2", "\"renewal\":2,\"admin\":true", -EINVAL},
	    {"\"renewal\":2", "\"renewal\":2,\"sub\":\"v\"", -EINVAL},
	    {"\"renewal\":2,", "", -EINVAL},
	    {"\"renewal\":2", "\"renewal\":-1", -EINVAL},
	    {"\"renewal\":2", "\"renewal\":4294967296", -EINVAL},
	    {"\"renewal\":2", "\"renewal\":2.0", -EINVAL},
	    {"\"renewal\":2", "\"renewal\":\"2\"", -EINVAL},
	    {"\"window\":172800", "\"window\":0", -EINVAL},
	    {"\"window\":172800", "\"window\":31622401", -EINVAL},
	    {"\"window\":172800", "\"window\":null", -EINVAL},
	    {"\"sub\":\"u-42\"", "\"sub\":7", -EINVAL},
	    {"\"sub\":\"u-42\"", "\"sub\":\"\"", -EINVAL},
	    {"\"title\":\"big-buck-bunny\"", "\"title\":\"../etc\"", -EINVAL},
	    {"\"device\":\"dev:phone-1\"", "\"device\":[\"dev\"]", -EINVAL},
	    {"\"ckid\":\"ck:bbb:1\"", "\"ckid\":\"ck bbb\"", -EINVAL},
	    {"\"lid\":\"lic-0001\"", "\"lid\":{}", -EINVAL},
	    {"\"iat\":\"2025-06-15T15:06:40Z\"", "\"iat\":1750000000", -EINVAL},
	    {"\"iat\":\"2025-06-15T15:06:40Z\"", "\"iat\":\"2025-07-15T15:06:40Z\"", -EINVAL},
	    {"\"exp\":\"2025-07-15T15:06:40Z\"", "\"exp\":\"2025-07-15\"", -EINVAL},
	    {"\"dkh\":\"", "\"dkh\":\"A", -EINVAL},
	    {"\"dkh\":\"", "\"dkh\":\"=", -EINVAL},
	    {"\"dkh\":", "\"dkh\":1,\"x\":", -EINVAL},
	    {"\"nonce\":\"", "\"nonce\":\"AAAA", -EINVAL},
	    {"\"epk\":\"", "\"epk\":\"+", -EINVAL},
	    {"\"ct\":", "\"ct\":null,\"x\":", -EINVAL},
	    {"\"wrapped\":{", "\"wrapped\":{\"extra\":\"\",", -EINVAL},
	    {"\"wrapped\":{", "\"wrapped\":{\"epk\":\"\",", -EINVAL},
	    {"\"wrapped\":{\"epk\":", "\"wrapped\":{\"ep\":", -EINVAL},
	    {"\"wrapped\":{", "\"wrapped\":[{", -EINVAL},
	    {"{\"purpose\"", "[{\"purpose\"", -EINVAL},
	};
	char *good = good_json();
	int bad = 0;

	printf("# claims: %s\n", good);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct license_claims out;
		char *json = edit(good, cases[i].from, cases[i].to);
		char *tok = sign_raw(sk, json);
		int rc = check(tok, T0 + 1, &out);
		int rc2 = license_claims_parse(json, strlen(json), &out);
		if (rc != cases[i].rc || rc2 != cases[i].rc)
			printf("# case %zu: %d %d\n", i, rc, rc2);
		CHECK_INT(rc, cases[i].rc);
		if (rc != 0 && (out.lid[0] || out.window_s || out.wrapped.epk[0]))
			bad++;
		free(tok);
		free(json);
	}
	CHECK_INT(bad, 0);
	/* a non-canonical base64url character in the hash (unused bits set) */
	char *dkh = strstr(good, "\"dkh\":\"") + 7;
	char saved = dkh[42];
	struct license_claims out;
	CHECK_INT(license_claims_parse(good, strlen(good), &out), 0);
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	dkh[42] = alphabet[(strchr(alphabet, saved) - alphabet) ^ 1];
	CHECK_INT(license_claims_parse(good, strlen(good), &out), -EINVAL);
	dkh[42] = saved;
	/* truncations */
	for (size_t n = 0; n < strlen(good); n++)
		if (license_claims_parse(good, n, &out) != -EINVAL)
			bad++;
	CHECK_INT(bad, 0);
	free(good);
}

int main(void)
{
	signing_keys_new();
	license_device_keygen(dev_priv, dev_pub);
	license_device_keygen(other_priv, other_pub);

	test_device_keys();
	test_wrap();
	test_kat();
	test_issue_check();
	test_purposes();
	test_issue_refuses();
	test_claims_strict();

	signing_keys_free();
	return test_done();
}
