/* Stored responses of the generic upstream mode (see http_cache_store.h). */
#include "http_cache_store.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hex.h"

#define HC_HEAD_MAX (256u << 10) /* bytes of header blocks an entry may have */

void hc_meta_encode(const struct hc_meta *m, uint8_t out[HC_META_LEN])
{
	uint16_t status = htole16((uint16_t)m->status), flags = htole16(m->partial ? 1 : 0);
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
			      .request_time = (int64_t)le64toh(t[0]),
			      .response_time = (int64_t)le64toh(t[1]),
			      .head_len = le32toh(l[0]),
			      .vary_len = le32toh(l[1]),
			      .range_first = le64toh(r[0]),
			      .complete_len = le64toh(r[1])};
	if (m->status < 100 || m->status > 999 || (le16toh(flags) & ~1u) ||
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

int hc_entry_store(struct edge_cache *c, const char *key, struct hc_meta *m, const char *head,
		   size_t hlen, const char *vary, size_t vlen, const struct hc_body *b)
{
	struct edge_object o = {.origin = EDGE_ORIGIN_PULL};
	uint8_t meta[HC_META_LEN];
	struct edge_tmp *t = NULL;
	int rc;

	if (hlen + vlen > HC_HEAD_MAX)
		return -E2BIG;
	m->head_len = (uint32_t)hlen;
	m->vary_len = (uint32_t)vlen;
	if ((rc = edge_cache_tmp_open(c, HC_TITLE, hlen + vlen + b->len, &t)) != 0)
		return rc;
	if ((rc = edge_cache_tmp_write(c, t, head, hlen)) != 0 ||
	    (vlen && (rc = edge_cache_tmp_write(c, t, vary, vlen)) != 0) ||
	    (rc = write_body(c, t, b)) != 0) {
		edge_cache_tmp_abort(c, t);
		return rc;
	}
	o.size = t->written;
	edge_cache_tmp_digest(t, o.sha256);
	edge_etag_for(o.sha256, o.etag);
	o.stored = o.last_hit = edge_record_time();
	hc_meta_encode(m, meta);
	edge_ext_put(&o, EDGE_EXT_HTTP, meta, HC_META_LEN);
	return edge_cache_tmp_commit(c, t, key, &o, NULL, EDGE_SYNC_NONE, NULL);
}

int hc_entry_remove(struct edge_cache *c, const char *key)
{
	return edge_cache_remove(c, key, false, NULL, NULL);
}
