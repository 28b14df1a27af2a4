/*
 * What stream tokens (stream_token.h) and licenses (license.h) share: the
 * claims JSON object with its purpose, its member syntax (ids, RFC 3339
 * times, bounded integers), and the PASETO v4.public sign and verify steps
 * around it.  Internal to common/: only stream_token.c and license.c use it.
 * Library code: no logging; 0 or a negative errno.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_CLAIMS_H
#define REEL_CLAIMS_H

#include "paseto.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLAIMS_TIME_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ", without the NUL */

/*
 * Is S (LEN bytes) an id: at most STREAM_ID_MAX bytes of [A-Za-z0-9._~:-],
 * empty only when MAY_BE_EMPTY?
 */
bool claims_id_valid(const char *s, size_t len, bool may_be_empty);

/* Is S (may be NULL) a NUL-terminated, non-empty id? */
bool claims_id_ok(const char *s);

/*
 * Copy string member V into DST (STREAM_ID_MAX + 1 bytes, NUL-terminated)
 * when it is an id as claims_id_valid() says: 0, or -EINVAL (DST untouched).
 */
int claims_take_id(json_t *v, char *dst, bool may_be_empty);

/* The RFC 3339 string member V (stream_time_parse()) into *T: 0, or -EINVAL. */
int claims_take_time(json_t *v, int64_t *t);

/* The integer member V, when in MIN..MAX, into *N: 0, or -EINVAL. */
int claims_take_uint(json_t *v, json_int_t min, json_int_t max, uint32_t *n);

/*
 * ISSUED and EXPIRES as RFC 3339 UTC strings into IAT and EXP: 0, or -EINVAL
 * when either is outside years 0..9999.
 */
int claims_times(int64_t issued, int64_t expires, char iat[CLAIMS_TIME_LEN + 1],
		 char exp[CLAIMS_TIME_LEN + 1]);

/* One kind of claims object, and the struct its members are parsed into. */
struct claims_schema {
	const char *purpose; /* the only value of the "purpose" member */
	size_t max_len;	     /* longest claims JSON accepted */
	size_t nmembers;     /* how many members, "purpose" included */
	size_t size;	     /* of the claims struct */
	/* Member KEY = V (every one, "purpose" too) into claims C: 0, or -EINVAL. */
	int (*take)(const char *key, json_t *v, void *c);
	/* Do the claims C hold together (ids, ranges, times)? */
	bool (*valid)(const void *c);
};

/*
 * Parse claims JSON (LEN bytes) of schema S into the caller's OUT (S->size
 * bytes, zeroed first and again on failure): 0; -EINVAL when LEN is over S->max_len, the
 * JSON is not an object, has a duplicate member, a "purpose" that is not a
 * string, other than S->nmembers members, a member S->take refuses, or
 * claims that are not S->valid; -EACCES when the purpose is not S->purpose.
 */
int claims_parse(const struct claims_schema *s, const char *json, size_t len, void *out);

/*
 * Sign the claims object ROOT (consumed; NULL stands for a failed json_pack:
 * -ENOMEM) with secret key SK, its kid in the footer, as compact JSON in
 * member order.  *OUT receives the token (malloc'd) or NULL.  Errors as
 * paseto_v4_sign(), and -ENOMEM.
 */
int claims_sign(const struct paseto_key *sk, json_t *root, char **out);

/*
 * Sign the claims' compact JSON text MSG[0..LEN) (not owned) as
 * claims_sign() signs an object's.
 */
int claims_sign_text(const struct paseto_key *sk, const char *msg, size_t len, char **out);

/*
 * Verify TOKEN (TLEN bytes) with the key of RING its footer names: -EINVAL
 * when TLEN is over MAX, else as paseto_keyring_verify().  On success *MSG
 * (malloc'd, the caller frees it) and *MLEN hold the claims JSON and KID
 * (PASETO_KID_MAX + 1 bytes) the signing key's id; on failure *MSG is NULL.
 */
int claims_verify(const struct paseto_keyring *ring, const char *token, size_t tlen, size_t max,
		  uint8_t **msg, size_t *mlen, char kid[PASETO_KID_MAX + 1]);

#endif
