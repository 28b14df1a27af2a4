/*
 * Subtitle renditions: text tracks (SRT, ASS/SSA, mov_text, WebVTT) are decoded
 * to ASS events, converted to WebVTT cue text by FFmpeg's webvtt encoder and
 * kept in memory; at the end they are cut into seg_NNNNN.vtt files on the
 * video's segment grid (a cue spanning a boundary is repeated in both segments,
 * as RFC 8216 3.5 asks).  Bitmap subtitles are left out (streams.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "internal.h"

struct cue {
	int64_t start_ms, end_ms;
	char *text;
};

struct tc_subs {
	int index;
	struct tc_rendition *rend;
	AVCodecContext *dec, *enc;
	int64_t start_ms; /* job->start_us in ms */
	struct cue *cues;
	size_t n, cap;
};

static int open_codecs(struct tc_job *job, struct tc_subs *s)
{
	AVStream *st = job->ic->streams[s->index];
	const AVCodec *dc = avcodec_find_decoder(st->codecpar->codec_id);
	const AVCodec *ec = avcodec_find_encoder(AV_CODEC_ID_WEBVTT);
	int ret;

	if (!dc || !ec)
		return AVERROR_DECODER_NOT_FOUND;
	if (!(s->dec = avcodec_alloc_context3(dc)) || !(s->enc = avcodec_alloc_context3(ec)))
		return AVERROR(ENOMEM);
	ret = avcodec_parameters_to_context(s->dec, st->codecpar);
	if (ret < 0)
		return ret;
	s->dec->pkt_timebase = st->time_base;
	if ((ret = avcodec_open2(s->dec, dc, NULL)) < 0)
		return ret;
	s->enc->time_base = (AVRational){1, 1000};
	if (s->dec->subtitle_header) { /* the webvtt encoder parses the ASS header */
		s->enc->subtitle_header = av_mallocz(s->dec->subtitle_header_size + 1);
		if (!s->enc->subtitle_header)
			return AVERROR(ENOMEM);
		memcpy(s->enc->subtitle_header, s->dec->subtitle_header,
		       s->dec->subtitle_header_size);
		s->enc->subtitle_header_size = s->dec->subtitle_header_size;
	}
	return avcodec_open2(s->enc, ec, NULL);
}

static void describe(struct tc_job *job, struct tc_subs *s)
{
	AVStream *st = job->ic->streams[s->index];
	AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
	AVDictionaryEntry *title = av_dict_get(st->metadata, "title", NULL, 0);
	struct tc_rendition *r = s->rend;

	r->kind = TC_SUBS;
	snprintf(r->codecs, sizeof(r->codecs), "wvtt");
	r->is_default = (st->disposition & AV_DISPOSITION_DEFAULT) != 0;
	r->forced = (st->disposition & AV_DISPOSITION_FORCED) != 0;
	tc_rend_set_names(r, lang ? lang->value : NULL, title ? title->value : NULL);
	tc_rend_set_folder(job, r, "subs");
}

int tc_subs_open(struct tc_job *job, int index)
{
	AVStream *st = job->ic->streams[index];
	struct tc_subs *s;
	int ret;

	if (job->nsubs >= TC_MAX_SUBS)
		return 0;
	job->subs_stream[job->nsubs] = index;
	s = job->subs[job->nsubs++] = calloc(1, sizeof(*s));
	if (!s)
		return tc_fail(job, -ENOMEM, "out of memory");
	s->index = index;
	s->start_ms = job->start_us / 1000;
	s->rend = &job->rends[job->nrends++];
	memset(s->rend, 0, sizeof(*s->rend));
	s->rend->stream = index;
	describe(job, s);
	ret = open_codecs(job, s);
	if (ret < 0)
		return tc_fail(job, tc_averr(ret),
			       "%s: cannot convert subtitle stream %d (%s) to WebVTT",
			       job->opts->source, index, avcodec_get_name(st->codecpar->codec_id));
	return 0;
}

static int add_cue(struct tc_subs *s, int64_t start, int64_t end, const char *text, size_t len)
{
	struct cue *c;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len == 0 || end <= start)
		return 0;
	if (array_reserve((void **)&s->cues, &s->cap, s->n, sizeof(*s->cues), 64) != 0)
		return -ENOMEM;
	c = &s->cues[s->n];
	if (!(c->text = strndup(text, len)))
		return -ENOMEM;
	c->start_ms = start;
	c->end_ms = end;
	s->n++;
	return 0;
}

