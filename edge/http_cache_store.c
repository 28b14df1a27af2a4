/* Stored responses of the generic upstream mode (see http_cache_store.h). */
#include "http_cache_store.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "http_cache_policy.h"
#include "strhash.h"

#define HC_HEAD_MAX (256u << 10) /* bytes of header blocks an entry may have */

void hc_meta_encode(const struct hc_meta *m, uint8_t out[HC_META_LEN])
{
	uint16_t status = htole16((uint16_t)m->status),
		 flags = htole16((m->partial ? 1 : 0) | (m->variants ? 2 : 0));
	uint64_t t[2] = {htole64((uint64_t)m->request_time), htole64((uint64_t)m->response_time)};
	uint32_t l[2] = {htole32(m->head_len), htole32(m->vary_len)};
	uint64_t r[2] = {htole64(m->range_first), htole64(m->complete_len)};

	memcpy(out, &status, 2);
	memcpy(out + 2, &flags, 2);
	memcpy(out + 4, t, 16);
	memcpy(out + 20, l, 8);
	memcpy(out + 28, r, 16);
}

int hc_meta_decode(const uint8_t *p, size_t len, struct hc_meta *m)
{
	uint16_t status, flags;
	uint64_t t[2], r[2];
	uint32_t l[2];

	if (len != HC_META_LEN)
		return -EINVAL;
	memcpy(&status, p, 2);
	memcpy(&flags, p + 2, 2);
	memcpy(t, p + 4, 16);
	memcpy(l, p + 20, 8);
	memcpy(r, p + 28, 16);
	*m = (struct hc_meta){.status = le16toh(status),
			      .partial = le16toh(flags) & 1,
			      .variants = le16toh(flags) & 2,
			      .request_time = (int64_t)le64toh(t[0]),
			      .response_time = (int64_t)le64toh(t[1]),
			      .head_len = le32toh(l[0]),
			      .vary_len = le32toh(l[1]),
			      .range_first = le64toh(r[0]),
			      .complete_len = le64toh(r[1])};
	if (m->status < 100 || m->status > 999 || (le16toh(flags) & ~3u) ||
	    (uint64_t)m->head_len + m->vary_len > HC_HEAD_MAX)
		return -EINVAL;
	return 0;
}

void hc_key(const char *t, size_t len, char out[HC_KEY_MAX])
{
	uint8_t sha[32];
	char hex[65];

	EVP_Digest(t, len, sha, NULL, EVP_sha256(), NULL);
	hex_encode(sha, 32, hex);
	snprintf(out, HC_KEY_MAX, HC_TITLE "/%.2s/%s", hex, hex);
}

/* The record of KEY and its meta: 0, -ENOENT, -EIO. */
static int entry_record(struct edge_cache *c, const char *key, struct edge_object *o,
			struct hc_meta *m)
{
	const uint8_t *p;
	uint16_t n;
	int rc = edge_index_get(edge_cache_index(c), key, o);

	if (rc != 0)
		return rc == -ENOENT ? -ENOENT : -EIO;
	if (edge_ext_get(o, EDGE_EXT_HTTP, &p, &n) != 0 || hc_meta_decode(p, n, m) != 0 ||
	    (uint64_t)m->head_len + m->vary_len > o->size)
		return -EIO;
	return 0;
}

