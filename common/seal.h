/*
 * Sealing small secrets at rest (content keys, signing seeds) under a 32-byte
 * master key with AES-256-GCM.  A sealed blob is
 *
 *   0x01 (version) || nonce[12] (random) || ciphertext || tag[16]
 *
 * so it is SEAL_OVERHEAD bytes longer than the plaintext.  Associated data
 * (AAD) binds a blob to where it is stored (say, the LMDB key it sits under):
 * it is authenticated, never stored.  Library code: no logging; 0 or a
 * negative errno.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_SEAL_H
#define REEL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SEAL_VERSION   0x01
#define SEAL_KEY_LEN   32
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN   16
#define SEAL_OVERHEAD  (1 + SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_DATA_MAX  65536 /* longest plaintext, and longest AAD */

/*
 * Seal PT (PTLEN bytes) under KEY, binding AAD (AADLEN bytes; may be NULL
 * when AADLEN is 0), into OUT (CAP bytes, at least PTLEN + SEAL_OVERHEAD;
 * must not overlap PT).  *OUTLEN receives PTLEN + SEAL_OVERHEAD.  Each call
 * draws a fresh random nonce, so sealing the same data twice gives two
 * different blobs.  -EINVAL when PTLEN or AADLEN is over SEAL_DATA_MAX,
 * -ENOSPC when CAP is too small, -ENOMEM, -EIO (OpenSSL or its random
 * generator failed).  On failure *OUTLEN is 0 and OUT holds nothing of PT.
 */
int seal_encrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const void *pt,
		 size_t ptlen, uint8_t *out, size_t cap, size_t *outlen);

/*
 * Open sealed blob IN (INLEN bytes) under KEY with the AAD it was sealed
 * with, into OUT (CAP bytes, at least INLEN - SEAL_OVERHEAD; must not
 * overlap IN); *OUTLEN receives the plaintext length.  -EBADMSG when the
 * blob does not authenticate: wrong key or AAD, any byte changed, shorter
 * than SEAL_OVERHEAD, an unknown version.  -EINVAL when INLEN or AADLEN is
 * over its maximum, -ENOSPC when CAP is too small, -ENOMEM, -EIO.  On
 * failure *OUTLEN is 0 and OUT holds nothing of the plaintext (what was
 * decrypted before the tag failed is wiped): nothing unauthenticated is
 * released.
 */
int seal_decrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const void *in,
		 size_t inlen, uint8_t *out, size_t cap, size_t *outlen);

/*
 * A master key from TEXT (LEN bytes, as read from a key file): exactly 64
 * hex digits, either case, with any spaces, tabs, CR and LF around them
 * ignored.  0, or -EINVAL (KEY is then wiped).
 */
int seal_key_parse(const char *text, size_t len, uint8_t key[SEAL_KEY_LEN]);

#endif
