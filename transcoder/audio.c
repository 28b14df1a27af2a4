/*
 * Audio renditions: every audio track is decoded once, downmixed and resampled
 * by libswresample (through the aresample/aformat filters) to stereo float at
 * 48 kHz, encoded to AAC-LC and segmented on the same k * target grid as the
 * video.  A track with six or more channels also gets a 5.1 rendition in AC-3
 * (or E-AC-3) from FFmpeg's native encoder, for the multichannel audio group.
 * Runs on the demuxing thread (it is cheap).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>

#include "internal.h"

/* One output of an audio track: the stereo AAC rendition, or the multichannel one. */
struct aout {
	struct tc_rendition *rend;
	AVFilterGraph *graph;
	AVFilterContext *src, *sink;
	AVCodecContext *enc;
	struct tc_segmenter *seg;
	AVFrame *filt;
};

struct tc_audio {
	int index; /* stream in the source */
	AVCodecContext *dec;
	AVFrame *frame;
	AVPacket *pkt;
	int64_t start;	    /* job->start_us in the stream time base */
	struct aout out[2]; /* [0] stereo AAC; [1] 5.1 of a multichannel source */
	int nout;
};

/* What an output is encoded to. */
struct aspec {
	enum AVCodecID codec;
	const char *layouts; /* for aformat: what the encoder takes */
	const char *codecs;  /* CODECS attribute, RFC 6381 */
	const char *suffix;  /* of the folder name, after the stereo one's */
	int channels;
};

static const struct aspec stereo = {AV_CODEC_ID_AAC, "stereo", "mp4a.40.2", "", 2};
static const struct aspec surround[] = {
    [TRANSCODER_SURROUND_AC3] = {AV_CODEC_ID_AC3, "5.1(side)|5.1", "ac-3", "_ac3", 6},
    [TRANSCODER_SURROUND_EAC3] = {AV_CODEC_ID_EAC3, "5.1(side)|5.1", "ec-3", "_ec3", 6},
};

static int open_decoder(struct tc_job *job, struct tc_audio *a)
{
	AVStream *st = job->ic->streams[a->index];
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	int ret;

	if (!codec)
		return tc_fail(job, -EINVAL, "%s: no decoder for audio stream %d (%s)",
			       job->opts->source, a->index,
			       avcodec_get_name(st->codecpar->codec_id));
	a->dec = avcodec_alloc_context3(codec);
	if (!a->dec)
		return -ENOMEM;
	ret = avcodec_parameters_to_context(a->dec, st->codecpar);
	if (ret >= 0) {
		a->dec->pkt_timebase = st->time_base;
		a->dec->thread_count = 1;
		ret = avcodec_open2(a->dec, codec, NULL);
	}
	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "%s: cannot open the %s decoder of stream %d",
			       job->opts->source, codec->name, a->index);
	if (a->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
		av_channel_layout_default(&a->dec->ch_layout, a->dec->ch_layout.nb_channels);
	return 0;
}

/* abuffer -> aresample -> aformat (SPEC's layouts, fltp, 48 kHz) -> abuffersink, for O. */
static int build_graph(struct tc_job *job, struct tc_audio *a, struct aout *o,
		       const struct aspec *spec)
{
	AVStream *st = job->ic->streams[a->index];
	AVFilterInOut *outs = NULL, *ins = NULL;
	char args[512], layout[128], chain[160];
	int ret;

	av_channel_layout_describe(&a->dec->ch_layout, layout, sizeof(layout));
	o->graph = avfilter_graph_alloc();
	if (!o->graph)
		return -ENOMEM;
	snprintf(args, sizeof(args),
		 "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
		 st->time_base.num, st->time_base.den, a->dec->sample_rate,
		 av_get_sample_fmt_name(a->dec->sample_fmt), layout);
	ret = avfilter_graph_create_filter(&o->src, avfilter_get_by_name("abuffer"), "in", args,
					   NULL, o->graph);
	if (ret >= 0)
		ret = avfilter_graph_create_filter(&o->sink, avfilter_get_by_name("abuffersink"),
						   "out", NULL, NULL, o->graph);
	if (ret < 0)
		return ret;
	outs = avfilter_inout_alloc();
	ins = avfilter_inout_alloc();
	if (!outs || !ins) {
		ret = -ENOMEM;
		goto end;
	}
	outs->name = av_strdup("in");
	outs->filter_ctx = o->src;
	ins->name = av_strdup("out");
	ins->filter_ctx = o->sink;
	snprintf(chain, sizeof(chain),
		 "aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=%s",
		 spec->layouts);
	ret = avfilter_graph_parse_ptr(o->graph, chain, &ins, &outs, NULL);
	if (ret >= 0)
		ret = avfilter_graph_config(o->graph, NULL);
end:
	avfilter_inout_free(&ins);
	avfilter_inout_free(&outs);
	return ret;
}

