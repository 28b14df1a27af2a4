/* Email syntax and normal form, and the password policy (credentials.h). */
#include "accounts/credentials.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

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
