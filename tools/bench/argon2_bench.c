/*
 * argon2_bench: the time of one argon2id hash as reel-origin pays it at
 * signup and login (origin/accounts/accounts.c: 16-byte salt, 32-byte hash), with
 * libargon2's argon2id_hash_raw.  Prints the median of RUNS single hashes
 * (default 7, after one unmeasured hash), with the fastest and slowest.
 *
 *   argon2_bench [RUNS [MEMORY_KIB [PASSES [LANES]]]]   (default 7 19456 2 1)
 */
#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SALT_LEN 16
#define HASH_LEN 32

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One hash; returns its time in ms, or a negative value when libargon2 refused. */
static double one_hash(uint32_t t, uint32_t m_kib, uint32_t lanes)
{
	static const char pwd[] = "correct horse battery staple";
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	double start;
	int rc;

	memset(salt, 's', sizeof(salt));
	start = now_ms();
	rc = argon2id_hash_raw(t, m_kib, lanes, pwd, sizeof(pwd) - 1, salt, sizeof(salt), hash,
			       sizeof(hash));
	if (rc != ARGON2_OK) {
		fprintf(stderr, "argon2_bench: %s\n", argon2_error_message(rc));
		return -1;
	}
	return now_ms() - start;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	long m_kib = argc > 2 ? atol(argv[2]) : 19 * 1024;
	long t = argc > 3 ? atol(argv[3]) : 2;
	long lanes = argc > 4 ? atol(argv[4]) : 1;
	double *ms, med;

	if (runs < 1 || m_kib < 8 || t < 1 || lanes < 1 || m_kib > 1L << 22 || t > 100 ||
	    lanes > 64) {
		fprintf(stderr, "usage: argon2_bench [RUNS [MEMORY_KIB [PASSES [LANES]]]]\n");
		return 2;
	}
	if (!(ms = calloc((size_t)runs, sizeof(double))))
		return 1;
	if (one_hash((uint32_t)t, (uint32_t)m_kib, (uint32_t)lanes) < 0) /* warm up */
		goto fail;
	for (int r = 0; r < runs; r++)
		if ((ms[r] = one_hash((uint32_t)t, (uint32_t)m_kib, (uint32_t)lanes)) < 0)
			goto fail;
	qsort(ms, (size_t)runs, sizeof(double), cmp_double);
	med = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
	printf("argon2_bench: argon2id m=%ld KiB t=%ld p=%ld, %d-byte salt, %d-byte hash; median "
	       "of %d runs\n",
	       m_kib, t, lanes, SALT_LEN, HASH_LEN, runs);
	printf("%-36s %12s %12s %12s %12s\n", "operation", "median", "min", "max", "ops/s");
	printf("%-36s %9.3f ms %9.3f ms %9.3f ms %12.1f\n", "argon2id_hash_raw (one thread)", med,
	       ms[0], ms[runs - 1], 1e3 / med);
	free(ms);
	return 0;
fail:
	free(ms);
	return 1;
}
