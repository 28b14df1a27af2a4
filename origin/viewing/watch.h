/*
 * What one viewer watched of one title (a history record, tables.h), and
 * the rules by which plays and position reports change it.
 *
 * Ownership: every output is the caller's storage; a call that allocates
 * says so and who frees what it returns.
 */
#ifndef ORIGIN_VIEWING_WATCH_H
#define ORIGIN_VIEWING_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define WATCH_DAYS_MAX	     31	  /* days of plays kept: the longest popularity window */
#define WATCH_FINISH	     0.95 /* of the duration: watched that far, a title is finished */
#define WATCH_POSITION_SLACK 1.0  /* seconds past the end a player may report (its clock) */

struct watch {
	double position;     /* the resume point, s: 0 from the start (never played, or finished) */
	double at;	     /* the position last reported, s */
	double duration;     /* the title's, at the last report */
	double watched;	     /* seconds watched: forward progress, no faster than the clock */
	int64_t first, last; /* unix s: the first and the last play or report */
	int64_t finished;    /* unix s: when first watched to the end; 0 never */
	uint32_t seq;	     /* with FINISHED: its place among the viewer's finishes */
	uint32_t days[WATCH_DAYS_MAX]; /* days (since 1970) a play was counted, in the window */
	unsigned ndays;
};

/* W from history record REC: 0, or -EIO when REC is not one. */
int watch_from_json(json_t *rec, struct watch *w);

/* W as a history record (a new reference; NULL on ENOMEM). */
json_t *watch_json(const struct watch *w);

/*
 * W as the API shows it for TITLE named NAME (NULL: no longer in the
 * catalog), a new reference (NULL on ENOMEM): with FULL every member, else
 * those of "continue watching".
 */
json_t *watch_entry(const struct watch *w, const char *title, const char *name, bool full);

/*
 * A play at NOW on DAY: the first and last activity, and the day counted
 * once (days before the window of WINDOW days are dropped).  Returns true
 * when DAY is counted now (a play for the popularity of the title).
 */
bool watch_play(struct watch *w, int64_t now, uint32_t day, uint32_t window);

/*
 * A reported POSITION (0..DURATION) at NOW of a title whose end credits
 * begin at CREDITS (0: not marked): the time watched grows by the progress
 * since the last report, at most the time since it; past the end credits,
 * or WATCH_FINISH of the duration without them, the title is finished (the
 * first time: at NOW) and the resume point goes back to 0.
 */
void watch_report(struct watch *w, double position, double duration, double credits, int64_t now);

#endif
