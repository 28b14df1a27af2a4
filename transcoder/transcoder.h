/*
 * libtranscode: one source media file in, one HLS package out (the package
 * layout is the transcoder -> origin -> edge contract in DESIGN.md).  This is
 * the only code in reel that sees FFmpeg; no FFmpeg type crosses this header.
 */
#ifndef REEL_TRANSCODER_H
#define REEL_TRANSCODER_H

#include <stddef.h>
#include <stdint.h>

/* One rung of the ladder: a bounding box and a target bit rate. */
struct transcoder_rung {
	int width;
	int height;
	int kbps;
};

enum transcoder_container {
	TRANSCODER_FMP4, /* fMP4/CMAF: init.mp4 + seg_NNNNN.m4s */
	TRANSCODER_TS,	 /* MPEG-TS: seg_NNNNN.ts */
};

/* The longest RFC 5646 language tag kept, in bytes (the catalog's limit). */
#define TRANSCODER_LANG_MAX 35

/* The multichannel rendition of audio tracks with six or more channels. */
enum transcoder_surround {
	TRANSCODER_SURROUND_AC3,  /* AC-3 5.1 (Dolby Digital), "ac-3" */
	TRANSCODER_SURROUND_EAC3, /* E-AC-3 5.1 (Dolby Digital Plus), "ec-3" */
	TRANSCODER_SURROUND_NONE, /* stereo AAC only */
};

/* How the AES-128 IV of each segment is chosen (RFC 8216 5.2). */
enum transcoder_iv {
	TRANSCODER_IV_SEQUENCE, /* the media sequence number; no IV attribute */
	TRANSCODER_IV_FIXED,	/* opts->iv for every segment */
	TRANSCODER_IV_RANDOM,	/* a random IV per segment, listed in the playlist */
};

/*
 * Why a source stream is not in the package: X(NAME, code in manifest.json and
 * the progress events, what it means).  Codes are stable; new ones may be added.
 */
#define TRANSCODER_SKIP_REASONS(X)                                                                 \
	X(BITMAP_SUBTITLE, "bitmap_subtitle", "bitmap subtitles are not converted to WebVTT")      \
	X(NO_DECODER, "no_decoder", "no decoder for this codec")                                   \
	X(EXTRA_VIDEO, "extra_video", "only one video stream is packaged")                         \
	X(COVER_ART, "cover_art", "cover art (an attached picture)")                               \
	X(DATA, "data", "a data stream, not audio, video or subtitles")                            \
	X(ATTACHMENT, "attachment", "an attachment (fonts, images)")                               \
	X(BAD_PARAMETERS, "bad_parameters", "no sample rate or channel count")                     \
	X(TOO_MANY, "too_many", "more tracks of this kind than a package holds (16)")              \
	X(EMPTY, "empty", "no decodable data")

enum transcoder_skip_reason {
#define TRANSCODER_SKIP_ENUM(name, code, text) TRANSCODER_SKIP_##name,
	TRANSCODER_SKIP_REASONS(TRANSCODER_SKIP_ENUM)
#undef TRANSCODER_SKIP_ENUM
};

/* A source stream left out of the package, and why. */
struct transcoder_skipped {
	int stream; /* index in the source */
	enum transcoder_skip_reason reason;
	char type[16];	/* "video", "audio", "subtitle", "data", "attachment", "unknown" */
	char codec[32]; /* FFmpeg's codec name ("hdmv_pgs_subtitle"), "none" */
	char language[TRANSCODER_LANG_MAX + 1]; /* RFC 5646 ("de"); "und" when it has none */
	char title[128];			/* the stream's title, "" if none */
	char message[256]; /* one line: "subtitle stream 3 (hdmv_pgs_subtitle, de): ..." */
};

/* The stable code of REASON ("bitmap_subtitle"); static storage, "unknown" if out of range. */
const char *transcoder_skip_reason_code(enum transcoder_skip_reason reason);

/*
 * A snapshot handed to the progress callback, from the thread that calls
 * transcoder_run.  It is libtranscode's, valid only during the call: copy what
 * you keep.
 */
struct transcoder_progress {
	double done_s;	/* media seconds decoded so far */
	double total_s; /* source duration, 0 when unknown */
	double elapsed_s;
	double speed; /* media seconds per wall second */
	double eta_s; /* -1 when unknown */
	int64_t frames;
	int finished; /* 1 on the final call */
	/* the source streams left out of the package: complete on the final call */
	const struct transcoder_skipped *skipped;
	size_t nskipped;
};

