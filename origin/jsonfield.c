/* Typed reads of JSON members (jsonfield.h). */
#include "jsonfield.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "stream_token.h"

int jf_uint(json_t *obj, const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!v)
		return -ENOENT;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 || (uint64_t)n < min ||
	    (uint64_t)n > max)
		return -EINVAL;
	*out = (uint64_t)n;
	return 0;
}

int jf_bool(json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return -ENOENT;
	if (!json_is_boolean(v))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

int jf_str(json_t *obj, const char *key, char *out, size_t cap)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	if (!v)
		return -ENOENT;
	if (!json_is_string(v) || (n = json_string_length(v)) >= cap ||
	    memchr(json_string_value(v), '\0', n))
		return -EINVAL;
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

const char *jf_unknown(json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		const char *const *a = allowed;

		while (*a && strcmp(*a, key) != 0)
			a++;
		if (!*a)
			return key;
	}
	return NULL;
}

bool jf_id_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '~' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

/*
 * Random bytes drawn from OpenSSL's generator 4 KiB at a time, per thread: a
 * call of RAND_bytes costs a microsecond whatever its size (its lock and
 * reseed check), more than the rest of making a lease.  Bytes handed out
 * are wiped from the pool.
 */
static __thread struct {
	uint8_t b[4096];
	size_t left; /* the unused bytes are the last LEFT of B */
} pool;

int jf_random_id(char prefix, unsigned nbytes, char *out)
{
	uint8_t *r;

	if (nbytes > 32)
		return -EIO;
	if (pool.left < nbytes) {
		if (RAND_bytes(pool.b, (int)sizeof(pool.b)) != 1)
			return -EIO;
		pool.left = sizeof(pool.b);
	}
	r = pool.b + sizeof(pool.b) - pool.left;
	pool.left -= nbytes;
	out[0] = prefix;
	hex_encode(r, nbytes, out + 1);
	OPENSSL_cleanse(r, nbytes);
	return 0;
}

json_t *jf_time(int64_t t)
{
	char buf[32];

	return stream_time_format(t, buf, sizeof(buf)) == 0 ? json_string(buf) : NULL;
}

uint64_t jf_str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return h;
}
