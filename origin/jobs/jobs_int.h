/*
 * The jobs service's insides, shared by jobs.c (the queue and its records)
 * and run.c (a job's reel-transcode, from its start to its outcome) only.
 */
#ifndef ORIGIN_JOBS_JOBS_INT_H
#define ORIGIN_JOBS_JOBS_INT_H

#include "catalog/catalog.h"
#include "jobs/jobs.h"
#include "jobs/progress.h"

#define JOBS_MAGIC    0x4a4f4253u /* "JOBS" */
#define JOB_RUN_MAGIC 0x4a52554eu /* "JRUN" */

/* A job whose reel-transcode runs (or is being stopped). */
struct job_run {
	uint32_t magic;
	struct jobs *j;
	struct job_run *next;
	char id[JOB_ID_LEN + 1];
	char title[TITLE_ID_MAX + 1], name[TITLE_NAME_MAX + 1];
	char source[PATH_MAX];	  /* the file reel-transcode reads */
	char shown[PATH_MAX];	  /* what to call it in messages: the upload's name, or the path */
	char work[PATH_MAX + 64]; /* <content_dir>/.jobs/<id>: all it writes */
	char package[PATH_MAX + 160]; /* <work>/<title>: the package once complete */
	bool encrypt;
	uint8_t key[CONTENT_KEY_LEN]; /* made for this run; registered only on success */
	struct job_child *child;      /* NULL once it ended */
	bool cancelled;		      /* the job is cancelled: its outcome is not recorded */
	bool done_event;	      /* reel-transcode said "done" */
	struct job_progress progress;
	struct job_log log;
};

struct jobs {
	uint32_t magic;
	struct store *st;	 /* not owned */
	struct event_base *base; /* not owned */
	struct catalog *catalog; /* not owned */
	struct uploads *uploads; /* not owned */
	struct jobs_params p;
	struct job_children *children;
	struct job_run *runs;
	unsigned nrunning; /* runs whose child still runs */
	unsigned queued;   /* queued jobs (recounted at each change) */
	uint64_t next_seq; /* the order of the queue */
	uint64_t done, failed;
	bool closing;
	char trash[PATH_MAX + 16]; /* <content_dir>/.trash */
};

/* The run of job ID, or NULL. */
struct job_run *jobs_run_of(struct jobs *j, const char *id);

/*
 * Start the run of the job REC (borrowed; state "running" already stored):
 * its source, work folder, key and reel-transcode.  0, or a negative errno
 * with the one-line reason in WHY (WHYLEN bytes).
 */
int job_run_start(struct jobs *j, json_t *rec, char *why, size_t whylen);

/* Kill run R's reel-transcode (a cancel); jobs_run_ended() follows once it is reaped. */
void job_run_stop(struct job_run *r);

/* Free run R (wiping its key); its child must have ended or been reaped. */
void job_run_free(struct job_run *r);

/*
 * The outcome of run R, which ended: STATE "done" (RESULT, consumed, the
 * summary of the registered title), "failed" (ERROR the reason) or, for a
 * run stopped by a cancel, nothing but its log.  Updates the job's record,
 * frees R and lets the next job start.
 */
void jobs_run_ended(struct jobs *j, struct job_run *r, const char *state, const char *error,
		    json_t *result);

/* Move PATH (a folder or file) into J's trash and remove it there in the background. */
void jobs_discard(struct jobs *j, const char *path);

#endif
