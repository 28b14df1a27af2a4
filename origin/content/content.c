/* Package files for the content endpoint (content.h). */
#include "content/content.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_date.h"
#include "master_filter.h"
#include "open_beneath.h"

#define CONTENT_MAGIC	   0x436e7473U /* "Cnts" */
#define CONTENT_FILE_MAGIC 0x43466c65U /* "CFle" */

struct content {
	uint32_t magic;
	int rootfd; /* the folder, -1 until it exists */
	bool atime_kept;
	char dir[PATH_MAX];
};

/* Cache-Control by kind: a package's files never change, its playlists' paths may get a new
 * version. */
static const char *const cache_control[] = {
    [CONTENT_KIND_PLAYLIST] = "public, max-age=60",
    [CONTENT_KIND_SEGMENT] = "public, max-age=31536000, immutable",
    [CONTENT_KIND_OTHER] = "public, max-age=60",
};

struct content *content_new(const char *dir)
{
	struct content *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->magic = CONTENT_MAGIC;
	c->rootfd = -1;
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	return c;
}

void content_free(struct content *c)
{
	if (!c)
		return;
	if (c->magic != CONTENT_MAGIC)
		abort();
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->magic = 0;
	free(c);
}

/* The folder's descriptor, opened once it exists: 0 or -ENOENT. */
static int root_of(struct content *c)
{
	if (c->rootfd < 0)
		c->rootfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return c->rootfd >= 0 ? 0 : -ENOENT;
}

/* F's header lines, with its ETag. */
static int describe(struct content_file *f)
{
	char date[HTTP_DATE_LEN + 1];

	http_date_format(f->mtime, date);
	f->hdr.len = 0;
	return buf_printf(&f->hdr,
			  "Content-Type: %s\r\nETag: %s\r\nLast-Modified: %s\r\n"
			  "Cache-Control: %s\r\nAccept-Ranges: bytes\r\n",
			  f->type, f->etag, date, cache_control[f->kind]) == 0
		   ? 0
		   : -ENOMEM;
}

int content_open(struct content *c, const char *rel, struct content_file **out)
{
	struct content_file *f;
	struct stat st;
	bool compressible;
	int fd, rc;

	if (c->magic != CONTENT_MAGIC)
		abort();
	if (!strchr(rel, '/'))
		return -ENOENT; /* a title's folder is no file */
	if ((rc = root_of(c)) != 0)
		return rc;
	if ((fd = open_beneath(c->rootfd, rel, &c->atime_kept)) < 0)
		return fd;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	if (!(f = calloc(1, sizeof(*f)))) {
		close(fd);
		return -ENOMEM;
	}
	*f = (struct content_file){.magic = CONTENT_FILE_MAGIC,
				   .fd = fd,
				   .size = (uint64_t)st.st_size,
				   .mtime = st.st_mtime};
	f->type = content_type_of(rel, &f->kind, &compressible);
	snprintf(f->etag, sizeof(f->etag), "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
		 (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
		     (unsigned long long)st.st_mtim.tv_nsec);
	if ((rc = describe(f)) != 0) {
		content_file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* All of F's bytes into INTO: 0, -EFBIG, -EIO, -ENOMEM. */
static int read_whole(struct content_file *f, struct buf *into)
{
	size_t got = 0;

	if (f->size > CONTENT_MASTER_MAX)
		return -EFBIG;
	if (buf_reserve(into, (size_t)f->size + 1) != 0)
		return -ENOMEM;
	while (got < f->size) {
		ssize_t n = pread(f->fd, into->p + got, (size_t)f->size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO; /* shorter than its size: changed meanwhile */
		got += (size_t)n;
	}
	into->len = got;
	return 0;
}

int content_cut_master(struct content_file *f, unsigned max_height)
{
	struct buf src = {0};
	int rc = read_whole(f, &src), removed = 0;

	if (rc == 0)
		rc = removed = master_filter(src.p, src.len, max_height, &f->body);
	buf_free(&src);
	if (rc <= 0) {
		buf_free(&f->body); /* F is served as it is, or not at all */
		return rc;
	}
	snprintf(f->etag + strlen(f->etag) - 1, sizeof(f->etag) - strlen(f->etag) + 1, "-h%u\"",
		 max_height);
	return (rc = describe(f)) == 0 ? removed : rc;
}

void content_file_free(void *arg)
{
	struct content_file *f = arg;

	if (!f)
		return;
	if (f->magic != CONTENT_FILE_MAGIC)
		abort();
	close(f->fd);
	buf_free(&f->hdr);
	buf_free(&f->body);
	f->magic = 0;
	free(f);
}
