/*
 * Offline-download licenses (DESIGN.md "Keys and licenses"): the origin
 * issues, the origin and players check, all with this code.  A license is a
 * PASETO v4.public token (paseto.h) whose footer is {"kid":"<key id>"} and
 * whose message is the JSON
 *
 *   {"purpose":"reel-license-v1","lid":LID,"sub":USER,"device":DEVICE,
 *    "dkh":B64(SHA-256(device public key)),"title":TITLE,"ckid":CKID,
 *    "iat":ISSUED,"exp":EXPIRES,"window":SECONDS,"renewal":N,
 *    "wrapped":{"epk":B64(32),"nonce":B64(12),"ct":B64(32)}}
 *
 * with LID, USER, DEVICE, TITLE and CKID strings of 1..STREAM_ID_MAX bytes
 * of [A-Za-z0-9._~:-], ISSUED and EXPIRES (the storage expiry) RFC 3339 UTC
 * times as in stream_token.h, SECONDS (the playback window after the first
 * play, the player's to enforce) in 1..LICENSE_WINDOW_MAX, N (the renewal
 * counter) in 0..UINT32_MAX, and B64 base64url without padding.  Unknown
 * members are refused, so are duplicates.
 *
 * "wrapped" carries the 16-byte AES-128 content key for the device's X25519
 * key pair only, so a license copied to another device opens nothing:
 *
 *   shared = X25519(ephemeral secret, device public)
 *   kek    = HKDF-SHA256(ikm = shared, salt = epk || device public,
 *                        info = "reel-license-v1 key wrap" || LID), 32 bytes
 *   ct     = AES-256-GCM(kek, nonce, aad = LID || 0x00 || TITLE || 0x00 || CKID,
 *                        content key) || tag[16]
 *
 * with epk the ephemeral public key and a random nonce.  This is access
 * control over TLS, not hardware DRM.  Library code: no logging; 0 or a
 * negative errno.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_LICENSE_H
#define REEL_LICENSE_H

#include "paseto.h"
#include "stream_token.h"

#include <stddef.h>
#include <stdint.h>

#define LICENSE_X25519_LEN  32		      /* raw X25519 secret or public key */
#define LICENSE_HASH_LEN    32		      /* SHA-256 of the device public key */
#define LICENSE_CKEY_LEN    16		      /* AES-128 content key */
#define LICENSE_NONCE_LEN   12		      /* AES-256-GCM nonce */
#define LICENSE_WRAPPED_LEN (16 + 16)	      /* wrapped content key || tag */
#define LICENSE_WINDOW_MAX  (366 * 86400)     /* longest playback window */
#define LICENSE_TTL_MAX	    (366 * 86400)     /* longest storage lifetime license_issue() signs */
#define LICENSE_TOKEN_MAX   4096	      /* longest license token (or claims JSON) accepted */
#define LICENSE_SKEW	    STREAM_TOKEN_SKEW /* how far in the future "iat" may lie */

struct license_wrapped {
	uint8_t epk[LICENSE_X25519_LEN];  /* ephemeral public key */
	uint8_t nonce[LICENSE_NONCE_LEN]; /* AES-256-GCM nonce */
	uint8_t ct[LICENSE_WRAPPED_LEN];  /* encrypted content key || tag */
};

struct license_claims {
	char lid[STREAM_ID_MAX + 1];		   /* license id */
	char user[STREAM_ID_MAX + 1];		   /* "sub" */
	char device[STREAM_ID_MAX + 1];		   /* device id */
	char title[STREAM_ID_MAX + 1];		   /* title id */
	char ckid[STREAM_ID_MAX + 1];		   /* content key id */
	char kid[PASETO_KID_MAX + 1];		   /* the key that signed (output only) */
	uint8_t device_key_hash[LICENSE_HASH_LEN]; /* "dkh" */
	int64_t issued;				   /* Unix seconds */
	int64_t expires;			   /* Unix seconds; stored while now < expires */
	uint32_t window_s;			   /* playback window after first play */
	uint32_t renewal;			   /* renewal counter, 0 for the first issue */
	struct license_wrapped wrapped;
};

/*
 * A fresh random X25519 key pair for a device into PRIV and PUB: 0, -ENOMEM,
 * -EIO.
 */
int license_device_keygen(uint8_t priv[LICENSE_X25519_LEN], uint8_t pub[LICENSE_X25519_LEN]);

/*
 * The X25519 public key of raw secret key PRIV (any 32 bytes; X25519 clamps
 * them) into PUB: 0, -ENOMEM, -EIO.
 */
