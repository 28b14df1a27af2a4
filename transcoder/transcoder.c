/*
 * The transcode job: checks and opens the source, plans the renditions, runs
 * demux -> decode (once) -> video ladder / audio renditions, then writes the
 * playlists and manifest.json into a temporary folder that is renamed into
 * place only when complete.  A watchdog thread ends a stalled job.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const struct transcoder_rung apple_ladder[] = {
    {416, 234, 145},   {640, 360, 365},	  {768, 432, 730},    {960, 540, 2000},
    {1280, 720, 3000}, {1280, 720, 4500}, {1920, 1080, 6000}, {1920, 1080, 7800},
};

static volatile sig_atomic_t cancelled;

void transcoder_cancel(void)
{
	cancelled = 1;
}

const struct transcoder_rung *transcoder_default_ladder(size_t *len)
{
	*len = sizeof(apple_ladder) / sizeof(apple_ladder[0]);
	return apple_ladder;
}

void transcoder_options_init(struct transcoder_options *o)
{
	memset(o, 0, sizeof(*o));
	o->preset = "veryfast";
	o->segment_s = 6;
	o->audio_kbps = 128;
	o->surround = TRANSCODER_SURROUND_AC3;
	o->surround_kbps = 384;
	o->stall_timeout = 120;
	o->progress_interval = 0.5;
	o->container = TRANSCODER_FMP4;
}

int transcoder_ladder_parse(const char *s, struct transcoder_rung *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		int w, h, k, used = 0;
		if (n == max || sscanf(s, "%dx%d@%d%n", &w, &h, &k, &used) != 3 || used == 0)
			return -EINVAL;
		if (w < TC_MIN_DIM || h < TC_MIN_DIM || w > TC_MAX_DIM || h > TC_MAX_DIM ||
		    k < 16 || k > 200000)
			return -EINVAL;
		out[n++] = (struct transcoder_rung){w, h, k};
		s += used;
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return n > 0 ? (int)n : -EINVAL;
}

int tc_fail(struct tc_job *job, int code, const char *fmt, ...)
{
	int expected = 0;
	va_list ap;

	if (code >= 0)
		code = -EIO;
	pthread_mutex_lock(&job->lock);
	if (job->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(job->err, sizeof(job->err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&job->lock);
	atomic_compare_exchange_strong(&job->abort, &expected, code);
	return code;
}

void tc_beat(struct tc_job *job)
{
	atomic_store(&job->beat_ns, tc_now_ns());
}

/* ---- input ---- */

static int interrupt_cb(void *arg)
{
	struct tc_job *job = arg;

	assert(job->magic == TC_JOB_MAGIC);
	return cancelled || atomic_load(&job->abort) != 0;
}