/* SPEC's encoder at KBPS for O, in the graph's layout; the graph then cuts its frames. */
static int open_encoder(struct tc_job *job, struct aout *o, const struct aspec *spec, int kbps)
{
	const AVCodec *codec = avcodec_find_encoder(spec->codec);
	int ret;

	if (!codec)
		return tc_fail(job, -EIO, "%s encoder not available in this FFmpeg build",
			       avcodec_get_name(spec->codec));
	o->enc = avcodec_alloc_context3(codec);
	if (!o->enc)
		return tc_fail(job, -ENOMEM, "out of memory");
	o->enc->sample_rate = 48000;
	o->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
	o->enc->time_base = (AVRational){1, 48000};
	o->enc->bit_rate = (int64_t)kbps * 1000;
	o->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	if (spec->codec == AV_CODEC_ID_AAC)
		o->enc->profile = FF_PROFILE_AAC_LOW;
	ret = av_buffersink_get_ch_layout(o->sink, &o->enc->ch_layout);
	if (ret >= 0)
		ret = avcodec_open2(o->enc, codec, NULL);
	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "cannot open the %s encoder", codec->name);
	av_buffersink_set_frame_size(o->sink, o->enc->frame_size > 0 ? o->enc->frame_size : 1024);
	return 0;
}

/* R as the stereo rendition of track A: language, NAME and folder from the stream. */
static void describe(struct tc_job *job, const struct tc_audio *a, struct tc_rendition *r,
		     int is_default)
{
	AVStream *st = job->ic->streams[a->index];
	AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
	AVDictionaryEntry *title = av_dict_get(st->metadata, "title", NULL, 0);

	r->is_default = is_default;
	tc_rend_set_names(r, lang ? lang->value : NULL, title ? title->value : NULL);
	tc_rend_set_folder(job, r, "audio");
}

/* R as the multichannel sibling of TWO: the same track, so the same language and NAME. */
static void describe_sibling(struct tc_rendition *r, const struct tc_rendition *two,
			     const struct aspec *spec)
{
	r->surround = 1;
	r->is_default = two->is_default;
	memcpy(r->lang, two->lang, sizeof(r->lang));
	memcpy(r->label, two->label, sizeof(r->label));
	snprintf(r->name, sizeof(r->name), "%.50s%s", two->name, spec->suffix);
}

/* Add output SPEC at KBPS to track A: its rendition, graph, encoder and segmenter. */
static int add_output(struct tc_job *job, struct tc_audio *a, const struct aspec *spec, int kbps,
		      int is_default)
{
	int64_t target = (int64_t)llround(job->opts->segment_s * 1000);
	char dir[PATH_MAX + 80], err[PATH_MAX + 160];
	struct aout *o = &a->out[a->nout++];
	struct tc_rendition *r = o->rend = &job->rends[job->nrends++];
	int ret;

	memset(r, 0, sizeof(*r));
	r->kind = TC_AUDIO;
	r->stream = a->index;
	r->channels = spec->channels;
	r->kbps = kbps;
	snprintf(r->codecs, sizeof(r->codecs), "%s", spec->codecs);
	if (spec == &stereo)
		describe(job, a, r, is_default);
	else
		describe_sibling(r, a->out[0].rend, spec);
	if (!(o->filt = av_frame_alloc()))
		return tc_fail(job, -ENOMEM, "out of memory");
	if ((ret = build_graph(job, a, o, spec)) < 0)
		return tc_fail(job, tc_averr(ret),
			       "%s: cannot set up audio resampling for stream %d",
			       job->opts->source, a->index);
	if ((ret = open_encoder(job, o, spec, kbps)) < 0)
		return ret;
	snprintf(dir, sizeof(dir), "%s/%s", job->tmpdir, r->name);
	o->seg = r->seg = tc_seg_new(dir, o->enc, target, job->opts->container, err, sizeof(err));
	if (!o->seg)
		return tc_fail(job, -EIO, "%s", err);
	return 0;
}

