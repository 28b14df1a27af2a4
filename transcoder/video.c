/*
 * The video ladder: decoded frames go once through one libavfilter graph
 * (buffer -> split -> scale/setsar/format per distinct size -> buffersink) and
 * each rung's libx264 encoder runs in its own thread behind a small bounded
 * queue.  IDRs are forced on the first frame at or past every segment boundary
 * (k * target), computed from the pts alone, so every rung cuts at the same
 * timestamps; scene-cut and periodic keyframes are off, GOPs closed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "internal.h"

#define QCAP 8

struct fqueue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	AVFrame *ring[QCAP];
	int head, len, eof;
};

#define RUNG_MAGIC 0x74637267u

struct rung {
	unsigned magic;
	struct tc_job *job;
	struct tc_rendition *rend;
	int size_idx;
	int threads;
	AVCodecContext *enc;
	struct tc_segmenter *seg;
	struct fqueue q;
	pthread_t thread;
	int started;
	int64_t next_force; /* pts of the next segment boundary */
	int64_t frame_dur;  /* nominal, in the encoder time base */
};

struct tc_video {
	AVFilterGraph *graph;
	AVFilterContext *src;
	const char *rotate; /* filters that apply the source's display rotation */
	AVFilterContext *sinks[TC_MAX_RUNGS];
	int sw[TC_MAX_RUNGS], sh[TC_MAX_RUNGS];
	int nsizes;
	struct rung rungs[TC_MAX_RUNGS];
	int nrungs;
	AVFrame *tmp;
};

/* ---- bounded frame queue ---- */

