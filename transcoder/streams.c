/*
 * Which source streams become renditions: the best video stream, every
 * decodable audio track, every text subtitle track.  Every other stream is
 * recorded with the reason it was left out (job->skipped, for manifest.json
 * and the final progress event) and reported through the warn callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "internal.h"
#include "language.h"

static const char *const skip_codes[] = {
#define SKIP_CODE(name, code, text) code,
    TRANSCODER_SKIP_REASONS(SKIP_CODE)
#undef SKIP_CODE
};

static const char *const skip_texts[] = {
#define SKIP_TEXT(name, code, text) text,
    TRANSCODER_SKIP_REASONS(SKIP_TEXT)
#undef SKIP_TEXT
};

#define NREASONS (sizeof(skip_codes) / sizeof(skip_codes[0]))

const char *transcoder_skip_reason_code(enum transcoder_skip_reason reason)
{
	return (unsigned)reason < NREASONS ? skip_codes[reason] : "unknown";
}

static const char *tag_of(const AVStream *st, const char *key)
{
	const AVDictionaryEntry *e = av_dict_get(st->metadata, key, NULL, 0);

	return e ? e->value : NULL;
}

/* Codec (FFmpeg's name, else the container's fourcc, "tmcd"), language and title of ST. */
static void describe(const AVStream *st, struct transcoder_skipped *k)
{
	const char *title = tag_of(st, "title") ? tag_of(st, "title") : tag_of(st, "filename");
	char fourcc[AV_FOURCC_MAX_STRING_SIZE];

	if (st->codecpar->codec_id != AV_CODEC_ID_NONE)
		snprintf(k->codec, sizeof(k->codec), "%s",
			 avcodec_get_name(st->codecpar->codec_id));
	else if (st->codecpar->codec_tag)
		tc_attr_text(k->codec, sizeof(k->codec),
			     av_fourcc_make_string(fourcc, st->codecpar->codec_tag));
	else
		snprintf(k->codec, sizeof(k->codec), "none");
	lang_tag(tag_of(st, "language"), k->language);
	tc_attr_text(k->title, sizeof(k->title), title ? title : "");
}

/* " (codec, language)" with what is known of K, or "", into BUF. */
static const char *about(const struct transcoder_skipped *k, char *buf, size_t len)
{
	int codec = strcmp(k->codec, "none") != 0, lang = strcmp(k->language, "und") != 0;

	if (codec && lang)
		snprintf(buf, len, " (%s, %s)", k->codec, k->language);
	else if (codec || lang)
		snprintf(buf, len, " (%s)", codec ? k->codec : k->language);
	else
		buf[0] = '\0';
	return buf;
}

int tc_skip(struct tc_job *job, int stream, enum transcoder_skip_reason why)
{
	const AVStream *st = job->ic->streams[stream];
	struct transcoder_skipped *k;
	char line[sizeof(k->message) + PATH_MAX], what[80];

	if (array_reserve((void **)&job->skipped, &job->skipped_cap, job->nskipped,
			  sizeof(*job->skipped), 8) != 0)
		return tc_fail(job, -ENOMEM, "out of memory");
	k = &job->skipped[job->nskipped++];
	memset(k, 0, sizeof(*k));
	k->stream = stream;
	k->reason = why;
	snprintf(k->type, sizeof(k->type), "%s",
		 av_get_media_type_string(st->codecpar->codec_type)
		     ? av_get_media_type_string(st->codecpar->codec_type)
		     : "unknown");
	describe(st, k);
	snprintf(k->message, sizeof(k->message), "%s stream %d%s: %s", k->type, stream,
		 about(k, what, sizeof(what)), skip_texts[why]);
	if (job->opts->warn) {
		snprintf(line, sizeof(line), "%s: %s, skipped", job->opts->source, k->message);
		job->opts->warn(line, job->opts->progress_arg);
	}
	return 0;
}

static int open_video_decoder(struct tc_job *job, const AVCodec *codec)
{
	AVStream *st = job->ic->streams[job->vindex];
	const char *src = job->opts->source;
	AVCodecParameters *par = st->codecpar;
	int ret;

	if (par->width < TC_MIN_DIM || par->height < TC_MIN_DIM || par->width > TC_MAX_DIM ||
	    par->height > TC_MAX_DIM)
		return tc_fail(job, -EINVAL, "%s: absurd video dimensions %dx%d (allowed %d..%d)",
			       src, par->width, par->height, TC_MIN_DIM, TC_MAX_DIM);
	job->vdec = avcodec_alloc_context3(codec);
	if (!job->vdec)
		return tc_fail(job, -ENOMEM, "out of memory");
	ret = avcodec_parameters_to_context(job->vdec, par);
	if (ret >= 0) {
		job->vdec->pkt_timebase = st->time_base;
		job->vdec->thread_count = 0;
		ret = avcodec_open2(job->vdec, codec, NULL);
	}
	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "%s: cannot open the %s video decoder", src,
			       codec->name);
	if (job->vdec->pix_fmt == AV_PIX_FMT_NONE)
		return tc_fail(job, -EINVAL, "%s: video stream %d has no known pixel format", src,
			       job->vindex);
	return 0;
}

