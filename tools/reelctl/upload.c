/* A source file sent to the origin in pieces at their offset, resumed after a broken connection. */
#include "upload.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "hex.h"
#include "progress.h"
#include "views.h"

#define UPLOADS	     "/admin/v1/uploads"
#define READ_PIECE   (1u << 20)	 /* bytes read at once for the digest */
#define CHUNK_MAX    (64u << 20) /* the largest piece sent, whatever the origin allows */
#define TRIES	     8		 /* tries in a row without progress */
#define FIRST_DELAY  0.25	 /* seconds before the first retry, doubling to */
#define LAST_DELAY   8.0
#define OCTET_STREAM "application/offset+octet-stream"

/* FILE, open for reading, and its size; 0 or the exit status. */
static int open_source(const char *file, int *fd, uint64_t *size)
{
	struct stat st;

	if ((*fd = open(file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(*fd, &st) != 0) {
		int e = errno;

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return ctl_error(e == ENOENT ? CTL_NOT_FOUND : CTL_FAILED, "%s: %s", file,
				 strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return ctl_error(CTL_USAGE, "%s: not a file", file);
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static struct ctl_progress *bar_start(struct ctl_progress *p, const char *label, uint64_t total)
{
	ctl_progress_start(p, stderr, isatty(2), ctl_progress_columns(2), label, total, true, 0.5,
			   ctl_progress_now());
	return p;
}

/* The SHA-256 of the SIZE bytes of FD as 64 hex digits into HEX; 0 or the exit status. */
static int digest(const char *file, int fd, uint64_t size, char *hex)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *piece = malloc(READ_PIECE), out[32];
	struct ctl_progress bar;
	uint64_t at = 0;
	int status = 0;

	if (!md || !piece || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		status = ctl_error(CTL_FAILED, "%s: cannot compute its SHA-256", file);
		goto out;
	}
	bar_start(&bar, "sha256", size);
	while (at < size) {
		ssize_t n = pread(fd, piece, READ_PIECE, (off_t)at);

		if (n <= 0) {
			status = ctl_error(CTL_FAILED, "%s: %s", file,
					   n < 0 ? strerror(errno) : "shorter than its size");
			break;
		}
		EVP_DigestUpdate(md, piece, (size_t)n);
		at += (uint64_t)n;
		ctl_progress_set(&bar, at, ctl_progress_now());
	}
	ctl_progress_end(&bar, status == 0, ctl_progress_now());
	if (status == 0 && EVP_DigestFinal_ex(md, out, NULL) == 1)
		hex_encode(out, sizeof(out), hex);
	else if (status == 0)
		status = ctl_error(CTL_FAILED, "%s: cannot compute its SHA-256", file);
out:
	EVP_MD_CTX_free(md);
	free(piece);
	return status;
}

static uint64_t member_u64(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

/* An upload of SIZE bytes among those listed in ALL, complete ones first, or NULL (borrowed). */
static json_t *same_file(json_t *all, uint64_t size)
{
	json_t *u, *best = NULL;
	size_t i;

	json_array_foreach(json_object_get(all, "uploads"), i, u)
	{
		if (member_u64(u, "size") != size || !ctl_json_str(u, "id"))
			continue;
		if (json_is_true(json_object_get(u, "complete")))
			return u;
		if (!best || member_u64(u, "offset") > member_u64(best, "offset"))
			best = u;
	}
	return best;
}

/*
 * The upload to send FILE (NAME, SIZE bytes, digest HEX) to: an earlier one
 * of the same file, else a new one, into *UP (a new reference).
 */
static int find_or_create(struct ctl *c, const char *obj, const char *name, uint64_t size,
			  const char *hex, json_t **up)
{
	char path[128];
	json_t *all, *in;
	int status;

	snprintf(path, sizeof(path), UPLOADS "?sha256=%s", hex);
	if ((status = ctl_call(c, obj, "GET", path, NULL, &all)) != 0)
		return status;
	if ((*up = same_file(all, size)))
		json_incref(*up);
	json_decref(all);
	if (*up)
		return 0;
	if (!(in = json_pack("{s:s, s:I, s:s}", "name", name, "size", (json_int_t)size, "sha256",
			     hex)))
		return ctl_error(CTL_USAGE, "%s: the file name must be UTF-8 text", obj);
	status = ctl_call_json(c, obj, "POST", UPLOADS, in, up, NULL);
	json_decref(in);
	return status;
}

/* One piece of FD (LEN bytes at OFFSET) to upload PATH; see ctl_try for the result. */
static int send_piece(struct ctl *c, const char *path, int fd, uint64_t offset, uint64_t len,
		      struct ctl_progress *bar, struct ctl_reply *r, char *err, size_t errlen)
{
	char header[64];
	struct ctl_body b = {.type = OCTET_STREAM,
			     .fd = fd,
			     .size = len,
			     .progress = bar,
			     .progress_base = offset,
			     .header = header};

	snprintf(header, sizeof(header), "Upload-Offset: %llu", (unsigned long long)offset);
	if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		snprintf(err, errlen, "cannot seek: %s", strerror(errno));
		return -1;
	}
	return ctl_try(c, "PATCH", path, &b, r, err, errlen);
}

/*
 * The bytes of FD (SIZE) from the upload UP's offset on, to UP; 0 or the
 * exit status.  OBJ names the upload in errors.
 */
static int send_all(struct ctl *c, const char *obj, int fd, uint64_t size, const json_t *up)
{
	uint64_t offset = member_u64(up, "offset"), chunk = member_u64(up, "chunk_size");
	struct ctl_progress bar;
	double delay = FIRST_DELAY;
	char path[128], err[1024];
	int tries = 0, status = 0;

	snprintf(path, sizeof(path), UPLOADS "/%s", ctl_json_str(up, "id"));
	if (!chunk || chunk > CHUNK_MAX)
		chunk = CHUNK_MAX;
	bar_start(&bar, "upload", size);
	if (offset > 0) {
		char d[32];

		fprintf(stderr, "upload: going on from %s of an earlier try\n",
			ctl_fmt_size(offset, d, sizeof(d)));
		ctl_progress_resume(&bar, offset);
	}
	while (status == 0 && offset < size) {
		uint64_t len = size - offset < chunk ? size - offset : chunk;
		struct ctl_reply r;
		int rc = send_piece(c, path, fd, offset, len, &bar, &r, err, sizeof(err));

		if (rc > 0) {
			status = rc;
			break;
		}
		if (rc < 0) { /* no answer: wait, then ask the origin how far it got */
			if (++tries >= TRIES) {
				status = ctl_error(CTL_FAILED,
						   "%s: %s; gave up after %d tries (run the same "
						   "command again to go on from where it stopped)",
						   obj, err, tries);
				break;
			}
			ctl_progress_sleep(delay);
			delay = delay * 2 < LAST_DELAY ? delay * 2 : LAST_DELAY;
			if (ctl_try(c, "GET", path, NULL, &r, err, sizeof(err)) != 0)
				continue;
		}
		if (r.status == 200 ||
		    (r.status == 409 && strcmp(r.error, "offset_mismatch") == 0 &&
		     json_is_integer(json_object_get(r.json, "offset")))) {
			uint64_t now_at = member_u64(r.json, "offset");

			if (now_at > offset)
				tries = 0, delay = FIRST_DELAY;
			else if (++tries >= TRIES)
				status = ctl_error(CTL_FAILED,
						   "%s: the origin takes no more bytes at %llu",
						   obj, (unsigned long long)offset);
			offset = now_at;
		} else {
			status = ctl_fail(c, obj, &r);
		}
		ctl_reply_free(&r);
	}
	ctl_progress_end(&bar, status == 0, ctl_progress_now());
	return status;
}

int ctl_upload_file(struct ctl *c, const char *file, char *id)
{
	const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char hex[65], obj[CTL_UPLOAD_ID_MAX + 300];
	json_t *up = NULL;
	uint64_t size = 0;
	int fd, status;

	if ((status = open_source(file, &fd, &size)) != 0)
		return status;
	ctl_obj(obj, sizeof(obj), "upload of", file);
	if ((status = digest(file, fd, size, hex)) != 0 ||
	    (status = find_or_create(c, obj, name, size, hex, &up)) != 0)
		goto out;
	if (!ctl_json_str(up, "id") || strlen(ctl_json_str(up, "id")) >= CTL_UPLOAD_ID_MAX) {
		status = ctl_error(CTL_FAILED, "%s: the origin named no upload", obj);
		goto out;
	}
	snprintf(id, CTL_UPLOAD_ID_MAX, "%s", ctl_json_str(up, "id"));
	if (!json_is_true(json_object_get(up, "complete")))
		status = send_all(c, obj, fd, size, up);
out:
	json_decref(up);
	close(fd);
	return status;
}
