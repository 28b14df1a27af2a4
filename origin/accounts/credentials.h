/*
 * What an account's email and password must be: the email's syntax and
 * normal form, and the password policy.  Pure functions: no store, no
 * logging.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_ACCOUNTS_CREDENTIALS_H
#define ORIGIN_ACCOUNTS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "reason.h"

#define ORIGIN_EMAIL_MAX       254 /* bytes, RFC 5321's path limit less the brackets */
#define ORIGIN_PASSWORD_MIN    10  /* characters (Unicode code points) */
#define ORIGIN_PASSWORD_MAX    128
#define ORIGIN_PASSWORD_MAXLEN (ORIGIN_PASSWORD_MAX * 4) /* bytes of UTF-8 */

/*
 * Trim ASCII white space around S[0..LEN) and lowercase ASCII letters into
 * OUT (room for CAP bytes with the NUL).  Returns 0 or -ENAMETOOLONG.
 */
int origin_email_normalise(const char *s, size_t len, char *out, size_t cap);

/*
 * Is the normalised EMAIL a plausible address: local@domain, the local part
 * 1..64 characters of RFC 5322's dot-atom (no leading, trailing or double
 * dot), the domain two or more LDH labels of 1..63 characters without
 * leading or trailing hyphens?  Quoted local parts and address literals are
 * refused.
 */
bool origin_email_valid(const char *email);

/*
 * May an account have the normalised EMAIL and the password PWD[0..LEN)
 * (valid UTF-8; NUL characters allowed)?  0, or -EINVAL with *WHY's code
 * "invalid_email" (not a valid email) or "weak_password" (not
 * ORIGIN_PASSWORD_MIN..MAX characters, or the email itself in any case) and
 * a static message; WHY may be NULL.
 */
int accounts_password_policy(const char *email, const char *pwd, size_t len,
			     struct origin_reason *why);

/* The service's name, a word a password of it should not lean on. */
#define ORIGIN_SERVICE_NAME "reel"

/*
 * Is PWD (NUL-terminated; a NUL ends what is rated) hard enough to guess
 * for the normalised EMAIL?  zxcvbn rates it, with the email, its local
 * part and that part's pieces and the service's name as words it
 * penalises; MIN_SCORE is zxcvbn's scale, 0..4 (a score of S needs at least
 * 10^(2S+2) guesses past 0; 0: any password).  0, or -EINVAL with *WHY
 * (may be NULL) "weak_password" and a static message naming the weakest
 * part (a common password or word, the email's name, a keyboard pattern, a
 * sequence, a repeat, a date).  Any thread: no state, no logging.
 */
int accounts_password_strength(const char *email, const char *pwd, unsigned min_score,
			       struct origin_reason *why);

#endif
