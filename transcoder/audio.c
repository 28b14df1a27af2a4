/*
 * Audio renditions: every audio track is decoded, downmixed and resampled by
 * libswresample (through the aresample/aformat filters) to stereo float at
 * 48 kHz in 1024-sample frames, encoded to AAC-LC and segmented on the same
 * k * target grid as the video.  Runs on the demuxing thread (it is cheap).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>

#include "internal.h"

struct tc_audio {
	int index; /* stream in the source */
	struct tc_rendition *rend;
	AVCodecContext *dec, *enc;
	AVFilterGraph *graph;
	AVFilterContext *src, *sink;
	struct tc_segmenter *seg;
	AVFrame *frame, *filt;
	AVPacket *pkt;
	int64_t start; /* job->start_us in the stream time base */
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
	return 0;
}

static int build_graph(struct tc_job *job, struct tc_audio *a)
{
	AVStream *st = job->ic->streams[a->index];
	AVFilterInOut *outs = NULL, *ins = NULL;
	char args[512], layout[128];
	int ret;

	if (a->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
		av_channel_layout_default(&a->dec->ch_layout, a->dec->ch_layout.nb_channels);
	av_channel_layout_describe(&a->dec->ch_layout, layout, sizeof(layout));
	a->graph = avfilter_graph_alloc();
	if (!a->graph)
		return -ENOMEM;
	snprintf(args, sizeof(args),
		 "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
		 st->time_base.num, st->time_base.den, a->dec->sample_rate,
		 av_get_sample_fmt_name(a->dec->sample_fmt), layout);
	ret = avfilter_graph_create_filter(&a->src, avfilter_get_by_name("abuffer"), "in", args,
					   NULL, a->graph);
	if (ret >= 0)
		ret = avfilter_graph_create_filter(&a->sink, avfilter_get_by_name("abuffersink"),
						   "out", NULL, NULL, a->graph);
	if (ret < 0)
		return ret;
	outs = avfilter_inout_alloc();
	ins = avfilter_inout_alloc();
	if (!outs || !ins) {
		ret = -ENOMEM;
		goto end;
	}
	outs->name = av_strdup("in");
	outs->filter_ctx = a->src;
	ins->name = av_strdup("out");
	ins->filter_ctx = a->sink;
	ret =
	    avfilter_graph_parse_ptr(a->graph,
				     "aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000:"
				     "channel_layouts=stereo",
				     &ins, &outs, NULL);
	if (ret >= 0)
		ret = avfilter_graph_config(a->graph, NULL);
	if (ret >= 0)
		av_buffersink_set_frame_size(a->sink, 1024);
end:
	avfilter_inout_free(&ins);
	avfilter_inout_free(&outs);
	return ret;
}

static int open_encoder(struct tc_job *job, struct tc_audio *a)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
	AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
	int ret;

	if (!codec)
		return tc_fail(job, -EIO, "AAC encoder not available in this FFmpeg build");
	a->enc = avcodec_alloc_context3(codec);
	if (!a->enc)
		return -ENOMEM;
	a->enc->sample_rate = 48000;
	a->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
	av_channel_layout_copy(&a->enc->ch_layout, &stereo);
	a->enc->time_base = (AVRational){1, 48000};
	a->enc->bit_rate = (int64_t)job->opts->audio_kbps * 1000;
	a->enc->profile = FF_PROFILE_AAC_LOW;
	a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	ret = avcodec_open2(a->enc, codec, NULL);
	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "cannot open the AAC encoder");
	return 0;
}

static void describe(struct tc_job *job, struct tc_audio *a, int is_default)
{
	AVStream *st = job->ic->streams[a->index];
	AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
	AVDictionaryEntry *title = av_dict_get(st->metadata, "title", NULL, 0);
	struct tc_rendition *r = a->rend;

	r->kind = TC_AUDIO;
	r->is_default = is_default;
	r->channels = 2;
	r->kbps = job->opts->audio_kbps;
	snprintf(r->codecs, sizeof(r->codecs), "mp4a.40.2");
	tc_rend_set_names(r, lang ? lang->value : NULL, title ? title->value : NULL);
	tc_rend_set_folder(job, r, "audio");
}

