/*
 * job list|show|cancel|retry|logs: the origin's transcode jobs, and
 * following one to its end for title add --wait.
 */
#include <stdint.h>
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

/* J's fill, when the origin reports one (an object): NULL before, or without a scheduler. */
static const json_t *fill_of(const json_t *j)
{
	const json_t *fill = json_object_get(j, "fill");

	return json_is_object(fill) ? fill : NULL;
}

static bool fill_is(const json_t *fill, const char *state)
{
	return ctl_json_str(fill, "state") && strcmp(ctl_json_str(fill, "state"), state) == 0;
}

/* Member KEY of FILL, a count from the network: 0 unless in 0..2^62. */
static uint64_t count(const json_t *fill, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(fill, key));

	return v > 0 && v < ((json_int_t)1 << 62) ? (uint64_t)v : 0;
}

/* Whether the job J is done, with its fill complete when the origin reports one. */
static bool complete(const json_t *j)
{
	const json_t *fill = fill_of(j);
	const char *state = ctl_json_str(j, "state");

	return state && strcmp(state, "done") == 0 && (!fill || fill_is(fill, "complete"));
}

/* Whether the job J failed or was cancelled, or its package changed before it reached the
 * edges. */
static bool lost(const json_t *j)
{
	const char *state = ctl_json_str(j, "state");

	return state && (strcmp(state, "failed") == 0 || strcmp(state, "cancelled") == 0 ||
			 (strcmp(state, "done") == 0 && fill_is(fill_of(j), "superseded")));
}

/* Say why the job J, which failed or was cancelled, did not make WHAT; the exit status. */
static int say_lost(const json_t *j, const char *what)
{
	const char *id = ctl_json_str(j, "id") ? ctl_json_str(j, "id") : "-";

	if (strcmp(ctl_json_str(j, "state"), "cancelled") == 0)
		return ctl_error(CTL_FAILED, "%s: job %s was cancelled", what, id);
	if (strcmp(ctl_json_str(j, "state"), "done") == 0)
		return ctl_error(CTL_FAILED,
				 "%s: packaged anew before job %s's package reached the edges", what,
				 id);
	return ctl_error(CTL_FAILED, "%s: job %s failed: %s", what, id,
			 ctl_json_str(j, "error") ? ctl_json_str(j, "error") : "-");
}

/* The first edge of FILL not complete, as "NAME STATE[: ERROR]" into BUF. */
static const char *lagging(const json_t *fill, char *buf, size_t len)
{
	const json_t *e;
	size_t i;

	snprintf(buf, len, "-");
	json_array_foreach(json_object_get(fill, "by_edge"), i, e)
	{
		const char *state = ctl_json_str(e, "state"), *error = ctl_json_str(e, "error");

		if (state && strcmp(state, "complete") != 0) {
			snprintf(buf, len, "%.64s %.16s%s%.200s",
				 ctl_json_str(e, "name") ? ctl_json_str(e, "name") : "?", state,
				 error ? ": " : "", error ? error : "");
			break;
		}
	}
	return buf;
}

/* Say that the job J (the last answer, or NULL) did not make WHAT in TIMEOUT seconds. */
static int say_late(const json_t *j, const char *what, double timeout)
{
	const json_t *fill = fill_of(j);
	const char *state = j ? ctl_json_str(j, "state") : NULL;
	char edge[320];

	if (state && strcmp(state, "done") == 0 && fill)
		return ctl_error(CTL_FAILED,
				 "%s: not on every edge after %.0f s: complete on %llu of %llu (%s)",
				 what, timeout, (unsigned long long)count(fill, "complete"),
				 (unsigned long long)count(fill, "edges"),
				 lagging(fill, edge, sizeof(edge)));
	return ctl_error(CTL_FAILED, "%s: job %s still %s after %.0f s", what,
			 ctl_json_str(j, "id") ? ctl_json_str(j, "id") : "-",
			 state ? state : "unknown", timeout);
}

/* The bar follows the fill of the done job J: begun at its first look, set at every one. */
static void show_fill(struct ctl_progress *bar, bool *filling, const json_t *j)
{
	const json_t *fill = fill_of(j);

	if (!fill)
		return;
	if (!*filling) {
		if (bar->total)
			bar->done = bar->total;
		ctl_progress_end(bar, true, ctl_progress_now());
		ctl_progress_start(bar, stderr, isatty(2), ctl_progress_columns(2), "fill", 0, true,
				   0.5, ctl_progress_now());
		*filling = true;
	}
	snprintf(bar->label, sizeof(bar->label), "fill %llu/%llu edges",
		 (unsigned long long)count(fill, "complete"),
		 (unsigned long long)count(fill, "edges"));
	bar->total = count(fill, "bytes");
	ctl_progress_set(bar, count(fill, "bytes_done"), ctl_progress_now());
}

int ctl_job_wait(struct ctl *c, const char *id, const char *what, double timeout, json_t **out)
{
	char obj[128], path[256], err[1024];
	struct ctl_progress bar;
	double silent_since = -1, deadline = timeout > 0 ? ctl_progress_now() + timeout : -1;
	json_t *last = NULL, *seen = NULL;
	bool filling = false, late = false;
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
		int rc;

		if (deadline >= 0 && ctl_progress_now() >= deadline) {
			late = true;
			break;
		}
		if ((rc = ctl_try(c, "GET", path, NULL, &r, err, sizeof(err))) > 0) {
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
		else if (ctl_json_str(j, "state") && strcmp(ctl_json_str(j, "state"), "done") == 0)
			show_fill(&bar, &filling, j);
		json_decref(seen);
		seen = j;
		ctl_progress_sleep(POLL);
	}
	if (last && complete(last)) {
		if (!filling && fill_of(last))
			show_fill(&bar, &filling, last);
		if (bar.total)
			bar.done = bar.total;
	}
	ctl_progress_end(&bar, last && complete(last), ctl_progress_now());
	if (late)
		status = say_late(seen, what, timeout);
	if (last && lost(last)) {
		status = say_lost(last, what);
		json_decref(last);
	} else if (last) {
		*out = last;
	}
	json_decref(seen);
	return status;
}
