/*
 * What a running reel-transcode says: its --progress=json lines on stdout
 * (docs/transcoder.md) parsed into struct job_progress, and its stderr kept
 * as the last lines of a job's log.  Both come from a process that reads a
 * hostile file, so the parser takes any bytes (fuzzed by fuzz_job_progress).
 *
 * Ownership: every output (OUT, *P and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_JOBS_PROGRESS_H
#define ORIGIN_JOBS_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOB_LINE_MAX	512 /* bytes of a log line kept; longer lines are cut */
#define JOB_LOG_LINES	50  /* stderr lines a job keeps */
#define JOB_MESSAGE_MAX 512 /* bytes of an error event's message kept */

enum job_event {
	JOB_EVENT_NONE,	    /* not a progress line (not JSON, or another event) */
	JOB_EVENT_PROGRESS, /* {"event":"progress", ...} */
	JOB_EVENT_DONE,	    /* {"event":"done", ..., "skipped_streams": [...]} */
	JOB_EVENT_ERROR,    /* {"event":"error","message":...} */
};

/* The state of a transcode, as its last progress line gave it. */
struct job_progress {
	double percent;	 /* 0..100 */
	double time;	 /* seconds of the source done */
	double duration; /* seconds of the source */
	double elapsed;	 /* seconds since the transcode started */
	double speed;	 /* source seconds per second */
	double eta;	 /* seconds left; < 0 unknown */
	double fps;	 /* frames per second of elapsed time */
	uint64_t frames;
	char message[JOB_MESSAGE_MAX]; /* an error event's, "" otherwise */
};

/*
 * Parse the line LINE[0..LEN) (no newline) into *P.  Returns its event:
 * PROGRESS and DONE update P's numbers (each clamped to a sane range; a
 * member missing or of another type keeps its old value), ERROR sets P's
 * message (cut to JOB_MESSAGE_MAX - 1 bytes, control bytes as spaces), NONE
 * changes nothing.
 */
enum job_event job_progress_parse(const char *line, size_t len, struct job_progress *p);

/* *P as a new JSON object {"percent", "time", "duration", "speed", "fps", "eta", "frames"}. */
json_t *job_progress_json(const struct job_progress *p);

/* The last JOB_LOG_LINES lines of a stream, each cut to JOB_LINE_MAX - 1 bytes. */
struct job_log {
	char lines[JOB_LOG_LINES][JOB_LINE_MAX];
	unsigned first, n; /* the oldest line's slot, and how many are kept */
};

/* Keep LINE[0..LEN) (no newline) as the newest line of L (control bytes become spaces). */
void job_log_add(struct job_log *l, const char *line, size_t len);

/* The newest line of L that satisfies KEEP(line), or NULL (a string of L's). */
const char *job_log_last(const struct job_log *l, bool (*keep)(const char *line));

/* L's lines, oldest first, as a new JSON array. */
json_t *job_log_json(const struct job_log *l);

#endif
