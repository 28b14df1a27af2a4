/*
 * The credentials in a signup or login request body ({"email", "password"}),
 * the email syntax and normal form, and the password policy.  Pure functions:
 * no store, no logging; the fuzz target drives origin_creds_parse().
 */
#ifndef ORIGIN_CREDS_H
#define ORIGIN_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#define ORIGIN_EMAIL_MAX       254 /* bytes, RFC 5321's path limit less the brackets */
#define ORIGIN_PASSWORD_MIN    10  /* characters (Unicode code points) */
#define ORIGIN_PASSWORD_MAX    128
#define ORIGIN_PASSWORD_MAXLEN (ORIGIN_PASSWORD_MAX * 4) /* bytes of UTF-8 */

struct origin_creds {
	char email[ORIGIN_EMAIL_MAX + 1]; /* normalised: trimmed, ASCII lowercase */
	char password[ORIGIN_PASSWORD_MAXLEN + 1];
	size_t password_len; /* bytes; the password may hold NUL characters */
};

/* Why a request was refused: an HTTP status, a stable code and a message (static strings). */
struct origin_fail {
	int status;
	const char *code, *message;
};

/*
 * Parse BODY[0..LEN) as a JSON object with string members "email" and
 * "password" (other members are ignored; duplicate keys are refused) into
 * *OUT, the email normalised but not yet validated.  Returns 0, or -1 with
 * *FAIL set: 400 invalid_json (not JSON, not an object), 400 invalid_request
 * (a member missing or not a string), 422 invalid_email (longer than
 * ORIGIN_EMAIL_MAX), 422 weak_password (longer than ORIGIN_PASSWORD_MAXLEN
 * bytes).  *OUT may be partly written on failure.
 */
int origin_creds_parse(const char *body, size_t len, struct origin_creds *out,
		       struct origin_fail *fail);

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
 * Check the signup policy for C: a valid email (else 422 invalid_email) and a
 * password of ORIGIN_PASSWORD_MIN..MAX characters that is not the email
 * itself, in any case (else 422 weak_password).  Returns 0 or -1 with *FAIL.
 */
int origin_creds_policy(const struct origin_creds *c, struct origin_fail *fail);

#endif
