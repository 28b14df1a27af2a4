/* The byte layout of the cache index's records (see index_record.h). */
#include "index_record.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "hex.h"

#define OBJECT_VERSION 1
#define TITLE_VERSION  1
#define TITLE_FLAGS    (EDGE_TITLE_MANIFEST | EDGE_TITLE_COMPLETE)

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t edge_object_encode(const struct edge_object *o, uint8_t *out)
{
	uint8_t *p = out;
	size_t elen = strlen(o->etag);

	*p++ = OBJECT_VERSION;
	*p++ = (uint8_t)o->origin;
	*p++ = 0;
	*p++ = 0;
	p = put64(p, o->size);
	memcpy(p, o->sha256, 32);
	p += 32;
	p = put64(p, (uint64_t)o->stored);
	p = put64(p, (uint64_t)o->last_hit);
	p = put64(p, o->hits);
	p = put64(p, (uint64_t)o->mtime);
	*p++ = (uint8_t)elen;
	memcpy(p, o->etag, elen);
	p += elen;
	memcpy(p, o->ext, o->ext_len);
	return (size_t)(p - out) + o->ext_len;
}

static bool etag_ok(const uint8_t *p, size_t n)
{
	if (n < 2 || p[0] != '"' || p[n - 1] != '"')
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == '"')
			return false;
	return true;
}

/* Extensions: whole TLVs up to the end, at most EDGE_EXT_MAX bytes. */
static bool ext_ok(const uint8_t *p, size_t n)
{
	size_t off = 0;

	if (n > EDGE_EXT_MAX)
		return false;
	while (off < n) {
		if (n - off < 4)
			return false;
		off += 4 + ((size_t)p[off + 2] | (size_t)p[off + 3] << 8);
	}
	return off == n;
}

int edge_object_decode(const uint8_t *p, size_t len, struct edge_object *o)
{
	size_t elen;

	memset(o, 0, sizeof(*o));
	if (len < EDGE_OBJECT_MIN_LEN || p[0] != OBJECT_VERSION ||
	    (p[1] != EDGE_ORIGIN_FILL && p[1] != EDGE_ORIGIN_PULL) || p[2] || p[3])
		return -EINVAL;
	elen = p[76];
	if (elen > EDGE_ETAG_MAX || len < EDGE_OBJECT_MIN_LEN + elen ||
	    !etag_ok(p + EDGE_OBJECT_MIN_LEN, elen) ||
	    !ext_ok(p + EDGE_OBJECT_MIN_LEN + elen, len - EDGE_OBJECT_MIN_LEN - elen))
		return -EINVAL;
	o->origin = (enum edge_origin)p[1];
	o->size = get64(p + 4);
	memcpy(o->sha256, p + 12, 32);
	o->stored = (int64_t)get64(p + 44);
	o->last_hit = (int64_t)get64(p + 52);
	o->hits = get64(p + 60);
	o->mtime = (int64_t)get64(p + 68);
	memcpy(o->etag, p + EDGE_OBJECT_MIN_LEN, elen);
	o->etag[elen] = '\0';
	o->ext_len = (uint16_t)(len - EDGE_OBJECT_MIN_LEN - elen);
	memcpy(o->ext, p + EDGE_OBJECT_MIN_LEN + elen, o->ext_len);
	return 0;
}

void edge_title_encode(const struct edge_title *t, uint8_t out[EDGE_TITLE_LEN])
{
	uint8_t *p = out;

	*p++ = TITLE_VERSION;
	*p++ = t->flags;
	*p++ = 0;
	*p++ = 0;
	p = put32(p, t->objects);
	p = put64(p, t->bytes);
	p = put32(p, t->pinned);
	p = put64(p, (uint64_t)t->last_hit);
	memset(p, 0, 16);
	memcpy(p, t->version, strnlen(t->version, 16));
}

