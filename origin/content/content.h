/*
 * The content store as the origin's content endpoint serves it
 * (docs/content.md): the packages under [jobs] content_dir, each file
 * opened beneath that folder (no path leaves it, hidden files and folders
 * are never served) and described as common/http_file.h answers it: its
 * type, a strong ETag, Last-Modified, Cache-Control; a master playlist cut
 * to the height a player's stream token allows.  Library code: no logging.
 *
 * Ownership: every output (OUT and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_CONTENT_H
#define ORIGIN_CONTENT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "content_type.h"

#define CONTENT_MASTER_MAX (1u << 20) /* bytes of a master playlist the endpoint cuts */

/* An open file of a package, as one answer sends it. */
struct content_file {
	uint32_t magic;
	int fd;
	uint64_t size;
	time_t mtime;
	const char *type; /* static */
	enum content_kind kind;
	char etag[64];	 /* with its quotes */
	struct buf hdr;	 /* Content-Type, ETag, Last-Modified, Cache-Control, Accept-Ranges */
	struct buf body; /* a cut master playlist (content_cut_master), else empty */
};

struct content;

/*
 * The store at the folder DIR (copied; it need not exist yet: it is opened
 * at the first request that finds it).  Returns it (free it with
 * content_free()), or NULL on ENOMEM.
 */
struct content *content_new(const char *dir);

/* Free C; files still being sent stay open until content_file_free().  NULL: no-op. */
void content_free(struct content *c);

/*
 * Open the file REL ("<title>/<path>", decoded and checked by
 * http_path_decode) of the store: 0 with *OUT (the caller's: free it with
 * content_file_free()), -ENOENT (no such regular file, no title and path,
 * a path that would leave the folder, or no folder yet), -EACCES, -EMFILE
 * (out of descriptors), -ENOMEM, -EIO.
 */
int content_open(struct content *c, const char *rel, struct content_file **out);

/*
 * Cut the master playlist F to the variants of at most MAX_HEIGHT
 * (common/master_filter.h): 0 when nothing is cut (serve F as it is), a
 * positive count with the cut playlist in F's body, ETag and header lines
 * ("<etag>-h<height>"), -ENOENT when no variant is left, -EINVAL when F is
 * no master playlist (serve it as it is), -EFBIG (larger than
 * CONTENT_MASTER_MAX), -EIO, -ENOMEM.
 */
int content_cut_master(struct content_file *f, unsigned max_height);

/* Close and free F (a void * for httpd_hold()).  NULL: no-op. */
void content_file_free(void *f);

#endif
