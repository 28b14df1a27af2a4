/*
 * The content endpoint's store (origin/content/content.h) on a folder made
 * here: package files open with their type, validators and header lines; a
 * folder, a hidden name, a symlink out of the store and a missing store are
 * -ENOENT; a master playlist is cut to a height with its own ETag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content/content.h"
#include "test.h"

static const char master[] = "#EXTM3U\n"
			     "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360\n"
			     "360p/index.m3u8\n"
			     "#EXT-X-STREAM-INF:BANDWIDTH=1200000,RESOLUTION=1280x720\n"
			     "720p/index.m3u8\n";

static char root[64], outside[128];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void make_store(void)
{
	char path[256];

	snprintf(root, sizeof(root), "/tmp/reel-content-XXXXXX");
	if (!mkdtemp(root))
		abort();
	snprintf(path, sizeof(path), "%s/t1", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/t1/360p", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/.jobs", root);
	mkdir(path, 0755);
	put("t1/master.m3u8", master);
	put("t1/360p/seg_00001.m4s", "0123456789");
	put("t1/manifest.json", "{}");
	put(".jobs/x", "work");
	snprintf(outside, sizeof(outside), "%s.outside", root);
	FILE *f = fopen(outside, "w");
	fputs("secret", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/t1/escape.json", root);
	if (symlink(outside, path) != 0)
		abort();
}

static void opens_files(struct content *c)
{
	struct content_file *f = NULL;

	CHECK_INT(content_open(c, "t1/360p/seg_00001.m4s", &f), 0);
	if (!f)
		return;
	CHECK_INT(f->size, 10);
	CHECK_STR(f->type, "video/iso.segment");
	CHECK(f->etag[0] == '"' && f->etag[strlen(f->etag) - 1] == '"');
	CHECK(strncmp(f->hdr.p, "Content-Type: video/iso.segment\r\n", 33) == 0);
	CHECK(strstr(f->hdr.p, "Cache-Control: public, max-age=31536000, immutable\r\n") != NULL);
	CHECK(strstr(f->hdr.p, "Accept-Ranges: bytes\r\n") != NULL);
	CHECK(f->body.p == NULL);
	content_file_free(f);
	CHECK_INT(content_open(c, "t1/manifest.json", &f), 0);
	CHECK_STR(f->type, "application/json");
	content_file_free(f);
}

static void refuses(struct content *c)
{
	struct content_file *f = NULL;

	CHECK_INT(content_open(c, "t1", &f), -ENOENT);	    /* a title's folder */
	CHECK_INT(content_open(c, "t1/360p", &f), -ENOENT); /* a folder */
	CHECK_INT(content_open(c, "t1/nothing.m4s", &f), -ENOENT);
	CHECK_INT(content_open(c, "t1/escape.json", &f), -ENOENT); /* a symlink out */
	CHECK_INT(content_open(c, "t1/../../etc/passwd", &f), -ENOENT);
	CHECK(f == NULL);
}

/* Does F's cut body hold S? */
static int body_has(const struct content_file *f, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; f->body.p && i + n <= f->body.len; i++)
		if (memcmp(f->body.p + i, s, n) == 0)
			return 1;
	return 0;
}

static void cuts_master(struct content *c)
{
	struct content_file *f = NULL;
	char etag[64];

	CHECK_INT(content_open(c, "t1/master.m3u8", &f), 0);
	if (!f)
		return;
	snprintf(etag, sizeof(etag), "%s", f->etag);
	CHECK_INT(content_cut_master(f, 1080), 0);
	CHECK(f->body.p == NULL && strcmp(f->etag, etag) == 0);
	CHECK_INT(content_cut_master(f, 360), 1);
	CHECK(body_has(f, "360p/index.m3u8") && !body_has(f, "720p"));
	CHECK(strstr(f->etag, "-h360\"") != NULL && strstr(f->hdr.p, f->etag) != NULL);
	content_file_free(f);
	CHECK_INT(content_open(c, "t1/master.m3u8", &f), 0);
	CHECK_INT(content_cut_master(f, 200), -ENOENT);
	content_file_free(f);
	CHECK_INT(content_open(c, "t1/manifest.json", &f), 0);
	CHECK_INT(content_cut_master(f, 360), -EINVAL);
	content_file_free(f);
}

int main(void)
{
	struct content *c, *none;
	struct content_file *f = NULL;
	char cmd[256];

	make_store();
	c = content_new(root);
	CHECK(c != NULL);
	opens_files(c);
	refuses(c);
	cuts_master(c);
	content_free(c);
	none = content_new("/nonexistent/reel-content");
	CHECK_INT(content_open(none, "t1/master.m3u8", &f), -ENOENT);
	content_free(none);
	content_free(NULL);
	content_file_free(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
