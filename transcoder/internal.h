/*
 * Internals of libtranscode, shared by its files (prefix tc_): the job that
 * ties demuxer, video ladder, audio renditions, segmenters and playlists
 * together.  Nothing here is installed or visible to callers of transcoder.h.
 */
#ifndef REEL_TRANSCODER_INTERNAL_H
#define REEL_TRANSCODER_INTERNAL_H

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>

#include "transcoder.h"

#define TC_MAX_RUNGS 16
#define TC_MAX_AUDIO 16
#define TC_MAX_SUBS  16
#define TC_MAX_DIM   16384
#define TC_MIN_DIM   16
#define TC_LANG_MAX  TRANSCODER_LANG_MAX

/* MPEG-TS timestamps run this much ahead of the package timeline, so the AAC
 * priming and B-frame delay never go negative (and WebVTT maps to it). */
#define TC_TS_OFFSET_US 1000000

/* ---- errors (averr.c) ---- */

/* Map an FFmpeg error code to a negative errno (the one mapper, STYLE.md rule 4). */
int tc_averr(int averr);

/* FFmpeg's text for AVERR ("Invalid data found when processing input") in the caller's BUF;
 * returns BUF. */
const char *tc_averr_str(int averr, char *buf, size_t len);

/* Install the av_log callback that keeps the last FFmpeg error line; VERBOSE prints warnings. */
void tc_log_install(int verbose);

/* The last error line FFmpeg logged (trimmed, may be ""), copied into the caller's BUF;
 * returns BUF. */
const char *tc_log_last(char *buf, size_t len);

/* ---- segmenter (segment.c) ---- */

struct tc_segment {
	double start_s;
	double dur_s;
	int64_t size;
	int64_t iframe_off; /* byte range of the IDR, -1 if none: fMP4 moof + first sample; */
			    /* MPEG-TS the IDR's PES (iframe_off bytes of PAT/PMT before) */
	int64_t iframe_len;
	uint8_t iv[16]; /* AES-128 IV when the package is encrypted */
};

struct tc_segmenter;

/*
 * Start a rendition in folder DIR (created; the path is copied).  ENC is the
 * opened encoder whose packets will be written, only read during the call;
 * TARGET_MS the segment target.  Returns a segmenter the caller owns and frees
 * with tc_seg_free, or NULL with the caller's ERR filled on failure.
 */
struct tc_segmenter *tc_seg_new(const char *dir, const AVCodecContext *enc, int64_t target_ms,
				enum transcoder_container c, char *err, size_t errlen);

/*
 * Write PKT (time base of the encoder).  Its data is taken: PKT is left empty,
 * the caller keeps the AVPacket itself.  A key packet at or past the next
 * boundary (k * target) closes the current segment file and opens the next.
 * Returns 0 or a negative errno with ERR filled.
 */
int tc_seg_write(struct tc_segmenter *s, AVPacket *pkt, char *err, size_t errlen);

/* Flush the last segment and compute durations.  Returns 0 or -errno with ERR. */
int tc_seg_finish(struct tc_segmenter *s, char *err, size_t errlen);

/* The segment list and its length in *N: the segmenter's array, valid until the next
 * tc_seg_write, tc_seg_finish or tc_seg_free; never freed by the caller. */
const struct tc_segment *tc_seg_list(const struct tc_segmenter *s, size_t *n);

/* Total duration in seconds of the finished segments. */
double tc_seg_duration(const struct tc_segmenter *s);

/* Move the rendition's folder (and its files) to DIR.  Returns 0 or -errno. */
int tc_seg_rename(struct tc_segmenter *s, const char *dir);

/* Free *S and set it to NULL; nothing happens when *S is NULL. */
void tc_seg_free(struct tc_segmenter **s);

/* Encrypt every finished segment file in place (opts->key_uri set); sizes and IVs in the
 * segment list are updated.  Returns 0 or -errno with the caller's ERR filled. */
int tc_seg_encrypt(struct tc_segmenter *s, const struct transcoder_options *o, char *err,
		   size_t errlen);

/* The pts, in TB, of segment boundary K (K * target_ms). */
int64_t tc_boundary(int64_t k, int64_t target_ms, AVRational tb);

/* ---- renditions as the playlists and manifest see them ---- */

enum tc_kind { TC_VIDEO, TC_AUDIO, TC_SUBS, TC_DROPPED /* produced nothing */ };

