/* Email syntax and normal form, and the password policy (credentials.h). */
#include "accounts/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <zxcvbn.h>

#define USER_WORDS 12 /* the service, the email, its local part and its pieces */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int origin_email_normalise(const char *s, size_t len, char *out, size_t cap)
{
	while (len && is_space(s[0])) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	if (len >= cap)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	out[len] = '\0';
	return 0;
}

static bool atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static bool local_valid(const char *s, size_t len)
{
	if (len < 1 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !atext(s[i]))
			return false;
	}
	return true;
}

static bool label_valid(const char *s, size_t len)
{
	if (len < 1 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool domain_valid(const char *s)
{
	int labels = 0;

	for (;;) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (!label_valid(s, len))
			return false;
		labels++;
		if (!dot)
			return labels >= 2;
		s = dot + 1;
	}
}

bool origin_email_valid(const char *email)
{
	const char *at = strchr(email, '@');
	size_t len = strlen(email);

	if (!at || len > ORIGIN_EMAIL_MAX || strchr(at + 1, '@'))
		return false;
	return local_valid(email, (size_t)(at - email)) && domain_valid(at + 1);
}

/* Code points in the valid UTF-8 S[0..LEN) (jansson has checked it). */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

int accounts_password_policy(const char *email, const char *pwd, size_t len,
			     struct origin_reason *why)
{
	size_t chars = utf8_chars(pwd, len);

	if (!origin_email_valid(email))
		return reason_set(why, -EINVAL, "invalid_email", "the email address is not valid");
	if (chars < ORIGIN_PASSWORD_MIN || chars > ORIGIN_PASSWORD_MAX)
		return reason_set(why, -EINVAL, "weak_password",
				  "the password must have 10 to 128 characters");
	if (len == strlen(email) && strncasecmp(pwd, email, len) == 0)
		return reason_set(why, -EINVAL, "weak_password",
				  "the password must not be the email");
	return 0;
}

/* log2 of the guesses each zxcvbn score starts at: 10^3, 10^6, 10^8, 10^10. */
static const double score_bits[] = {0, 9.966, 19.932, 26.575, 33.219};

/* What a password's part is, for the message; NULL for guessing at random. */
static const char *match_reason(ZxcTypeMatch_t type)
{
	if (type & MULTIPLE_MATCH)
		return "the password is too easy to guess: it repeats characters";
	switch (type) {
	case DICTIONARY_MATCH:
	case DICT_LEET_MATCH:
		return "the password is too easy to guess: it is built on a common password or word";
	case USER_MATCH:
	case USER_LEET_MATCH:
		return "the password is too easy to guess: it is built on the email or the "
		       "service's name";
	case SPATIAL_MATCH:
		return "the password is too easy to guess: it is a keyboard pattern";
	case SEQUENCE_MATCH:
		return "the password is too easy to guess: it is a sequence such as 1234 or abcd";
	case REPEATS_MATCH:
		return "the password is too easy to guess: it repeats characters";
	case DATE_MATCH:
	case YEAR_MATCH:
		return "the password is too easy to guess: it is built on a date or a year";
	default:
		return NULL;
	}
}

/* The message for a weak password: the reason of its longest guessable part. */
static const char *weak_reason(const ZxcMatch_t *info)
{
	const char *why = NULL;
	int longest = 0;

	for (const ZxcMatch_t *m = info; m; m = m->Next) {
		const char *r = match_reason(m->Type);

		if (r && m->Length > longest) {
			why = r;
			longest = m->Length;
		}
	}
	return why ? why
		   : "the password is too easy to guess: make it longer or mix more kinds of "
		     "characters";
}

int accounts_password_strength(const char *email, const char *pwd, unsigned min_score,
			       struct origin_reason *why)
{
	char local[ORIGIN_EMAIL_MAX + 1], pieces[ORIGIN_EMAIL_MAX + 1], *p, *save = NULL;
	const char *words[USER_WORDS + 1];
	ZxcMatch_t *info = NULL;
	size_t n = 0;
	double bits;
	int rc = 0;

	if (min_score == 0)
		return 0;
	if (min_score > 4)
		min_score = 4;
	snprintf(local, sizeof(local), "%s", email);
	if ((p = strchr(local, '@')))
		*p = '\0';
	memcpy(pieces, local, sizeof(pieces));
	words[n++] = ORIGIN_SERVICE_NAME;
	words[n++] = email;
	words[n++] = local;
	for (p = strtok_r(pieces, ".+-_", &save); p && n < USER_WORDS;
	     p = strtok_r(NULL, ".+-_", &save))
		words[n++] = p;
	words[n] = NULL;
	bits = ZxcvbnMatch(pwd, words, &info);
	if (bits < score_bits[min_score])
		rc = reason_set(why, -EINVAL, "weak_password", weak_reason(info));
	ZxcvbnFreeInfo(info);
	return rc;
}
