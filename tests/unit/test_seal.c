/*
 * Unit tests for common/seal.c: round trips, the blob layout, every kind of
 * tampering refused with -EBADMSG, size errors, and the master key's hex format.
 */
#include "seal.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>

static const uint8_t key[SEAL_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
					  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
					  23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

#define AAD "content-key:big-buck-bunny"

static int open_blob(const uint8_t *k, const char *aad, const uint8_t *blob, size_t len,
		     uint8_t *out, size_t cap, size_t *outlen)
{
	return seal_decrypt(k, aad, aad ? strlen(aad) : 0, blob, len, out, cap, outlen);
}

static void test_roundtrip(void)
{
	uint8_t blob[256], blob2[256], out[256];
	const char *pt = "sixteen byte key";
	size_t len, len2, olen;

	CHECK_INT(seal_encrypt(key, AAD, strlen(AAD), pt, 16, blob, sizeof(blob), &len), 0);
	CHECK_INT(len, 16 + SEAL_OVERHEAD);
	CHECK_INT(blob[0], SEAL_VERSION);
	CHECK(memcmp(blob + 1 + SEAL_NONCE_LEN, pt, 16) != 0);
	CHECK_INT(open_blob(key, AAD, blob, len, out, sizeof(out), &olen), 0);
	CHECK_INT(olen, 16);
	CHECK(memcmp(out, pt, 16) == 0);

	/* a fresh nonce each time: two seals of one secret differ */
	CHECK_INT(seal_encrypt(key, AAD, strlen(AAD), pt, 16, blob2, sizeof(blob2), &len2), 0);
	CHECK(len2 == len && memcmp(blob, blob2, len) != 0);
	CHECK(memcmp(blob + 1, blob2 + 1, SEAL_NONCE_LEN) != 0);

	/* empty plaintext, no AAD, exact capacities */
	CHECK_INT(seal_encrypt(key, NULL, 0, "", 0, blob, SEAL_OVERHEAD, &len), 0);
	CHECK_INT(len, SEAL_OVERHEAD);
	CHECK_INT(open_blob(key, NULL, blob, len, out, 0, &olen), 0);
	CHECK_INT(olen, 0);
	CHECK_INT(seal_encrypt(key, NULL, 0, pt, 16, blob, 16 + SEAL_OVERHEAD, &len), 0);
	CHECK_INT(open_blob(key, NULL, blob, len, out, 16, &olen), 0);
	CHECK(olen == 16 && memcmp(out, pt, 16) == 0);

	/* the largest plaintext */
	uint8_t *big = malloc(SEAL_DATA_MAX), *bigblob = malloc(SEAL_DATA_MAX + SEAL_OVERHEAD);
	uint8_t *bigout = malloc(SEAL_DATA_MAX);
	for (size_t i = 0; i < SEAL_DATA_MAX; i++)
		big[i] = (uint8_t)(i * 7);
	CHECK_INT(seal_encrypt(key, big, SEAL_DATA_MAX, big, SEAL_DATA_MAX, bigblob,
			       SEAL_DATA_MAX + SEAL_OVERHEAD, &len),
		  0);
	CHECK_INT(seal_decrypt(key, big, SEAL_DATA_MAX, bigblob, len, bigout, SEAL_DATA_MAX, &olen),
		  0);
	CHECK(olen == SEAL_DATA_MAX && memcmp(big, bigout, SEAL_DATA_MAX) == 0);
	free(big);
	free(bigblob);
	free(bigout);
}

static void test_tamper(void)
{
	uint8_t blob[64], out[64], other[SEAL_KEY_LEN];
	const char *pt = "0123456789abcdef";
	size_t len, olen = 99;
	int bad = 0;

	seal_encrypt(key, AAD, strlen(AAD), pt, 16, blob, sizeof(blob), &len);

	/* every bit of every byte, the version byte included */
	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b++) {
			blob[i] ^= (uint8_t)(1 << b);
			olen = 99;
			if (open_blob(key, AAD, blob, len, out, sizeof(out), &olen) != -EBADMSG ||
			    olen != 0 || memcmp(out, pt, 16) == 0)
				bad++;
			blob[i] ^= (uint8_t)(1 << b);
		}
	CHECK_INT(bad, 0);
	CHECK_INT(open_blob(key, AAD, blob, len, out, sizeof(out), &olen), 0);

	/* wrong key, wrong or missing AAD */
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	CHECK_INT(open_blob(other, AAD, blob, len, out, sizeof(out), &olen), -EBADMSG);
	CHECK_INT(open_blob(key, AAD "x", blob, len, out, sizeof(out), &olen), -EBADMSG);
	CHECK_INT(open_blob(key, "content-key:big-buck-bunnY", blob, len, out, sizeof(out), &olen),
		  -EBADMSG);
	CHECK_INT(open_blob(key, NULL, blob, len, out, sizeof(out), &olen), -EBADMSG);

	/* truncated, extended */
	for (size_t n = 0; n < len; n++)
		if (open_blob(key, AAD, blob, n, out, sizeof(out), &olen) != -EBADMSG)
			bad++;
	CHECK_INT(bad, 0);
	blob[len] = 0;
	CHECK_INT(open_blob(key, AAD, blob, len + 1, out, sizeof(out), &olen), -EBADMSG);

	/* an unknown version, even with the rest intact */
	blob[0] = 0x02;
	CHECK_INT(open_blob(key, AAD, blob, len, out, sizeof(out), &olen), -EBADMSG);
	blob[0] = SEAL_VERSION;
	CHECK_INT(open_blob(key, AAD, blob, len, out, sizeof(out), &olen), 0);
}

