/*
 * A progress report for long transfers and jobs.  On a terminal: one line
 * redrawn in place at most ten times a second, with a bar, the percentage,
 * done and total, the rate and the time left.  Elsewhere (a log, a pipe):
 * a plain line at every tenth of the way or every ten seconds, then a last
 * line.  Nothing at all is shown for work that ends within DELAY seconds.
 * Times are passed in (seconds on any monotonic clock), so the output can
 * be tested.
 */
#ifndef REEL_CTL_PROGRESS_H
#define REEL_CTL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ctl_progress {
	FILE *out;
	bool tty, bytes; /* bytes: sizes and B/s; else plain counts */
	int width;	 /* columns of the terminal */
	char label[64];
	uint64_t total, done; /* total 0: unknown */
	uint64_t base;	      /* done before this run (a resumed transfer): not in the rate */
	bool media;	      /* units are milliseconds of media: durations, and speed as "2.50x" */
	double given_rate, given_eta; /* the work's own rate and time left; < 0: computed here */
	double start, delay;
	double rate, sample_t; /* smoothed units per second, from samples */
	uint64_t sample_done;
	double drawn_t; /* the last line's time */
	int step;	/* plain lines: the last tenth printed */
	bool shown;
};

/*
 * Begin a report on OUT (a terminal of WIDTH columns when TTY) named LABEL
 * for TOTAL units (0: unknown), BYTES or plain counts, at time NOW.
 */
void ctl_progress_start(struct ctl_progress *p, FILE *out, bool tty, int width, const char *label,
			uint64_t total, bool bytes, double delay, double now);

/* DONE units were done before the report began (a resumed transfer goes on from there). */
void ctl_progress_resume(struct ctl_progress *p, uint64_t done);

/*
 * The units are milliseconds of media (a transcode): amounts show as
 * durations, the rate as the speed ("2.50x", media seconds per second).
 */
void ctl_progress_media(struct ctl_progress *p);

/*
 * The work reports its own RATE (units per second) and ETA (seconds; < 0:
 * not known yet): shown instead of what P would compute, until the end.
 */
void ctl_progress_given(struct ctl_progress *p, double rate, double eta);

/* DONE units are done at NOW; draws a line when one is due. */
void ctl_progress_set(struct ctl_progress *p, uint64_t done, double now);

/* The work ended (OK: completely) at NOW: a last line, if anything was shown. */
void ctl_progress_end(struct ctl_progress *p, bool ok, double now);

/* The line P would show at NOW (no bar and no end of line when not a TTY). */
const char *ctl_progress_line(const struct ctl_progress *p, double now, char *buf, size_t len);

/* The columns of the terminal on FD (80 when it is none or does not say). */
int ctl_progress_columns(int fd);

/* Seconds on the monotonic clock. */
double ctl_progress_now(void);

/* Wait SECONDS (for work polled now and then). */
void ctl_progress_sleep(double seconds);

#endif
