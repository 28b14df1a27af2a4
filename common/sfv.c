/*
 * Structured Field Values (RFC 8941): a parser that follows the algorithms of
 * section 4.2 step by step, and the serializers of section 4.1.
 */
#include "sfv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 4096

struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct parser {
	const char *p, *end;
	struct chunk *arena;
};

static void *arena_alloc(struct parser *ps, size_t n)
{
	struct chunk *c = ps->arena;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		if (!(c = malloc(sizeof(*c) + cap)))
			return NULL;
		c->next = ps->arena;
		c->used = 0;
		c->cap = cap;
		ps->arena = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static void arena_free(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;

		free(c);
		c = next;
	}
}

static bool is_lcalpha(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* tchar of RFC 9110 section 5.6.2. */
static bool is_tchar(int c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_key_char(int c)
{
	return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}

static int peek(const struct parser *ps)
{
	return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static void skip_sp(struct parser *ps)
{
	while (ps->p < ps->end && *ps->p == ' ')
		ps->p++;
}

static void skip_ows(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* ---- base64 -------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sfv_b64_enclen(size_t len)
{
	return (len + 2) / 3 * 4;
}

void sfv_b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i = 0, o = 0;

	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int b64_value(int c)
{
	const char *p = c > 0 ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/*
 * Decode IN[0..LEN) (padding optional, but correct when present; unused
 * bits must be zero) into OUT.  Returns the length, or -EINVAL.
 */
static long b64_decode(const char *in, size_t len, uint8_t *out)
{
	uint32_t acc = 0;
	size_t o = 0, n = len, bits = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	if (len - n > 2 || (len != n && len % 4 != 0) || n % 4 == 1)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits && (acc & ((1u << bits) - 1)))
		return -EINVAL;
	return (long)o;
}

/* ---- bare items (4.2.3) -------------------------------------------------- */

static int parse_number(struct parser *ps, struct sfv_bare *v)
{
	int64_t sign = 1, ip = 0, fp = 0;
	int idigits = 0, fdigits = 0;
	bool decimal = false;

	if (peek(ps) == '-') {
		sign = -1;
		ps->p++;
	}
	if (!is_digit(peek(ps)))
		return -EINVAL;
	while (ps->p < ps->end) {
		int c = peek(ps);

		if (is_digit(c)) {
			if (decimal) {
				if (++fdigits > 3)
					return -EINVAL;
				fp = fp * 10 + (c - '0');
			} else {
				if (++idigits > 15)
					return -EINVAL;
				ip = ip * 10 + (c - '0');
			}
		} else if (c == '.' && !decimal) {
			if (idigits > 12)
				return -EINVAL;
			decimal = true;
		} else {
			break;
		}
		ps->p++;
	}
	if (decimal) {
		if (fdigits == 0)
			return -EINVAL;
		while (fdigits++ < 3)
			fp *= 10;
		v->type = SFV_DECIMAL;
		v->num = sign * (ip * 1000 + fp);
	} else {
		v->type = SFV_INTEGER;
		v->num = sign * ip;
	}
	return 0;
}

/* Copy [from, to) into the arena with a NUL; store it in V. */
static int keep(struct parser *ps, const char *from, size_t n, struct sfv_bare *v)
{
	char *s = arena_alloc(ps, n + 1);

	if (!s)
		return -ENOMEM;
	memcpy(s, from, n);
	s[n] = '\0';
	v->str = s;
	v->len = n;
	return 0;
}

static int parse_string(struct parser *ps, struct sfv_bare *v)
{
	const char *start = ++ps->p;
	char *s, *o;

	/* first pass: find the end and check the characters */
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;

		if (c == '\\') {
			if (++ps->p == ps->end || (*ps->p != '"' && *ps->p != '\\'))
				return -EINVAL;
		} else if (c < 0x20 || c > 0x7e) {
			return -EINVAL;
		}
		ps->p++;
	}
	if (ps->p == ps->end)
		return -EINVAL;
	if (!(s = arena_alloc(ps, (size_t)(ps->p - start) + 1)))
		return -ENOMEM;
	o = s;
	for (const char *q = start; q < ps->p; q++)
		*o++ = *q == '\\' ? *++q : *q;
	*o = '\0';
	ps->p++;
	v->type = SFV_STRING;
	v->str = s;
	v->len = (size_t)(o - s);
	return 0;
}

static int parse_token(struct parser *ps, struct sfv_bare *v)
{
	const char *start = ps->p++;

	while (ps->p < ps->end && (is_tchar(peek(ps)) || *ps->p == ':' || *ps->p == '/'))
		ps->p++;
	v->type = SFV_TOKEN;
	return keep(ps, start, (size_t)(ps->p - start), v);
}

static int parse_bytes(struct parser *ps, struct sfv_bare *v)
{
	const char *start = ++ps->p, *close;
	uint8_t *out;
	long n;

	close = memchr(start, ':', (size_t)(ps->end - start));
	if (!close)
		return -EINVAL;
	if (!(out = arena_alloc(ps, (size_t)(close - start) / 4 * 3 + 4)))
		return -ENOMEM;
	if ((n = b64_decode(start, (size_t)(close - start), out)) < 0)
		return -EINVAL;
	out[n] = '\0';
	ps->p = close + 1;
	v->type = SFV_BYTES;
	v->str = (const char *)out;
	v->len = (size_t)n;
	return 0;
}

static int parse_bare(struct parser *ps, struct sfv_bare *v)
{
	int c = peek(ps);

	memset(v, 0, sizeof(*v));
	if (c == '-' || is_digit(c))
		return parse_number(ps, v);
	if (c == '"')
		return parse_string(ps, v);
	if (c == ':')
		return parse_bytes(ps, v);
	if (c == '*' || is_alpha(c))
		return parse_token(ps, v);
	if (c == '?') {
		ps->p++;
		c = peek(ps);
		if (c != '0' && c != '1')
			return -EINVAL;
		ps->p++;
		v->type = SFV_BOOLEAN;
		v->num = c == '1';
		return 0;
	}
	return -EINVAL;
}

/* ---- keys, parameters, items (4.2.3.3, 4.2.3.2, 4.2.3, 4.2.1.2) ---------- */

static int parse_key(struct parser *ps, const char **key)
{
	const char *start = ps->p;
	struct sfv_bare tmp;
	int rc;

	if (!is_lcalpha(peek(ps)) && peek(ps) != '*')
		return -EINVAL;
	while (ps->p < ps->end && is_key_char(peek(ps)))
		ps->p++;
	if ((rc = keep(ps, start, (size_t)(ps->p - start), &tmp)) != 0)
		return rc;
	*key = tmp.str;
	return 0;
}

static int parse_params(struct parser *ps, struct sfv_item *it)
{
	struct sfv_param local[SFV_MAX_PARAMS];
	unsigned n = 0;
	int rc;

	while (peek(ps) == ';') {
		struct sfv_param p = {0};
		unsigned i;

		ps->p++;
		skip_sp(ps);
		if ((rc = parse_key(ps, &p.key)) != 0)
			return rc;
		p.value = sfv_bool(true);
		if (peek(ps) == '=') {
			ps->p++;
			if ((rc = parse_bare(ps, &p.value)) != 0)
				return rc;
		}
		for (i = 0; i < n && strcmp(local[i].key, p.key) != 0; i++)
			;
		if (i == n && n == SFV_MAX_PARAMS)
			return -EINVAL;
		local[i] = p;
		n += i == n;
	}
	it->nparams = n;
	if (n && !(it->params = arena_alloc(ps, n * sizeof(local[0]))))
		return -ENOMEM;
	if (n)
		memcpy(it->params, local, n * sizeof(local[0]));
	return 0;
}

static int parse_inner_list(struct parser *ps, struct sfv_item *it)
{
	struct sfv_item local[SFV_MAX_MEMBERS];
	unsigned n = 0;
	int rc;

	ps->p++;
	for (;;) {
		skip_sp(ps);
		if (peek(ps) == ')') {
			ps->p++;
			break;
		}
		if (n == SFV_MAX_MEMBERS)
			return -EINVAL;
		memset(&local[n], 0, sizeof(local[n]));
		local[n].key = "";
		if ((rc = parse_bare(ps, &local[n].value)) != 0 ||
		    (rc = parse_params(ps, &local[n])) != 0)
			return rc;
		n++;
		if (peek(ps) != ' ' && peek(ps) != ')')
			return -EINVAL;
	}
	it->value.type = SFV_INNER_LIST;
	it->nitems = n;
	if (n && !(it->items = arena_alloc(ps, n * sizeof(local[0]))))
		return -ENOMEM;
	if (n)
		memcpy(it->items, local, n * sizeof(local[0]));
	return parse_params(ps, it);
}

static int parse_member(struct parser *ps, struct sfv_item *it)
{
	int rc;

	if (peek(ps) == '(')
		return parse_inner_list(ps, it);
	if ((rc = parse_bare(ps, &it->value)) != 0)
		return rc;
	return parse_params(ps, it);
}

/* ---- top level (4.2) ----------------------------------------------------- */

/* After a member: end of input (1), or a comma followed by more (0). */
static int next_member(struct parser *ps)
{
	skip_ows(ps);
	if (ps->p == ps->end)
		return 1;
	if (*ps->p != ',')
		return -EINVAL;
	ps->p++;
	skip_ows(ps);
	return ps->p == ps->end ? -EINVAL : 0;
}

static int parse_list_or_dict(struct parser *ps, bool dict, struct sfv_item *local, unsigned *n)
{
	int rc;

	*n = 0;
	while (ps->p < ps->end) {
		struct sfv_item m = {.key = ""};
		unsigned i = *n;

		if (dict) {
			if ((rc = parse_key(ps, &m.key)) != 0)
				return rc;
			if (peek(ps) == '=') {
				ps->p++;
				rc = parse_member(ps, &m);
			} else {
				m.value = sfv_bool(true);
				rc = parse_params(ps, &m);
			}
			for (i = 0; i < *n && strcmp(local[i].key, m.key) != 0; i++)
				;
		} else {
			rc = parse_member(ps, &m);
		}
		if (rc != 0)
			return rc;
		if (i == *n && *n == SFV_MAX_MEMBERS)
			return -EINVAL;
		local[i] = m;
		*n += i == *n;
		if ((rc = next_member(ps)) != 0)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

int sfv_parse(const char *s, size_t len, enum sfv_kind kind, struct sfv *out)
{
	struct parser ps = {s, s + len, NULL};
	struct sfv_item local[SFV_MAX_MEMBERS];
	unsigned n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	skip_sp(&ps);
	if (kind == SFV_ITEM) {
		memset(&local[0], 0, sizeof(local[0]));
		local[0].key = "";
		rc = parse_bare(&ps, &local[0].value);
		if (rc == 0)
			rc = parse_params(&ps, &local[0]);
		n = 1;
		skip_sp(&ps);
		if (rc == 0 && ps.p != ps.end)
			rc = -EINVAL;
	} else {
		rc = parse_list_or_dict(&ps, kind == SFV_DICT, local, &n);
	}
	if (rc == 0 && n && !(out->members = arena_alloc(&ps, n * sizeof(local[0]))))
		rc = -ENOMEM;
	if (rc != 0) {
		arena_free(ps.arena);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	if (n)
		memcpy(out->members, local, n * sizeof(local[0]));
	out->n = n;
	out->arena = ps.arena;
	return 0;
}

void sfv_free(struct sfv *f)
{
	arena_free(f->arena);
	memset(f, 0, sizeof(*f));
}

const struct sfv_item *sfv_dict_get(const struct sfv *f, const char *key)
{
	for (unsigned i = 0; i < f->n; i++)
		if (strcmp(f->members[i].key, key) == 0)
			return &f->members[i];
	return NULL;
}

const struct sfv_bare *sfv_param_get(const struct sfv_item *it, const char *key)
{
	for (unsigned i = 0; i < it->nparams; i++)
		if (strcmp(it->params[i].key, key) == 0)
			return &it->params[i].value;
	return NULL;
}

/* ---- serializing (4.1) --------------------------------------------------- */

struct sfv_bare sfv_int(int64_t v)
{
	return (struct sfv_bare){.type = SFV_INTEGER, .num = v};
}

struct sfv_bare sfv_str(const char *s)
{
	return (struct sfv_bare){.type = SFV_STRING, .str = s, .len = strlen(s)};
}

struct sfv_bare sfv_token(const char *s)
{
	return (struct sfv_bare){.type = SFV_TOKEN, .str = s, .len = strlen(s)};
}

struct sfv_bare sfv_bytes(const void *p, size_t len)
{
	return (struct sfv_bare){.type = SFV_BYTES, .str = p, .len = len};
}

struct sfv_bare sfv_bool(bool v)
{
	return (struct sfv_bare){.type = SFV_BOOLEAN, .num = v};
}

static int write_string(struct buf *out, const char *s, size_t len)
{
	int rc = buf_append(out, "\"", 1);

	for (size_t i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return -EINVAL;
		if (c == '"' || c == '\\')
			rc = buf_append(out, "\\", 1);
		if (rc == 0)
			rc = buf_append(out, &s[i], 1);
	}
	return rc == 0 ? buf_append(out, "\"", 1) : rc;
}

static int write_token(struct buf *out, const char *s, size_t len)
{
	if (len == 0 || (!is_alpha((unsigned char)s[0]) && s[0] != '*'))
		return -EINVAL;
	for (size_t i = 1; i < len; i++)
		if (!is_tchar((unsigned char)s[i]) && s[i] != ':' && s[i] != '/')
			return -EINVAL;
	return buf_append(out, s, len);
}

static int write_bytes(struct buf *out, const uint8_t *p, size_t len)
{
	size_t n = sfv_b64_enclen(len);
	int rc;

	if ((rc = buf_reserve(out, n + 3)) != 0)
		return rc;
	out->p[out->len++] = ':';
	sfv_b64_encode(p, len, out->p + out->len);
	out->len += n;
	out->p[out->len++] = ':';
	return 0;
}

static int write_decimal(struct buf *out, int64_t v)
{
	int64_t a = v < 0 ? -v : v;
	char frac[4];
	int f = (int)(a % 1000), digits = 3;

	if (a / 1000 > 999999999999LL)
		return -EINVAL;
	snprintf(frac, sizeof(frac), "%03d", f);
	while (digits > 1 && frac[digits - 1] == '0')
		digits--;
	return buf_printf(out, "%s%lld.%.*s", v < 0 ? "-" : "", (long long)(a / 1000), digits,
			  frac);
}

int sfv_write_bare(struct buf *out, const struct sfv_bare *v)
{
	switch (v->type) {
	case SFV_INTEGER:
		if (v->num > 999999999999999LL || v->num < -999999999999999LL)
			return -EINVAL;
		return buf_printf(out, "%lld", (long long)v->num);
	case SFV_DECIMAL:
		return write_decimal(out, v->num);
	case SFV_STRING:
		return write_string(out, v->str, v->len);
	case SFV_TOKEN:
		return write_token(out, v->str, v->len);
	case SFV_BYTES:
		return write_bytes(out, (const uint8_t *)v->str, v->len);
	case SFV_BOOLEAN:
		return buf_puts(out, v->num ? "?1" : "?0");
	default:
		return -EINVAL;
	}
}

int sfv_write_key(struct buf *out, const char *key)
{
	if (!is_lcalpha((unsigned char)key[0]) && key[0] != '*')
		return -EINVAL;
	for (const char *k = key; *k; k++)
		if (!is_key_char((unsigned char)*k))
			return -EINVAL;
	return buf_puts(out, key);
}

int sfv_write_params(struct buf *out, const struct sfv_param *p, unsigned n)
{
	int rc = 0;

	for (unsigned i = 0; i < n && rc == 0; i++) {
		rc = buf_append(out, ";", 1);
		if (rc == 0)
			rc = sfv_write_key(out, p[i].key);
		if (rc == 0 && !(p[i].value.type == SFV_BOOLEAN && p[i].value.num)) {
			rc = buf_append(out, "=", 1);
			if (rc == 0)
				rc = sfv_write_bare(out, &p[i].value);
		}
	}
	return rc;
}

int sfv_write_item(struct buf *out, const struct sfv_item *it)
{
	int rc = 0;

	if (it->value.type != SFV_INNER_LIST) {
		rc = sfv_write_bare(out, &it->value);
		return rc == 0 ? sfv_write_params(out, it->params, it->nparams) : rc;
	}
	rc = buf_append(out, "(", 1);
	for (unsigned i = 0; i < it->nitems && rc == 0; i++) {
		if (i)
			rc = buf_append(out, " ", 1);
		if (rc == 0)
			rc = sfv_write_item(out, &it->items[i]);
	}
	if (rc == 0)
		rc = buf_append(out, ")", 1);
	return rc == 0 ? sfv_write_params(out, it->params, it->nparams) : rc;
}
