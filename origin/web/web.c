/*
 * The web player's files on the user listeners.  For a file of the set it
 * answers, in order:
 *
 *   HTTP/1.1 200 OK | 206 Partial Content | 304 Not Modified | 412 | 416
 *   Server, Date                                    (httpd core)
 *   Content-Type, ETag, Last-Modified, Cache-Control: no-cache,
 *   Accept-Ranges: bytes | Content-Encoding: gzip,
 *   Vary: Accept-Encoding (types with a gzip form),
 *   Content-Security-Policy, X-Content-Type-Options, Referrer-Policy,
 *   X-Frame-Options, Cross-Origin-Opener-Policy,
 *   Cross-Origin-Resource-Policy, Permissions-Policy (prebuilt per file)
 *   Content-Range                                   (206, 416)
 *   Content-Length, Connection                      (httpd core)
 *
 * The identity body goes out from the file's descriptor (sendfile); the
 * gzip form, made once at load, from memory.  One range at most: a request
 * for several gets the whole file.  A set of files is counted by the
 * answers that send it, so a reload never closes a descriptor in use.
 */
#include "array.h"
#include "web/web.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "http_date.h"
#include "http_file.h"
#include "http_path.h"
#include "origin_config.h"

#define WEB_MAGIC     0x57656221U /* "Web!" */
#define WEB_SET_MAGIC 0x57536574U /* "WSet" */
#define ETAG_HEX      32	  /* hex digits of the SHA-256 an ETag carries */

struct web_file {
	char path[WEB_PATH_MAX]; /* below the root: "index.html", "vendor/hls.mjs" */
	int fd;
	uint64_t size;
	time_t mtime;
	char etag[ETAG_HEX + 3], gz_etag[ETAG_HEX + 6]; /* with their quotes */
	uint8_t *gz;					/* the gzip form, or NULL */
	size_t gz_len;
	struct buf hdr, gz_hdr; /* the header lines of each form */
};

/* One reading of the root; freed when W and every answer sending it let go. */
struct web_set {
	uint32_t magic;
	unsigned refs;
	struct web_file *files; /* sorted by path */
	size_t n, cap;
};

struct web {
	uint32_t magic;
	char root[4096];
	char *headers; /* the security header lines every file carries */
	struct web_set *set;
};

static const struct {
	const char *ext, *type;
	bool gzip;
} types[] = {
    {"html", "text/html; charset=utf-8", true},
    {"js", "text/javascript; charset=utf-8", true},
    {"mjs", "text/javascript; charset=utf-8", true},
    {"css", "text/css; charset=utf-8", true},
    {"svg", "image/svg+xml", true},
    {"json", "application/json", true},
    {"webmanifest", "application/manifest+json", true},
    {"txt", "text/plain; charset=utf-8", true},
    {"png", "image/png", false},
    {"ico", "image/vnd.microsoft.icon", false},
    {"woff2", "font/woff2", false},
};

/* The type of NAME by its extension, or -1. */
static int type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return (int)i;
	return -1;
}

int web_csp(const struct web_params *p, char *out, size_t cap)
{
	char edge[WEB_CSP_MAX];
	int n = origin_url_origin(p->edge_url, edge, sizeof(edge));

	if (n < 0)
		return n == -ENAMETOOLONG ? n : -EINVAL;
	n = snprintf(out, cap,
		     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
		     "connect-src 'self' %s%s%s; media-src 'self' blob: data: %s%s%s; "
		     "worker-src 'self'; "
		     "manifest-src 'self'; form-action 'self'; base-uri 'none'; "
		     "frame-ancestors 'none'",
		     edge, p->edge_origins[0] ? " " : "", p->edge_origins, edge,
		     p->edge_origins[0] ? " " : "", p->edge_origins);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* ---- a set of files --------------------------------------------------------- */

static void file_clear(struct web_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->gz);
	buf_free(&f->hdr);
	buf_free(&f->gz_hdr);
}

static void set_unref(void *arg)
{
	struct web_set *s = arg;

	if (!s)
		return;
	if (s->magic != WEB_SET_MAGIC)
		abort();
	if (--s->refs > 0)
		return;
	for (size_t i = 0; i < s->n; i++)
		file_clear(&s->files[i]);
	free(s->files);
	s->magic = 0;
	free(s);
}

/* What loading a root works with; ERR names the root and the file. */
struct loader {
	const char *root, *headers;
	struct web_set *set;
	char *err;
	size_t errlen;
};

static int fail(struct loader *l, const char *rel, const char *why)
{
	snprintf(l->err, l->errlen, "%s/%s: %s", l->root, rel, why);
	return -1;
}

/* All LEN bytes of FD into a new buffer *OUT (the caller frees it): 0 or -errno. */
static int read_all(int fd, size_t len, uint8_t **out)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t got = 0;

	if (!p)
		return -ENOMEM;
	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)got);

		if (n <= 0) {
			free(p);
			return n < 0 ? -errno : -EIO; /* shorter than its size: changed meanwhile */
		}
		got += (size_t)n;
	}
	*out = p;
	return 0;
}

