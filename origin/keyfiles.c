/* Key set and master key files (keyfiles.h). */
#include "keyfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "seal.h"

/* Write TEXT to a new file PATH (mode 0600) atomically: a temporary file renamed into place. */
static int write_secret(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[4200];
	int fd;
	size_t len = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (link(tmp, path) != 0) { /* never replace a key file that appeared meanwhile */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	return 0;
}

static int create_keyset(const char *path, const char *kid0, char *err, size_t errlen)
{
	uint8_t seed[32];
	char line[160], h[65];
	int rc;

	if (RAND_bytes(seed, sizeof(seed)) != 1) {
		snprintf(err, errlen, "%s: no randomness", path);
		return -1;
	}
	hex_encode(seed, sizeof(seed), h);
	snprintf(line, sizeof(line), "# KID ED25519-SEED-HEX; the last key signs\n%s %s\n", kid0,
		 h);
	rc = write_secret(path, line, err, errlen);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

static int add_line(struct keyset *ks, char *line, char *err, size_t errlen)
{
	char *save, *kid = strtok_r(line, " \t\r\n", &save),
		    *key = strtok_r(NULL, " \t\r\n", &save);
	struct paseto_key *k = NULL;
	int rc;

	if (!kid || kid[0] == '#')
		return 0;
	if (!key || strtok_r(NULL, " \t\r\n", &save)) {
		snprintf(err, errlen, "expected \"KID SECRET-KEY\"");
		return -1;
	}
	if (ks->n == KEYSET_MAX) {
		snprintf(err, errlen, "more than %d keys", KEYSET_MAX);
		return -1;
	}
	if (strlen(key) == 64 && !strchr(key, '/'))
		rc = paseto_key_from_seed_hex(kid, key, &k, err, errlen);
	else
		rc = paseto_key_load_pem(kid, key, &k, err, errlen);
	if (rc != 0)
		return -1;
	if (!paseto_key_is_secret(k)) {
		snprintf(err, errlen, "key %s is a public key; the origin needs the secret key",
			 kid);
		paseto_key_free(k);
		return -1;
	}
	if ((rc = paseto_keyring_add(ks->ring, k)) != 0) {
		snprintf(err, errlen, rc == -EEXIST ? "kid %s listed twice" : "cannot add key %s",
			 kid);
		paseto_key_free(k);
		return -1;
	}
	ks->keys[ks->n++] = k;
	return 0;
}

int keyset_load(struct keyset *ks, const char *path, bool create, const char *kid0, char *err,
		size_t errlen)
{
	char line[4096], why[512];
	FILE *f;
	int n = 0;

	memset(ks, 0, sizeof(*ks));
	if (!(ks->ring = paseto_keyring_new())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (create && access(path, F_OK) != 0 && errno == ENOENT &&
	    create_keyset(path, kid0, err, errlen) != 0)
		goto fail;
	if (!(f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (add_line(ks, line, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, n, why);
			OPENSSL_cleanse(line, sizeof(line));
			fclose(f);
			goto fail;
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	if (ks->n == 0) {
		snprintf(err, errlen, "%s: no key", path);
		goto fail;
	}
	return 0;
fail:
	keyset_free(ks);
	return -1;
}

void keyset_free(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		paseto_key_free(ks->keys[i]);
	paseto_keyring_free(ks->ring);
	memset(ks, 0, sizeof(*ks));
}

const struct paseto_key *keyset_signer(const struct keyset *ks)
{
	return ks->n ? ks->keys[ks->n - 1] : NULL;
}

json_t *keyset_public_json(const struct keyset *ks)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ks->n; i++) {
		uint8_t pub[PASETO_ED25519_LEN];
		char h[2 * PASETO_ED25519_LEN + 1], *pem = NULL;

		paseto_key_public_raw(ks->keys[i], pub);
		hex_encode(pub, sizeof(pub), h);
		if (paseto_key_to_pem(ks->keys[i], 0, &pem) != 0) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:b}", "kid",
						     paseto_key_kid(ks->keys[i]), "alg", "Ed25519",
						     "public_key", h, "pem", pem, "signing",
						     i == ks->n - 1));
		free(pem);
	}
	return arr ? json_pack("{s:o}", "keys", arr) : NULL;
}

int master_key_load(const char *path, bool create, uint8_t key[32], char *err, size_t errlen)
{
	char text[256], h[66];
	FILE *f;
	size_t n;

	if (create && access(path, F_OK) != 0 && errno == ENOENT) {
		if (RAND_bytes(key, 32) != 1) {
			snprintf(err, errlen, "%s: no randomness", path);
			return -1;
		}
		hex_encode(key, 32, h);
		h[64] = '\n';
		h[65] = '\0';
		n = (size_t)write_secret(path, h, err, errlen);
		OPENSSL_cleanse(h, sizeof(h));
		OPENSSL_cleanse(key, 32);
		if (n != 0)
			return -1;
	}
	if (!(f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	if (seal_key_parse(text, n, key) != 0) {
		snprintf(err, errlen, "%s: not a master key (64 hex digits)", path);
		OPENSSL_cleanse(text, sizeof(text));
		return -1;
	}
	OPENSSL_cleanse(text, sizeof(text));
	return 0;
}
