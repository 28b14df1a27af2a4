/* Uploads of source files: their records, files and running SHA-256 (uploads.h). */
#include "jobs/uploads.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hex.h"
#include "jsonfield.h"
#include "records.h"
#include "schema.h"
#include "store.h"

#define UPLOADS_MAGIC 0x55504c44u /* "UPLD" */
#define CATCHUP_STEP  (1u << 20)  /* bytes hashed per turn of the loop after a restart */

/* An upload being written: its file and the SHA-256 of its first HASHED bytes. */
struct open_upload {
	char id[UPLOAD_ID_LEN + 1];
	int fd;
	EVP_MD_CTX *md;
	uint64_t hashed;
	struct event *catchup; /* hashing what a previous run of the origin received */
	struct uploads *u;
	struct open_upload *next;
};

struct uploads {
	uint32_t magic;
	struct store *st; /* not owned */
	struct event_base *base;
	char dir[PATH_MAX];
	uint64_t max_size;
	struct open_upload *open;
};

bool upload_id_valid(const char *s, size_t len)
{
	if (len != UPLOAD_ID_LEN || s[0] != 'u' || s[1] != 'p')
		return false;
	for (size_t i = 2; i < len; i++)
		if (hex_digit((unsigned char)s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return false;
	return true;
}

bool upload_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > UPLOAD_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
			return false;
	return true;
}

static void file_path(const struct uploads *u, const char *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", u->dir, id);
}

/* ---- open uploads ---- */

static struct open_upload *find_open(struct uploads *u, const char *id)
{
	for (struct open_upload *o = u->open; o; o = o->next)
		if (strcmp(o->id, id) == 0)
			return o;
	return NULL;
}

static void close_open(struct uploads *u, const char *id)
{
	for (struct open_upload **pp = &u->open; *pp; pp = &(*pp)->next) {
		struct open_upload *o = *pp;

		if (strcmp(o->id, id) != 0)
			continue;
		*pp = o->next;
		if (o->catchup)
			event_free(o->catchup);
		EVP_MD_CTX_free(o->md);
		close(o->fd);
		free(o);
		return;
	}
}

/* Hash up to MAX more of O's bytes already on disk: 0 (none left, or some hashed), or -errno. */
static int hash_some(struct open_upload *o, uint64_t max)
{
	static char buf[65536];
	struct stat st;

	if (fstat(o->fd, &st) != 0)
		return -errno;
	while (o->hashed < (uint64_t)st.st_size && max > 0) {
		size_t want = sizeof(buf) < max ? sizeof(buf) : (size_t)max;
		ssize_t n = pread(o->fd, buf, want, (off_t)o->hashed);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if (EVP_DigestUpdate(o->md, buf, (size_t)n) != 1)
			return -ENOMEM;
		o->hashed += (uint64_t)n;
		max -= (uint64_t)n;
	}
	return 0;
}

static void on_catchup(evutil_socket_t fd, short what, void *arg)
{
	struct open_upload *o = arg;
	struct stat st;

	if (hash_some(o, CATCHUP_STEP) != 0 || fstat(o->fd, &st) != 0 ||
	    o->hashed >= (uint64_t)st.st_size)
		return; /* done (or failed: uploads_append hashes the rest itself) */
	event_active(o->catchup, EV_TIMEOUT, 0);
}

/* Upload ID's file opened for writing, with its digest so far (catching up in the background). */
static int open_upload(struct uploads *u, const char *id, struct open_upload **out)
{
	char path[PATH_MAX + 32];
	struct open_upload *o;

	if ((*out = find_open(u, id)))
		return 0;
	if (!(o = calloc(1, sizeof(*o))))
		return -ENOMEM;
	file_path(u, id, path, sizeof(path));
	snprintf(o->id, sizeof(o->id), "%s", id);
	o->u = u;
	if ((o->fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		int rc = errno == ENOENT ? -ENOENT : -errno;

		free(o);
		return rc;
	}
	if (!(o->md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1 ||
	    !(o->catchup = event_new(u->base, -1, 0, on_catchup, o))) {
		EVP_MD_CTX_free(o->md);
		close(o->fd);
		free(o);
		return -ENOMEM;
	}
	o->next = u->open;
	u->open = o;
	event_active(o->catchup, EV_TIMEOUT, 0);
	*out = o;
	return 0;
}

/* ---- records ---- */

static int get_record(struct store_txn *t, const char *id, json_t **out)
{
	return records_get(t, ORIGIN_DB_UPLOADS, id, strlen(id), out);
}

/* The file's size: the upload's offset. */
static uint64_t offset_of(const struct uploads *u, const char *id)
{
	char path[PATH_MAX + 32];
	struct stat st;

	file_path(u, id, path, sizeof(path));
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* REC (borrowed) as the API shows it: a copy with its "offset". */
static json_t *view(const struct uploads *u, json_t *rec)
{
	json_t *v = json_deep_copy(rec);
	const char *id = json_string_value(json_object_get(rec, "id"));

	if (v && id &&
	    json_object_set_new(v, "offset", json_integer((json_int_t)offset_of(u, id))) != 0) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* Read upload ID in a transaction of its own. */
static int read_record(struct uploads *u, const char *id, json_t **out)
{
	struct store_txn *t;
	int rc = store_begin(u->st, false, &t);

	*out = NULL;
	if (rc != 0)
		return rc;
	rc = get_record(t, id, out);
	store_abort(t);
	return rc;
}

static int set_complete(struct uploads *u, const char *id)
{
	struct store_txn *t;
	json_t *rec;
	int rc = store_begin(u->st, true, &t);

	if (rc != 0)
		return rc;
	if ((rc = get_record(t, id, &rec)) == 0) {
		json_object_set_new(rec, "complete", json_true());
		rc = records_put(t, ORIGIN_DB_UPLOADS, id, strlen(id), rec, false);
	}
	return store_finish(t, rc);
}

/* ---- the service ---- */

int uploads_create(struct uploads *u, const char *name, uint64_t size, const char *sha256,
		   int64_t now, json_t **out, struct origin_reason *why)
{
	char id[UPLOAD_ID_LEN + 2], path[PATH_MAX + 32], digest[65];
	struct store_txn *t;
	json_t *rec;
	int rc, fd;

	*out = NULL;
	if (!upload_name_valid(name))
		return reason_set(why, -EINVAL, NULL,
				  "name is the file's name: 1..255 bytes, no '/' or control "
				  "characters");
	if (size == 0)
		return reason_set(why, -EINVAL, NULL, "size must be a whole number of bytes, > 0");
	if (size > u->max_size)
		return reason_printf(why, -EFBIG, NULL,
				     "the file is larger than the limit, %llu bytes",
				     (unsigned long long)u->max_size);
	if (strlen(sha256) != 64 || hex_decode(sha256, 64, (uint8_t[32]){0}, 32) != 0)
		return reason_set(why, -EINVAL, NULL, "sha256 must be 64 hex digits");
	for (int i = 0; i < 65; i++)
		digest[i] = (char)tolower((unsigned char)sha256[i]);
	if ((rc = jf_random_id('p', 12, id + 1)) != 0)
		return rc;
	id[0] = 'u';
	file_path(u, id, path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -errno;
	close(fd);
	rec = json_pack("{s:s, s:s, s:I, s:s, s:b, s:o}", "id", id, "name", name, "size",
			(json_int_t)size, "sha256", digest, "complete", false, "created",
			jf_time(now));
	if ((rc = store_begin(u->st, true, &t)) == 0)
		rc = store_finish(
		    t, records_put(t, ORIGIN_DB_UPLOADS, id, strlen(id), json_incref(rec), true));
	if (rc == 0 && !(*out = view(u, rec)))
		rc = -ENOMEM;
	if (rc != 0)
		unlink(path);
	json_decref(rec);
	return rc;
}

int uploads_get(struct uploads *u, const char *id, json_t **out)
{
	json_t *rec;
	int rc = read_record(u, id, &rec);

	*out = NULL;
	if (rc == 0 && !(*out = view(u, rec)))
		rc = -ENOMEM;
	json_decref(rec);
	return rc;
}

struct list_ctx {
	const struct uploads *u;
	const char *sha256;
	json_t *arr;
};

static int list_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct list_ctx *c = arg;
	json_t *sha = json_object_get(rec, "sha256"), *v;

	if (!rec)
		return -EIO;
	if (c->sha256 && (!json_is_string(sha) || strcasecmp(json_string_value(sha), c->sha256)))
		return 0;
	if (!(v = view(c->u, rec)))
		return -ENOMEM;
	return json_array_append_new(c->arr, v) == 0 ? 0 : -ENOMEM;
}

static int by_created(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "created"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "created"));

	return strcmp(x ? x : "", y ? y : "");
}

/* The array ARR sorted by "created" (a new array; ARR is consumed). */
static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(arr, i);
	if (v)
		qsort(v, n, sizeof(*v), by_created);
	for (size_t i = 0; v && out && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	if (!v) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int uploads_list(struct uploads *u, const char *sha256, json_t **out)
{
	struct list_ctx c = {u, sha256, json_array()};
	struct store_txn *t;
	int rc;

	*out = NULL;
	if (!c.arr)
		return -ENOMEM;
	if ((rc = store_begin(u->st, false, &t)) == 0) {
		rc = records_scan(t, ORIGIN_DB_UPLOADS, NULL, 0, list_one, &c);
		store_abort(t);
	}
	if (rc != 0) {
		json_decref(c.arr);
		return rc;
	}
	*out = json_pack("{s:o}", "uploads", sorted(c.arr));
	return *out ? 0 : -ENOMEM;
}

/* Compare O's digest, now over all of its bytes, with SHA256: 0 or -EBADMSG. */
static int digest_check(struct open_upload *o, const char *sha256)
{
	uint8_t md[32];
	unsigned int n = sizeof(md);
	char hex[65];

	if (EVP_DigestFinal_ex(o->md, md, &n) != 1)
		return -ENOMEM;
	hex_encode(md, sizeof(md), hex);
	return strcmp(hex, sha256) == 0 ? 0 : -EBADMSG;
}

/* The last byte of O (declared SHA256) is in: complete it, or empty it on a mismatch. */
static int finish(struct uploads *u, struct open_upload *o, const char *sha256,
		  uint64_t *offset_now)
{
	char id[UPLOAD_ID_LEN + 1];
	int rc;

	if ((rc = hash_some(o, UINT64_MAX)) != 0)
		return rc;
	snprintf(id, sizeof(id), "%s", o->id);
	if ((rc = digest_check(o, sha256)) == -EBADMSG) {
		*offset_now = 0;
		if (ftruncate(o->fd, 0) != 0)
			rc = -errno;
		close_open(u, id);
		return rc;
	}
	if (rc == 0 && fsync(o->fd) != 0)
		rc = -errno;
	close_open(u, id);
	return rc == 0 ? set_complete(u, id) : rc;
}

int uploads_append(struct uploads *u, const char *id, uint64_t offset, const void *data, size_t len,
		   uint64_t *offset_now)
{
	struct open_upload *o;
	json_t *rec;
	struct stat st;
	uint64_t size;
	int rc = read_record(u, id, &rec);

	*offset_now = 0;
	if (rc != 0)
		return rc;
	size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
	if (json_is_true(json_object_get(rec, "complete"))) {
		*offset_now = size;
		rc = -EALREADY;
		goto out;
	}
	if ((rc = open_upload(u, id, &o)) != 0)
		goto out;
	if (fstat(o->fd, &st) != 0) {
		rc = -errno;
		goto out;
	}
	*offset_now = (uint64_t)st.st_size;
	if (offset != *offset_now) {
		rc = -ESPIPE;
		goto out;
	}
	if (len > size - offset) {
		rc = -EFBIG;
		goto out;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n =
		    pwrite(o->fd, (const char *)data + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			if (ftruncate(o->fd, (off_t)offset) != 0) /* keep the offset where it was */
				rc = -EIO;
			goto out;
		}
		done += (size_t)n;
	}
	/* in order and caught up: hash from memory; else the catch-up reads the file */
	if (o->hashed == offset && EVP_DigestUpdate(o->md, data, len) == 1)
		o->hashed += len;
	*offset_now = offset + len;
	if (*offset_now == size)
		rc = finish(u, o, json_string_value(json_object_get(rec, "sha256")), offset_now);
out:
	json_decref(rec);
	return rc;
}

int uploads_source(struct uploads *u, const char *id, char *path, size_t cap, char *name)
{
	json_t *rec;
	int rc = read_record(u, id, &rec);

	if (rc != 0)
		return rc;
	if (!json_is_true(json_object_get(rec, "complete")))
		rc = -EINPROGRESS;
	else if (jf_str(rec, "name", name, UPLOAD_NAME_MAX + 1) != 0)
		rc = -EIO;
	else
		file_path(u, id, path, cap);
	json_decref(rec);
	return rc;
}

int uploads_remove(struct uploads *u, const char *id)
{
	char path[PATH_MAX + 32];
	struct store_txn *t;
	int rc = store_begin(u->st, true, &t);

	if (rc != 0)
		return rc;
	if ((rc = store_finish(t, store_del(t, ORIGIN_DB_UPLOADS, id, strlen(id)))) != 0)
		return rc;
	close_open(u, id);
	file_path(u, id, path, sizeof(path));
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* At the start: begin hashing, in the background, what incomplete uploads hold already. */
static int resume_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct uploads *u = arg;
	const char *id = json_string_value(json_object_get(rec, "id"));
	struct open_upload *o;

	if (!id || json_is_true(json_object_get(rec, "complete")) || offset_of(u, id) == 0)
		return 0;
	return open_upload(u, id, &o) == -ENOMEM ? -ENOMEM : 0;
}

struct uploads *uploads_new(struct store *st, struct event_base *base, const char *dir,
			    uint64_t max_size, char *err, size_t errlen)
{
	struct uploads *u = calloc(1, sizeof(*u));
	struct store_txn *t;
	int rc;

	if (!u) {
		snprintf(err, errlen, "uploads: out of memory");
		return NULL;
	}
	u->magic = UPLOADS_MAGIC;
	u->st = st;
	u->base = base;
	u->max_size = max_size;
	snprintf(u->dir, sizeof(u->dir), "%s", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "upload folder %s: %s", dir, strerror(errno));
		free(u);
		return NULL;
	}
	if ((rc = store_begin(st, false, &t)) == 0) {
		rc = records_scan(t, ORIGIN_DB_UPLOADS, NULL, 0, resume_one, u);
		store_abort(t);
	}
	if (rc != 0) {
		snprintf(err, errlen, "uploads: %s", strerror(-rc));
		uploads_free(u);
		return NULL;
	}
	return u;
}

void uploads_free(struct uploads *u)
{
	if (!u)
		return;
	while (u->open)
		close_open(u, u->open->id);
	u->magic = 0;
	free(u);
}