static void test_sizes(void)
{
	uint8_t blob[64], out[64];
	size_t len = 99, olen = 99;
	static uint8_t big[SEAL_DATA_MAX + SEAL_OVERHEAD + 1];

	CHECK_INT(seal_encrypt(key, NULL, 0, "abc", 3, blob, 3 + SEAL_OVERHEAD - 1, &len), -ENOSPC);
	CHECK_INT(len, 0);
	CHECK_INT(seal_encrypt(key, NULL, 0, "abc", 3, NULL, 0, &len), -ENOSPC);
	CHECK_INT(seal_encrypt(key, NULL, 0, big, SEAL_DATA_MAX + 1, big, sizeof(big), &len),
		  -EINVAL);
	CHECK_INT(seal_encrypt(key, big, SEAL_DATA_MAX + 1, "abc", 3, blob, sizeof(blob), &len),
		  -EINVAL);
	seal_encrypt(key, NULL, 0, "abc", 3, blob, sizeof(blob), &len);
	CHECK_INT(seal_decrypt(key, NULL, 0, blob, len, out, 2, &olen), -ENOSPC);
	CHECK_INT(olen, 0);
	CHECK_INT(seal_decrypt(key, NULL, 0, big, sizeof(big), big, sizeof(big), &olen), -EINVAL);
	CHECK_INT(seal_decrypt(key, big, SEAL_DATA_MAX + 1, blob, len, out, sizeof(out), &olen),
		  -EINVAL);
	CHECK_INT(seal_decrypt(key, NULL, 0, blob, len, out, 3, &olen), 0);
	CHECK(olen == 3 && memcmp(out, "abc", 3) == 0);
}

static void test_key_parse(void)
{
	uint8_t k[SEAL_KEY_LEN];
	const char *hex = "0102030405060708090a0b0c0d0e0f10111213141516171819"
			  "1A1B1C1D1E1F20";
	char buf[256];

#define PARSE(s) seal_key_parse((s), strlen(s), k)
	CHECK_INT(PARSE(hex), 0);
	CHECK(memcmp(k, key, sizeof(k)) == 0);
	snprintf(buf, sizeof(buf), " \t%s\r\n\n", hex);
	memset(k, 0, sizeof(k));
	CHECK_INT(PARSE(buf), 0);
	CHECK(memcmp(k, key, sizeof(k)) == 0);
	/* refused: short, long, a non-hex digit, inner space, two keys, empty */
	snprintf(buf, sizeof(buf), "%.63s", hex);
	CHECK_INT(PARSE(buf), -EINVAL);
	CHECK_INT(k[0] | k[31], 0); /* wiped */
	snprintf(buf, sizeof(buf), "%s0", hex);
	CHECK_INT(PARSE(buf), -EINVAL);
	snprintf(buf, sizeof(buf), "%s", hex);
	buf[10] = 'g';
	CHECK_INT(PARSE(buf), -EINVAL);
	snprintf(buf, sizeof(buf), "%.32s %s", hex, hex + 32);
	CHECK_INT(PARSE(buf), -EINVAL);
	snprintf(buf, sizeof(buf), "%s\n%s\n", hex, hex);
	CHECK_INT(PARSE(buf), -EINVAL);
	CHECK_INT(PARSE(""), -EINVAL);
	CHECK_INT(PARSE(" \n"), -EINVAL);
	CHECK_INT(seal_key_parse(hex, 62, k), -EINVAL);
	/* LEN counts, not a NUL: a key followed by junk past LEN parses */
	snprintf(buf, sizeof(buf), "%s\nzz", hex);
	CHECK_INT(seal_key_parse(buf, 65, k), 0);
#undef PARSE
}

int main(void)
{
	test_roundtrip();
	test_tamper();
	test_sizes();
	test_key_parse();
	return test_done();
}
