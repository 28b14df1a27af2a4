/* Unit tests for per-viewer master playlist filtering. */
#include <errno.h>

#include "master_filter.h"
#include "test.h"

static const char master[] =
    "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"eng\",URI=\"audio_eng/index.m3u8\"\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS=\"avc1.64000d,mp4a.40.2\",RESOLUTION=416x234\n"
    "234p/index.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,AUDIO=\"aud\"\n"
    "\n"
    "720p/index.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=6000000,RESOLUTION=1920x1080\r\n"
    "1080p/index.m3u8\r\n"
    "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=20000,RESOLUTION=416x234,URI=\"234p/iframes.m3u8\"\n"
    "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=1920x1080,URI=\"1080p/iframes.m3u8\"\n";

static int has(const struct buf *b, const char *s)
{
	return b->len && memmem(b->p, b->len, s, strlen(s)) != NULL;
}

int main(void)
{
	struct buf b = {0};

	CHECK_INT(master_filter(master, sizeof(master) - 1, 1080, &b), 0);
	CHECK_INT(b.len, sizeof(master) - 1);
	CHECK_INT(master_filter(master, sizeof(master) - 1, 720, &b), 1);
	CHECK(!has(&b, "1080p/index.m3u8"));
	CHECK(!has(&b, "1080p/iframes.m3u8"));
	CHECK(has(&b, "720p/index.m3u8"));
	CHECK(has(&b, "#EXT-X-MEDIA:TYPE=AUDIO"));
	CHECK_INT(master_filter(master, sizeof(master) - 1, 234, &b), 2);
	CHECK(!has(&b, "720p"));
	CHECK(has(&b, "234p/index.m3u8\n"));
	CHECK(has(&b, "234p/iframes.m3u8"));
	CHECK_INT(master_filter(master, sizeof(master) - 1, 200, &b), -ENOENT);
	CHECK_INT(master_filter("not a playlist", 14, 720, &b), -EINVAL);
	CHECK_INT(master_filter("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", 44, 1, &b),
		  0); /* no RESOLUTION: kept */
	CHECK_INT(
	    master_filter("#EXTM3U\n#EXT-X-STREAM-INF:XRESOLUTION=1x9999\na\n", 46, 10, &b),
	    0); /* only the RESOLUTION attribute counts */
	buf_free(&b);
	return test_done();
}
