/*
 * Stream tokens (DESIGN.md "Stream tokens"): the origin signs, the edge
 * verifies, both with this code.  A stream token is a PASETO v4.public token
 * (paseto.h) whose footer is {"kid":"<key id>"} and whose message is the JSON
 *
 *   {"purpose":"reel-stream-v1","sub":USER,"title":TITLE,"ver":VERSION,
 *    "maxh":HEIGHT,"lease":LEASE,"iat":ISSUED,"exp":EXPIRES}
 *
 * with USER, TITLE, VERSION and LEASE strings of [A-Za-z0-9._~:-] (VERSION
 * may be ""), HEIGHT an integer in 1..STREAM_HEIGHT_MAX, and ISSUED and
 * EXPIRES RFC 3339 UTC times "YYYY-MM-DDTHH:MM:SSZ" (PASETO's registered
 * claim types).  Unknown members are refused, so are duplicates.  The
 * token_cache keeps verified claims so each token costs one Ed25519 verify
 * per edge.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_STREAM_TOKEN_H
#define REEL_STREAM_TOKEN_H

#include "paseto.h"

#include <stddef.h>
#include <stdint.h>

#define STREAM_TOKEN_PURPOSE  "reel-stream-v1"
#define LICENSE_TOKEN_PURPOSE "reel-license-v1"
#define STREAM_ID_MAX	      128   /* longest user, title, version, lease id */
#define STREAM_HEIGHT_MAX     8640  /* largest max-height claim (16K) */
#define STREAM_TOKEN_MAX      2048  /* longest token string accepted */
#define STREAM_TOKEN_TTL_MAX  86400 /* longest lifetime stream_token_issue() signs */
#define STREAM_TOKEN_SKEW     300   /* how far in the future "iat" may lie */

struct stream_claims {
	char user[STREAM_ID_MAX + 1];
	char title[STREAM_ID_MAX + 1];
	char version[STREAM_ID_MAX + 1]; /* package version, may be empty */
	char lease[STREAM_ID_MAX + 1];
	char kid[PASETO_KID_MAX + 1]; /* the key that signed (output only) */
	uint32_t max_height;	      /* largest rendition height allowed */
	int64_t issued;		      /* Unix seconds */
	int64_t expires;	      /* Unix seconds; the token is valid while now < expires */
};

/*
 * Sign claims C with secret key SK (the kid of SK goes in the footer; C->kid
 * is ignored).  *OUT receives the NUL-terminated token (malloc'd; the caller
 * frees it).  -EINVAL when a claim is out of its syntax above, when EXPIRES is
 * not after ISSUED or more than STREAM_TOKEN_TTL_MAX after it, or when SK is
 * public only; -ENOMEM, -EIO.
 */
int stream_token_issue(const struct paseto_key *sk, const struct stream_claims *c, char **out);

/*
 * Check TOKEN (TLEN bytes) at time NOW (Unix seconds) for a request of TITLE
 * (TITLE_LEN bytes, from the path), in DESIGN.md's order, each step with its
 * own error:
 *
 *   -EINVAL     malformed: token syntax or size, footer, or (after the
 *               signature) claims that break the syntax above
 *   -ENOKEY     no kid, or a kid not in RING
 *   -EBADMSG    the signature does not verify
 *   -EACCES     the purpose is not "reel-stream-v1" (a license, say)
 *   -ETIMEDOUT  expired (NOW >= exp) or issued more than STREAM_TOKEN_SKEW
 *               seconds in the future
 *   -EACCES     the title is not TITLE
 *
 * plus -ENOMEM, -EIO.  *OUT (may be NULL) receives the claims whenever the
 * signature verified and the claims parsed (returns 0, -ETIMEDOUT or the
 * title's -EACCES), and is zeroed otherwise.  The height and revocations are
 * the caller's to check.
 */
int stream_token_check(const struct paseto_keyring *ring, const char *token, size_t tlen,
		       int64_t now, const char *title, size_t title_len, struct stream_claims *out);

/*
 * Parse the JSON claims of a verified stream token (LEN bytes) into *OUT:
 * 0, -EINVAL (syntax), -EACCES (another purpose).  Exposed for tests.
 */
int stream_claims_parse(const char *json, size_t len, struct stream_claims *out);

/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" of T into BUF (at least 21 bytes): 0, or -ERANGE (years 0..9999).
 */
int stream_time_format(int64_t t, char *buf, size_t size);

/*
 * Parse an RFC 3339 date-time (LEN bytes): "YYYY-MM-DDTHH:MM:SS", optional
 * fraction (dropped), then "Z" or "+HH:MM" / "-HH:MM"; 't' and 'z' allowed.
 * 0 with *T in Unix seconds, or -EINVAL.
 */
int stream_time_parse(const char *s, size_t len, int64_t *t);

/*
 * A verification cache for the edge: a fixed-size, 8-way set-associative
 * table keyed by a keyed 64-bit SipHash of the token string (then compared in
 * full), with LRU eviction inside each set, that holds the claims of tokens
 * whose signature verified.  A hit redoes only the cheap checks (expiry,
 * title) and that the keyring has not changed since; a keyring change (add
 * or remove a key) makes every entry a miss.  Not thread-safe: one cache per
 * worker.
 */
struct token_cache;

struct token_cache_stats {
	uint64_t hits, misses, inserts, evictions;
};

/*
 * A cache for at least CAPACITY tokens (rounded up to a power of two, min
 * 8; free it with token_cache_free()), or NULL.
 */
struct token_cache *token_cache_new(size_t capacity);

/* Free C; NULL does nothing. */
void token_cache_free(struct token_cache *c);

/*
 * stream_token_check() through cache C: same arguments, results and order of
 * checks.  Tokens longer than STREAM_TOKEN_MAX are -EINVAL; tokens whose
 * signature failed are never cached.  An expired entry is dropped.
 */
int token_cache_check(struct token_cache *c, const struct paseto_keyring *ring, const char *token,
		      size_t tlen, int64_t now, const char *title, size_t title_len,
		      struct stream_claims *out);

/* Counters since C was made. */
void token_cache_stats(const struct token_cache *c, struct token_cache_stats *st);

/* Drop every entry of C (the counters stay). */
void token_cache_clear(struct token_cache *c);

#endif