static int check_source(struct tc_job *job)
{
	const char *src = job->opts->source;
	struct stat st;

	if (stat(src, &st) < 0)
		return tc_fail(job, -errno, "%s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return tc_fail(job, -EINVAL, "%s: is a folder, not a media file", src);
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return tc_fail(job, -EINVAL, "%s: empty file (0 bytes)", src);
	if (access(src, R_OK) < 0)
		return tc_fail(job, -errno, "%s: %s", src, strerror(errno));
	return 0;
}

static int open_input(struct tc_job *job)
{
	const char *src = job->opts->source;
	char ebuf[128], last[256];
	int ret;

	job->ic = avformat_alloc_context();
	if (!job->ic)
		return tc_fail(job, -ENOMEM, "out of memory");
	job->ic->interrupt_callback.callback = interrupt_cb;
	job->ic->interrupt_callback.opaque = job;
	ret = avformat_open_input(&job->ic, src, NULL, NULL);
	if (ret < 0) {
		tc_log_last(last, sizeof(last));
		if (ret == AVERROR_INVALIDDATA)
			return tc_fail(job, -EINVAL, "%s: not a media file, or truncated (%s)", src,
				       last[0] ? last : tc_averr_str(ret, ebuf, sizeof(ebuf)));
		return tc_fail(job, tc_averr(ret), "%s: cannot open: %s", src,
			       last[0] ? last : tc_averr_str(ret, ebuf, sizeof(ebuf)));
	}
	ret = avformat_find_stream_info(job->ic, NULL);
	if (ret < 0)
		return tc_fail(job, tc_averr(ret), "%s: cannot read stream info (%s)", src,
			       tc_averr_str(ret, ebuf, sizeof(ebuf)));
	job->start_us = job->ic->start_time != AV_NOPTS_VALUE ? job->ic->start_time : 0;
	job->duration_s = job->ic->duration > 0 ? job->ic->duration / (double)AV_TIME_BASE : 0;
	return 0;
}

/* ---- the decode loop ---- */

static void report(struct tc_job *job, int64_t t0, int finished)
{
	struct transcoder_progress p = {0};

	if (!job->opts->progress)
		return;
	p.done_s = atomic_load(&job->done_ms) / 1000.0;
	p.total_s = job->duration_s;
	p.elapsed_s = (tc_now_ns() - t0) / 1e9;
	p.speed = p.elapsed_s > 0 ? p.done_s / p.elapsed_s : 0;
	p.eta_s = p.speed > 0 && p.total_s > 0 ? fmax(0, (p.total_s - p.done_s) / p.speed) : -1;
	p.frames = job->frames;
	p.finished = finished;
	p.skipped = job->skipped;
	p.nskipped = job->nskipped;
	if (finished) {
		p.done_s = p.total_s > 0 ? p.total_s : p.done_s;
		p.eta_s = 0;
	}
	job->opts->progress(&p, job->opts->progress_arg);
}

static int decode_video(struct tc_job *job, const AVPacket *pkt, AVFrame *f)
{
	AVStream *st = job->ic->streams[job->vindex];
	int64_t start = av_rescale_q(job->start_us, AV_TIME_BASE_Q, st->time_base);
	int ret = avcodec_send_packet(job->vdec, pkt);

	if (ret < 0 && ret != AVERROR_EOF) {
		job->corrupt++; /* concealed: the packet is skipped, as ffmpeg does */
		return 0;
	}
	for (;;) {
		ret = avcodec_receive_frame(job->vdec, f);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0) {
			job->corrupt++;
			continue;
		}
		if (f->decode_error_flags)
			job->corrupt++;
		f->pts = f->best_effort_timestamp;
		if (f->pts == AV_NOPTS_VALUE) {
			av_frame_unref(f);
			continue;
		}
		f->pts -= start;
		if (job->frames > 0 && f->pts <= job->last_vpts) {
			job->corrupt++; /* a repeated or backward timestamp: drop the frame */
			av_frame_unref(f);
			continue;
		}
		job->last_vpts = f->pts;
		atomic_store(&job->done_ms,
			     av_rescale_q(f->pts, st->time_base, (AVRational){1, 1000}));
		job->frames++;
		ret = tc_video_frame(job, f);
		av_frame_unref(f);
		if (ret < 0)
			return ret;
	}
}

static int audio_slot(const struct tc_job *job, int stream)
{
	size_t i;

	for (i = 0; i < job->naudio; i++)
		if (job->audio_stream[i] == stream)
			return (int)i;
	return -1;
}

static int subs_slot(const struct tc_job *job, int stream)
{
	size_t i;

	for (i = 0; i < job->nsubs; i++)
		if (job->subs_stream[i] == stream)
			return (int)i;
	return -1;
}

static int dispatch(struct tc_job *job, AVPacket *pkt, AVFrame *f)
{
	int slot;

	if (pkt->stream_index == job->vindex)
		return decode_video(job, pkt, f);
	if ((slot = subs_slot(job, pkt->stream_index)) >= 0)
		return tc_subs_packet(job, (size_t)slot, pkt);
	slot = audio_slot(job, pkt->stream_index);
	if (slot < 0)
		return 0;
	if (job->vindex < 0 && pkt->pts != AV_NOPTS_VALUE)
		atomic_store(&job->done_ms,
			     av_rescale_q(pkt->pts, job->ic->streams[pkt->stream_index]->time_base,
					  (AVRational){1, 1000}) -
				 job->start_us / 1000);
	return tc_audio_packet(job, (size_t)slot, pkt);
}

