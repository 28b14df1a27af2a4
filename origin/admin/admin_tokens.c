/* Admin credentials (admin.h). */
#include "admin/admin_tokens.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "paseto.h"

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ADMIN_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-' || *s == '@'))
			return false;
	return true;
}

static int add_line(struct admin_tokens *a, char *line, char *err, size_t errlen)
{
	char *save, *name = strtok_r(line, " \t\r\n", &save), *h = strtok_r(NULL, " \t\r\n", &save);

	if (!name || name[0] == '#')
		return 0;
	if (!h || strtok_r(NULL, " \t\r\n", &save) || strlen(h) != 64) {
		snprintf(err, errlen, "expected \"NAME SHA256-HEX\"");
		return -1;
	}
	if (!name_ok(name)) {
		snprintf(err, errlen, "an admin name is 1..32 of A-Z a-z 0-9 . _ - @");
		return -1;
	}
	if (a->n == ADMIN_MAX) {
		snprintf(err, errlen, "more than %d admins", ADMIN_MAX);
		return -1;
	}
	if (hex_decode(h, strlen(h), a->hashes[a->n], 32) != 0) {
		snprintf(err, errlen, "the hash must be 64 hex digits");
		return -1;
	}
	snprintf(a->names[a->n++], ADMIN_NAME_MAX + 1, "%s", name);
	return 0;
}

int admin_tokens_load(struct admin_tokens *out, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512], why[256];
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (add_line(out, line, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, n, why);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

const char *admin_check(const struct admin_tokens *a, const char *token, size_t len)
{
	uint8_t md[32];
	unsigned int mdlen = sizeof(md);
	const char *who = NULL;

	if (len == 0 || len > 512 || !EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL))
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		if (CRYPTO_memcmp(md, a->hashes[i], sizeof(md)) == 0)
			who = a->names[i];
	return who;
}

int admin_token_generate(const char *name)
{
	uint8_t raw[32], md[32];
	unsigned int mdlen = sizeof(md);
	char token[64], h[65];

	if (!name_ok(name)) {
		fprintf(stderr, "reel-origin: an admin name is 1..32 of A-Z a-z 0-9 . _ - @\n");
		return -1;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	paseto_b64_encode(raw, sizeof(raw), token);
	EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL);
	hex_encode(md, sizeof(md), h);
	printf("token: %s\nline for the admin tokens file:\n%s %s\n", token, name, h);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(token, sizeof(token));
	return 0;
}
