/*
 * Uploads: source files sent to the origin for transcode jobs, in pieces
 * (docs/origin.md, "Jobs"): an upload is created with the file's name, size
 * and SHA-256, then bytes are appended at its offset, so a client whose
 * connection broke asks for the offset and goes on from there.  Each upload
 * is a file in the upload folder (its offset is the file's size) and a
 * record in the uploads table (tables.h).  The SHA-256 is computed as the
 * bytes arrive and compared with the declared one when the last byte is in;
 * only then is the upload complete.  A mismatch empties it.
 *
 * The bytes are written as they come (a body is never gathered by this
 * service); hashing after an origin restart catches up on the loop in
 * pieces of 1 MiB, never all at once.
 *
 * Ownership: every output (OUT, PATH and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_JOBS_UPLOADS_H
#define ORIGIN_JOBS_UPLOADS_H

#include <event2/event.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"

struct store;

#define UPLOAD_ID_LEN	26  /* "up" and 24 hex digits */
#define UPLOAD_NAME_MAX 255 /* bytes of a file name */

struct uploads;

/* Is S[0..LEN) an upload id? */
bool upload_id_valid(const char *s, size_t len);

/* Is S (NUL-terminated) a file name an upload may carry: 1..255 bytes, no '/', no control bytes? */
bool upload_name_valid(const char *s);

/*
 * The uploads service over ST (not owned; it must outlive the service),
 * keeping files in DIR (created 0700 if missing), each at most MAX_SIZE
 * bytes, on BASE (the hashing catch-up).  NULL with "why" in ERR.  Free
 * with uploads_free().
 */
struct uploads *uploads_new(struct store *st, struct event_base *base, const char *dir,
			    uint64_t max_size, char *err, size_t errlen);

/* Free U (its files stay).  NULL is a no-op. */
void uploads_free(struct uploads *u);

/*
 * A new, empty upload for a file NAME of SIZE bytes whose SHA-256 is SHA256
 * (64 hex digits, either case) at NOW.  Returns 0 with *OUT the upload (a
 * new reference: {"id", "name", "size", "sha256", "offset", "complete",
 * "created"}), or -EINVAL (a bad name, size or digest: the rule in *WHY),
 * -EFBIG (larger than the limit: *WHY says it), or a negative errno.
 */
int uploads_create(struct uploads *u, const char *name, uint64_t size, const char *sha256,
		   int64_t now, json_t **out, struct origin_reason *why);

/* Upload ID as above into *OUT (a new reference): 0, -ENOENT, or a negative errno. */
int uploads_get(struct uploads *u, const char *id, json_t **out);

/*
 * The uploads whose SHA-256 is SHA256 (NULL: every one), oldest first, as a
 * new {"uploads": [...]} in *OUT: 0 or a negative errno.
 */
int uploads_list(struct uploads *u, const char *sha256, json_t **out);

/*
 * Append DATA[0..LEN) to upload ID at OFFSET, which must be its offset now.
 * Returns 0 with *OFFSET_NOW the new offset (when it reaches the size, the
 * digest matched and the upload is complete), or: -ENOENT; -EALREADY (it is
 * complete); -ESPIPE (OFFSET is not its offset: *OFFSET_NOW is); -EFBIG (the
 * bytes would pass its size); -EBADMSG (the last byte came but the SHA-256
 * differs from the declared one: the upload is emptied, *OFFSET_NOW 0); or
 * another negative errno (-ENOSPC: the disk is full).
 */
int uploads_append(struct uploads *u, const char *id, uint64_t offset, const void *data, size_t len,
		   uint64_t *offset_now);

/*
 * The file of complete upload ID into PATH (CAP bytes) and its name into
 * NAME (UPLOAD_NAME_MAX + 1 bytes): 0, -ENOENT, -EINPROGRESS (bytes are
 * missing), or a negative errno.
 */
int uploads_source(struct uploads *u, const char *id, char *path, size_t cap, char *name);

/* Delete upload ID and its file: 0, -ENOENT, or a negative errno. */
int uploads_remove(struct uploads *u, const char *id);

#endif