int tc_audio_open(struct tc_job *job, int index, int is_default)
{
	int64_t target = (int64_t)llround(job->opts->segment_s * 1000);
	char dir[PATH_MAX + 80], err[PATH_MAX + 160];
	struct tc_audio *a;
	int ret;

	if (job->naudio >= TC_MAX_AUDIO)
		return 0;
	job->audio_stream[job->naudio] = index;
	a = job->audio[job->naudio++] = calloc(1, sizeof(*a));
	if (!a || !(a->frame = av_frame_alloc()) || !(a->filt = av_frame_alloc()) ||
	    !(a->pkt = av_packet_alloc()))
		return tc_fail(job, -ENOMEM, "out of memory");
	a->index = index;
	a->rend = &job->rends[job->nrends++];
	memset(a->rend, 0, sizeof(*a->rend));
	a->rend->stream = index;
	a->start = av_rescale_q(job->start_us, AV_TIME_BASE_Q, job->ic->streams[index]->time_base);
	describe(job, a, is_default);
	if ((ret = open_decoder(job, a)) < 0)
		return ret;
	if ((ret = build_graph(job, a)) < 0)
		return tc_fail(job, tc_averr(ret),
			       "%s: cannot set up audio resampling for stream %d",
			       job->opts->source, index);
	if ((ret = open_encoder(job, a)) < 0)
		return ret;
	snprintf(dir, sizeof(dir), "%s/%s", job->tmpdir, a->rend->name);
	a->seg = tc_seg_new(dir, a->enc, target, job->opts->container, err, sizeof(err));
	if (!a->seg)
		return tc_fail(job, -EIO, "%s", err);
	a->rend->seg = a->seg;
	return 0;
}

static int encode(struct tc_job *job, struct tc_audio *a, const AVFrame *f)
{
	char err[PATH_MAX + 64];
	int ret = avcodec_send_frame(a->enc, f);

	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "AAC encoder rejected a frame");
	for (;;) {
		ret = avcodec_receive_packet(a->enc, a->pkt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return tc_fail(job, tc_averr(ret), "AAC encoder failed");
		ret = tc_seg_write(a->seg, a->pkt, err, sizeof(err));
		if (ret < 0)
			return tc_fail(job, ret, "%s", err);
	}
}

static int filter(struct tc_job *job, struct tc_audio *a, AVFrame *in)
{
	int ret = av_buffersrc_add_frame_flags(a->src, in, 0);

	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "%s: audio stream %d: resampling failed",
			       job->opts->source, a->index);
	for (;;) {
		ret = av_buffersink_get_frame(a->sink, a->filt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return tc_fail(job, tc_averr(ret), "audio resampling failed");
		ret = encode(job, a, a->filt);
		av_frame_unref(a->filt);
		if (ret < 0)
			return ret;
	}
}

int tc_audio_packet(struct tc_job *job, size_t i, const AVPacket *pkt)
{
	struct tc_audio *a = job->audio[i];
	int ret = avcodec_send_packet(a->dec, pkt);

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
		ret = filter(job, a, a->frame);
		av_frame_unref(a->frame);
		if (ret < 0)
			return ret;
	}
}

int tc_audio_finish(struct tc_job *job, size_t i)
{
	struct tc_audio *a = job->audio[i];
	char err[PATH_MAX + 64];
	int ret;

	if ((ret = tc_audio_packet(job, i, NULL)) < 0)
		return ret;
	if ((ret = filter(job, a, NULL)) < 0)
		return ret;
	if ((ret = encode(job, a, NULL)) < 0)
		return ret;
	if ((ret = tc_seg_finish(a->seg, err, sizeof(err))) < 0)
		return tc_fail(job, ret, "%s", err);
	return 0;
}

void tc_audio_free(struct tc_audio **ap)
{
	struct tc_audio *a = *ap;

	if (!a)
		return;
	avcodec_free_context(&a->dec);
	avcodec_free_context(&a->enc);
	avfilter_graph_free(&a->graph);
	tc_seg_free(&a->seg);
	av_frame_free(&a->frame);
	av_frame_free(&a->filt);
	av_packet_free(&a->pkt);
	free(a);
	*ap = NULL;
}