struct tc_rendition {
	enum tc_kind kind;
	int stream;    /* index of the source stream it comes from */
	char name[64]; /* folder in the package: "720p", "audio_en", "subs_fr" */
	int width, height, kbps;
	double fps;
	char codecs[32];	    /* "avc1.64001f", "mp4a.40.2", "wvtt" */
	char lang[TC_LANG_MAX + 1]; /* RFC 5646: "de", "pt-BR", "und" */
	char label[128];	    /* NAME in the master playlist: "Deutsch", "English 2" */
	int is_default;
	int channels;
	int surround; /* audio: a member of the multichannel group */
	int forced;
	struct tc_segmenter *seg;      /* borrowed from its rung or audio track; NULL for
					  subtitles and dropped renditions */
	const struct tc_segment *grid; /* subtitles: the segments they follow (borrowed) */
	size_t grid_len;
	double peak_bps, avg_bps; /* measured, filled by tc_measure */
	double iframe_peak_bps, iframe_avg_bps;
};

/* ---- the job ---- */

struct tc_video;
struct tc_audio;
struct tc_subs;

#define TC_JOB_MAGIC 0x74636a62u /* checked where a job passes through void * */

struct tc_job {
	unsigned magic;
	const struct transcoder_options *opts;
	char tmpdir[PATH_MAX];
	AVFormatContext *ic;
	int64_t start_us; /* subtracted from every timestamp so the package starts at 0 */
	double duration_s;

	int vindex;
	AVCodecContext *vdec;
	struct tc_video *video;

	struct tc_audio *audio[TC_MAX_AUDIO];
	int audio_stream[TC_MAX_AUDIO]; /* source stream of each */
	size_t naudio;

	struct tc_subs *subs[TC_MAX_SUBS];
	int subs_stream[TC_MAX_SUBS];
	size_t nsubs;

	struct tc_rendition rends[TC_MAX_RUNGS + 2 * TC_MAX_AUDIO + TC_MAX_SUBS];
	size_t nrends;

	struct transcoder_skipped *skipped; /* source streams left out (the job's) */
	size_t nskipped, skipped_cap;

	atomic_int abort;     /* 0, or the negative errno that stops the job */
	atomic_llong beat_ns; /* monotonic time of the last progress, for the watchdog */
	atomic_llong done_ms; /* media time decoded */
	int64_t frames;
	int64_t last_vpts;    /* of the last video frame passed on (stream time base) */
	int64_t corrupt;      /* packets/frames concealed or dropped */
	pthread_mutex_t lock; /* guards err */
	char err[512];
};

/* Record the first failure of the job (thread-safe; the message is copied into job->err)
 * and make everyone stop.  Returns CODE (-EIO when CODE is not negative). */
