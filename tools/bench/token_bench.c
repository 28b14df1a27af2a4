/*
 * token_bench: the cost of the stream-token layer, per operation, as the
 * origin and the edge pay it: a raw Ed25519 sign and verify (OpenSSL 3), a
 * PASETO v4.public verify through the keyring, a full stream-token issue and
 * check (JSON claims included), and the edge's cached check (token_cache hit).
 * Each figure is the median of RUNS runs of N operations.
 *
 *   token_bench [RUNS [N]]
 */
#include "paseto.h"
#include "stream_token.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOW 1750000000LL

static struct paseto_key *sk;
static struct paseto_keyring *ring;
static struct token_cache *cache;
static EVP_PKEY *pkey;
static char *token;
static size_t tlen;
static uint8_t msg[256], sig[64];
static volatile int sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void op_ed25519_sign(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = sizeof(sig);

	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &len, msg, sizeof(msg)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
}

static void op_ed25519_verify(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
	    EVP_DigestVerify(ctx, sig, sizeof(sig), msg, sizeof(msg)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
}

static void op_paseto_verify(void)
{
	if (paseto_keyring_verify(ring, token, tlen, NULL, 0, NULL, NULL, NULL, NULL, NULL) != 0)
		abort();
}

/* The claims every issue/check row uses. */
static struct stream_claims bench_claims(void)
{
	struct stream_claims c;

	memset(&c, 0, sizeof(c));
	strcpy(c.user, "u-1234567");
	strcpy(c.title, "big-buck-bunny");
	strcpy(c.version, "3");
	strcpy(c.lease, "lease-89abcdef01234567");
	c.max_height = 1080;
	c.issued = NOW;
	c.expires = NOW + 3 * 3600;
	return c;
}

static void op_issue(void)
{
	struct stream_claims c = bench_claims();
	char *t = NULL;

	if (stream_token_issue(sk, &c, &t) != 0)
		abort();
	free(t);
}

static void op_check(void)
{
	struct stream_claims c;

	if (stream_token_check(ring, token, tlen, NOW, "big-buck-bunny", 14, &c) != 0)
		abort();
}

static void op_cached(void)
{
	struct stream_claims c;

	sink += token_cache_check(cache, ring, token, tlen, NOW, "big-buck-bunny", 14, &c);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over RUNS runs of N calls of OP, in ns per call. */
static double measure(void (*op)(void), int runs, long n, double *lo, double *hi)
{
	double *t = calloc((size_t)runs, sizeof(double)), med;

	for (long i = 0; i < n / 10 + 1; i++)
		op(); /* warm up */
	for (int r = 0; r < runs; r++) {
		double start = now_ns();
		for (long i = 0; i < n; i++)
			op();
		t[r] = (now_ns() - start) / (double)n;
	}
	qsort(t, (size_t)runs, sizeof(double), cmp_double);
	med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
	*lo = t[0];
	*hi = t[runs - 1];
	free(t);
	return med;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*op)(void);
		long scale; /* N is divided by this for the slow operations */
	} rows[] = {
	    {"Ed25519 sign (256 B, OpenSSL)", op_ed25519_sign, 10},
	    {"Ed25519 verify (256 B, OpenSSL)", op_ed25519_verify, 10},
	    {"PASETO v4.public verify (keyring)", op_paseto_verify, 10},
	    {"stream_token_issue (origin)", op_issue, 10},
	    {"stream_token_check (uncached)", op_check, 10},
	    {"token_cache_check hit (edge)", op_cached, 1},
	};
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	long n = argc > 2 ? atol(argv[2]) : 100000;
	struct stream_claims c;
	char err[256];

	if (runs < 1 || n < 10) {
		fprintf(stderr, "usage: token_bench [RUNS [N]]\n");
		return 2;
	}
	if (paseto_key_generate("bench", &sk, err, sizeof(err)) != 0 ||
	    !(ring = paseto_keyring_new()) || paseto_keyring_add(ring, sk) != 0 ||
	    !(cache = token_cache_new(4096)) ||
	    !(pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"))) {
		fprintf(stderr, "token_bench: setup failed\n");
		return 1;
	}
	memset(msg, 'm', sizeof(msg));
	op_ed25519_sign();
	c = bench_claims();
	if (stream_token_issue(sk, &c, &token) != 0)
		return 1;
	tlen = strlen(token);

	printf("token_bench: %s; token %zu bytes; median of %d runs\n", OpenSSL_version(0), tlen,
	       runs);
	printf("%-36s %12s %12s %12s %12s\n", "operation", "median", "min", "max", "ops/s");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double lo, hi, med = measure(rows[i].op, runs, n / rows[i].scale, &lo, &hi);
		printf("%-36s %9.3f us %9.3f us %9.3f us %12.0f\n", rows[i].name, med / 1e3,
		       lo / 1e3, hi / 1e3, 1e9 / med);
	}
	free(token);
	token_cache_free(cache);
	paseto_keyring_free(ring);
	paseto_key_free(sk);
	EVP_PKEY_free(pkey);
	return sink == 12345 ? 1 : 0;
}