/* The best video stream (cover art does not count); fails on an undecodable one. */
static int pick_video(struct tc_job *job, const AVCodec **codec)
{
	int i = av_find_best_stream(job->ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	AVStream *st;

	job->vindex = -1;
	if (i < 0)
		return 0;
	st = job->ic->streams[i];
	if (st->disposition & AV_DISPOSITION_ATTACHED_PIC)
		return 0;
	*codec = avcodec_find_decoder(st->codecpar->codec_id);
	if (!*codec)
		return tc_fail(job, -EINVAL, "%s: unsupported video codec %s", job->opts->source,
			       avcodec_get_name(st->codecpar->codec_id));
	job->vindex = i;
	return 0;
}

/*
 * What becomes of stream I: 0 when it is packaged as its type, or 1 + the
 * reason it is not.  *NAUDIO and *NSUBS count the tracks taken so far.
 */
static int verdict(const struct tc_job *job, int i, int *naudio, int *nsubs)
{
	const AVStream *st = job->ic->streams[i];
	const AVCodecParameters *p = st->codecpar;
	const AVCodecDescriptor *d = avcodec_descriptor_get(p->codec_id);

	switch (p->codec_type) {
	case AVMEDIA_TYPE_VIDEO:
		if (i == job->vindex)
			return 0;
		return 1 + (st->disposition & AV_DISPOSITION_ATTACHED_PIC
				? TRANSCODER_SKIP_COVER_ART
				: TRANSCODER_SKIP_EXTRA_VIDEO);
	case AVMEDIA_TYPE_AUDIO:
		if (!avcodec_find_decoder(p->codec_id))
			return 1 + TRANSCODER_SKIP_NO_DECODER;
		if (p->sample_rate <= 0 || p->ch_layout.nb_channels <= 0)
			return 1 + TRANSCODER_SKIP_BAD_PARAMETERS;
		return (*naudio)++ < TC_MAX_AUDIO ? 0 : 1 + TRANSCODER_SKIP_TOO_MANY;
	case AVMEDIA_TYPE_SUBTITLE:
		if (d && (d->props & AV_CODEC_PROP_BITMAP_SUB))
			return 1 + TRANSCODER_SKIP_BITMAP_SUBTITLE;
		if (!d || !(d->props & AV_CODEC_PROP_TEXT_SUB) ||
		    !avcodec_find_decoder(p->codec_id))
			return 1 + TRANSCODER_SKIP_NO_DECODER;
		return (*nsubs)++ < TC_MAX_SUBS ? 0 : 1 + TRANSCODER_SKIP_TOO_MANY;
	case AVMEDIA_TYPE_ATTACHMENT:
		return 1 + TRANSCODER_SKIP_ATTACHMENT;
	default:
		return 1 + TRANSCODER_SKIP_DATA;
	}
}

/* The audio track to play by default: the first flagged default, else the first. */
static int default_audio(const struct tc_job *job, const int *take)
{
	int i, first = -1;

	for (i = 0; i < (int)job->ic->nb_streams; i++) {
		const AVStream *st = job->ic->streams[i];
		if (!take[i] || st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
			continue;
		if (st->disposition & AV_DISPOSITION_DEFAULT)
			return i;
		if (first < 0)
			first = i;
	}
	return first;
}

/* Open the decoders and outputs of the streams TAKE marks. */
static int open_taken(struct tc_job *job, const AVCodec *vcodec, const int *take)
{
	int i, ret, def = default_audio(job, take);

	if (job->vindex < 0 && def < 0)
		return tc_fail(job, -EINVAL, "%s: no decodable audio or video stream",
			       job->opts->source);
	if (job->vindex >= 0) {
		if ((ret = open_video_decoder(job, vcodec)) < 0)
			return ret;
		if ((ret = tc_video_open(job)) < 0)
			return ret;
	}
	for (i = 0; i < (int)job->ic->nb_streams; i++)
		if (take[i] && job->ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO &&
		    (ret = tc_audio_open(job, i, i == def)) < 0)
			return ret;
	for (i = 0; i < (int)job->ic->nb_streams; i++)
		if (take[i] && job->ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_SUBTITLE &&
		    (ret = tc_subs_open(job, i)) < 0)
			return ret;
	return 0;
}

int tc_streams_open(struct tc_job *job)
{
	const AVCodec *vcodec = NULL;
	int *take, i, v, ret, naudio = 0, nsubs = 0;

	if ((ret = pick_video(job, &vcodec)) < 0)
		return ret;
	if (!(take = calloc(job->ic->nb_streams ? job->ic->nb_streams : 1, sizeof(*take))))
		return tc_fail(job, -ENOMEM, "out of memory");
	for (i = 0; i < (int)job->ic->nb_streams; i++) {
		v = verdict(job, i, &naudio, &nsubs);
		take[i] = v == 0 && job->ic->streams[i]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO;
		if (v > 0 && (ret = tc_skip(job, i, (enum transcoder_skip_reason)(v - 1))) < 0)
			goto end;
	}
	ret = open_taken(job, vcodec, take);
end:
	free(take);
	return ret;
}
