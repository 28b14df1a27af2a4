/*
 * The claims object shared by stream tokens and licenses: member syntax, the
 * purpose-and-members parse, and the sign and verify steps around it.
 */
#include "claims.h"
#include "stream_token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool claims_id_valid(const char *s, size_t len, bool may_be_empty)
{
	if ((len == 0 && !may_be_empty) || len > STREAM_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '~' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

bool claims_id_ok(const char *s)
{
	return s && claims_id_valid(s, strnlen(s, STREAM_ID_MAX + 1), false);
}

int claims_take_id(json_t *v, char *dst, bool may_be_empty)
{
	size_t len;

	if (!json_is_string(v))
		return -EINVAL;
	len = json_string_length(v);
	if (!claims_id_valid(json_string_value(v), len, may_be_empty))
		return -EINVAL;
	memcpy(dst, json_string_value(v), len);
	dst[len] = '\0';
	return 0;
}

int claims_take_time(json_t *v, int64_t *t)
{
	if (!json_is_string(v))
		return -EINVAL;
	return stream_time_parse(json_string_value(v), json_string_length(v), t);
}

int claims_take_uint(json_t *v, json_int_t min, json_int_t max, uint32_t *n)
{
	json_int_t x;

	if (!json_is_integer(v))
		return -EINVAL;
	x = json_integer_value(v);
	if (x < min || x > max)
		return -EINVAL;
	*n = (uint32_t)x;
	return 0;
}

int claims_times(int64_t issued, int64_t expires, char iat[CLAIMS_TIME_LEN + 1],
		 char exp[CLAIMS_TIME_LEN + 1])
{
	if (stream_time_format(issued, iat, CLAIMS_TIME_LEN + 1) < 0 ||
	    stream_time_format(expires, exp, CLAIMS_TIME_LEN + 1) < 0)
		return -EINVAL;
	return 0;
}

int claims_parse(const struct claims_schema *s, const char *json, size_t len, void *out)
{
	json_t *root = NULL, *p, *v;
	const char *key;
	int rc = -EINVAL;

	memset(out, 0, s->size);
	if (len > s->max_len)
		return -EINVAL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (!root || !json_is_object(root))
		goto end;
	p = json_object_get(root, "purpose");
	if (!json_is_string(p))
		goto end;
	if (strcmp(json_string_value(p), s->purpose) != 0 ||
	    json_string_length(p) != strlen(s->purpose)) {
		rc = -EACCES;
		goto end;
	}
	/* every member, no others (duplicates were refused by the parser) */
	if (json_object_size(root) != s->nmembers)
		goto end;
	json_object_foreach(root, key, v)
	{
		if (s->take(key, v, out) < 0)
			goto end;
	}
	if (s->valid(out))
		rc = 0;
end:
	if (rc < 0)
		memset(out, 0, s->size);
	json_decref(root);
	return rc;
}

int claims_sign(const struct paseto_key *sk, json_t *root, char **out)
{
	char *msg = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int rc = msg ? claims_sign_text(sk, msg, strlen(msg), out) : -ENOMEM;

	if (!msg)
		*out = NULL;
	free(msg);
	json_decref(root);
	return rc;
}

int claims_sign_text(const struct paseto_key *sk, const char *msg, size_t len, char **out)
{
	char *footer = NULL;
	size_t flen;
	int rc;

	*out = NULL;
	if ((rc = paseto_footer_for_key(sk, &footer, &flen)) < 0)
		return rc;
	rc = paseto_v4_sign(sk, (const uint8_t *)msg, len, (const uint8_t *)footer, flen, NULL, 0,
			    out);
	free(footer);
	return rc;
}

int claims_verify(const struct paseto_keyring *ring, const char *token, size_t tlen, size_t max,
		  uint8_t **msg, size_t *mlen, char kid[PASETO_KID_MAX + 1])
{
	*msg = NULL;
	*mlen = 0;
	if (tlen > max)
		return -EINVAL;
	return paseto_keyring_verify(ring, token, tlen, NULL, 0, msg, mlen, NULL, NULL, kid);
}
