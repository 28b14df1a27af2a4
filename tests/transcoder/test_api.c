/*
 * In-process tests of libtranscode's public API that need no media: options,
 * ladder parsing, and the errors transcoder_run gives before touching FFmpeg
 * (bad options, missing or empty source, existing package).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transcoder.h"

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void test_defaults(void)
{
	struct transcoder_options o;
	const struct transcoder_rung *l;
	size_t n;

	transcoder_options_init(&o);
	CHECK(strcmp(o.preset, "veryfast") == 0);
	CHECK(o.segment_s == 6);
	CHECK(o.audio_kbps == 128);
	CHECK(o.surround == TRANSCODER_SURROUND_AC3 && o.surround_kbps == 384);
	CHECK(o.container == TRANSCODER_FMP4);
	CHECK(o.key_uri == NULL);
	l = transcoder_default_ladder(&n);
	CHECK(n == 8);
	CHECK(l[0].width == 416 && l[0].height == 234 && l[0].kbps == 145);
	CHECK(l[7].width == 1920 && l[7].height == 1080 && l[7].kbps == 7800);
}

static void test_ladder_parse(void)
{
	struct transcoder_rung r[4];

	CHECK(transcoder_ladder_parse("640x360@365", r, 4) == 1);
	CHECK(r[0].width == 640 && r[0].height == 360 && r[0].kbps == 365);
	CHECK(transcoder_ladder_parse("640x360@365,1280x720@3000", r, 4) == 2);
	CHECK(r[1].width == 1280 && r[1].kbps == 3000);
	CHECK(transcoder_ladder_parse("", r, 4) == -EINVAL);
	CHECK(transcoder_ladder_parse("640x360", r, 4) == -EINVAL);
	CHECK(transcoder_ladder_parse("640x360@365,", r, 4) == 1);
	CHECK(transcoder_ladder_parse("640x360@365;1x1@1", r, 4) == -EINVAL);
	CHECK(transcoder_ladder_parse("8x8@365", r, 4) == -EINVAL);
	CHECK(transcoder_ladder_parse("99999x360@365", r, 4) == -EINVAL);
	CHECK(transcoder_ladder_parse("640x360@365,640x360@365", r, 1) == -EINVAL);
}

static int run_with(struct transcoder_options *o, char *err, size_t len)
{
	err[0] = '\0';
	return transcoder_run(o, err, len);
}

static void test_run_errors(const char *dir)
{
	struct transcoder_options o;
	char err[512], src[512], out[512], marker[600];
	FILE *f;

	snprintf(src, sizeof(src), "%s/empty.mp4", dir);
	snprintf(out, sizeof(out), "%s/pkg", dir);
	f = fopen(src, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);

	transcoder_options_init(&o);
	CHECK(run_with(&o, err, sizeof(err)) == -EINVAL && strstr(err, "required"));

	o.source = src;
	o.outdir = out;
	o.segment_s = 0.5;
	CHECK(run_with(&o, err, sizeof(err)) == -EINVAL && strstr(err, "segment"));
	o.segment_s = 6;
	o.surround_kbps = 1000;
	CHECK(run_with(&o, err, sizeof(err)) == -EINVAL && strstr(err, "multichannel"));
	o.surround_kbps = 384;
	o.surround = (enum transcoder_surround)7;
	CHECK(run_with(&o, err, sizeof(err)) == -EINVAL && strstr(err, "multichannel"));
	o.surround = TRANSCODER_SURROUND_EAC3;
	o.key_uri = "bad\"uri";
	CHECK(run_with(&o, err, sizeof(err)) == -EINVAL && strstr(err, "key URI"));
	o.key_uri = NULL;

	CHECK(run_with(&o, err, sizeof(err)) == -EINVAL && strstr(err, "empty file"));
	CHECK(strstr(err, src) != NULL);
	CHECK(access(out, F_OK) != 0);

	snprintf(src, sizeof(src), "%s/missing.mp4", dir);
	CHECK(run_with(&o, err, sizeof(err)) == -ENOENT && strstr(err, src));

	o.source = dir; /* a folder */
	CHECK(run_with(&o, err, sizeof(err)) == -EINVAL && strstr(err, "folder"));

	/* an existing, non-empty package is never overwritten */
	CHECK(mkdir(out, 0755) == 0);
	snprintf(marker, sizeof(marker), "%s/manifest.json", out);
	f = fopen(marker, "w");
	if (f)
		fclose(f);
	snprintf(src, sizeof(src), "%s/empty.mp4", dir);
	f = fopen(src, "w");
	if (f) {
		fputs("not media", f);
		fclose(f);
	}
	o.source = src;
	CHECK(run_with(&o, err, sizeof(err)) == -EEXIST && strstr(err, "exists"));
	CHECK(access(marker, F_OK) == 0);
	unlink(marker);
	rmdir(out);
	unlink(src);
}

int main(void)
{
	char dir[] = "/tmp/reel-tc-api-XXXXXX";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_defaults();
	test_ladder_parse();
	test_run_errors(dir);
	rmdir(dir);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