int hc_entry_open(struct edge_cache *c, const char *key, struct hc_entry *e)
{
	struct edge_object o;
	struct stat st;
	size_t hl;
	int rc;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if ((rc = entry_record(c, key, &o, &e->m)) != 0)
		return rc;
	hl = (size_t)e->m.head_len + e->m.vary_len;
	if ((e->fd = openat(edge_cache_rootfd(c), key, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(e->fd, &st) != 0 || (uint64_t)st.st_size != o.size) {
		hc_entry_close(e);
		return -ENOENT; /* replaced or removed meanwhile */
	}
	if (!(e->head = malloc(hl + 1))) {
		hc_entry_close(e);
		return -ENOMEM;
	}
	if (pread(e->fd, e->head, hl, 0) != (ssize_t)hl) {
		hc_entry_close(e);
		return -EIO;
	}
	e->head[hl] = '\0';
	e->body_off = hl;
	e->body_len = o.size - hl;
	return 0;
}

void hc_entry_close(struct hc_entry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	free(e->head);
	e->head = NULL;
}

/* B's bytes into T: from memory, or copied from B's file. */
static int write_body(struct edge_cache *c, struct edge_tmp *t, const struct hc_body *b)
{
	char chunk[64 << 10];
	uint64_t done = 0;
	int rc = 0;

	if (b->mem)
		return b->len ? edge_cache_tmp_write(c, t, b->mem, (size_t)b->len) : 0;
	while (rc == 0 && done < b->len) {
		size_t want =
		    b->len - done < sizeof(chunk) ? (size_t)(b->len - done) : sizeof(chunk);
		ssize_t n = pread(b->fd, chunk, want, (off_t)(b->off + done));

		if (n <= 0)
			return -EIO;
		rc = edge_cache_tmp_write(c, t, chunk, (size_t)n);
		done += (uint64_t)n;
	}
	return rc;
}

int hc_entry_begin(struct edge_cache *c, struct edge_tmp **t)
{
	return edge_cache_tmp_open(c, HC_TITLE, 0, t);
}

int hc_entry_head(struct edge_cache *c, struct edge_tmp *t, struct hc_meta *m, const char *head,
		  size_t hlen, const char *vary, size_t vlen)
{
	int rc;

	if (hlen + vlen > HC_HEAD_MAX)
		return -E2BIG;
	m->head_len = (uint32_t)hlen;
	m->vary_len = (uint32_t)vlen;
	if ((rc = edge_cache_tmp_write(c, t, head, hlen)) == 0 && vlen)
		rc = edge_cache_tmp_write(c, t, vary, vlen);
	return rc;
}

int hc_entry_commit(struct edge_cache *c, struct edge_tmp *t, const char *key,
		    const struct hc_meta *m)
{
	struct edge_object o = {.origin = EDGE_ORIGIN_PULL};
	uint8_t meta[HC_META_LEN];

	o.size = t->written;
	edge_cache_tmp_digest(t, o.sha256);
	edge_etag_for(o.sha256, o.etag);
	o.stored = o.last_hit = edge_record_time();
	hc_meta_encode(m, meta);
	edge_ext_put(&o, EDGE_EXT_HTTP, meta, HC_META_LEN);
	return edge_cache_tmp_commit(c, t, key, &o, NULL, EDGE_SYNC_NONE, NULL);
}

int hc_entry_store(struct edge_cache *c, const char *key, struct hc_meta *m, const char *head,
		   size_t hlen, const char *vary, size_t vlen, const struct hc_body *b)
{
	struct edge_tmp *t = NULL;
	int rc;

	if (hlen + vlen > HC_HEAD_MAX)
		return -E2BIG;
	if ((rc = hc_entry_begin(c, &t)) != 0)
		return rc;
	if ((rc = hc_entry_head(c, t, m, head, hlen, vary, vlen)) != 0 ||
	    (rc = write_body(c, t, b)) != 0) {
		edge_cache_tmp_abort(c, t);
		return rc;
	}
	return hc_entry_commit(c, t, key, m);
}

/* Does block H name fields in its Vary (and no "*")?  Then its responses are kept per variant. */
static bool varies(const char *h, size_t len)
{
	struct http_str n, v;
	size_t pos = 0;
	bool named = false;

	while (hc_head_next(h, len, &pos, &n, &v)) {
		if (!http_str_ieq(n, "Vary"))
			continue;
		if (memchr(v.p, '*', v.len))
			return false;
		named |= v.len > 0;
	}
	return named;
}

/* The hash of captured request lines, as the variant list writes it. */
static void variant_hash(const char *vary, size_t len, char hex[17])
{
	snprintf(hex, 17, "%016llx", (unsigned long long)str_hash_n(vary, len));
}

/* The place N of LIST's variants whose request lines hash to HEX, or -1. */
static int variant_place(const struct hc_entry *list, const char *hex)
{
	const char *b = list->head + list->m.head_len;
	struct http_str n, v;
	size_t pos = 0;

	while (hc_head_next(b, list->m.vary_len, &pos, &n, &v))
		if (n.len == 9 && strncasecmp(n.p, "Variant-", 8) == 0 && n.p[8] >= '0' &&
		    n.p[8] < '0' + HC_VARIANTS && v.len == 16 && memcmp(v.p, hex, 16) == 0)
			return n.p[8] - '0';
	return -1;
}

int hc_variant_find(const struct hc_entry *list, const char *key, const char *vary, size_t len,
		    char out[HC_KEY_MAX])
{
	char hex[17];
	int n;

	variant_hash(vary, len, hex);
	if ((n = variant_place(list, hex)) >= 0) {
		snprintf(out, HC_KEY_MAX, "%s-%d", key, n);
		return 0;
	}
	snprintf(out, HC_KEY_MAX, "%s-%s", key, hex);
	return -ENOENT;
}

/*
 * The variant list of KEY with the Vary lines of block H and the variant
 * HEX: its place (the one it had, a free one, else the one HEX names), into
 * *N, and the list's blocks into HEAD and PLACES.  True when the list
 * changes.
 */
static bool variant_list(struct edge_cache *c, const char *key, const char *h, size_t len,
			 const char *hex, int *n, struct buf *head, struct buf *places)
{
	char had[HC_VARIANTS][17] = {{0}};
	struct http_str name, v;
	struct hc_entry list;
	size_t pos = 0;
	bool same = false;

	while (hc_head_next(h, len, &pos, &name, &v))
		if (http_str_ieq(name, "Vary"))
			buf_printf(head, "Vary: %.*s\r\n", (int)v.len, v.p);
	if (hc_entry_open(c, key, &list) == 0) {
		const char *b = list.head + list.m.head_len;

		same = list.m.variants && list.m.head_len == head->len &&
		       memcmp(list.head, head->p ? head->p : "", head->len) == 0;
		pos = 0;
		while (same && hc_head_next(b, list.m.vary_len, &pos, &name, &v))
			if (name.len == 9 && name.p[8] >= '0' && name.p[8] < '0' + HC_VARIANTS &&
			    v.len == 16)
				snprintf(had[name.p[8] - '0'], 17, "%.16s", v.p);
		hc_entry_close(&list);
	}
	*n = -1;
	for (int i = 0; i < HC_VARIANTS && *n < 0; i++)
		if (strcmp(had[i], hex) == 0)
			*n = i;
	if (same && *n >= 0)
		return false; /* listed already */
	for (int i = 0; i < HC_VARIANTS && *n < 0; i++)
		if (!had[i][0])
			*n = i;
	if (*n < 0)
		*n = (int)(strtoull(hex, NULL, 16) % HC_VARIANTS); /* full: one of them goes */
	snprintf(had[*n], 17, "%s", hex);
	for (int i = 0; i < HC_VARIANTS; i++)
		if (had[i][0])
			buf_printf(places, "Variant-%d: %s\r\n", i, had[i]);
	return true;
}

int hc_entry_commit_target(struct edge_cache *c, struct edge_tmp *t, const char *key,
			   const struct hc_meta *m, const char *head, size_t hlen, const char *vary,
			   size_t vlen, bool listed)
{
	struct hc_meta lm = {.status = 200, .variants = true, .request_time = (int64_t)time(NULL)};
	struct hc_body none = {"", -1, 0, 0};
	struct buf lhead = {0}, places = {0};
	char hex[17], vkey[HC_KEY_MAX];
	bool changes;
	int rc, n;

	if (!varies(head, hlen)) {
		if (listed)
			hc_entry_remove(c, key); /* it varied, not any more: its variants go */
		return hc_entry_commit(c, t, key, m);
	}
	variant_hash(vary, vlen, hex);
	changes = variant_list(c, key, head, hlen, hex, &n, &lhead, &places);
	snprintf(vkey, sizeof(vkey), "%s-%d", key, n);
	lm.response_time = lm.request_time;
	if ((rc = hc_entry_commit(c, t, vkey, m)) == 0 && changes)
		rc = hc_entry_store(c, key, &lm, lhead.p ? lhead.p : "", lhead.len,
				    places.p ? places.p : "", places.len, &none);
	buf_free(&lhead);
	buf_free(&places);
	return rc;
}

int hc_entry_remove(struct edge_cache *c, const char *key)
{
	/* the variants' keys are KEY's with a suffix, and no other target's key starts with KEY */
	return edge_cache_remove(c, key, true, NULL, NULL);
}
