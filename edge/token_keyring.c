/* Reading the edge's stream-token keyring. */
#include "token_keyring.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int add_line(struct paseto_keyring *ring, char *line, char *err, size_t errlen)
{
	char *kid = strtok(line, " \t\r\n"), *key = strtok(NULL, " \t\r\n");
	struct paseto_key *k = NULL;
	int rc;

	if (!kid || kid[0] == '#')
		return 0;
	if (!key || strtok(NULL, " \t\r\n")) {
		snprintf(err, errlen, "expected \"KID PUBLIC-KEY\"");
		return -1;
	}
	if (strlen(key) == 2 * PASETO_ED25519_LEN && strchr(key, '/') == NULL)
		rc = paseto_key_from_public_hex(kid, key, &k, err, errlen);
	else
		rc = paseto_key_load_pem(kid, key, &k, err, errlen);
	if (rc != 0)
		return -1;
	if (paseto_key_is_secret(k)) {
		snprintf(err, errlen, "key %s is a secret key: edges hold public keys only", kid);
		paseto_key_free(k);
		return -1;
	}
	rc = paseto_keyring_add(ring, k);
	paseto_key_free(k);
	if (rc != 0) {
		snprintf(err, errlen, rc == -EEXIST ? "kid %s listed twice" : "cannot add key %s",
			 kid);
		return -1;
	}
	return 0;
}

int edge_token_keyring_load(const char *path, struct paseto_keyring **out, char *err, size_t errlen)
{
	struct paseto_keyring *ring = paseto_keyring_new();
	FILE *f = fopen(path, "r");
	char line[4096], why[512];
	int n = 0;

	if (!ring || !f) {
		snprintf(err, errlen, "%s: %s", path, strerror(ring ? errno : ENOMEM));
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (add_line(ring, line, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, n, why);
			goto fail;
		}
	}
	if (paseto_keyring_count(ring) == 0) {
		snprintf(err, errlen, "%s: no key", path);
		goto fail;
	}
	fclose(f);
	*out = ring;
	return 0;
fail:
	if (f)
		fclose(f);
	paseto_keyring_free(ring);
	return -1;
}