/* The gzip form of DATA (LEN bytes) into F, when it is smaller: 0 or -ENOMEM. */
static int make_gzip(struct web_file *f, const uint8_t *data, size_t len)
{
	z_stream z = {0};
	uLong cap;
	int rc;

	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, (uLong)len);
	if (!(f->gz = malloc(cap))) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = f->gz;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	f->gz_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || f->gz_len >= len) {
		free(f->gz);
		f->gz = NULL;
		f->gz_len = 0;
	}
	return 0;
}

/* The header lines of F's form GZ (type TYPE) into OUT, ending with the set's HEADERS. */
static int make_head(const struct web_file *f, int type, bool gz, const char *headers,
		     struct buf *out)
{
	char date[HTTP_DATE_LEN + 1];

	http_date_format(f->mtime, date);
	return buf_printf(out,
			  "Content-Type: %s\r\nETag: %s\r\nLast-Modified: %s\r\n"
			  "Cache-Control: no-cache\r\n%s%s%s",
			  types[type].type, gz ? f->gz_etag : f->etag, date,
			  gz ? "Content-Encoding: gzip\r\n" : "Accept-Ranges: bytes\r\n",
			  f->gz ? "Vary: Accept-Encoding\r\n" : "", headers);
}

/* F's validators, gzip form and headers from its bytes DATA. */
static int describe(struct loader *l, struct web_file *f, int type, const uint8_t *data)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen = 0;

	if (!EVP_Digest(data, f->size, md, &mdlen, EVP_sha256(), NULL))
		return fail(l, f->path, "cannot hash it");
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(f->etag, sizeof(f->etag), "\"%.*s\"", ETAG_HEX, hex);
	snprintf(f->gz_etag, sizeof(f->gz_etag), "\"%.*s-gz\"", ETAG_HEX, hex);
	if (types[type].gzip && make_gzip(f, data, f->size) != 0)
		return fail(l, f->path, "out of memory");
	if (make_head(f, type, false, l->headers, &f->hdr) != 0 ||
	    (f->gz && make_head(f, type, true, l->headers, &f->gz_hdr) != 0))
		return fail(l, f->path, "out of memory");
	return 0;
}

/* A new, empty entry at the end of L's set, or NULL. */
static struct web_file *add_file(struct loader *l)
{
	struct web_set *s = l->set;

	if (array_reserve((void **)&s->files, &s->cap, s->n, sizeof(*s->files), 32) != 0)
		return NULL;
	s->files[s->n] = (struct web_file){.fd = -1};
	return &s->files[s->n++];
}

/* The regular file REL (NAME in DIRFD) into the set. */
static int load_file(struct loader *l, int dirfd, const char *name, const char *rel)
{
	int type = type_of(name);
	struct web_file *f;
	struct stat st;
	uint8_t *data = NULL;
	int rc;

	if (type < 0)
		return fail(l, rel, "not a type the web player serves (by its extension)");
	if (l->set->n == WEB_FILES_MAX)
		return fail(l, rel, "more files than the web player serves");
	if (!(f = add_file(l)))
		return fail(l, rel, "out of memory");
	snprintf(f->path, sizeof(f->path), "%s", rel);
	if ((f->fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(f->fd, &st) != 0)
		return fail(l, rel, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(l, rel, "not a regular file");
	if ((uint64_t)st.st_size > WEB_FILE_MAX)
		return fail(l, rel, "larger than the web player serves");
	f->size = (uint64_t)st.st_size;
	f->mtime = st.st_mtime;
	if ((rc = read_all(f->fd, f->size, &data)) != 0)
		return fail(l, rel, strerror(-rc));
	rc = describe(l, f, type, data);
	free(data);
	return rc;
}

static int load_dir(struct loader *l, int dirfd, const char *prefix, int depth);

/* The entry NAME of DIRFD, REL below the root: a folder or a file. */
static int load_entry(struct loader *l, int dirfd, const char *name, const char *rel, int depth)
{
	struct stat st;
	int fd, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return fail(l, rel, strerror(errno));
	if (depth == 0 && (strcmp(name, "api") == 0 || strcmp(name, "healthz") == 0))
		return fail(l, rel, "would hide the API's path of that name");
	if (S_ISREG(st.st_mode))
		return load_file(l, dirfd, name, rel);
	if (!S_ISDIR(st.st_mode))
		return fail(l, rel, "not a regular file or a folder (symbolic links are not followed)");
	if (depth == WEB_DEPTH_MAX)
		return fail(l, rel, "folders nested deeper than the web player reads");
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fail(l, rel, strerror(errno));
	rc = load_dir(l, fd, rel, depth + 1);
	close(fd);
	return rc;
}

/* Every entry of the folder DIRFD (PREFIX below the root, "" for the root). */
static int load_dir(struct loader *l, int dirfd, const char *prefix, int depth)
{
	char rel[WEB_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int fd = dup(dirfd), rc = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail(l, prefix, strerror(errno));
	}
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* ".", "..", and hidden files are never served */
		if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "",
				     e->d_name) >= sizeof(rel))
			rc = fail(l, prefix, "a path below it is too long");
		else
			rc = load_entry(l, dirfd, e->d_name, rel, depth);
	}
	closedir(d);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct web_file *)a)->path, ((const struct web_file *)b)->path);
}

