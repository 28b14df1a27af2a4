/*
 * Credentials from JSON request bodies, email syntax and the password policy
 * (see creds.h).
 */
#include "accounts/creds.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

static int failed(struct origin_fail *f, int status, const char *code, const char *message)
{
	*f = (struct origin_fail){status, code, message};
	return -1;
}

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

int origin_creds_policy(const struct origin_creds *c, struct origin_fail *fail)
{
	size_t chars = utf8_chars(c->password, c->password_len);

	if (!origin_email_valid(c->email))
		return failed(fail, 422, "invalid_email", "the email address is not valid");
	if (chars < ORIGIN_PASSWORD_MIN || chars > ORIGIN_PASSWORD_MAX)
		return failed(fail, 422, "weak_password",
			      "the password must have 10 to 128 characters");
	if (c->password_len == strlen(c->email) &&
	    strncasecmp(c->password, c->email, c->password_len) == 0)
		return failed(fail, 422, "weak_password", "the password must not be the email");
	return 0;
}

/* The string member NAME of OBJ, or NULL with *FAIL set. */
static json_t *member(json_t *obj, const char *name, struct origin_fail *fail)
{
	json_t *v = json_object_get(obj, name);

	if (!v)
		failed(fail, 400, "invalid_request",
		       strcmp(name, "email") == 0 ? "the member \"email\" is missing"
						  : "the member \"password\" is missing");
	else if (!json_is_string(v))
		failed(fail, 400, "invalid_request",
		       strcmp(name, "email") == 0 ? "the member \"email\" must be a string"
						  : "the member \"password\" must be a string");
	else
		return v;
	return NULL;
}

static int take(json_t *root, struct origin_creds *out, struct origin_fail *fail)
{
	json_t *email, *password;
	size_t plen;

	if (!json_is_object(root))
		return failed(fail, 400, "invalid_json", "the body must be a JSON object");
	if (!(email = member(root, "email", fail)) || !(password = member(root, "password", fail)))
		return -1;
	if (memchr(json_string_value(email), '\0', json_string_length(email)) ||
	    origin_email_normalise(json_string_value(email), json_string_length(email), out->email,
				   sizeof(out->email)) != 0)
		return failed(fail, 422, "invalid_email", "the email address is not valid");
	plen = json_string_length(password);
	if (plen > ORIGIN_PASSWORD_MAXLEN)
		return failed(fail, 422, "weak_password",
			      "the password must have 10 to 128 characters");
	memcpy(out->password, json_string_value(password), plen);
	out->password[plen] = '\0';
	out->password_len = plen;
	return 0;
}

int origin_creds_parse(const char *body, size_t len, struct origin_creds *out,
		       struct origin_fail *fail)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return failed(fail, 400, "invalid_json", "the body is not valid JSON");
	rc = take(root, out, fail);
	json_decref(root);
	return rc;
}
