/* Compact JSON text without a tree (json_out.h). */
#include "json_out.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static void put(struct json_out *o, const void *p, size_t n)
{
	if (!o->err && buf_append(&o->b, p, n) != 0)
		o->err = -ENOMEM;
}

/* The bytes a string holds as they are: ASCII past the controls, but for '"' and '\\'. */
static const uint8_t plain_ascii[256] = {
    [0x20 ... '"' - 1] = 1,
    ['"' + 1 ... '\\' - 1] = 1,
    ['\\' + 1 ... 0x7f] = 1,
};

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Does the word W hold a byte below 0x20, '"', '\\' or one of 0x80 and up? (exact) */
static inline bool word_special(uint64_t w)
{
	uint64_t quote = w ^ (ONES * '"'), slash = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) | ((slash - ONES) & ~slash) |
		w) &
	       HIGHS;
}

/*
 * The run of bytes at S (N of them before its NUL) that need no escape:
 * plain ASCII, eight bytes at a time while no byte of a word is special,
 * and valid UTF-8 sequences.
 */
static size_t plain_run(const unsigned char *s, size_t n, int *err)
{
	size_t i = 0, k;

	for (;;) {
		for (uint64_t w; i + 8 <= n; i += 8) {
			memcpy(&w, s + i, 8);
			if (word_special(w))
				break;
		}
		while (plain_ascii[s[i]])
			i++;
		if (s[i] < 0x80)
			return i; /* the end, or a byte to escape */
		if (!(k = utf8_decode(s + i, 4, NULL))) {
			*err = -EILSEQ;
			return i;
		}
		i += k;
	}
}

/* The escape of the byte C ('"', '\\' or a control character) into SEQ: its length. */
static size_t escape(unsigned char c, char seq[8])
{
	static const char short_form[] = "btnvfr"; /* 0x08..0x0d, where JSON has one */

	if (c == '"' || c == '\\') {
		seq[0] = '\\';
		seq[1] = (char)c;
		return 2;
	}
	if (c >= 0x08 && c <= 0x0d && c != 0x0b) {
		seq[0] = '\\';
		seq[1] = short_form[c - 0x08];
		return 2;
	}
	return (size_t)snprintf(seq, 8, "\\u%04X", c);
}

static void put_string(struct json_out *o, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
	char seq[8];
	size_t n;

	put(o, "\"", 1);
	while (!o->err) {
		n = plain_run(s, (size_t)(end - s), &o->err);
		put(o, s, n);
		s += n;
		if (o->err || !*s)
			break;
		put(o, seq, escape(*s++, seq));
	}
	put(o, "\"", 1);
}

/* The comma before a value and, in an object, its key. */
static void put_key(struct json_out *o, const char *key)
{
	if (o->comma)
		put(o, ",", 1);
	o->comma = true;
	if (key) {
		put_string(o, key);
		put(o, ":", 1);
	}
}

void json_out_open(struct json_out *o, const char *key, char bracket)
{
	put_key(o, key);
	put(o, &bracket, 1);
	o->comma = false;
}

void json_out_close(struct json_out *o, char bracket)
{
	put(o, &bracket, 1);
	o->comma = true;
}

void json_out_str(struct json_out *o, const char *key, const char *s)
{
	put_key(o, key);
	put_string(o, s);
}

void json_out_int(struct json_out *o, const char *key, long long v)
{
	char num[24];

	put_key(o, key);
	put(o, num, (size_t)snprintf(num, sizeof(num), "%lld", v));
}

/* V as jansson writes a real at precision 15 into NUM (32 bytes): its length. */
static size_t real_text(double v, char num[32])
{
	size_t n = (size_t)snprintf(num, 32, "%.15g", v);
	char *e = strchr(num, 'e'), *digits;

	if (!e && !strchr(num, '.')) {
		memcpy(num + n, ".0", 3);
		return n + 2;
	}
	if (!e)
		return n;
	/* the exponent without '+' and leading zeros: "1e+300" -> "1e300", "1e-07" -> "1e-7" */
	if (*++e == '-')
		e++;
	digits = *e == '+' ? e + 1 : e;
	while (*digits == '0' && digits[1])
		digits++;
	memmove(e, digits, strlen(digits) + 1);
	return strlen(num);
}

void json_out_real(struct json_out *o, const char *key, double v)
{
	char num[32];

	if (!isfinite(v) && !o->err)
		o->err = -EDOM;
	put_key(o, key);
	put(o, num, real_text(v, num));
}

int json_out_end(struct json_out *o, char **text, size_t *len)
{
	int rc;

	put(o, "", 1);
	rc = o->err;
	*text = rc ? NULL : o->b.p;
	*len = rc ? 0 : o->b.len - 1;
	if (rc)
		buf_free(&o->b);
	*o = (struct json_out){0};
	return rc;
}
