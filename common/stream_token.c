/*
 * Stream tokens: the reel claims on top of PASETO v4.public, their checks in
 * DESIGN.md's order, and the edge's cache of verified tokens.
 */
#include "stream_token.h"
#include "claims.h"
#include "json_out.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_MAGIC 0x70c4ec11u
#define CACHE_WAYS  8
#define NMEMBERS    8 /* members of the claims object */

/* ---- RFC 3339 times ----------------------------------------------------- */

int stream_time_format(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t < -62167219200LL || t > 253402300799LL || size < CLAIMS_TIME_LEN + 1 ||
	    !gmtime_r(&tt, &tm))
		return -ERANGE;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

/* N decimal digits at S into *V; 0 or -EINVAL. */
static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The offset part at S (LEN bytes left) in seconds east of UTC; 0 or -EINVAL. */
static int parse_offset(const char *s, size_t len, int *off)
{
	int hh, mm;

	if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*off = 0;
		return 0;
	}
	if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || digits(s + 1, 2, &hh) ||
	    digits(s + 4, 2, &mm) || hh > 23 || mm > 59)
		return -EINVAL;
	*off = (s[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return 0;
}

int stream_time_parse(const char *s, size_t len, int64_t *t)
{
	int y, mo, d, h, mi, sec, off;
	size_t i = 19;

	if (len < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (s[i] == '.') {
		size_t start = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return -EINVAL;
	}
	if (parse_offset(s + i, len - i, &off) < 0)
		return -EINVAL;
	if (sec == 60)
		sec = 59; /* a leap second counts as the second before */
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return 0;
}

/* ---- claims ------------------------------------------------------------- */

static bool claims_valid(const void *arg)
{
	const struct stream_claims *c = arg;

	return claims_id_ok(c->user) && claims_id_ok(c->title) &&
	       claims_id_valid(c->version, strnlen(c->version, sizeof(c->version)), true) &&
	       claims_id_ok(c->lease) && c->max_height >= 1 && c->max_height <= STREAM_HEIGHT_MAX &&
	       c->expires > c->issued;
}

/*
 * Sign the claims C, issued IAT and expiring EXP, as their compact JSON in
 * this order (json_out.h: the text jansson would dump; no tree is built).
 */
static int sign_claims(const struct paseto_key *sk, const struct stream_claims *c, const char *iat,
		       const char *exp, char **out)
{
	struct json_out o = {0};
	char *msg;
	size_t len;
	int rc;

	json_out_open(&o, NULL, '{');
	json_out_str(&o, "purpose", STREAM_TOKEN_PURPOSE);
	json_out_str(&o, "sub", c->user);
	json_out_str(&o, "title", c->title);
	json_out_str(&o, "ver", c->version);
	json_out_int(&o, "maxh", (long long)c->max_height);
	json_out_str(&o, "lease", c->lease);
	json_out_str(&o, "iat", iat);
	json_out_str(&o, "exp", exp);
	json_out_close(&o, '}');
	if ((rc = json_out_end(&o, &msg, &len)) != 0)
		return rc;
	rc = claims_sign_text(sk, msg, len, out);
	free(msg);
	return rc;
}

int stream_token_issue(const struct paseto_key *sk, const struct stream_claims *c, char **out)
{
	char iat[CLAIMS_TIME_LEN + 1], exp[CLAIMS_TIME_LEN + 1];

	*out = NULL;
	if (!paseto_key_is_secret(sk) || !claims_valid(c) ||
	    c->expires - c->issued > STREAM_TOKEN_TTL_MAX ||
	    claims_times(c->issued, c->expires, iat, exp) < 0)
		return -EINVAL;
	return sign_claims(sk, c, iat, exp, out);
}

/* One member KEY = V of the claims object into ARG; unknown keys are -EINVAL. */
static int take_member(const char *key, json_t *v, void *arg)
{
	struct stream_claims *c = arg;

	if (strcmp(key, "purpose") == 0)
		return 0; /* checked before */
	if (strcmp(key, "sub") == 0)
		return claims_take_id(v, c->user, false);
	if (strcmp(key, "title") == 0)
		return claims_take_id(v, c->title, false);
	if (strcmp(key, "ver") == 0)
		return claims_take_id(v, c->version, true);
	if (strcmp(key, "lease") == 0)
		return claims_take_id(v, c->lease, false);
	if (strcmp(key, "maxh") == 0)
		return claims_take_uint(v, 1, STREAM_HEIGHT_MAX, &c->max_height);
	if (strcmp(key, "iat") == 0)
		return claims_take_time(v, &c->issued);
	if (strcmp(key, "exp") == 0)
		return claims_take_time(v, &c->expires);
	return -EINVAL;
}

static const struct claims_schema schema = {
    .purpose = STREAM_TOKEN_PURPOSE,
    .max_len = STREAM_TOKEN_MAX,
    .nmembers = NMEMBERS,
    .size = sizeof(struct stream_claims),
    .take = take_member,
    .valid = claims_valid,
};

int stream_claims_parse(const char *json, size_t len, struct stream_claims *out)
{
	return claims_parse(&schema, json, len, out);
}

/* Format, kid, signature and purpose: what a cache may remember. */
static int check_signed(const struct paseto_keyring *ring, const char *token, size_t tlen,
			struct stream_claims *c)
{
	char kid[PASETO_KID_MAX + 1];
	uint8_t *msg = NULL;
	size_t mlen;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = claims_verify(ring, token, tlen, STREAM_TOKEN_MAX, &msg, &mlen, kid)) < 0)
		return rc;
	if ((rc = stream_claims_parse((const char *)msg, mlen, c)) == 0)
		memcpy(c->kid, kid, sizeof(kid));
	free(msg);
	return rc;
}