static int read_loop(struct tc_job *job)
{
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	int64_t t0 = tc_now_ns(), last = 0;
	char ebuf[128];
	int ret = 0;

	if (!pkt || !f) {
		ret = tc_fail(job, -ENOMEM, "out of memory");
		goto end;
	}
	while (!atomic_load(&job->abort) && !cancelled) {
		ret = av_read_frame(job->ic, pkt);
		if (ret == AVERROR(EAGAIN))
			continue;
		if (ret == AVERROR_EOF) {
			ret = 0;
			break;
		}
		if (ret < 0) {
			if (atomic_load(&job->abort) || cancelled)
				break;
			ret = tc_fail(job, tc_averr(ret), "%s: read error at %.1f s (%s)",
				      job->opts->source, atomic_load(&job->done_ms) / 1000.0,
				      tc_averr_str(ret, ebuf, sizeof(ebuf)));
			goto end;
		}
		tc_beat(job);
		ret = dispatch(job, pkt, f);
		av_packet_unref(pkt);
		if (ret < 0)
			goto end;
		if (tc_now_ns() - last > (int64_t)(job->opts->progress_interval * 1e9)) {
			last = tc_now_ns();
			report(job, t0, 0);
		}
	}
	if (cancelled)
		ret = tc_fail(job, -EINTR, "%s: cancelled", job->opts->source);
	if (atomic_load(&job->abort))
		ret = atomic_load(&job->abort);
end:
	av_packet_free(&pkt);
	av_frame_free(&f);
	return ret;
}

/* Flush decoders and encoders; check that what came out is the whole source. */
static int flush_all(struct tc_job *job)
{
	AVFrame *f = av_frame_alloc();
	size_t i;
	int ret = f ? 0 : -ENOMEM;

	if (ret == 0 && job->vdec)
		ret = decode_video(job, NULL, f);
	if (ret == 0 && job->video)
		ret = tc_video_frame(job, NULL);
	if (job->video) {
		int r2 = tc_video_finish(job);
		ret = ret ? ret : r2;
	}
	for (i = 0; ret == 0 && i < job->naudio; i++)
		ret = tc_audio_finish(job, i);
	av_frame_free(&f);
	return ret;
}

/* Renditions that got no packet at all (an empty audio track) leave the package. */
static int drop_empty(struct tc_job *job)
{
	char dir[PATH_MAX + 80];
	int have_default = 0, ret;
	size_t i, n;

	for (i = 0; i < job->nrends; i++) {
		struct tc_rendition *r = &job->rends[i];
		if (!r->seg || (tc_seg_list(r->seg, &n), n > 0))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", job->tmpdir, r->name);
		rmdir(dir);
		r->seg = NULL;
		r->kind = TC_DROPPED;
		if (!r->surround && (ret = tc_skip(job, r->stream, TRANSCODER_SKIP_EMPTY)) < 0)
			return ret;
	}
	for (i = 0; i < job->nrends; i++)
		have_default |= job->rends[i].kind == TC_AUDIO && job->rends[i].is_default;
	for (i = 0; i < job->nrends && !have_default; i++)
		if (job->rends[i].kind == TC_AUDIO)
			have_default = job->rends[i].is_default = 1;
	return 0;
}

static int check_complete(struct tc_job *job)
{
	const char *src = job->opts->source;
	double got = 0;
	size_t i;

	for (i = 0; i < job->nrends; i++) {
		size_t n;
		if (job->rends[i].seg && (tc_seg_list(job->rends[i].seg, &n), n > 0))
			got = fmax(got, tc_seg_duration(job->rends[i].seg));
	}
	if (got <= 0)
		return tc_fail(job, -EINVAL, "%s: no decodable audio or video data", src);
	if (job->vindex >= 0 && job->frames == 0)
		return tc_fail(job, -EINVAL, "%s: the video stream has no decodable frame", src);
	if (job->duration_s > 2 && got < job->duration_s * 0.9 - 1)
		return tc_fail(job, -EINVAL, "%s: truncated: media stops at %.1f s of %.1f s", src,
			       got, job->duration_s);
	return 0;
}

