/*
 * Transcode jobs (docs/origin.md, "Jobs"): a persistent queue in the jobs
 * table (tables.h) run at most MAX_RUNNING at a time, each job one
 * reel-transcode child process under limits (child.h), its progress and
 * log read as they come.  A job's source is an upload (uploads.h) or a
 * file under the import folder.  Success registers the title in the
 * catalog (with the content key the origin made, when encrypted) and calls
 * the title-ready hook; failure keeps the source for a retry and leaves
 * the catalog alone.  The queue survives restarts: a job that was running
 * when the origin died runs again (up to RESTARTS times) or fails, never
 * stays "running".
 *
 * States: queued -> running -> done | failed; queued or running ->
 * cancelled; failed or cancelled -> queued (retry).
 *
 * Ownership: every output (OUT and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_JOBS_JOBS_H
#define ORIGIN_JOBS_JOBS_H

#include <event2/event.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "jobs/child.h"
#include "jobs/uploads.h"
#include "reason.h"

struct store;

#define JOB_ID_LEN     17 /* "j" and 16 hex digits */
#define JOB_LADDER_MAX 256
#define JOB_RUNG_MAX   16
#define JOB_PRESET_MAX 32

/*
 * The seam for the fill scheduler: called on the loop once a job's title is
 * registered, with the title id, its version, the job id (strings valid
 * during the call) and whether the job is urgent (its stored flag, kept
 * through restarts: the title is filled at once, even outside the fill
 * window).  Until a scheduler takes it, nothing is sent to edges.
 */
typedef void jobs_ready_fn(void *arg, const char *title, const char *version, const char *job,
			   bool urgent);

/*
 * The other seam: where version VERSION of TITLE, the title of a done job,
 * stands on the edges, as the job's "fill" (a new reference; NULL leaves
 * "fill": null).  Called on the loop whenever such a job is shown.
 */
typedef json_t *jobs_fill_fn(void *arg, const char *title, const char *version);