int tc_subs_packet(struct tc_job *job, size_t i, AVPacket *pkt)
{
	struct tc_subs *s = job->subs[i];
	AVStream *st = job->ic->streams[s->index];
	AVSubtitle sub;
	uint8_t buf[65536];
	int64_t start, end;
	int got = 0, ret, n;

	ret = avcodec_decode_subtitle2(s->dec, &sub, &got, pkt);
	if (ret < 0) {
		job->corrupt++;
		return 0;
	}
	if (!got)
		return 0;
	if (pkt->pts == AV_NOPTS_VALUE || sub.num_rects == 0)
		goto end;
	start = av_rescale_q(pkt->pts, st->time_base, (AVRational){1, 1000}) +
		sub.start_display_time - s->start_ms;
	if (pkt->duration > 0)
		end = start + av_rescale_q(pkt->duration, st->time_base, (AVRational){1, 1000});
	else
		end = start + (sub.end_display_time > sub.start_display_time &&
				       sub.end_display_time != UINT32_MAX
				   ? sub.end_display_time - sub.start_display_time
				   : 3000);
	n = avcodec_encode_subtitle(s->enc, buf, sizeof(buf) - 1, &sub);
	if (n > 0 && add_cue(s, start, end, (const char *)buf, (size_t)n) < 0) {
		avsubtitle_free(&sub);
		return tc_fail(job, -ENOMEM, "out of memory");
	}
end:
	avsubtitle_free(&sub);
	return 0;
}

static void vtt_time(char *out, size_t len, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	snprintf(out, len, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03" PRId64, ms / 3600000,
		 ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

static int write_segment(struct tc_job *job, struct tc_subs *s, size_t k, double t0, double t1)
{
	char path[PATH_MAX + 96], a[32], b[32];
	int64_t lo = (int64_t)(t0 * 1000 + 0.5), hi = (int64_t)(t1 * 1000 + 0.5);
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/seg_%05zu.vtt", job->tmpdir, s->rend->name, k + 1);
	if (!(f = fopen(path, "w")))
		return tc_fail(job, -errno, "%s: %s", path, strerror(errno));
	if (job->opts->container == TRANSCODER_TS) /* cue time 0 = PTS of the TS offset */
		fprintf(f, "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:%lld,LOCAL:00:00:00.000\n\n",
			(long long)TC_TS_OFFSET_US * 9 / 100);
	else
		fprintf(f, "WEBVTT\n\n");
	for (i = 0; i < s->n; i++) {
		const struct cue *c = &s->cues[i];
		if (c->end_ms <= lo || c->start_ms >= hi)
			continue;
		vtt_time(a, sizeof(a), c->start_ms);
		vtt_time(b, sizeof(b), c->end_ms);
		fprintf(f, "%s --> %s\n%s\n\n", a, b, c->text);
	}
	if (ferror(f) | (fclose(f) != 0))
		return tc_fail(job, -EIO, "%s: write failed", path);
	return 0;
}

/* The segment grid: the first video rendition's, else the first audio one's. */
static const struct tc_segment *grid(struct tc_job *job, size_t *n)
{
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < job->nrends; i++)
			if (job->rends[i].seg &&
			    job->rends[i].kind == (pass == 0 ? TC_VIDEO : TC_AUDIO))
				return tc_seg_list(job->rends[i].seg, n);
	*n = 0;
	return NULL;
}

int tc_subs_write(struct tc_job *job)
{
	const struct tc_segment *g;
	char dir[PATH_MAX + 80];
	size_t i, k, n;
	int ret;

	g = grid(job, &n);
	for (i = 0; i < job->nsubs; i++) {
		struct tc_subs *s = job->subs[i];
		snprintf(dir, sizeof(dir), "%s/%s", job->tmpdir, s->rend->name);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return tc_fail(job, -errno, "%s: %s", dir, strerror(errno));
		for (k = 0; k < n; k++) {
			/* the first and last segments also take cues before/after the media */
			double t0 = k == 0 ? -1e9 : g[k].start_s;
			double t1 = k + 1 == n ? 1e9 : g[k].start_s + g[k].dur_s;
			if ((ret = write_segment(job, s, k, t0, t1)) < 0)
				return ret;
		}
		s->rend->grid = g;
		s->rend->grid_len = n;
	}
	return 0;
}

void tc_subs_free(struct tc_subs **sp)
{
	struct tc_subs *s = *sp;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->cues[i].text);
	free(s->cues);
	avcodec_free_context(&s->dec);
	avcodec_free_context(&s->enc);
	free(s);
	*sp = NULL;
}