static void q_init(struct fqueue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

static void q_destroy(struct fqueue *q)
{
	while (q->len > 0) {
		av_frame_free(&q->ring[q->head]);
		q->head = (q->head + 1) % QCAP;
		q->len--;
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

/* Push F (ownership taken).  Blocks while full; returns the job's abort code if it stops. */
static int q_push(struct fqueue *q, AVFrame *f, atomic_int *abort_code)
{
	struct timespec ts;
	int ret = 0;

	pthread_mutex_lock(&q->mu);
	while (q->len == QCAP && !(ret = atomic_load(abort_code))) {
		deadline_in(&ts, 100);
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	if (ret == 0) {
		q->ring[(q->head + q->len) % QCAP] = f;
		q->len++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	if (ret)
		av_frame_free(&f);
	return ret;
}

static void q_close(struct fqueue *q)
{
	pthread_mutex_lock(&q->mu);
	q->eof = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Next frame, or NULL at end of stream or when the job aborts. */
static AVFrame *q_pop(struct fqueue *q, atomic_int *abort_code)
{
	struct timespec ts;
	AVFrame *f = NULL;

	pthread_mutex_lock(&q->mu);
	while (q->len == 0 && !q->eof && !atomic_load(abort_code)) {
		deadline_in(&ts, 100);
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	if (q->len > 0 && !atomic_load(abort_code)) {
		f = q->ring[q->head];
		q->head = (q->head + 1) % QCAP;
		q->len--;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return f;
}

/* ---- ladder planning ---- */

static int even(double x)
{
	int v = 2 * (int)lround(x / 2.0);

	return v < 2 ? 2 : v;
}

static int planned(const struct transcoder_rung *plan, int n, int w, int h, int kbps)
{
	int j;

	for (j = 0; j < n; j++)
		if (plan[j].width == w && plan[j].height == h && (kbps < 0 || plan[j].kbps == kbps))
			return 1;
	return 0;
}

/*
 * Fit the display size DW x DH into each rung's box; drop upscales and
 * duplicates.  When a rung would upscale (the source is below the ladder's
 * top), the source's own display size is a rung too, with the bit rate of the
 * nearest larger rung scaled down by the pixel count, so a small source keeps
 * its resolution (a 352x288 picture of 12:11 pixels is shown at 384x288).
 */
static int plan_ladder(struct tc_job *job, int dw, int dh, struct transcoder_rung *out)
{
	const struct transcoder_options *o = job->opts;
	const struct transcoder_rung *ladder = o->ladder, *up = NULL;
	size_t len = o->ladder_len, i;
	double up_s = 0;
	int n = 0;

	if (!ladder || len == 0)
		ladder = transcoder_default_ladder(&len);
	for (i = 0; i < len && n < TC_MAX_RUNGS; i++) {
		double s = fmin((double)ladder[i].width / dw, (double)ladder[i].height / dh);
		struct transcoder_rung r = {even(dw * s), even(dh * s), ladder[i].kbps};

		if (s > 1.0001) {
			if (!up || s < up_s)
				up = &ladder[i], up_s = s;
			continue;
		}
		if (!planned(out, n, r.width, r.height, r.kbps))
			out[n++] = r;
	}
	if (up && n < TC_MAX_RUNGS && !planned(out, n, even(dw), even(dh), -1)) {
		int kbps = (int)lround(up->kbps / (up_s * up_s));
		out[n++] = (struct transcoder_rung){even(dw), even(dh), kbps < 16 ? 16 : kbps};
	}
	return n;
}

/* "avc1.PPCCLL" from the SPS in the encoder's extradata (Annex B or avcC). */
static void avc1_codecs(const AVCodecContext *enc, char *out, size_t len)
{
	const uint8_t *p = enc->extradata;
	int n = enc->extradata_size, i;

	snprintf(out, len, "avc1.640028");
	if (!p || n < 4)
		return;
	if (p[0] == 1) {
		snprintf(out, len, "avc1.%02x%02x%02x", p[1], p[2], p[3]);
		return;
	}
	for (i = 0; i + 6 < n; i++) {
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1 && (p[i + 3] & 0x1f) == 7) {
			snprintf(out, len, "avc1.%02x%02x%02x", p[i + 4], p[i + 5], p[i + 6]);
			return;
		}
	}
}

/* Folder of rung I of PLAN: "<height>p", or "<height>p_<kbps>k" when the height repeats. */
static void rung_name(const struct transcoder_rung *plan, int n, int i, char *out, size_t len)
{
	int j, shared = 0;

	for (j = 0; j < n; j++)
		shared += plan[j].height == plan[i].height;
	if (shared > 1)
		snprintf(out, len, "%dp_%dk", plan[i].height, plan[i].kbps);
	else
		snprintf(out, len, "%dp", plan[i].height);
}

/*
 * The display rotation of ST (phones record sideways and flag it) as filters to
 * put before the split; *SWAP is set when width and height trade places.
 */
static const char *rotation_filters(const AVStream *st, int *swap)
{
	const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
	double theta;

	*swap = 0;
	if (!m)
		return "";
	theta = -av_display_rotation_get((const int32_t *)(const void *)m);
	if (isnan(theta))
		return "";
	theta -= 360 * floor(theta / 360 + 0.9 / 360);
	if (fabs(theta - 90) < 1) {
		*swap = 1;
		return "transpose=clock,";
	}
	if (fabs(theta - 180) < 1)
		return "hflip,vflip,";
	if (fabs(theta - 270) < 1) {
		*swap = 1;
		return "transpose=cclock,";
	}
	return "";
}

/* ---- filter graph ---- */

static int build_graph(struct tc_job *job, struct tc_video *v)
{
	const AVCodecContext *dec = job->vdec;
	AVStream *st = job->ic->streams[job->vindex];
	AVFilterInOut *outs = NULL, *ins = NULL, **tail = &ins;
	AVRational sar = dec->sample_aspect_ratio;
	char args[512], desc[4096], name[16];
	size_t off;
	int i, ret;

	if (sar.num <= 0 || sar.den <= 0)
		sar = (AVRational){1, 1};
	v->graph = avfilter_graph_alloc();
	if (!v->graph)
		return -ENOMEM;
	v->graph->nb_threads = 1;
	snprintf(args, sizeof(args),
		 "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d", dec->width,
		 dec->height, dec->pix_fmt, st->time_base.num, st->time_base.den, sar.num, sar.den);
	ret = avfilter_graph_create_filter(&v->src, avfilter_get_by_name("buffer"), "in", args,
					   NULL, v->graph);
	if (ret < 0)
		return ret;
	off = (size_t)snprintf(desc, sizeof(desc), "[in]%ssplit=%d", v->rotate, v->nsizes);
	for (i = 0; i < v->nsizes; i++)
		off += (size_t)snprintf(desc + off, sizeof(desc) - off, "[s%d]", i);
	for (i = 0; i < v->nsizes; i++)
		off += (size_t)snprintf(desc + off, sizeof(desc) - off,
					";[s%d]scale=%d:%d,setsar=1,format=yuv420p[o%d]", i,
					v->sw[i], v->sh[i], i);
	outs = avfilter_inout_alloc();
	if (!outs)
		return -ENOMEM;
	outs->name = av_strdup("in");
	outs->filter_ctx = v->src;
	for (i = 0; i < v->nsizes; i++) {
		snprintf(name, sizeof(name), "out%d", i);
		ret = avfilter_graph_create_filter(&v->sinks[i], avfilter_get_by_name("buffersink"),
						   name, NULL, NULL, v->graph);
		if (ret < 0 || !(*tail = avfilter_inout_alloc()))
			goto end;
		snprintf(name, sizeof(name), "o%d", i);
		(*tail)->name = av_strdup(name);
		(*tail)->filter_ctx = v->sinks[i];
		tail = &(*tail)->next;
	}
	ret = avfilter_graph_parse_ptr(v->graph, desc, &ins, &outs, NULL);
	if (ret >= 0)
		ret = avfilter_graph_config(v->graph, NULL);
end:
	avfilter_inout_free(&ins);
	avfilter_inout_free(&outs);
	return ret < 0 ? ret : 0;
}

/* ---- encoders ---- */

static int open_encoder(struct tc_job *job, struct tc_video *v, struct rung *r)
{
	const struct transcoder_options *o = job->opts;
	AVFilterContext *sink = v->sinks[r->size_idx];
	AVRational tb = av_buffersink_get_time_base(sink);
	AVRational fr = av_buffersink_get_frame_rate(sink);
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *enc;
	AVDictionary *d = NULL;
	char err[256];
	int ret;

	if (!codec)
		return tc_fail(job, -EIO, "libx264 encoder not available in this FFmpeg build");
	if (fr.num <= 0 || fr.den <= 0)
		fr = job->ic->streams[job->vindex]->avg_frame_rate;
	if (fr.num <= 0 || fr.den <= 0)
		fr = (AVRational){25, 1};
	enc = r->enc = avcodec_alloc_context3(codec);
	if (!enc)
		return -ENOMEM;
	enc->width = av_buffersink_get_w(sink);
	enc->height = av_buffersink_get_h(sink);
	enc->pix_fmt = AV_PIX_FMT_YUV420P;
	enc->sample_aspect_ratio = (AVRational){1, 1};
	enc->time_base = tb;
	enc->framerate = fr;
	enc->bit_rate = (int64_t)r->rend->kbps * 1000;
	enc->rc_max_rate = enc->bit_rate * 11 / 10;
	enc->rc_buffer_size = (int)(enc->bit_rate * 2);
	enc->gop_size = (int)fmin(av_q2d(fr) * o->segment_s * 10 + 1, 10000);
	enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_CLOSED_GOP;
	enc->thread_count = r->threads;
	enc->color_range = AVCOL_RANGE_MPEG;
	av_dict_set(&d, "preset", o->preset, 0);
	av_dict_set(&d, "forced-idr", "1", 0);
	av_dict_set(&d, "x264-params", "scenecut=0:open-gop=0", 0);
	ret = avcodec_open2(enc, codec, &d);
	av_dict_free(&d);
	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "libx264: cannot open encoder for %s (%s)",
			       r->rend->name, tc_averr_str(ret, err, sizeof(err)));
	r->frame_dur = av_rescale_q(1, av_inv_q(fr), tb);
	if (r->frame_dur <= 0)
		r->frame_dur = 1;
	r->rend->fps = av_q2d(fr);
	avc1_codecs(enc, r->rend->codecs, sizeof(r->rend->codecs));
	return 0;
}

static int drain(struct rung *r, AVPacket *pkt)
{
	char err[PATH_MAX + 64];
	int ret;

	for (;;) {
		ret = avcodec_receive_packet(r->enc, pkt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return tc_fail(r->job, tc_averr(ret), "libx264 failed on %s",
				       r->rend->name);
		if (pkt->duration <= 0)
			pkt->duration = r->frame_dur;
		ret = tc_seg_write(r->seg, pkt, err, sizeof(err));
		if (ret < 0)
			return tc_fail(r->job, ret, "%s", err);
	}
}

static void force_idr(struct rung *r, AVFrame *f)
{
	int64_t target = (int64_t)llround(r->job->opts->segment_s * 1000);
	int64_t k;

	f->pict_type = AV_PICTURE_TYPE_NONE;
	if (f->pts == AV_NOPTS_VALUE || f->pts < r->next_force)
		return;
	f->pict_type = AV_PICTURE_TYPE_I;
	k = av_rescale_q(f->pts, r->enc->time_base, (AVRational){1, 1000}) / target;
	while (tc_boundary(k, target, r->enc->time_base) <= f->pts)
		k++;
	r->next_force = tc_boundary(k, target, r->enc->time_base);
}

static void *rung_main(void *arg)
{
	struct rung *r = arg;
	char err[PATH_MAX + 64];
	AVPacket *pkt;
	AVFrame *f;
	int ret;

	assert(r->magic == RUNG_MAGIC && r->job->magic == TC_JOB_MAGIC);
	pkt = av_packet_alloc();
	ret = pkt ? 0 : tc_fail(r->job, -ENOMEM, "out of memory");

	while (ret == 0 && (f = q_pop(&r->q, &r->job->abort))) {
		force_idr(r, f);
		ret = avcodec_send_frame(r->enc, f);
		av_frame_free(&f);
		if (ret < 0)
			ret = tc_fail(r->job, tc_averr(ret), "libx264 rejected a frame on %s",
				      r->rend->name);
		else
			ret = drain(r, pkt);
		tc_beat(r->job);
	}
	if (ret == 0 && !atomic_load(&r->job->abort)) {
		avcodec_send_frame(r->enc, NULL);
		ret = drain(r, pkt);
		if (ret == 0 && (ret = tc_seg_finish(r->seg, err, sizeof(err))) < 0)
			tc_fail(r->job, ret, "%s", err);
	}
	av_packet_free(&pkt);
	return NULL;
}

/* Share the thread budget by pixel count, at least one each. */
static void share_threads(struct tc_job *job, struct tc_video *v)
{
	long budget = job->opts->threads > 0 ? job->opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
	double total = 0;
	int i;

	if (budget < 1)
		budget = 1;
	for (i = 0; i < v->nrungs; i++)
		total += (double)v->rungs[i].rend->width * v->rungs[i].rend->height;
	for (i = 0; i < v->nrungs; i++) {
		double px = (double)v->rungs[i].rend->width * v->rungs[i].rend->height;
		int t = (int)lround(budget * px / total);
		v->rungs[i].threads = t < 1 ? 1 : t;
	}
}

static void add_rungs(struct tc_job *job, struct tc_video *v, const struct transcoder_rung *plan,
		      int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		struct rung *r = &v->rungs[i];
		struct tc_rendition *rend = &job->rends[job->nrends++];

		memset(rend, 0, sizeof(*rend));
		rend->kind = TC_VIDEO;
		rend->width = plan[i].width;
		rend->height = plan[i].height;
		rend->kbps = plan[i].kbps;
		rung_name(plan, n, i, rend->name, sizeof(rend->name));
		r->magic = RUNG_MAGIC;
		r->job = job;
		r->rend = rend;
		q_init(&r->q);
		for (j = 0; j < v->nsizes; j++)
			if (v->sw[j] == plan[i].width && v->sh[j] == plan[i].height)
				break;
		if (j == v->nsizes) {
			v->sw[j] = plan[i].width;
			v->sh[j] = plan[i].height;
			v->nsizes++;
		}
		r->size_idx = j;
	}
	v->nrungs = n;
}

int tc_video_open(struct tc_job *job)
{
	const AVCodecContext *dec = job->vdec;
	struct transcoder_rung plan[TC_MAX_RUNGS];
	AVRational sar = dec->sample_aspect_ratio;
	int64_t target = (int64_t)llround(job->opts->segment_s * 1000);
	char dir[PATH_MAX + 80], err[PATH_MAX + 160], ebuf[128];
	struct tc_video *v;
	int dw = dec->width, swap, n, i, ret;
	const char *rotate = rotation_filters(job->ic->streams[job->vindex], &swap);

	if (sar.num > 0 && sar.den > 0)
		dw = (int)lround((double)dec->width * sar.num / sar.den);
	if (dw < 2 || dw > 4 * TC_MAX_DIM)
		dw = dec->width;
	n = swap ? plan_ladder(job, dec->height, dw, plan)
		 : plan_ladder(job, dw, dec->height, plan);
	v = job->video = calloc(1, sizeof(*v));
	if (!v || !(v->tmp = av_frame_alloc()))
		return tc_fail(job, -ENOMEM, "out of memory");
	v->rotate = rotate;
	add_rungs(job, v, plan, n);
	ret = build_graph(job, v);
	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "%s: cannot build the scaling graph (%s)",
			       job->opts->source, tc_averr_str(ret, ebuf, sizeof(ebuf)));
	share_threads(job, v);
	for (i = 0; i < v->nrungs; i++) {
		struct rung *r = &v->rungs[i];
		if ((ret = open_encoder(job, v, r)) < 0)
			return ret;
		snprintf(dir, sizeof(dir), "%s/%s", job->tmpdir, r->rend->name);
		r->seg = tc_seg_new(dir, r->enc, target, job->opts->container, err, sizeof(err));
		if (!r->seg)
			return tc_fail(job, -EIO, "%s", err);
		r->rend->seg = r->seg;
	}
	for (i = 0; i < v->nrungs; i++) {
		ret = pthread_create(&v->rungs[i].thread, NULL, rung_main, &v->rungs[i]);
		if (ret != 0)
			return tc_fail(job, -ret, "cannot start an encoder thread");
		v->rungs[i].started = 1;
	}
	return 0;
}

static int pull_size(struct tc_job *job, struct tc_video *v, int s)
{
	int ret, i;

	for (;;) {
		ret = av_buffersink_get_frame(v->sinks[s], v->tmp);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return tc_fail(job, tc_averr(ret), "video scaling failed");
		for (i = 0; i < v->nrungs; i++) {
			AVFrame *c;
			if (v->rungs[i].size_idx != s)
				continue;
			c = av_frame_clone(v->tmp);
			if (!c)
				return tc_fail(job, -ENOMEM, "out of memory");
			ret = q_push(&v->rungs[i].q, c, &job->abort);
			if (ret)
				return ret;
		}
		av_frame_unref(v->tmp);
	}
}

int tc_video_frame(struct tc_job *job, AVFrame *frame)
{
	struct tc_video *v = job->video;
	char ebuf[128];
	int ret, s;

	ret = av_buffersrc_add_frame_flags(v->src, frame, frame ? AV_BUFFERSRC_FLAG_KEEP_REF : 0);
	if (ret < 0)
		return tc_fail(job, tc_averr(ret),
			       "%s: video frame rejected by the filter graph (%s)",
			       job->opts->source, tc_averr_str(ret, ebuf, sizeof(ebuf)));
	for (s = 0; s < v->nsizes; s++)
		if ((ret = pull_size(job, v, s)) < 0)
			return ret;
	return 0;
}

int tc_video_finish(struct tc_job *job)
{
	struct tc_video *v = job->video;
	int i;

	if (!v)
		return 0;
	for (i = 0; i < v->nrungs; i++)
		q_close(&v->rungs[i].q);
	for (i = 0; i < v->nrungs; i++) {
		if (v->rungs[i].started)
			pthread_join(v->rungs[i].thread, NULL);
		v->rungs[i].started = 0;
	}
	return atomic_load(&job->abort);
}

/* The rendition of R's height planned for the highest rate below R's, or NULL. */
static struct tc_rendition *rung_below(struct tc_job *job, const struct tc_rendition *r)
{
	struct tc_rendition *below = NULL;
	size_t i;

	for (i = 0; i < job->nrends; i++) {
		struct tc_rendition *o = &job->rends[i];
		if (o->kind == TC_VIDEO && o->height == r->height && o->kbps < r->kbps &&
		    (!below || o->kbps > below->kbps))
			below = o;
	}
	return below;
}

/* The video renditions of R's height, R included. */
static int same_height(const struct tc_job *job, const struct tc_rendition *r)
{
	size_t i;
	int n = 0;

	for (i = 0; i < job->nrends; i++)
		n += job->rends[i].kind == TC_VIDEO && job->rends[i].height == r->height;
	return n;
}

/* R leaves the package: its folder goes, its segmenter stays with its rung until freed. */
static void drop_rung(struct tc_job *job, struct tc_rendition *r)
{
	char dir[PATH_MAX + 80];

	snprintf(dir, sizeof(dir), "%s/%s", job->tmpdir, r->name);
	tc_rm_tree(dir);
	r->seg = NULL;
	r->kind = TC_DROPPED;
}

/* R, alone at its height now, takes the plain name "<height>p". */
static int rename_rung(struct tc_job *job, struct tc_rendition *r)
{
	char dir[PATH_MAX + 80];
	int ret;

	snprintf(r->name, sizeof(r->name), "%dp", r->height);
	snprintf(dir, sizeof(dir), "%s/%s", job->tmpdir, r->name);
	if ((ret = tc_seg_rename(r->seg, dir)) < 0)
		return tc_fail(job, ret, "%s: cannot rename a rendition folder: %s", dir,
			       strerror(-ret));
	return 0;
}

int tc_video_prune(struct tc_job *job)
{
	size_t i;
	int again = 1, ret;

	while (again) { /* from the lowest rate up, so each rung meets the one kept below it */
		struct tc_rendition *drop = NULL, *below;
		again = 0;
		for (i = 0; i < job->nrends; i++) {
			struct tc_rendition *r = &job->rends[i];
			if (r->kind != TC_VIDEO || !(below = rung_below(job, r)) ||
			    r->avg_bps > 1.15 * below->avg_bps || (drop && drop->kbps < r->kbps))
				continue;
			drop = r;
		}
		if (drop) {
			drop_rung(job, drop);
			again = 1;
		}
	}
	for (i = 0; i < job->nrends; i++) {
		struct tc_rendition *r = &job->rends[i];
		if (r->kind == TC_VIDEO && strchr(r->name, '_') && same_height(job, r) == 1 &&
		    (ret = rename_rung(job, r)) < 0)
			return ret;
	}
	return 0;
}

void tc_video_free(struct tc_video **vp)
{
	struct tc_video *v = *vp;
	int i;

	if (!v)
		return;
	for (i = 0; i < v->nrungs; i++) {
		struct rung *r = &v->rungs[i];
		if (r->started) {
			q_close(&r->q);
			pthread_join(r->thread, NULL);
		}
		q_destroy(&r->q);
		avcodec_free_context(&r->enc);
		tc_seg_free(&r->seg);
	}
	avfilter_graph_free(&v->graph);
	av_frame_free(&v->tmp);
	free(v);
	*vp = NULL;
}