int tc_audio_open(struct tc_job *job, int index, int is_default)
{
	const struct transcoder_options *opts = job->opts;
	struct tc_audio *a;
	int ret;

	if (job->naudio >= TC_MAX_AUDIO)
		return 0;
	job->audio_stream[job->naudio] = index;
	a = job->audio[job->naudio++] = calloc(1, sizeof(*a));
	if (!a || !(a->frame = av_frame_alloc()) || !(a->pkt = av_packet_alloc()))
		return tc_fail(job, -ENOMEM, "out of memory");
	a->index = index;
	a->start = av_rescale_q(job->start_us, AV_TIME_BASE_Q, job->ic->streams[index]->time_base);
	if ((ret = open_decoder(job, a)) < 0)
		return ret;
	if ((ret = add_output(job, a, &stereo, opts->audio_kbps, is_default)) < 0)
		return ret;
	if (a->dec->ch_layout.nb_channels >= 6 && opts->surround != TRANSCODER_SURROUND_NONE)
		return add_output(job, a, &surround[opts->surround], opts->surround_kbps,
				  is_default);
	return 0;
}

static int encode(struct tc_job *job, struct tc_audio *a, struct aout *o, const AVFrame *f)
{
	char err[PATH_MAX + 64];
	int ret = avcodec_send_frame(o->enc, f);

	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "%s encoder rejected a frame",
			       o->enc->codec->name);
	for (;;) {
		ret = avcodec_receive_packet(o->enc, a->pkt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return tc_fail(job, tc_averr(ret), "%s encoder failed",
				       o->enc->codec->name);
		ret = tc_seg_write(o->seg, a->pkt, err, sizeof(err));
		if (ret < 0)
			return tc_fail(job, ret, "%s", err);
	}
}

/* Pass IN (NULL = end of stream; it stays the caller's) through O's graph and encoder. */
static int filter(struct tc_job *job, struct tc_audio *a, struct aout *o, AVFrame *in)
{
	int ret = av_buffersrc_add_frame_flags(o->src, in, AV_BUFFERSRC_FLAG_KEEP_REF);

	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "%s: audio stream %d: resampling failed",
			       job->opts->source, a->index);
	for (;;) {
		ret = av_buffersink_get_frame(o->sink, o->filt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return tc_fail(job, tc_averr(ret), "audio resampling failed");
		ret = encode(job, a, o, o->filt);
		av_frame_unref(o->filt);
		if (ret < 0)
			return ret;
	}
}

int tc_audio_packet(struct tc_job *job, size_t i, const AVPacket *pkt)
{
	struct tc_audio *a = job->audio[i];
	int ret = avcodec_send_packet(a->dec, pkt), k;

	if (ret < 0 && ret != AVERROR_EOF) {
		job->corrupt++; /* concealed: skip the packet, as ffmpeg does */
		return 0;
	}
	for (;;) {
		ret = avcodec_receive_frame(a->dec, a->frame);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0) {
			job->corrupt++;
			continue;
		}
		if (a->frame->decode_error_flags)
			job->corrupt++;
		a->frame->pts = a->frame->best_effort_timestamp;
		if (a->frame->pts != AV_NOPTS_VALUE)
			a->frame->pts -= a->start;
		for (k = 0, ret = 0; k < a->nout && ret == 0; k++)
			ret = filter(job, a, &a->out[k], a->frame);
		av_frame_unref(a->frame);
		if (ret < 0)
			return ret;
	}
}

int tc_audio_finish(struct tc_job *job, size_t i)
{
	struct tc_audio *a = job->audio[i];
	char err[PATH_MAX + 64];
	int k, ret;

	if ((ret = tc_audio_packet(job, i, NULL)) < 0)
		return ret;
	for (k = 0; k < a->nout; k++) {
		struct aout *o = &a->out[k];
		if ((ret = filter(job, a, o, NULL)) < 0 || (ret = encode(job, a, o, NULL)) < 0)
			return ret;
		if ((ret = tc_seg_finish(o->seg, err, sizeof(err))) < 0)
			return tc_fail(job, ret, "%s", err);
	}
	return 0;
}

void tc_audio_free(struct tc_audio **ap)
{
	struct tc_audio *a = *ap;
	int k;

	if (!a)
		return;
	for (k = 0; k < a->nout; k++) {
		avcodec_free_context(&a->out[k].enc);
		avfilter_graph_free(&a->out[k].graph);
		tc_seg_free(&a->out[k].seg);
		av_frame_free(&a->out[k].filt);
	}
	avcodec_free_context(&a->dec);
	av_frame_free(&a->frame);
	av_packet_free(&a->pkt);
	free(a);
	*ap = NULL;
}