int tc_fail(struct tc_job *job, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Mark liveness for the watchdog. */
void tc_beat(struct tc_job *job);

int64_t tc_now_ns(void);

/* ---- source streams (streams.c) ---- */

/*
 * Choose the streams to package (the best video, decodable audio, text
 * subtitles) and open them with tc_video_open, tc_audio_open, tc_subs_open;
 * record every other stream with tc_skip.  Returns 0 or -errno (tc_fail).
 */
int tc_streams_open(struct tc_job *job);

/*
 * Record that source stream STREAM is not in the package, and WHY, in
 * job->skipped (the job's array, freed with the job); tell opts->warn.
 * Returns 0 or -ENOMEM (tc_fail).
 */
int tc_skip(struct tc_job *job, int stream, enum transcoder_skip_reason why);

/* ---- video ladder (video.c) ---- */

/*
 * Plan the ladder for the decoder's picture, build the filter graph and open one
 * libx264 encoder + segmenter + thread per rung.  Adds the video renditions to JOB;
 * job->video is the job's, freed by tc_video_free (also after a failure).
 * Returns 0 or the negative errno recorded with tc_fail.
 */
int tc_video_open(struct tc_job *job);

/* Feed one decoded frame (NULL = end of stream) through the graph to the encoder threads.
 * FRAME stays the caller's (the graph takes its own reference).  Returns 0 or -errno. */
int tc_video_frame(struct tc_job *job, AVFrame *frame);

/* Wait for the encoder threads and finish their segmenters.  Returns 0 or the job's error. */
int tc_video_finish(struct tc_job *job);

/*
 * Drop near-duplicate rungs: of two video renditions of the same height whose
 * measured average bit rates (tc_measure) are within 15% of each other, the
 * one planned for the higher rate leaves the package; a height left with one
 * rendition names it "<height>p" again.  Returns 0 or -errno (tc_fail).
 */
int tc_video_prune(struct tc_job *job);

/* Join the encoder threads, free *V with its encoders and segmenters, set *V to NULL. */
void tc_video_free(struct tc_video **v);

/* ---- audio renditions (audio.c) ---- */

/* Open decoder, downmix/resample graph, AAC encoder and segmenter for stream INDEX into
 * job->audio[] (the job's, freed by tc_audio_free).  Returns 0 or -errno (tc_fail). */
int tc_audio_open(struct tc_job *job, int index, int is_default);

/* Decode PKT (NULL = flush; only read, it stays the caller's) of audio track I and encode
 * what comes out.  Returns 0 or -errno (tc_fail). */
int tc_audio_packet(struct tc_job *job, size_t i, const AVPacket *pkt);

/* Flush audio track I's decoder, filters, encoder and segmenter.  Returns 0 or -errno. */
int tc_audio_finish(struct tc_job *job, size_t i);

/* Free *A and set it to NULL; nothing happens when *A is NULL. */
void tc_audio_free(struct tc_audio **a);

/* ---- subtitle renditions (subs.c) ---- */

/* Open text subtitle stream INDEX as a WebVTT rendition into job->subs[] (the job's,
 * freed by tc_subs_free).  Returns 0 or -errno. */
int tc_subs_open(struct tc_job *job, int index);

/* Decode one packet of subtitle track I (PKT stays the caller's) and keep copies of its
 * cues.  Returns 0 or -errno. */
int tc_subs_packet(struct tc_job *job, size_t i, AVPacket *pkt);

/* Write every subtitle track as WebVTT segments on the video's segment grid.  Returns 0
 * or -errno. */
int tc_subs_write(struct tc_job *job);

/* Free *S with its cues and set it to NULL; nothing happens when *S is NULL. */
void tc_subs_free(struct tc_subs **s);

/* The segments of rendition R and their count in *N: its segmenter's, or the grid of a
 * subtitle track; borrowed, valid while the job's renditions are. */
const struct tc_segment *tc_rend_segments(const struct tc_rendition *r, size_t *n);

/* ---- languages and names (language.c) ---- */

/*
 * Copy IN into the caller's OUT (LEN bytes) as text for a quoted playlist
 * attribute or a JSON string: valid UTF-8 (other bytes become '?'), no '"' or
 * control characters (they become '\''), cut at a character boundary.
 */
void tc_attr_text(char *out, size_t len, const char *in);

/*
 * Set R's language from the stream tag LANG (lang_tag(), common/language.h)
 * and its label, the NAME a viewer reads in a menu, from the language and
 * the stream's TITLE
 * (either may be NULL): "Deutsch", "English (Commentary)", "English (forced)";
 * for "und" the title or "Audio"/"Subtitles".  The label is valid UTF-8 without
 * quotes or control bytes (it goes into a playlist attribute).  R->kind and
 * R->forced must be set; R keeps copies of everything.
 */
void tc_rend_set_names(struct tc_rendition *r, const char *lang, const char *title);

/*
 * Name R's folder PREFIX_<lang> ("audio_de"; "_2", "_3" for a repeated language)
 * and make its label unique among the renditions of its kind and group already
 * in JOB ("English 2").  Call after tc_rend_set_names, once R is in job->rends.
 */
void tc_rend_set_folder(const struct tc_job *job, struct tc_rendition *r, const char *prefix);

/* ---- playlists (playlist.c) ---- */

/* Measure peak/average bit rates of every rendition (RFC 8216 section 4.3.4.2), again
 * after anything changed the segments. */
void tc_measure(struct tc_job *job);

/* The GROUP-ID of R's group in the master playlist ("aud", "aud-ac3", "subs"); static. */
const char *tc_rend_group(const struct tc_job *job, const struct tc_rendition *r);

/* Write every media playlist, I-frame playlist and master.m3u8 into job->tmpdir.
 * Returns 0 or -errno (tc_fail). */
int tc_playlists_write(struct tc_job *job);

/* ---- AES-128 (crypt.c) ---- */

/* The IV of media sequence number SEQ under O's policy (sequence or fixed), into the
 * caller's IV. */
void tc_iv_for(const struct transcoder_options *o, size_t seq, uint8_t iv[16]);

/*
 * Encrypt the file PATH in place (AES-128-CBC, PKCS7) as media sequence SEQ; IV_OUT
 * gets the IV used and *SIZE the new size.  Returns 0 or -errno.
 */
int tc_encrypt_file(const struct transcoder_options *o, const char *path, size_t seq,
		    uint8_t iv_out[16], int64_t *size);

/* ---- manifest (manifest.c) ---- */

/* Hash every file under job->tmpdir and write manifest.json with the title metadata.
 * Returns 0 or -errno (tc_fail). */
int tc_manifest_write(struct tc_job *job);

/* Remove PATH and everything under it (best effort; "" does nothing). */
void tc_rm_tree(const char *path);

/* Write LEN bytes to PATH (created 0644, truncated).  Returns 0 or -errno. */
int tc_write_file(const char *path, const void *buf, size_t len);

#endif