int edge_title_decode(const uint8_t *p, size_t len, struct edge_title *t)
{
	size_t vlen;

	memset(t, 0, sizeof(*t));
	if (len != EDGE_TITLE_LEN || p[0] != TITLE_VERSION || (p[1] & ~TITLE_FLAGS) || p[2] || p[3])
		return -EINVAL;
	vlen = strnlen((const char *)p + 28, 16);
	for (size_t i = 0; i < 16; i++)
		if (i < vlen ? hex_digit(p[28 + i]) < 0 : p[28 + i] != 0)
			return -EINVAL;
	if (vlen != 0 && vlen != 16)
		return -EINVAL;
	t->flags = p[1];
	t->objects = get32(p + 4);
	t->bytes = get64(p + 8);
	t->pinned = get32(p + 16);
	t->last_hit = (int64_t)get64(p + 20);
	memcpy(t->version, p + 28, vlen);
	t->version[vlen] = '\0';
	return 0;
}

void edge_mentry_encode(uint64_t size, const uint8_t sha256[32], uint8_t out[EDGE_MENTRY_LEN])
{
	put64(out, size);
	memcpy(out + 8, sha256, 32);
}

int edge_mentry_decode(const uint8_t *p, size_t len, uint64_t *size, uint8_t sha256[32])
{
	if (len != EDGE_MENTRY_LEN)
		return -EINVAL;
	*size = get64(p);
	memcpy(sha256, p + 8, 32);
	return 0;
}

void edge_etag_for(const uint8_t sha256[32], char out[EDGE_ETAG_MAX + 1])
{
	out[0] = '"';
	hex_encode(sha256, 8, out + 1);
	out[17] = '"';
	out[18] = '\0';
}

int64_t edge_record_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int edge_ext_get(const struct edge_object *o, uint16_t type, const uint8_t **p, uint16_t *len)
{
	size_t off = 0;

	while (off + 4 <= o->ext_len) {
		uint16_t t = (uint16_t)(o->ext[off] | o->ext[off + 1] << 8);
		uint16_t n = (uint16_t)(o->ext[off + 2] | o->ext[off + 3] << 8);

		if (off + 4 + n > o->ext_len)
			break;
		if (t == type) {
			*p = o->ext + off + 4;
			*len = n;
			return 0;
		}
		off += 4 + (size_t)n;
	}
	return -ENOENT;
}

int edge_ext_put(struct edge_object *o, uint16_t type, const void *p, uint16_t len)
{
	const uint8_t *old;
	uint16_t olen;

	if (edge_ext_get(o, type, &old, &olen) == 0) {
		size_t start = (size_t)(old - o->ext) - 4, end = start + 4 + olen;

		memmove(o->ext + start, o->ext + end, o->ext_len - end);
		o->ext_len = (uint16_t)(o->ext_len - (end - start));
	}
	if ((size_t)o->ext_len + 4 + len > EDGE_EXT_MAX)
		return -E2BIG;
	o->ext[o->ext_len] = (uint8_t)type;
	o->ext[o->ext_len + 1] = (uint8_t)(type >> 8);
	o->ext[o->ext_len + 2] = (uint8_t)len;
	o->ext[o->ext_len + 3] = (uint8_t)(len >> 8);
	memcpy(o->ext + o->ext_len + 4, p, len);
	o->ext_len = (uint16_t)(o->ext_len + 4 + len);
	return 0;
}

uint64_t edge_object_gen(const struct edge_object *o)
{
	const uint8_t *p;
	uint16_t len;
	uint64_t gen = 0;

	if (edge_ext_get(o, EDGE_EXT_GEN, &p, &len) != 0 || len != 8)
		return 0;
	for (int i = 7; i >= 0; i--)
		gen = gen << 8 | p[i];
	return gen;
}

int edge_object_set_gen(struct edge_object *o, uint64_t gen)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(gen >> (8 * i));
	return edge_ext_put(o, EDGE_EXT_GEN, le, sizeof(le));
}