/* ---- watchdog ---- */

#define WATCHDOG_MAGIC 0x74637764u

struct watchdog {
	unsigned magic;
	struct tc_job *job;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct tc_job *job = w->job;
	int64_t stall = (int64_t)(job->opts->stall_timeout * 1e9), aborted_at = 0;
	struct timespec ts;

	assert(w->magic == WATCHDOG_MAGIC && job->magic == TC_JOB_MAGIC);
	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		int64_t now = tc_now_ns();
		if (cancelled && !atomic_load(&job->abort))
			tc_fail(job, -EINTR, "%s: cancelled", job->opts->source);
		if (now - atomic_load(&job->beat_ns) > stall && !atomic_load(&job->abort))
			tc_fail(job, -ETIMEDOUT, "%s: no progress for %.0f s (stalled), giving up",
				job->opts->source, job->opts->stall_timeout);
		if (atomic_load(&job->abort) && !aborted_at)
			aborted_at = now;
		if (aborted_at && now - aborted_at > 5 * 1000000000LL) {
			/* wedged inside FFmpeg: a thread cannot be cancelled safely */
			fprintf(stderr, "reel-transcode: %s\n", job->err);
			tc_rm_tree(job->tmpdir);
			_exit(124);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void watchdog_stop(struct watchdog *w)
{
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
}

/* ---- package folder ---- */

static int make_tmpdir(struct tc_job *job)
{
	const char *out = job->opts->outdir;
	char copy[PATH_MAX], copy2[PATH_MAX];
	struct stat st;

	if (strlen(out) + 20 >= PATH_MAX)
		return tc_fail(job, -ENAMETOOLONG, "%s: path too long", out);
	if (stat(out, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || rmdir(out) < 0)
			return tc_fail(job, -EEXIST,
				       "%s: already exists (a package is never "
				       "overwritten)",
				       out);
		mkdir(out, 0755); /* keep it until the rename, as it was */
	}
	snprintf(copy, sizeof(copy), "%s", out);
	snprintf(copy2, sizeof(copy2), "%s", out);
	snprintf(job->tmpdir, sizeof(job->tmpdir), "%s/.%s.tmp-XXXXXX", dirname(copy),
		 basename(copy2));
	if (!mkdtemp(job->tmpdir)) {
		int e = errno;
		job->tmpdir[0] = '\0';
		return tc_fail(job, -e, "%s: cannot create a work folder: %s", out, strerror(e));
	}
	chmod(job->tmpdir, 0755);
	return 0;
}

static int publish(struct tc_job *job)
{
	const char *out = job->opts->outdir;
	struct stat st;

	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		rmdir(out); /* an empty placeholder; fails (and rename fails) if not empty */
	if (rename(job->tmpdir, out) < 0)
		return tc_fail(job, -errno, "%s: cannot move the package into place: %s", out,
			       strerror(errno));
	job->tmpdir[0] = '\0';
	return 0;
}

static int check_options(struct tc_job *job)
{
	const struct transcoder_options *o = job->opts;

	if (!o->source || !o->outdir)
		return tc_fail(job, -EINVAL, "source and output folder are required");
	if (!(o->segment_s >= 1 && o->segment_s <= 60))
		return tc_fail(job, -EINVAL, "segment length %.2f s out of range (1..60)",
			       o->segment_s);
	if (o->audio_kbps < 16 || o->audio_kbps > 512)
		return tc_fail(job, -EINVAL, "audio bit rate %d kbps out of range (16..512)",
			       o->audio_kbps);
	if ((unsigned)o->surround > TRANSCODER_SURROUND_NONE)
		return tc_fail(job, -EINVAL, "unknown multichannel audio codec %d", o->surround);
	if (o->surround_kbps < 96 || o->surround_kbps > 640)
		return tc_fail(job, -EINVAL,
			       "multichannel audio bit rate %d kbps out of range (96..640)",
			       o->surround_kbps);
	if (!o->preset || !o->preset[0])
		return tc_fail(job, -EINVAL, "empty x264 preset");
	if (o->key_uri) {
		const char *p;
		for (p = o->key_uri; *p; p++)
			if (*p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
				return tc_fail(job, -EINVAL,
					       "key URI must be printable, without '\"'");
		if (!o->key_uri[0])
			return tc_fail(job, -EINVAL, "empty key URI");
	}
	return 0;
}

static int encrypt_all(struct tc_job *job)
{
	char err[PATH_MAX + 128];
	size_t i;
	int ret;

	if (!job->opts->key_uri)
		return 0;
	for (i = 0; i < job->nrends; i++)
		if (job->rends[i].seg &&
		    (ret = tc_seg_encrypt(job->rends[i].seg, job->opts, err, sizeof(err))) < 0)
			return tc_fail(job, ret, "%s", err);
	return 0;
}

static int run(struct tc_job *job)
{
	int64_t t0 = tc_now_ns();
	int ret;

	if ((ret = tc_streams_open(job)) < 0)
		return ret;
	if ((ret = read_loop(job)) < 0)
		return ret;
	if ((ret = flush_all(job)) < 0)
		return ret;
	if ((ret = drop_empty(job)) < 0)
		return ret;
	if ((ret = check_complete(job)) < 0)
		return ret;
	tc_measure(job);
	if ((ret = tc_video_prune(job)) < 0)
		return ret;
	if ((ret = encrypt_all(job)) < 0)
		return ret;
	if ((ret = tc_subs_write(job)) < 0)
		return ret;
	tc_measure(job);
	if ((ret = tc_playlists_write(job)) < 0)
		return ret;
	if ((ret = tc_manifest_write(job)) < 0)
		return ret;
	if ((ret = publish(job)) < 0)
		return ret;
	report(job, t0, 1);
	return 0;
}

static void job_free(struct tc_job *job)
{
	size_t i;

	tc_video_free(&job->video);
	for (i = 0; i < job->naudio; i++)
		tc_audio_free(&job->audio[i]);
	for (i = 0; i < job->nsubs; i++)
		tc_subs_free(&job->subs[i]);
	avcodec_free_context(&job->vdec);
	avformat_close_input(&job->ic);
	free(job->skipped);
	pthread_mutex_destroy(&job->lock);
}

int transcoder_run(const struct transcoder_options *opts, char *err, size_t errlen)
{
	struct tc_job *job = calloc(1, sizeof(*job));
	struct watchdog w = {0};
	int ret, wd = 0;

	if (!job) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	job->magic = TC_JOB_MAGIC;
	job->opts = opts;
	job->vindex = -1;
	pthread_mutex_init(&job->lock, NULL);
	tc_beat(job);
	tc_log_install(opts->verbose);
	if ((ret = check_options(job)) < 0 || (ret = check_source(job)) < 0 ||
	    (ret = make_tmpdir(job)) < 0)
		goto end;
	w.magic = WATCHDOG_MAGIC;
	w.job = job;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	wd = pthread_create(&w.thread, NULL, watchdog_main, &w) == 0;
	if ((ret = open_input(job)) == 0)
		ret = run(job);
end:
	if (ret < 0 && atomic_load(&job->abort))
		ret = atomic_load(&job->abort);
	tc_video_free(&job->video); /* joins the encoder threads before the tree goes */
	if (wd)
		watchdog_stop(&w);
	if (ret < 0)
		tc_rm_tree(job->tmpdir);
	snprintf(err, errlen, "%s", ret < 0 ? job->err : "");
	job_free(job);
	free(job);
	return ret;
}