static const struct web_file *lookup(const struct web_set *s, const char *path)
{
	struct web_file key;

	snprintf(key.path, sizeof(key.path), "%s", path);
	return bsearch(&key, s->files, s->n, sizeof(*s->files), by_path);
}

/* A new set from ROOT with the security HEADERS, into *OUT: 0, or -1 with ERR. */
static int set_load(const char *root, const char *headers, struct web_set **out, char *err,
		    size_t errlen)
{
	struct loader l = {.root = root, .headers = headers, .err = err, .errlen = errlen};
	int fd, rc;

	if (!(l.set = calloc(1, sizeof(*l.set)))) {
		snprintf(err, errlen, "%s: out of memory", root);
		return -1;
	}
	*l.set = (struct web_set){.magic = WEB_SET_MAGIC, .refs = 1};
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		rc = -1;
	} else {
		rc = load_dir(&l, fd, "", 0);
		close(fd);
	}
	if (rc == 0) {
		qsort(l.set->files, l.set->n, sizeof(*l.set->files), by_path);
		if (!lookup(l.set, "index.html"))
			rc = fail(&l, "index.html", "missing (the page \"/\" answers)");
	}
	if (rc != 0) {
		set_unref(l.set);
		return -1;
	}
	*out = l.set;
	return 0;
}

/* ---- the web player --------------------------------------------------------- */

int web_new(const struct web_params *p, struct web **out, char *err, size_t errlen)
{
	char csp[WEB_CSP_MAX];
	struct web *w;

	if (web_csp(p, csp, sizeof(csp)) != 0) {
		snprintf(err, errlen, "no Content-Security-Policy for the edge URL %s", p->edge_url);
		return -1;
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->magic = WEB_MAGIC;
	snprintf(w->root, sizeof(w->root), "%s", p->root);
	if (asprintf(&w->headers,
		     "Content-Security-Policy: %s\r\nX-Content-Type-Options: nosniff\r\n"
		     "Referrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n"
		     "Cross-Origin-Opener-Policy: same-origin\r\n"
		     "Cross-Origin-Resource-Policy: same-origin\r\n"
		     "Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()\r\n",
		     csp) < 0) {
		w->headers = NULL;
		web_free(w);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (set_load(w->root, w->headers, &w->set, err, errlen) != 0) {
		web_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int web_reload(struct web *w, char *err, size_t errlen)
{
	struct web_set *s;

	if (set_load(w->root, w->headers, &s, err, errlen) != 0)
		return -1;
	set_unref(w->set);
	w->set = s;
	return 0;
}

size_t web_count(const struct web *w)
{
	return w ? w->set->n : 0;
}

void web_free(struct web *w)
{
	if (!w)
		return;
	set_unref(w->set);
	free(w->headers);
	w->magic = 0;
	free(w);
}

/* ---- answers ---------------------------------------------------------------- */

/* F by http_file_answer(): one range at most, from the descriptor; the gzip form from memory. */
static void answer(struct httpd_exchange *x, const struct web_file *f)
{
	static const struct http_file_how how = {.max_ranges = 1};
	const struct http_file hf = {
	    .size = f->size,
	    .fd = f->fd,
	    .hdr = &f->hdr,
	    .gz = (const char *)f->gz,
	    .gz_len = f->gz_len,
	    .gz_hdr = f->gz ? &f->gz_hdr : NULL,
	    .v = {.etag = {f->etag, f->gz ? f->gz_etag : NULL},
		  .etag_len = {strlen(f->etag), f->gz ? strlen(f->gz_etag) : 0},
		  .last_modified = f->mtime},
	};

	http_file_answer(x, &hf, &how);
}

bool web_served(struct web *w, struct httpd_exchange *x)
{
	const struct http_request *r = x->req;
	char rel[WEB_PATH_MAX];
	const struct web_file *f;
	int n;

	if (!w)
		return false;
	if (w->magic != WEB_MAGIC)
		abort();
	if ((n = http_path_decode(r->path.p, r->path.len, rel, sizeof(rel))) < 0 ||
	    !(f = lookup(w->set, n ? rel : "index.html")))
		return false;
	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		httpd_error(x, 405, "the web player's files are only read", "Allow: GET, HEAD\r\n",
			    false);
		return true;
	}
	w->set->refs++;
	httpd_hold(x, set_unref, w->set);
	answer(x, f);
	return true;
}
