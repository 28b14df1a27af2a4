/*
 * The admin API's answers as text for people: a table per listing, "key:
 * value" lines per object.  Each takes the answer as the origin sent it and
 * copes with any JSON (a member missing or of another type shows as "-"),
 * since it comes from the network.  Returns 0, -ENOMEM or -EIO (OUT failed).
 */
#ifndef REEL_CTL_VIEWS_H
#define REEL_CTL_VIEWS_H

#include <jansson.h>
#include <stdio.h>

/* {"users": [AdminUser...], "total"} */
int ctl_view_users(FILE *out, const json_t *list);
/* AdminUser */
int ctl_view_user(FILE *out, const json_t *user);
/* {"plans": [Plan...]} */
int ctl_view_plans(FILE *out, const json_t *list);
/* Plan */
int ctl_view_plan(FILE *out, const json_t *plan);
/* {"titles": [Title...], "total"} */
int ctl_view_titles(FILE *out, const json_t *list);
/* Title */
int ctl_view_title(FILE *out, const json_t *title);
/* {"edges": [Edge...]} */
int ctl_view_edges(FILE *out, const json_t *list);
/* Edge */
int ctl_view_edge(FILE *out, const json_t *edge);
/* {"address", "title", "choices": [{"url", "why", "edge", "prefix_len"}...]} */
int ctl_view_steer(FILE *out, const json_t *steer);
/* The fill status: a row per edge and title. */
int ctl_view_fill(FILE *out, const json_t *status);

/* {"title", "keys": [{"kid", "current", "added"}...]} */
int ctl_view_keys(FILE *out, const json_t *list);
/* Playback (a minted stream token) */
int ctl_view_stream_token(FILE *out, const json_t *grant);

/* {"jobs": [Job...], "total"} */
int ctl_view_jobs(FILE *out, const json_t *list);
/* Job */
int ctl_view_job(FILE *out, const json_t *job);

/* A job's progress as "42%, 0:15 of 1:00, 2.50x, ETA 0:18" into BUF, or "-" without one. */
const char *ctl_job_progress(const json_t *job, char *buf, size_t len);

/* Member KEY of OBJ: its string, else NULL (for "-"). */
const char *ctl_json_str(const json_t *obj, const char *key);

#endif
