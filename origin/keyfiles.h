/*
 * The origin's own key material: the Ed25519 key sets that sign stream
 * tokens and offline licenses, and the master key that seals content keys
 * in the store.
 *
 * A key set file holds one "KID SECRET" line per key (SECRET: 64 hex digits
 * of an Ed25519 seed, or a PEM file path); '#' starts a comment.  The last
 * key signs; every key listed is accepted and published, so a key rotates by
 * appending a new line (published a heartbeat before use) and removing the
 * old one after its last token expired.  A master key file holds 64 hex
 * digits.  When a file is not configured, the origin uses one in its data
 * folder and creates it (mode 0600) on first start.
 */
#ifndef ORIGIN_KEYFILES_H
#define ORIGIN_KEYFILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paseto.h"

#define KEYSET_MAX 16

struct keyset {
	struct paseto_key *keys[KEYSET_MAX]; /* in file order; the last signs */
	size_t n;
	struct paseto_keyring *ring; /* the public halves, for verifying */
};

/*
 * Load key set PATH into the caller's *KS (free its keys with keyset_free());
 * when it does not exist and CREATE, write a new one with a single fresh key
 * named KID0.  Returns 0, or -1 with "PATH:LINE: problem" in ERR and *KS
 * empty.
 */
int keyset_load(struct keyset *ks, const char *path, bool create, const char *kid0, char *err,
		size_t errlen);

/* Free the keys of KS (KS itself is the caller's). */
void keyset_free(struct keyset *ks);

/* The signing key of KS (KS's: valid until keyset_free(KS)). */
const struct paseto_key *keyset_signer(const struct keyset *ks);

/*
 * KS published: a new {"keys": [{"kid", "alg": "Ed25519", "public_key": HEX,
 * "pem": PEM, "signing": bool}]} (the caller decrefs it), or NULL on ENOMEM.
 */
json_t *keyset_public_json(const struct keyset *ks);

/*
 * Load (or with CREATE, create) the master key file PATH into the caller's
 * KEY (who wipes it).  Returns 0, or -1 with the file and problem in ERR.
 */
int master_key_load(const char *path, bool create, uint8_t key[32], char *err, size_t errlen);

#endif