int license_device_public(const uint8_t priv[LICENSE_X25519_LEN], uint8_t pub[LICENSE_X25519_LEN]);

/* SHA-256 of device public key PUB (the "dkh" claim) into HASH: 0, or -EIO. */
int license_device_key_hash(const uint8_t pub[LICENSE_X25519_LEN], uint8_t hash[LICENSE_HASH_LEN]);

/*
 * 0 when C's "dkh" is the hash of device public key PUB, else -EACCES
 * (or -EIO).  Constant time.
 */
int license_device_matches(const struct license_claims *c, const uint8_t pub[LICENSE_X25519_LEN]);

/*
 * Wrap CONTENT_KEY for the device whose X25519 public key is DEVICE_PUB,
 * bound to LID, TITLE and CKID (NUL-terminated ids), with a fresh ephemeral
 * key and nonce, into *OUT (see the top of this file).  -EINVAL when an id
 * breaks the syntax or DEVICE_PUB is a low-order point, -ENOMEM, -EIO.  The
 * ephemeral secret and the key-encryption key are wiped before returning.
 */
int license_wrap_key(const uint8_t device_pub[LICENSE_X25519_LEN], const char *lid,
		     const char *title, const char *ckid,
		     const uint8_t content_key[LICENSE_CKEY_LEN], struct license_wrapped *out);

/*
 * What an issuer does once C's ids are set: C's "dkh" from DEVICE_PUB, and
 * C's "wrapped" by license_wrap_key() with C's lid, title and ckid.  Errors
 * as license_wrap_key(); on failure C's dkh and wrapped are zeroed.
 */
int license_bind_device(struct license_claims *c, const uint8_t device_pub[LICENSE_X25519_LEN],
			const uint8_t content_key[LICENSE_CKEY_LEN]);

/*
 * What a player does: unwrap the content key of license claims C (from a
 * checked license) with the device's X25519 secret key DEVICE_PRIV into
 * CONTENT_KEY.  -EBADMSG when DEVICE_PRIV is not the key the license was
 * issued for ("dkh" differs) or the wrap does not authenticate (another
 * device's key, or lid, title or ckid changed since wrapping); -EINVAL when
 * an id of C breaks the syntax; -ENOMEM, -EIO.  On failure CONTENT_KEY is
 * zeroed.
 */
int license_unwrap_key(const uint8_t device_priv[LICENSE_X25519_LEN],
		       const struct license_claims *c, uint8_t content_key[LICENSE_CKEY_LEN]);

/*
 * Sign claims C with secret key SK (the kid of SK goes in the footer; C->kid
 * is ignored).  *OUT receives the NUL-terminated token (malloc'd; the caller
 * frees it).  -EINVAL when a claim is out of its syntax above, when EXPIRES
 * is not after ISSUED or more than LICENSE_TTL_MAX after it, or when SK is
 * public only; -ENOMEM, -EIO.  The wrap is not checked: the issuer makes it
 * with license_bind_device().
 */
int license_issue(const struct paseto_key *sk, const struct license_claims *c, char **out);

/*
 * Check license TOKEN (TLEN bytes) at time NOW (Unix seconds), each step
 * with its own error, in this order:
 *
 *   -EINVAL     malformed: token syntax or size (over LICENSE_TOKEN_MAX),
 *               footer, or (after the signature) claims that break the
 *               syntax above
 *   -ENOKEY     no kid, or a kid not in RING
 *   -EBADMSG    the signature does not verify
 *   -EACCES     the purpose is not "reel-license-v1" (a stream token, say)
 *   -ETIMEDOUT  past its storage expiry (NOW >= exp) or issued more than
 *               LICENSE_SKEW seconds in the future
 *
 * plus -ENOMEM, -EIO.  *OUT (may be NULL) receives the claims when the
 * signature verified and the claims parsed (returns 0 or -ETIMEDOUT), and is
 * zeroed otherwise.  Revocation, release and the playback window are the
 * caller's to check.
 */
int license_check(const struct paseto_keyring *ring, const char *token, size_t tlen, int64_t now,
		  struct license_claims *out);

/*
 * Parse the JSON claims of a verified license (LEN bytes) into *OUT: 0,
 * -EINVAL (syntax, or EXPIRES not after ISSUED), -EACCES (another purpose).
 * *OUT is zeroed on failure.  Exposed for tests and the fuzz target.
 */
int license_claims_parse(const char *json, size_t len, struct license_claims *out);

#endif
