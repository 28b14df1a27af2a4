/*
 * Unit tests for common/stream_token.c: issue and check in DESIGN.md's order
 * (format, kid, signature, purpose, expiry, title), strict claims, a license
 * that must never pass as a stream token, RFC 3339 times, and the cache.
 */
#include "stream_token.h"
#include "signing_keys.h"
#include "test.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#define T0 1750000000LL /* 2025-06-15T15:06:40Z */


static struct stream_claims claims(void)
{
	struct stream_claims c;

	memset(&c, 0, sizeof(c));
	strcpy(c.user, "u-42");
	strcpy(c.title, "big-buck-bunny");
	strcpy(c.version, "3");
	strcpy(c.lease, "lease:7f3a");
	c.max_height = 1080;
	c.issued = T0;
	c.expires = T0 + 3 * 3600;
	return c;
}

static int check(const char *tok, int64_t now, const char *title, struct stream_claims *out)
{
	return stream_token_check(ring, tok, strlen(tok), now, title, strlen(title), out);
}

static void test_times(void)
{
	char buf[32];
	int64_t t;

	CHECK_INT(stream_time_format(T0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "2025-06-15T15:06:40Z");
	CHECK_INT(stream_time_format(0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	CHECK_INT(stream_time_format(253402300800LL, buf, sizeof(buf)), -ERANGE);
	CHECK_INT(stream_time_format(T0, buf, 20), -ERANGE);
#define P(s) stream_time_parse((s), strlen(s), &t)
	CHECK_INT(P("2025-06-15T15:06:40Z"), 0);
	CHECK_INT(t, T0);
	CHECK_INT(P("2025-06-15t15:06:40z"), 0);
	CHECK_INT(t, T0);
	CHECK_INT(P("2025-06-15T17:06:40+02:00"), 0);
	CHECK_INT(t, T0);
	CHECK_INT(P("2025-06-15T14:36:40.123456-00:30"), 0);
	CHECK_INT(t, T0);
	CHECK_INT(P("2022-01-01T00:00:00+00:00"), 0);
	CHECK_INT(t, 1640995200);
	CHECK_INT(P("2024-02-29T00:00:00Z"), 0);
	CHECK_INT(P("1969-12-31T23:59:59Z"), 0);
	CHECK_INT(t, -1);
	static const char *bad[] = {
	    "2023-02-29T00:00:00Z",  "2025-13-01T00:00:00Z",	  "2025-06-15 15:06:40Z",
	    "2025-06-15T24:00:00Z",  "2025-06-15T15:06:40",	  "2025-06-15T15:06:40+0200",
	    "2025-06-15T15:06:40.Z", "2025-6-15T15:06:40Z",	  "2025-06-15T15:06:40Zx",
	    "+2025-06-15T15:06:40Z", "2025-06-15T15:06:40+24:00", "2025-00-10T15:06:40Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(P(bad[i]), -EINVAL);
#undef P
	for (int64_t x = -100000000; x < 4000000000LL; x += 123456789) {
		CHECK_INT(stream_time_format(x, buf, sizeof(buf)), 0);
		CHECK_INT(stream_time_parse(buf, strlen(buf), &t), 0);
		CHECK_INT(t, x);
	}
}

static void test_issue_check(void)
{
	struct stream_claims c = claims(), out;
	char *tok = NULL;

	CHECK_INT(stream_token_issue(sk, &c, &tok), 0);
	CHECK(tok && strncmp(tok, "v4.public.", 10) == 0 && strlen(tok) < STREAM_TOKEN_MAX);
	if (!tok)
		return;
	printf("# token: %zu bytes\n", strlen(tok));
	CHECK_INT(check(tok, T0 + 10, "big-buck-bunny", &out), 0);
	CHECK_STR(out.user, "u-42");
	CHECK_STR(out.title, "big-buck-bunny");
	CHECK_STR(out.version, "3");
	CHECK_STR(out.lease, "lease:7f3a");
	CHECK_STR(out.kid, "k1");
	CHECK_INT(out.max_height, 1080);
	CHECK_INT(out.issued, T0);
	CHECK_INT(out.expires, T0 + 3 * 3600);

	/* the claims are the compact JSON jansson dumps of them (Ed25519 is deterministic) */
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "purpose",
			      STREAM_TOKEN_PURPOSE, "sub", c.user, "title", c.title, "ver",
			      c.version, "maxh", (json_int_t)c.max_height, "lease", c.lease, "iat",
			      "2025-06-15T15:06:40Z", "exp", "2025-06-15T18:06:40Z");
	char *msg = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER), *same = sign_raw(sk, msg);
	CHECK_STR(tok, same);
	free(same);
	free(msg);
	json_decref(j);

	/* expiry: valid up to the second before exp; iat at most SKEW ahead */
	CHECK_INT(check(tok, c.expires - 1, "big-buck-bunny", NULL), 0);
	CHECK_INT(check(tok, c.expires, "big-buck-bunny", &out), -ETIMEDOUT);
	CHECK_STR(out.user, "u-42"); /* claims still returned: the signature held */
	CHECK_INT(check(tok, T0 - STREAM_TOKEN_SKEW, "big-buck-bunny", NULL), 0);
	CHECK_INT(check(tok, T0 - STREAM_TOKEN_SKEW - 1, "big-buck-bunny", NULL), -ETIMEDOUT);

	/* title must match exactly */
	CHECK_INT(check(tok, T0, "big-buck-bunn", NULL), -EACCES);
	CHECK_INT(check(tok, T0, "big-buck-bunny2", NULL), -EACCES);
	CHECK_INT(check(tok, T0, "", NULL), -EACCES);
	CHECK_INT(stream_token_check(ring, tok, strlen(tok), T0, "big-buck-bunny/x", 14, NULL), 0);
	/* order: expiry is checked before the title */
	CHECK_INT(check(tok, c.expires, "other", NULL), -ETIMEDOUT);

	/* order: an unknown kid before the signature, the signature before expiry */
	char *tok2 = NULL;
	CHECK_INT(stream_token_issue(stranger, &c, &tok2), 0);
	CHECK_INT(check(tok2, T0, "big-buck-bunny", &out), -ENOKEY);
	CHECK(out.user[0] == '\0');
	free(tok2);
	char saved = tok[40];
	tok[40] = saved == 'A' ? 'B' : 'A';
	CHECK_INT(check(tok, c.expires + 100, "other", &out), -EBADMSG);
	CHECK(out.user[0] == '\0');
	tok[40] = saved;
	CHECK_INT(check(tok, T0, "big-buck-bunny", NULL), 0);

	/* a second key in the ring verifies its own tokens */
	CHECK_INT(stream_token_issue(sk2, &c, &tok2), 0);
	CHECK_INT(check(tok2, T0, "big-buck-bunny", &out), 0);
	CHECK_STR(out.kid, "k2");
	free(tok2);

	/* malformed */
	CHECK_INT(check("", T0, "t", NULL), -EINVAL);
	CHECK_INT(check("v4.local.abc", T0, "t", NULL), -EINVAL);
	char *huge = malloc(STREAM_TOKEN_MAX + 100);
	snprintf(huge, STREAM_TOKEN_MAX + 100, "%s%0*d", tok, STREAM_TOKEN_MAX, 0);
	CHECK_INT(check(huge, T0, "big-buck-bunny", NULL), -EINVAL);
	free(huge);
	free(tok);
}

static void test_issue_refuses(void)
{
	struct stream_claims c;
	char *tok = NULL;
	struct paseto_key *pub = NULL;
	uint8_t raw[32];

#define REFUSE(stmt)                                                                               \
	do {                                                                                       \
		c = claims();                                                                      \
		stmt;                                                                              \
		CHECK_INT(stream_token_issue(sk, &c, &tok), -EINVAL);                              \
		CHECK(tok == NULL);                                                                \
	} while (0)
	REFUSE(c.user[0] = '\0');
	REFUSE(strcpy(c.title, "a/b"));
	REFUSE(strcpy(c.title, "a b"));
	REFUSE(strcpy(c.lease, "\"x"));
	REFUSE(c.max_height = 0);
	REFUSE(c.max_height = STREAM_HEIGHT_MAX + 1);
	REFUSE(c.expires = c.issued);
	REFUSE(c.expires = c.issued + STREAM_TOKEN_TTL_MAX + 1);
	REFUSE(memset(c.user, 'a', sizeof(c.user)));
#undef REFUSE
	c = claims();
	c.version[0] = '\0';
	CHECK_INT(stream_token_issue(sk, &c, &tok), 0);
	CHECK_INT(check(tok, T0, "big-buck-bunny", NULL), 0);
	free(tok);
	paseto_key_public_raw(sk, raw);
	paseto_key_from_public("k1", raw, &pub, NULL, 0);
	CHECK_INT(stream_token_issue(pub, &c, &tok), -EINVAL);
	paseto_key_free(pub);
}

/* Claims that are signed correctly but break the syntax, or have another purpose. */
static void test_claims_strict(void)
{
	static const struct {
		const char *json;
		int rc;
	} cases[] = {
#define GOOD_TAIL "\"iat\":\"2025-06-15T15:06:40Z\",\"exp\":\"2025-06-15T18:06:40Z\"}"
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     0},
	    /* a license: valid in its own right, never a stream token */
	    {"{\"purpose\":\"reel-license-v1\",\"lid\":\"x\",\"sub\":\"u\",\"device\":\"d\","
	     "\"title\":\"big-buck-bunny\",\"ckid\":\"c\"," GOOD_TAIL,
	     -EACCES},
	    {"{\"purpose\":\"reel-license-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     -EACCES},
	    {"{\"purpose\":\"reel-stream-v1x\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     -EACCES},
	    {"{\"purpose\":\"reel-stream-v1\\u0000\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"{\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":1,\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":7,\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":\"720\",\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720.0,\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":-1,\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\",\"admin\":true," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720," GOOD_TAIL,
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\",\"sub\":\"v\","
	     "\"iat\":\"2025-06-15T15:06:40Z\"}",
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\",\"iat\":1750000000,"
	     "\"exp\":\"2025-06-15T18:06:40Z\"}",
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"big-buck-bunny\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\",\"iat\":\"2025-06-15T18:06:40Z\","
	     "\"exp\":\"2025-06-15T18:06:40Z\"}",
	     -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\",\"sub\":\"u\",\"title\":\"../etc\","
	     "\"ver\":\"\",\"maxh\":720,\"lease\":\"l\"," GOOD_TAIL,
	     -EINVAL},
	    {"[\"reel-stream-v1\"]", -EINVAL},
	    {"{\"purpose\":\"reel-stream-v1\"", -EINVAL},
	    {"", -EINVAL},
#undef GOOD_TAIL
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stream_claims out;
		char *tok = sign_raw(sk, cases[i].json);
		int rc = check(tok, T0 + 1, "big-buck-bunny", &out);
		if (rc != cases[i].rc)
			printf("# case %zu: %d\n", i, rc);
		CHECK_INT(rc, cases[i].rc);
		if (rc != 0)
			CHECK(out.user[0] == '\0' && out.max_height == 0);
		free(tok);
	}
}

static void test_cache(void)
{
	struct token_cache *tc = token_cache_new(8);
	struct token_cache_stats st;
	struct stream_claims c = claims(), out;
	char *tok = NULL, *toks[40];
	int bad = 0;

	CHECK(tc != NULL);
	stream_token_issue(sk, &c, &tok);
#define CC(t, now, title, o)                                                                       \
	token_cache_check(tc, ring, (t), strlen(t), (now), (title), strlen(title), (o))
	CHECK_INT(CC(tok, T0, "big-buck-bunny", &out), 0);
	CHECK_INT(CC(tok, T0 + 1, "big-buck-bunny", &out), 0);
	CHECK_STR(out.lease, "lease:7f3a");
	CHECK_STR(out.kid, "k1");
	token_cache_stats(tc, &st);
	CHECK(st.misses == 1 && st.hits == 1 && st.inserts == 1);
	/* a hit redoes the title and expiry checks */
	CHECK_INT(CC(tok, T0, "other", NULL), -EACCES);
	CHECK_INT(CC(tok, T0 - STREAM_TOKEN_SKEW - 1, "big-buck-bunny", NULL), -ETIMEDOUT);
	token_cache_stats(tc, &st);
	CHECK_INT(st.hits, 3);
	CHECK_INT(CC(tok, c.expires, "big-buck-bunny", NULL), -ETIMEDOUT);
	CHECK_INT(CC(tok, T0, "big-buck-bunny", NULL), 0); /* dropped when expired: a miss */
	token_cache_stats(tc, &st);
	CHECK_INT(st.misses, 2);

	/* a bad signature is never cached */
	char saved = tok[30];
	tok[30] = saved == 'A' ? 'B' : 'A';
	CHECK_INT(CC(tok, T0, "big-buck-bunny", NULL), -EBADMSG);
	CHECK_INT(CC(tok, T0, "big-buck-bunny", NULL), -EBADMSG);
	token_cache_stats(tc, &st);
	CHECK_INT(st.misses, 4);
	CHECK_INT(st.inserts, 2);
	tok[30] = saved;

	/* a keyring change (rotation) makes entries misses; a removed kid is refused */
	CHECK_INT(CC(tok, T0, "big-buck-bunny", NULL), 0);
	CHECK_INT(paseto_keyring_remove(ring, "k1"), 0);
	CHECK_INT(CC(tok, T0, "big-buck-bunny", NULL), -ENOKEY);
	CHECK_INT(paseto_keyring_add(ring, sk), 0);
	CHECK_INT(CC(tok, T0, "big-buck-bunny", NULL), 0);

	/* more tokens than slots: evictions, and every answer still right */
	for (int i = 0; i < 40; i++) {
		c = claims();
		snprintf(c.lease, sizeof(c.lease), "l%d", i);
		toks[i] = NULL;
		stream_token_issue(sk, &c, &toks[i]);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 40; i++) {
			char want[16];
			snprintf(want, sizeof(want), "l%d", i);
			if (CC(toks[i], T0, "big-buck-bunny", &out) != 0 || strcmp(out.lease, want))
				bad++;
		}
	CHECK_INT(bad, 0);
	token_cache_stats(tc, &st);
	CHECK(st.evictions > 0);
	/* the LRU keeps a hot token */
	token_cache_clear(tc);
	for (int i = 0; i < 40; i++) {
		CC(tok, T0, "big-buck-bunny", NULL);
		CC(toks[i], T0, "big-buck-bunny", NULL);
	}
	token_cache_stats(tc, &st);
	uint64_t misses = st.misses;
	CC(tok, T0, "big-buck-bunny", NULL);
	token_cache_stats(tc, &st);
	CHECK_INT(st.misses, misses);

	/* oversize tokens */
	char *huge = malloc(STREAM_TOKEN_MAX + 2);
	memset(huge, 'A', STREAM_TOKEN_MAX + 1);
	huge[STREAM_TOKEN_MAX + 1] = '\0';
	CHECK_INT(CC(huge, T0, "big-buck-bunny", &out), -EINVAL);
	free(huge);
#undef CC
	for (int i = 0; i < 40; i++)
		free(toks[i]);
	free(tok);
	token_cache_free(tc);
	token_cache_free(NULL);
}

int main(void)
{
	signing_keys_new();

	test_times();
	test_issue_check();
	test_issue_refuses();
	test_claims_strict();
	test_cache();

	signing_keys_free();
	return test_done();
}