/* Expiry, then title: what must be checked on every request. */
static int check_claims(const struct stream_claims *c, int64_t now, const char *title,
			size_t title_len)
{
	if (now >= c->expires || c->issued > now + STREAM_TOKEN_SKEW)
		return -ETIMEDOUT;
	if (title_len != strlen(c->title) || memcmp(title, c->title, title_len) != 0)
		return -EACCES;
	return 0;
}

int stream_token_check(const struct paseto_keyring *ring, const char *token, size_t tlen,
		       int64_t now, const char *title, size_t title_len, struct stream_claims *out)
{
	struct stream_claims c;
	int rc;

	if ((rc = check_signed(ring, token, tlen, &c)) == 0)
		rc = check_claims(&c, now, title, title_len);
	if (out)
		*out = c;
	return rc;
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), for the cache ----------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t siphash24(const uint64_t k[2], const uint8_t *in, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0], v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0], v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t b = (uint64_t)len << 56, m;
	const uint8_t *end = in + (len & ~(size_t)7);

	for (; in != end; in += 8) {
		m = load_le64(in);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the verification cache --------------------------------------------- */

struct cache_entry {
	char *token; /* NULL when the slot is empty */
	size_t tlen;
	uint64_t gen;  /* keyring generation when verified */
	uint64_t used; /* LRU tick */
	struct stream_claims claims;
};

struct token_cache {
	unsigned magic;
	size_t nsets;	  /* power of two */
	uint64_t key[2];  /* SipHash key, random per cache */
	uint64_t tick;	  /* LRU clock */
	uint64_t *hashes; /* nsets * CACHE_WAYS; 0 = empty */
	struct cache_entry *entries;
	struct token_cache_stats st;
};

struct token_cache *token_cache_new(size_t capacity)
{
	struct token_cache *c = calloc(1, sizeof(*c));
	size_t sets = 1;

	if (!c)
		return NULL;
	while (sets * CACHE_WAYS < capacity && sets < ((size_t)1 << 40))
		sets <<= 1;
	c->magic = CACHE_MAGIC;
	c->nsets = sets;
	c->hashes = calloc(sets * CACHE_WAYS, sizeof(*c->hashes));
	c->entries = calloc(sets * CACHE_WAYS, sizeof(*c->entries));
	if (!c->hashes || !c->entries || RAND_bytes((unsigned char *)c->key, sizeof(c->key)) != 1) {
		token_cache_free(c);
		return NULL;
	}
	return c;
}

static void slot_drop(struct token_cache *c, size_t i)
{
	free(c->entries[i].token);
	memset(&c->entries[i], 0, sizeof(c->entries[i]));
	c->hashes[i] = 0;
}

void token_cache_clear(struct token_cache *c)
{
	for (size_t i = 0; i < c->nsets * CACHE_WAYS; i++)
		if (c->hashes[i])
			slot_drop(c, i);
}

void token_cache_free(struct token_cache *c)
{
	if (!c)
		return;
	if (c->magic != CACHE_MAGIC)
		abort();
	if (c->hashes && c->entries)
		token_cache_clear(c);
	free(c->hashes);
	free(c->entries);
	c->magic = 0;
	free(c);
}

void token_cache_stats(const struct token_cache *c, struct token_cache_stats *st)
{
	*st = c->st;
}

/* The slot of TOKEN in its set (base SET), or -1. */
static ssize_t cache_find(const struct token_cache *c, size_t set, uint64_t h, const char *token,
			  size_t tlen)
{
	for (size_t i = set; i < set + CACHE_WAYS; i++) {
		const struct cache_entry *e = &c->entries[i];
		if (c->hashes[i] == h && e->tlen == tlen && memcmp(e->token, token, tlen) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* Remember verified claims CL for TOKEN in set SET, evicting the LRU entry if full. */
static void cache_insert(struct token_cache *c, size_t set, uint64_t h, const char *token,
			 size_t tlen, uint64_t gen, const struct stream_claims *cl)
{
	size_t victim = set;
	char *copy = malloc(tlen ? tlen : 1);

	if (!copy)
		return; /* a cache that cannot grow just misses */
	for (size_t i = set; i < set + CACHE_WAYS; i++) {
		if (!c->hashes[i]) {
			victim = i;
			break;
		}
		if (c->entries[i].used < c->entries[victim].used)
			victim = i;
	}
	if (c->hashes[victim]) {
		c->st.evictions++;
		slot_drop(c, victim);
	}
	memcpy(copy, token, tlen);
	c->entries[victim] = (struct cache_entry){
	    .token = copy, .tlen = tlen, .gen = gen, .used = ++c->tick, .claims = *cl};
	c->hashes[victim] = h;
	c->st.inserts++;
}

int token_cache_check(struct token_cache *c, const struct paseto_keyring *ring, const char *token,
		      size_t tlen, int64_t now, const char *title, size_t title_len,
		      struct stream_claims *out)
{
	uint64_t h, gen = paseto_keyring_generation(ring);
	struct stream_claims cl;
	size_t set;
	ssize_t i;
	int rc;

	if (tlen > STREAM_TOKEN_MAX) {
		if (out)
			memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	h = siphash24(c->key, (const uint8_t *)token, tlen) | 1; /* 0 marks an empty slot */
	set = (size_t)(h >> 1 & (c->nsets - 1)) * CACHE_WAYS;
	i = cache_find(c, set, h, token, tlen);
	if (i >= 0 && c->entries[i].gen == gen) {
		struct cache_entry *e = &c->entries[i];
		c->st.hits++;
		e->used = ++c->tick;
		rc = check_claims(&e->claims, now, title, title_len);
		if (out)
			*out = e->claims;
		if (rc == -ETIMEDOUT && now >= e->claims.expires)
			slot_drop(c, (size_t)i);
		return rc;
	}
	if (i >= 0)
		slot_drop(c, (size_t)i); /* verified under another keyring */
	c->st.misses++;
	if ((rc = check_signed(ring, token, tlen, &cl)) == 0) {
		rc = check_claims(&cl, now, title, title_len);
		if (now < cl.expires)
			cache_insert(c, set, h, token, tlen, gen, &cl);
	}
	if (out)
		*out = cl;
	return rc;
}
