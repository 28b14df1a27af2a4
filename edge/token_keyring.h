/*
 * The stream-token keyring of an edge: public keys only (edges hold no
 * signing secret), read from a file of lines
 *
 *   # comment
 *   KID  PUBLIC-KEY          (64 hex digits of a raw Ed25519 public key,
 *                             or the path of a PEM public key file)
 *
 * Several kids may be listed at once so keys rotate without downtime.
 */
#ifndef EDGE_TOKEN_KEYRING_H
#define EDGE_TOKEN_KEYRING_H

#include <stddef.h>

#include "paseto.h"

/*
 * Read PATH into a new keyring, stored in *OUT: the caller owns it and frees
 * it with paseto_keyring_free().  Returns 0, or -1 with "PATH:LINE:
 * problem" in ERR (ERRLEN bytes, the caller's) for an unreadable file, a
 * malformed line, a bad or secret key, a duplicate kid, or no key at all;
 * *OUT is then untouched and nothing is left allocated.
 */
int edge_token_keyring_load(const char *path, struct paseto_keyring **out, char *err,
			    size_t errlen);

#endif
