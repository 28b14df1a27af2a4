/*
 * The file list of a package's manifest.json (docs/transcoder.md), the unit
 * of distribution: the fill protocol, the edge's integrity check and the
 * origin's fill scheduler read it.  Only what they need is kept:
 *
 *   {"title": ..., ..., "files": [{"path": "360p/seg_00001.m4s",
 *     "size": 123456, "sha256": "<64 hex digits>", ...}, ...]}
 *
 * A title's version is the first 16 hex digits of the SHA-256 of the
 * manifest's bytes (stream tokens carry it as "ver").
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_MANIFEST_H
#define REEL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define MANIFEST_NAME	     "manifest.json"
#define MANIFEST_MAX_SIZE    (16 << 20) /* bytes of manifest.json read at most */
#define MANIFEST_MAX_FILES   100000
#define MANIFEST_PATH_MAX    255
#define MANIFEST_TITLE_MAX   64
#define MANIFEST_VERSION_LEN 16

struct manifest_file {
	const char *path; /* relative to the title's folder */
	uint64_t size;
	uint8_t sha256[32];
};

struct manifest {
	struct manifest_file *files; /* sorted by path, no duplicates */
	size_t n;
	uint64_t total_size;			/* the sum of the sizes */
	char version[MANIFEST_VERSION_LEN + 1]; /* of the text parsed */
};

/*
 * Parse manifest.json TEXT (LEN bytes) into *OUT (free with manifest_free).
 * Every file needs a path (segments of [A-Za-z0-9._-], none empty or
 * starting with a dot, at most MANIFEST_PATH_MAX bytes, not manifest.json
 * itself), a size (an integer, 0 or more) and a sha256 (64 hex digits);
 * other members are ignored.  Returns 0, or -EINVAL with the problem in ERR
 * (not JSON, no files array, a bad entry named by its index, a path listed
 * twice, more than MANIFEST_MAX_FILES files, longer than MANIFEST_MAX_SIZE),
 * or -ENOMEM.  *OUT is the caller's, freed with manifest_free(); TEXT is
 * only read during the call.
 */
int manifest_parse(const char *text, size_t len, struct manifest **out, char *err, size_t errlen);

/* Free M; NULL does nothing. */
void manifest_free(struct manifest *m);

/* The entry of M for PATH, or NULL; it points into M and lives as long as M. */
const struct manifest_file *manifest_find(const struct manifest *m, const char *path);

/* The version of the manifest bytes TEXT (LEN bytes) into OUT. */
void manifest_version(const char *text, size_t len, char out[MANIFEST_VERSION_LEN + 1]);

/*
 * Is PATH (LEN bytes) a path a package may hold: segments of
 * [A-Za-z0-9._-] separated by single slashes, none empty or starting with a
 * dot, at most MANIFEST_PATH_MAX bytes?
 */
int manifest_path_ok(const char *path, size_t len);

/* Is TITLE (LEN bytes) a title id: one such segment of at most MANIFEST_TITLE_MAX bytes? */
int manifest_title_ok(const char *title, size_t len);

#endif