struct jobs_params {
	char transcoder[PATH_MAX];  /* reel-transcode */
	char content_dir[PATH_MAX]; /* packages: <content_dir>/<title>/ */
	char import_dir[PATH_MAX];  /* sources on the origin host must be under it; "": none */
	unsigned max_running;	    /* jobs running at once, >= 1 */
	unsigned restarts;	    /* times a job interrupted by an origin crash runs again */
	struct job_limits limits;   /* of every reel-transcode */
	char preset[JOB_PRESET_MAX];
	unsigned segment_s;	     /* segment target */
	unsigned threads;	     /* 0: the transcoder's default */
	char ladder[JOB_LADDER_MAX]; /* "" : the transcoder's default */
	int64_t (*now)(void);	     /* unix seconds */
	jobs_ready_fn *title_ready;  /* may be NULL */
	void *ready_arg;
	jobs_fill_fn *title_fill;    /* may be NULL: done jobs show "fill": null */
	void *fill_arg;
	/* what happened to jobs (started, done, failed), one line each; may be NULL */
	void (*note)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* What a job is asked to do (a job body, docs/openapi.yaml JobRequest). */
struct job_spec {
	char title[TITLE_ID_MAX + 1];
	char name[TITLE_NAME_MAX + 1];	/* "" : the title id */
	char upload[UPLOAD_ID_LEN + 1]; /* the source: an upload, */
	char path[PATH_MAX];		/* or a file on the origin host (exactly one is set) */
	char ladder[JOB_LADDER_MAX];	/* "" : the configured one */
	bool ts;			/* MPEG-TS segments instead of fMP4 */
	bool encrypt, urgent;		/* urgent: ahead of every job that is not */
};

struct jobs;

/* Is S[0..LEN) a job id? */
bool job_id_valid(const char *s, size_t len);

/*
 * Is LADDER a rung list reel-transcode takes ("WxH@KBPS,...": 1..16 rungs,
 * sides 16..16384, 16..200000 kb/s)?
 */
bool job_ladder_valid(const char *ladder);

/*
 * The real path of PATH (relative: to IMPORT_DIR) into OUT (PATH_MAX bytes)
 * when it is a regular file under IMPORT_DIR, symbolic links resolved.
 * Returns 0, -EACCES (IMPORT_DIR is "", or the file is outside it: the
 * rule in *WHY), or -ENOENT (no such file, or not a regular file: code
 * "no_such_file").
 */
int job_import_path(const char *import_dir, const char *path, char *out, struct origin_reason *why);

/*
 * Read a job body OBJ (borrowed) into *OUT: {"title", "name"?, "upload" |
 * "path", "ladder"?, "format"?: "fmp4" | "ts", "encrypt"?, "urgent"?}.
 * Returns 0, -EPROTO (an unknown member, or a member of the wrong type: the
 * rule in *WHY) or -EINVAL (a value out of its rules: in *WHY).  *OUT may
 * be partly written on failure.
 */
int job_spec_from_json(json_t *obj, struct job_spec *out, struct origin_reason *why);

/*
 * The jobs service over ST (not owned), on BASE, registering titles in CAT
 * and taking sources from UP (neither owned; both must outlive it), with P
 * (copied).  It recovers the queue (jobs left running by a crash run again
 * or fail), empties the work folders, and starts what may run.  NULL with
 * "why" in ERR.  Free with jobs_free().
 */
struct jobs *jobs_new(struct store *st, struct event_base *base, struct catalog *cat,
		      struct uploads *up, const struct jobs_params *p, char *err, size_t errlen);

/*
 * Stop J: running jobs are killed and go back to the queue (an orderly stop
 * is not a crash), their partial output removed.  NULL is a no-op.
 */
void jobs_free(struct jobs *j);

/*
 * Queue the job S at NOW.  Returns 0 with *OUT the job (a new reference,
 * as jobs_get), or: -EINVAL (*WHY says which value); -ENOENT (no such
 * upload, code "unknown_upload", or no such file, code "no_such_file");
 * -EINPROGRESS (the upload is not complete); -EACCES (the path is not
 * under the import folder, or there is none: *WHY); -EEXIST (the title is
 * registered); -EBUSY (a job for the title is queued or running); or a
 * negative errno.
 */
int jobs_create(struct jobs *j, const struct job_spec *s, json_t **out, struct origin_reason *why);

/*
 * Job ID as the API shows it, into *OUT (a new reference): its record with,
 * while it runs, "progress" live and "pid"; once done, "fill" from the
 * title_fill seam.  0, -ENOENT, or a negative errno.
 */
int jobs_get(struct jobs *j, const char *id, json_t **out);

/*
 * The jobs in STATE (NULL: all; -EINVAL for a state that is none), newest
 * first, skipping OFFSET and at most LIMIT, as a new {"jobs": [...],
 * "total": N} into *OUT (without their logs).
 */
int jobs_list(struct jobs *j, const char *state, size_t offset, size_t limit, json_t **out);

/*
 * The last lines of job ID's stderr (live while it runs) as a new
 * {"id", "state", "lines": [...]} into *OUT: 0, -ENOENT, or a negative errno.
 */
int jobs_logs(struct jobs *j, const char *id, json_t **out);

/*
 * Cancel job ID: a queued one at once, a running one is killed (its process
 * group) and its partial output removed.  0 with *OUT the job, -ENOENT,
 * -EALREADY (it had ended: done, failed or cancelled), or a negative errno.
 */
int jobs_cancel(struct jobs *j, const char *id, json_t **out);

/*
 * Queue failed or cancelled job ID again, from its kept source.  0 with
 * *OUT the job, -ENOENT, -EALREADY (it is queued, running or done), -EBUSY
 * (its process is still stopping), -ESTALE (its source is gone: *WHY),
 * -EEXIST (the title was registered meanwhile), or a negative errno.
 */
int jobs_retry(struct jobs *j, const char *id, json_t **out, struct origin_reason *why);

/*
 * Delete upload ID, unless a queued or running job takes its source from
 * it: 0, -ENOENT, -EBUSY, or a negative errno.
 */
int jobs_remove_upload(struct jobs *j, const char *id);

struct jobs_stats {
	unsigned running, queued;
	uint64_t done, failed; /* since the start */
};

/* J's counts now. */
void jobs_stats(const struct jobs *j, struct jobs_stats *out);

#endif
