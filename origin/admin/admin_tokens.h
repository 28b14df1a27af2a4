/*
 * Admin credentials: bearer tokens listed in a file by their SHA-256, one
 * "NAME SHA256-HEX" line each ('#' comments), so the file holds nothing that
 * would let its reader in.  Admins are never user accounts.  Make a token
 * and its line with: reel-origin --admin-token NAME
 */
#ifndef ORIGIN_ADMIN_H
#define ORIGIN_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADMIN_MAX      64
#define ADMIN_NAME_MAX 32

struct admin_tokens {
	size_t n;
	char names[ADMIN_MAX][ADMIN_NAME_MAX + 1];
	uint8_t hashes[ADMIN_MAX][32];
};

/*
 * Read PATH into the caller's *OUT (plain data: nothing to free).  Returns 0,
 * or -1 with "PATH:LINE: problem" in ERR.
 */
int admin_tokens_load(struct admin_tokens *out, const char *path, char *err, size_t errlen);

/*
 * The name of the admin whose token is TOKEN[0..LEN) (a string of A: valid
 * while A is), or NULL; constant time per entry.
 */
const char *admin_check(const struct admin_tokens *a, const char *token, size_t len);

/* Print a new random token and its file line for admin NAME to stdout.  Returns 0 or -1. */
int admin_token_generate(const char *name);

#endif
