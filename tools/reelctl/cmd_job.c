/*
 * job list|show|cancel|retry|logs: the origin's transcode jobs, and
 * following one to its end for title add --wait.
 */
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "progress.h"
#include "views.h"

#define JOBS	 "/admin/v1/jobs"
#define POLL	 0.5   /* seconds between looks at a job */
#define PATIENCE 120.0 /* seconds the origin may stay silent while a job is followed */

int ctl_job_list(struct ctl *c, const struct ctl_line *l)
{
	const struct ctl_val *state = ctl_opt(l, "state");
	char path[128], esc[64];

	if (state->set && !ctl_client_escape(state->str, esc, sizeof(esc)))
		return ctl_error(CTL_USAGE, "--state: one of queued, running, done, failed, "
					    "cancelled");
	snprintf(path, sizeof(path), JOBS "%s%s", state->set ? "?state=" : "",
		 state->set ? esc : "");
	return ctl_list(c, path, "jobs", true, ctl_view_jobs);
}

int ctl_job_show(struct ctl *c, const struct ctl_line *l)
{
	json_t *j;
	int status = ctl_call_named(c, "job", JOBS "/", l->pos[0], "GET", &j);

	if (status == 0)
		status = ctl_show(c, j, ctl_view_job);
	json_decref(j);
	return status;
}

/* METHOD on job ID's SUFFIX ("/cancel"): 0 with the answer in *OUT, or the exit status. */
static int job_call(struct ctl *c, const char *id, const char *method, const char *suffix,
		    char *obj, size_t objlen, json_t **out)
{
	char path[256];

	*out = NULL;
	ctl_obj(obj, objlen, "job", id);
	if (!ctl_path(path, sizeof(path), obj, JOBS "/", id, suffix))
		return CTL_USAGE;
	return ctl_call(c, obj, method, path, NULL, out);
}

/* POST job L's SUFFIX ("/cancel"), then say "job 'ID' DONE (title 'T')" or print the JSON. */
static int job_action(struct ctl *c, const struct ctl_line *l, const char *suffix, const char *done)
{
	char obj[128];
	json_t *j;
	int status = job_call(c, l->pos[0], "POST", suffix, obj, sizeof(obj), &j);

	if (status == 0 && c->json)
		status = ctl_print_json(c, j);
	else if (status == 0)
		ctl_say(c, "%s %s (title '%s')", obj, done,
			ctl_json_str(j, "title") ? ctl_json_str(j, "title") : "-");
	json_decref(j);
	return status;
}

int ctl_job_cancel(struct ctl *c, const struct ctl_line *l)
{
	return job_action(c, l, "/cancel", "cancelled");
}

int ctl_job_retry(struct ctl *c, const struct ctl_line *l)
{
	return job_action(c, l, "/retry", "queued again");
}

int ctl_job_logs(struct ctl *c, const struct ctl_line *l)
{
	char obj[128];
	const json_t *line;
	json_t *j;
	size_t i;
	int status = job_call(c, l->pos[0], "GET", "/logs", obj, sizeof(obj), &j);

	if (status == 0 && c->json)
		status = ctl_print_json(c, j);
	else if (status == 0)
		json_array_foreach(json_object_get(j, "lines"), i, line)
		    ctl_say(c, "%s", json_is_string(line) ? json_string_value(line) : "?");
	json_decref(j);
	return status;
}

/* ---- following a job ---- */

/* Member KEY of the progress P in seconds (or times), 0 unless in 0..1e9: it comes from the
 * network. */
static double seconds(const json_t *p, const char *key)
{
	double v = json_number_value(json_object_get(p, key));

	return v > 0 && v < 1e9 ? v : 0;
}

/* Show the running job J's progress on BAR. */
static void show_progress(struct ctl_progress *bar, const json_t *j)
{
	const json_t *p = json_object_get(j, "progress");
	const json_t *eta = json_object_get(p, "eta");

	if (!json_is_object(p))
		return;
	if (seconds(p, "duration") > 0)
		bar->total = (uint64_t)(seconds(p, "duration") * 1000);
	ctl_progress_given(bar, seconds(p, "speed") * 1000,
			   json_is_number(eta) ? json_number_value(eta) : -1);
	ctl_progress_set(bar, (uint64_t)(seconds(p, "time") * 1000), ctl_progress_now());
}

/* Whether the job J is done, with its fill complete when a scheduler reports one. */
static bool complete(const json_t *j)
{
	const json_t *fill = json_object_get(j, "fill");
	const char *state = ctl_json_str(j, "state"), *fs = ctl_json_str(fill, "state");

	return state && strcmp(state, "done") == 0 &&
	       (!json_is_object(fill) || (fs && strcmp(fs, "complete") == 0));
}

/* Whether the job J failed or was cancelled. */
static bool lost(const json_t *j)
{
	const char *state = ctl_json_str(j, "state");

	return state && (strcmp(state, "failed") == 0 || strcmp(state, "cancelled") == 0);
}

/* Say why the job J, which failed or was cancelled, did not make WHAT; the exit status. */
static int say_lost(const json_t *j, const char *what)
{
	const char *id = ctl_json_str(j, "id") ? ctl_json_str(j, "id") : "-";

	if (strcmp(ctl_json_str(j, "state"), "cancelled") == 0)
		return ctl_error(CTL_FAILED, "%s: job %s was cancelled", what, id);
	return ctl_error(CTL_FAILED, "%s: job %s failed: %s", what, id,
			 ctl_json_str(j, "error") ? ctl_json_str(j, "error") : "-");
}

int ctl_job_wait(struct ctl *c, const char *id, const char *what, json_t **out)
{
	char obj[128], path[256], err[1024];
	struct ctl_progress bar;
	double silent_since = -1;
	json_t *last = NULL;
	int status = 0;

	*out = NULL;
	ctl_obj(obj, sizeof(obj), "job", id);
	if (!ctl_path(path, sizeof(path), obj, JOBS "/", id, ""))
		return CTL_USAGE;
	ctl_progress_start(&bar, stderr, isatty(2), ctl_progress_columns(2), "transcode", 0, false,
			   0.5, ctl_progress_now());
	ctl_progress_media(&bar);
	for (;;) {
		struct ctl_reply r;
		json_t *j;
		int rc = ctl_try(c, "GET", path, NULL, &r, err, sizeof(err));

		if (rc > 0) {
			status = rc;
			break;
		}
		if (rc < 0) { /* the origin restarting, say: the job survives it */
			double now = ctl_progress_now();

			if (silent_since < 0)
				silent_since = now;
			if (now - silent_since > PATIENCE) {
				status = ctl_error(CTL_FAILED,
						   "%s: %s; no answer for %.0f s (the job goes on: "
						   "reelctl job show %s)",
						   obj, err, PATIENCE, id);
				break;
			}
			ctl_progress_sleep(1);
			continue;
		}
		silent_since = -1;
		status = ctl_check(c, obj, &r, &j);
		ctl_reply_free(&r);
		if (status != 0)
			break;
		if (complete(j) || lost(j)) {
			last = j;
			break;
		}
		if (ctl_json_str(j, "state") && strcmp(ctl_json_str(j, "state"), "running") == 0)
			show_progress(&bar, j);
		json_decref(j);
		ctl_progress_sleep(POLL);
	}
	if (last && complete(last) && bar.total)
		bar.done = bar.total;
	ctl_progress_end(&bar, last && complete(last), ctl_progress_now());
	if (last && lost(last)) {
		status = say_lost(last, what);
		json_decref(last);
	} else if (last) {
		*out = last;
	}
	return status;
}