typedef void (*transcoder_progress_fn)(const struct transcoder_progress *p, void *arg);

/*
 * What transcoder_run does.  Every pointer is borrowed, never freed or kept
 * past transcoder_run: the caller owns the strings and the ladder, which must
 * stay valid until it returns.
 */
struct transcoder_options {
	const char *source; /* input file (anything FFmpeg demuxes) */
	const char *outdir; /* package folder; must not exist (or be an empty folder) */
	const char *title;  /* title metadata; NULL = basename of outdir */
	/* NULL/0 = transcoder_default_ladder(); rungs above the source are dropped, the
	 * source's own size added when it is below the top, near-duplicates dropped. */
	const struct transcoder_rung *ladder;
	size_t ladder_len;
	const char *preset; /* libx264 preset, default "veryfast" */
	double segment_s;   /* segment target, default 6 */
	int threads;	    /* total encoder threads, 0 = online CPUs */
	int audio_kbps;	    /* per stereo AAC rendition, default 128 */
	/* 5.1 sources also get a rendition in their own audio group (default AC-3) */
	enum transcoder_surround surround;
	int surround_kbps;    /* its bit rate, default 384 (Apple's figure for AC-3 5.1) */
	double stall_timeout; /* seconds without progress before giving up, default 120 */
	enum transcoder_container container;
	transcoder_progress_fn progress; /* may be NULL */
	void *progress_arg;
	double progress_interval; /* seconds between progress calls, default 0.5 */
	int verbose;		  /* let FFmpeg log warnings to stderr */
	/*
	 * HLS AES-128: when key_uri is set, every video and audio segment is encrypted
	 * with KEY; playlists carry KEY_URI (printable, no '"'), never the key.
	 * I-frame playlists are not written for an encrypted package.
	 */
	const char *key_uri;
	uint8_t key[16];
	enum transcoder_iv iv_mode;
	uint8_t iv[16];
	/* non-fatal problems (a skipped stream: "SOURCE: MESSAGE, skipped"); called with
	 * progress_arg; MSG is valid only during the call */
	void (*warn)(const char *msg, void *arg);
};

/* Fill OPTS (the caller's) with the defaults above (source and outdir NULL). */
void transcoder_options_init(struct transcoder_options *opts);

/*
 * Apple's HLS authoring ladder (8 rungs, 234p..1080p); *LEN gets the count.
 * The array is static and read-only: never freed, valid for the whole process.
 */
const struct transcoder_rung *transcoder_default_ladder(size_t *len);

/*
 * Parse a ladder like "640x360@365,1280x720@3000" (kbps) into OUT, the caller's
 * array of MAX rungs.  Returns the number of rungs, or -EINVAL on a malformed
 * list (or more than MAX rungs); OUT may then be partly written.
 */
int transcoder_ladder_parse(const char *s, struct transcoder_rung *out, size_t max);

/*
 * Transcode OPTS->source into the package OPTS->outdir.  The work is done in a
 * temporary sibling folder that is renamed to OUTDIR only when everything
 * (playlists, manifest.json) has been written; on failure the temporary folder
 * is removed and OUTDIR is left untouched.
 *
 * OPTS is only read (see struct transcoder_options for its pointers); ERR is the
 * caller's buffer of ERRLEN bytes, always NUL-terminated ("" on success).
 * Returns 0, or a negative errno with ERR holding one line that names the file
 * and the problem:
 *   -ENOENT/-EACCES  source unreadable;  -EEXIST  OUTDIR exists and is not empty;
 *   -EINVAL          not a media file, truncated, empty, no decodable stream,
 *                    absurd dimensions, bad options;
 *   -ETIMEDOUT       no progress within stall_timeout;
 *   -EINTR           transcoder_cancel() was called;
 *   -EIO / -ENOMEM   write or allocation failure, encoder failure.
 *
 * Process-wide effects: it installs an av_log callback (FFmpeg's own messages are
 * kept for ERR, printed only when verbose), so run one job per process, as the
 * origin does.  If FFmpeg wedges inside a call and does not return within 5 s of
 * the stall timeout, the watchdog removes the temporary folder and ends the
 * process with _exit(124): a thread stuck in a decoder cannot be cancelled safely.
 */
int transcoder_run(const struct transcoder_options *opts, char *err, size_t errlen);

/*
 * Ask a running transcoder_run (from a signal handler or another thread) to stop;
 * it then fails with -EINTR and leaves no package.  Async-signal-safe.
 */
void transcoder_cancel(void);

#endif
