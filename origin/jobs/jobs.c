/*
 * The job queue: its records, their states, the order jobs start in, and
 * what the API reads of them (jobs.h).  A running job's process is run.c's.
 */
#include "jobs/jobs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/jobs_int.h"
#include "jsonfield.h"
#include "records.h"
#include "schema.h"
#include "store.h"

static const char *const job_states[] = {"queued", "running", "done", "failed", "cancelled", NULL};

static bool active(const char *state)
{
	return state && (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0);
}

static const char *state_of(json_t *rec)
{
	return json_string_value(json_object_get(rec, "state"));
}

/* ---- records ---- */

static int job_get(struct store_txn *t, const char *id, json_t **out)
{
	return records_get(t, ORIGIN_DB_JOBS, id, strlen(id), out);
}

/* Store REC (consumed) under its id. */
static int job_put(struct store_txn *t, json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));

	if (!id) {
		json_decref(rec);
		return -EINVAL;
	}
	return records_put(t, ORIGIN_DB_JOBS, id, strlen(id), rec, false);
}

/*
 * Change job ID in one write transaction: EDIT(REC, ARG) changes the record
 * in place and returns 0 to store it, or a negative errno to leave it.
 * With OUT (may be NULL), *OUT is the stored record (a new reference) on
 * success.
 */
static int job_update(struct jobs *j, const char *id, int (*edit)(json_t *rec, void *arg),
		      void *arg, json_t **out)
{
	struct store_txn *t;
	json_t *rec;
	int rc = store_begin(j->st, true, &t);

	if (out)
		*out = NULL;
	if (rc != 0)
		return rc;
	if ((rc = job_get(t, id, &rec)) == 0 && (rc = edit(rec, arg)) == 0) {
		if (out)
			*out = json_incref(rec);
		rc = job_put(t, rec);
	} else {
		json_decref(rec);
	}
	rc = store_finish(t, rc);
	if (rc != 0 && out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Call FN(ARG, REC) for every job, in a read transaction of its own. */
static int job_scan(struct jobs *j, int (*fn)(void *arg, const void *key, size_t klen, json_t *rec),
		    void *arg)
{
	struct store_txn *t;
	int rc = store_begin(j->st, false, &t);

	if (rc != 0)
		return rc;
	rc = records_scan(t, ORIGIN_DB_JOBS, NULL, 0, fn, arg);
	store_abort(t);
	return rc;
}

static int set_time(json_t *rec, const char *key, int64_t now)
{
	return json_object_set_new(rec, key, jf_time(now)) == 0 ? 0 : -ENOMEM;
}

/* ---- the queue ---- */

struct pick {
	json_t *best; /* the queued job to start next: urgent first, then in order */
	unsigned queued;
	uint64_t max_seq;
};

static bool before(json_t *a, json_t *b)
{
	bool ua = json_is_true(json_object_get(a, "urgent")),
	     ub = json_is_true(json_object_get(b, "urgent"));

	if (ua != ub)
		return ua;
	return json_integer_value(json_object_get(a, "seq")) <
	       json_integer_value(json_object_get(b, "seq"));
}

static int pick_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct pick *p = arg;
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	const char *state = state_of(rec);

	if (!rec)
		return -EIO;
	if (seq > p->max_seq)
		p->max_seq = seq;
	if (!state || strcmp(state, "queued") != 0)
		return 0;
	p->queued++;
	if (!p->best || before(rec, p->best)) {
		json_decref(p->best);
		p->best = json_incref(rec);
	}
	return 0;
}

/* The next queued job (a new reference in P->best, NULL for none) and the count of queued ones. */
static int pick(struct jobs *j, struct pick *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = job_scan(j, pick_one, p)) != 0) {
		json_decref(p->best);
		p->best = NULL;
	}
	return rc;
}

static void recount(struct jobs *j)
{
	struct pick p;

	if (pick(j, &p) == 0)
		j->queued = p.queued;
	json_decref(p.best);
}

struct start_arg {
	int64_t now;
};

static int mark_running(json_t *rec, void *arg)
{
	const struct start_arg *a = arg;
	uint64_t attempts = (uint64_t)json_integer_value(json_object_get(rec, "attempts"));

	if (strcmp(state_of(rec) ? state_of(rec) : "", "queued") != 0)
		return -EALREADY;
	if (json_object_set_new(rec, "state", json_string("running")) != 0 ||
	    json_object_set_new(rec, "attempts", json_integer((json_int_t)attempts + 1)) != 0 ||
	    json_object_set_new(rec, "error", json_null()) != 0 ||
	    json_object_set_new(rec, "ended", json_null()) != 0)
		return -ENOMEM;
	return set_time(rec, "started", a->now);
}

struct end_arg {
	const char *state, *error;
	json_t *result, *progress, *logs; /* borrowed */
	int64_t now;
};

static int mark_ended(json_t *rec, void *arg)
{
	const struct end_arg *a = arg;

	if (a->state && (json_object_set_new(rec, "state", json_string(a->state)) != 0 ||
			 set_time(rec, "ended", a->now) != 0))
		return -ENOMEM;
	if (a->error && json_object_set_new(rec, "error", json_string(a->error)) != 0)
		return -ENOMEM;
	if ((a->result && json_object_set(rec, "result", a->result) != 0) ||
	    (a->progress && json_object_set(rec, "progress", a->progress) != 0) ||
	    (a->logs && json_object_set(rec, "logs", a->logs) != 0))
		return -ENOMEM;
	return 0;
}

/* Job ID could not start (why: WHY): it fails. */
static void start_failed(struct jobs *j, const char *id, const char *title, const char *why)
{
	struct end_arg a = {"failed", why, NULL, NULL, NULL, j->p.now()};

	j->failed++;
	job_update(j, id, mark_ended, &a, NULL);
	if (j->p.note)
		j->p.note("job %s (title %s) failed: %s", id, title, why);
}

/* Start queued jobs while fewer than max_running run. */
static void schedule(struct jobs *j)
{
	while (!j->closing && j->nrunning < j->p.max_running) {
		struct start_arg a = {j->p.now()};
		struct pick p;
		char id[JOB_ID_LEN + 1], title[TITLE_ID_MAX + 1], why[512];
		json_t *rec;

		if (pick(j, &p) != 0 || !p.best)
			break;
		snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(p.best, "id")));
		snprintf(title, sizeof(title), "%s",
			 json_string_value(json_object_get(p.best, "title")));
		json_decref(p.best);
		if (job_update(j, id, mark_running, &a, &rec) != 0)
			break;
		if (job_run_start(j, rec, why, sizeof(why)) != 0)
			start_failed(j, id, title, why);
		json_decref(rec);
	}
	recount(j);
}

/* ---- what the API reads ---- */

struct job_run *jobs_run_of(struct jobs *j, const char *id)
{
	for (struct job_run *r = j->runs; r; r = r->next)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

/*
 * REC (borrowed) as the API shows it: without its log, with its live
 * progress while it runs, and its title's fill once done.
 */
static json_t *view(struct jobs *j, json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	struct job_run *r = id ? jobs_run_of(j, id) : NULL;
	json_t *v = json_deep_copy(rec);

	if (!v)
		return NULL;
	json_object_del(v, "logs");
	if (r && strcmp(state_of(rec) ? state_of(rec) : "", "running") == 0 &&
	    (json_object_set_new(v, "progress", job_progress_json(&r->progress)) != 0 ||
	     json_object_set_new(
		 v, "pid", r->child ? json_integer(job_child_pid(r->child)) : json_null()) != 0)) {
		json_decref(v);
		return NULL;
	}
	if (j->p.title_fill && strcmp(state_of(rec) ? state_of(rec) : "", "done") == 0) {
		const char *title = json_string_value(json_object_get(rec, "title"));
		const char *version =
		    json_string_value(json_object_get(json_object_get(rec, "result"), "version"));
		json_t *fill =
		    title && version ? j->p.title_fill(j->p.fill_arg, title, version) : NULL;

		if (fill && json_object_set_new(v, "fill", fill) != 0) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

static int read_job(struct jobs *j, const char *id, json_t **out)
{
	struct store_txn *t;
	int rc = store_begin(j->st, false, &t);

	*out = NULL;
	if (rc != 0)
		return rc;
	rc = job_get(t, id, out);
	store_abort(t);
	return rc;
}

int jobs_get(struct jobs *j, const char *id, json_t **out)
{
	json_t *rec;
	int rc = read_job(j, id, &rec);

	*out = NULL;
	if (rc == 0 && !(*out = view(j, rec)))
		rc = -ENOMEM;
	json_decref(rec);
	return rc;
}

struct list_ctx {
	struct jobs *j;
	const char *state;
	json_t *arr;
};

static int list_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct list_ctx *c = arg;
	json_t *v;

	if (!rec)
		return -EIO;
	if (c->state && strcmp(state_of(rec) ? state_of(rec) : "", c->state) != 0)
		return 0;
	if (!(v = view(c->j, rec)))
		return -ENOMEM;
	return json_array_append_new(c->arr, v) == 0 ? 0 : -ENOMEM;
}

static int newest_first(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seq"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Items OFFSET.. of ARR (borrowed), at most LIMIT, newest first, as a new array. */
static json_t *page(json_t *arr, size_t offset, size_t limit)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(arr, i);
	if (v)
		qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = offset; v && out && i < n && i - offset < limit; i++)
		json_array_append(out, v[i]);
	free(v);
	if (!v) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int jobs_list(struct jobs *j, const char *state, size_t offset, size_t limit, json_t **out)
{
	struct list_ctx c = {j, state, json_array()};
	bool known = !state;
	int rc;

	*out = NULL;
	for (const char *const *s = job_states; state && *s; s++)
		known = known || strcmp(*s, state) == 0;
	if (!known) {
		json_decref(c.arr);
		return -EINVAL;
	}
	if (!c.arr)
		return -ENOMEM;
	if ((rc = job_scan(j, list_one, &c)) == 0)
		*out = json_pack("{s:o, s:I}", "jobs", page(c.arr, offset, limit), "total",
				 (json_int_t)json_array_size(c.arr));
	json_decref(c.arr);
	return rc ? rc : *out ? 0 : -ENOMEM;
}

int jobs_logs(struct jobs *j, const char *id, json_t **out)
{
	struct job_run *r = jobs_run_of(j, id);
	json_t *rec, *lines;
	int rc = read_job(j, id, &rec);

	*out = NULL;
	if (rc != 0)
		return rc;
	lines = r ? job_log_json(&r->log) : json_incref(json_object_get(rec, "logs"));
	*out = json_pack("{s:s, s:s?, s:o}", "id", id, "state", state_of(rec), "lines",
			 lines ? lines : json_array());
	json_decref(rec);
	return *out ? 0 : -ENOMEM;
}

/* ---- changes ---- */

struct busy_ctx {
	const char *title, *upload; /* what an active job must not share */
	bool busy;
};

static int busy_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct busy_ctx *c = arg;
	const char *title = json_string_value(json_object_get(rec, "title"));
	const char *up =
	    json_string_value(json_object_get(json_object_get(rec, "source"), "upload"));

	if (!rec)
		return -EIO;
	if (active(state_of(rec)) && ((c->title && title && strcmp(title, c->title) == 0) ||
				      (c->upload && up && strcmp(up, c->upload) == 0))) {
		c->busy = true;
		return 1;
	}
	return 0;
}

/* Does a queued or running job have title TITLE, or its source in upload UPLOAD (either NULL)? */
static int busy(struct jobs *j, const char *title, const char *upload, bool *out)
{
	struct busy_ctx c = {title, upload, false};
	int rc = job_scan(j, busy_one, &c);

	*out = c.busy;
	return rc;
}

/*
 * The source of S: an upload that is complete, or a regular file under the
 * import folder (its real path into PATH).  The record's "source" into *OUT.
 */
static int resolve_source(struct jobs *j, const struct job_spec *s, char *path, json_t **out,
			  struct origin_reason *why)
{
	char name[UPLOAD_NAME_MAX + 1];
	int rc;

	*out = NULL;
	if (s->upload[0]) {
		rc = uploads_source(j->uploads, s->upload, path, PATH_MAX, name);
		if (rc == -ENOENT)
			return reason_set(why, rc, "unknown_upload", "no such upload");
		if (rc == -EINPROGRESS)
			return reason_set(why, rc, NULL, "the upload is not complete");
		if (rc == 0 && !(*out = json_pack("{s:s, s:s}", "upload", s->upload, "name", name)))
			rc = -ENOMEM;
		return rc;
	}
	if ((rc = job_import_path(j->p.import_dir, s->path, path, why)) != 0)
		return rc;
	return (*out = json_pack("{s:s}", "path", path)) ? 0 : -ENOMEM;
}

/* The new record of job ID for S with SOURCE (consumed) at NOW. */
static json_t *new_record(struct jobs *j, const char *id, const struct job_spec *s, json_t *source,
			  int64_t now)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:o, s:s, s:s, s:b, s:b, s:s, s:o, s:n, s:n, s:I, "
			 "s:I, s:n, s:n, s:n, s:n}",
			 "id", id, "seq", (json_int_t)j->next_seq++, "title", s->title, "name",
			 s->name[0] ? s->name : s->title, "source", source, "ladder",
			 s->ladder[0] ? s->ladder : j->p.ladder, "format", s->ts ? "ts" : "fmp4",
			 "encrypt", s->encrypt, "urgent", s->urgent, "state", "queued", "created",
			 jf_time(now), "started", "ended", "attempts", (json_int_t)0, "interrupted",
			 (json_int_t)0, "error", "progress", "result", "fill");
}

int jobs_create(struct jobs *j, const struct job_spec *s, json_t **out, struct origin_reason *why)
{
	char id[JOB_ID_LEN + 1], path[PATH_MAX];
	struct store_txn *t;
	json_t *source, *rec, *title;
	bool taken;
	int rc;

	*out = NULL;
	if ((rc = resolve_source(j, s, path, &source, why)) != 0)
		return rc;
	if ((rc = catalog_title(j->catalog, s->title, &title)) != -ENOENT) {
		json_decref(title);
		json_decref(source);
		return rc == 0 ? -EEXIST : rc;
	}
	if ((rc = busy(j, s->title, NULL, &taken)) != 0 || taken) {
		json_decref(source);
		return rc ? rc : -EBUSY;
	}
	if ((rc = jf_random_id('j', 8, id)) != 0 ||
	    !(rec = new_record(j, id, s, source, j->p.now())))
		return rc ? (json_decref(source), rc) : -ENOMEM;
	if ((rc = store_begin(j->st, true, &t)) == 0)
		rc = store_finish(t, records_put(t, ORIGIN_DB_JOBS, id, strlen(id), rec, true));
	else
		json_decref(rec);
	if (rc != 0)
		return rc;
	if (j->p.note)
		j->p.note("job %s (title %s) queued", id, s->title);
	schedule(j);
	return jobs_get(j, id, out);
}

static int mark_cancelled(json_t *rec, void *arg)
{
	const int64_t *now = arg;

	if (!active(state_of(rec)))
		return -EALREADY;
	if (json_object_set_new(rec, "state", json_string("cancelled")) != 0 ||
	    json_object_set_new(rec, "error", json_string("cancelled")) != 0)
		return -ENOMEM;
	return set_time(rec, "ended", *now);
}

int jobs_cancel(struct jobs *j, const char *id, json_t **out)
{
	int64_t now = j->p.now();
	struct job_run *r;
	int rc = job_update(j, id, mark_cancelled, &now, NULL);

	*out = NULL;
	if (rc != 0)
		return rc;
	if ((r = jobs_run_of(j, id)) && !r->cancelled) {
		r->cancelled = true;
		job_run_stop(r);
	}
	if (j->p.note)
		j->p.note("job %s cancelled", id);
	recount(j);
	return jobs_get(j, id, out);
}

static int mark_queued(json_t *rec, void *arg)
{
	const char *state = state_of(rec);

	if (!state || (strcmp(state, "failed") != 0 && strcmp(state, "cancelled") != 0))
		return -EALREADY;
	if (json_object_set_new(rec, "state", json_string("queued")) != 0 ||
	    json_object_set_new(rec, "error", json_null()) != 0 ||
	    json_object_set_new(rec, "ended", json_null()) != 0 ||
	    json_object_set_new(rec, "progress", json_null()) != 0 ||
	    json_object_set_new(rec, "interrupted", json_integer(0)) != 0)
		return -ENOMEM;
	return 0;
}

/* Is the source of REC still there?  0, or -ESTALE with *WHY. */
static int source_kept(struct jobs *j, json_t *rec, struct origin_reason *why)
{
	json_t *src = json_object_get(rec, "source");
	const char *up = json_string_value(json_object_get(src, "upload"));
	const char *path = json_string_value(json_object_get(src, "path"));
	char p[PATH_MAX], name[UPLOAD_NAME_MAX + 1];
	struct stat st;

	if (up && uploads_source(j->uploads, up, p, sizeof(p), name) == 0)
		return 0;
	if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	return reason_set(why, -ESTALE, NULL,
			  up ? "the job's upload is gone (deleted)"
			     : "the job's source file is gone");
}

int jobs_retry(struct jobs *j, const char *id, json_t **out, struct origin_reason *why)
{
	json_t *rec, *title;
	int rc = read_job(j, id, &rec);

	*out = NULL;
	if (rc != 0)
		return rc;
	if (jobs_run_of(j, id))
		rc = -EBUSY;
	else if (active(state_of(rec)) || strcmp(state_of(rec) ? state_of(rec) : "", "done") == 0)
		rc = -EALREADY;
	else if ((rc = source_kept(j, rec, why)) == 0 &&
		 (rc = catalog_title(j->catalog, json_string_value(json_object_get(rec, "title")),
				     &title)) != -ENOENT) {
		json_decref(title);
		rc = rc == 0 ? -EEXIST : rc;
	} else if (rc == -ENOENT) {
		rc = job_update(j, id, mark_queued, NULL, NULL);
	}
	json_decref(rec);
	if (rc != 0)
		return rc;
	if (j->p.note)
		j->p.note("job %s queued again", id);
	schedule(j);
	return jobs_get(j, id, out);
}

int jobs_remove_upload(struct jobs *j, const char *id)
{
	bool taken;
	int rc = busy(j, NULL, id, &taken);

	if (rc != 0)
		return rc;
	return taken ? -EBUSY : uploads_remove(j->uploads, id);
}

void jobs_stats(const struct jobs *j, struct jobs_stats *out)
{
	*out = (struct jobs_stats){j->nrunning, j->queued, j->done, j->failed};
}

/* ---- the end of a run ---- */

void jobs_run_ended(struct jobs *j, struct job_run *r, const char *state, const char *error,
		    json_t *result)
{
	struct end_arg a = {
	    r->cancelled ? NULL : state,     r->cancelled ? NULL : error, result,
	    job_progress_json(&r->progress), job_log_json(&r->log),	  j->p.now()};
	const char *version = json_string_value(json_object_get(result, "version"));
	json_t *rec = NULL;

	for (struct job_run **pp = &j->runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	j->nrunning--;
	if (job_update(j, r->id, mark_ended, &a, &rec) == 0 && !r->cancelled) {
		const char *up =
		    json_string_value(json_object_get(json_object_get(rec, "source"), "upload"));

		if (strcmp(state, "done") == 0) {
			bool urgent = json_is_true(json_object_get(rec, "urgent")); /* as stored */

			j->done++;
			if (up)
				uploads_remove(j->uploads, up); /* packaged: no longer needed */
			if (j->p.title_ready)
				j->p.title_ready(j->p.ready_arg, r->title, version ? version : "",
						 r->id, urgent);
		} else {
			j->failed++;
		}
	}
	if (j->p.note && !r->cancelled)
		j->p.note("job %s (title %s) %s%s%s", r->id, r->title, state, error ? ": " : "",
			  error ? error : "");
	json_decref(rec);
	json_decref(a.progress);
	json_decref(a.logs);
	json_decref(result);
	job_run_free(r);
	schedule(j);
}

/* ---- folders ---- */

void jobs_discard(struct jobs *j, const char *path)
{
	char dest[sizeof(j->trash) + 64], hex[20];
	const char *base = strrchr(path, '/');
	const char *argv[] = {"/bin/rm", "-rf", "--", dest, NULL};

	if (jf_random_id('-', 4, hex) != 0)
		return;
	snprintf(dest, sizeof(dest), "%s/%.40s%s", j->trash, base ? base + 1 : path, hex);
	if (rename(path, dest) == 0)
		job_children_spawn(j->children, argv);
}

/* DIR/NAME into BUF; false when it does not fit. */
static bool join(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);

	return n > 0 && (size_t)n < cap;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

/*
 * The content folder, its work folder (.jobs) and trash (.trash), emptied:
 * nothing runs yet, so whatever is there is left from a previous run.
 */
static int folders(struct jobs *j, char *err, size_t errlen)
{
	char work[PATH_MAX + 16];
	DIR *d;
	struct dirent *e;

	if (!join(work, sizeof(work), j->p.content_dir, ".jobs") ||
	    !join(j->trash, sizeof(j->trash), j->p.content_dir, ".trash")) {
		snprintf(err, errlen, "%s: path too long", j->p.content_dir);
		return -1;
	}
	if (make_dir(j->p.content_dir, err, errlen) != 0 || make_dir(j->trash, err, errlen) != 0)
		return -1;
	if (!(d = opendir(j->trash))) {
		snprintf(err, errlen, "%s: %s", j->trash, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char path[PATH_MAX + 300];
		const char *argv[] = {"/bin/rm", "-rf", "--", path, NULL};

		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    join(path, sizeof(path), j->trash, e->d_name))
			job_children_spawn(j->children, argv);
	}
	closedir(d);
	jobs_discard(j, work);
	return make_dir(work, err, errlen);
}

/* ---- start and stop ---- */

struct recover_ctx {
	struct jobs *j;
	json_t *changed; /* records to store again */
	uint64_t max_seq;
};

/* A job left "running" by a crash: queued again, or failed past the restarts allowed. */
static int recover_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct recover_ctx *c = arg;
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	json_int_t n;
	json_t *copy;
	char why[128];

	if (!rec)
		return -EIO;
	if (seq > c->max_seq)
		c->max_seq = seq;
	if (strcmp(state_of(rec) ? state_of(rec) : "", "running") != 0)
		return 0;
	n = json_integer_value(json_object_get(rec, "interrupted")) + 1;
	if (!(copy = json_deep_copy(rec)) ||
	    json_object_set_new(copy, "interrupted", json_integer(n)) != 0)
		goto nomem;
	if ((uint64_t)n > c->j->p.restarts) {
		snprintf(why, sizeof(why), "the origin stopped during the job %lld time%s",
			 (long long)n, n == 1 ? "" : "s");
		if (json_object_set_new(copy, "state", json_string("failed")) != 0 ||
		    json_object_set_new(copy, "error", json_string(why)) != 0 ||
		    set_time(copy, "ended", c->j->p.now()) != 0)
			goto nomem;
	} else if (json_object_set_new(copy, "state", json_string("queued")) != 0) {
		goto nomem;
	}
	return json_array_append_new(c->changed, copy) == 0 ? 0 : -ENOMEM;
nomem:
	json_decref(copy);
	return -ENOMEM;
}

/* Jobs left running by a crash are queued again or failed; the order goes on from the last. */
static int recover(struct jobs *j)
{
	struct recover_ctx c = {j, json_array(), 0};
	struct store_txn *t;
	size_t i;
	json_t *rec;
	int rc;

	if (!c.changed)
		return -ENOMEM;
	if ((rc = store_begin(j->st, true, &t)) != 0) {
		json_decref(c.changed);
		return rc;
	}
	rc = records_scan(t, ORIGIN_DB_JOBS, NULL, 0, recover_one, &c);
	for (i = 0; rc == 0 && i < json_array_size(c.changed); i++)
		rc = job_put(t, json_incref(json_array_get(c.changed, i)));
	rc = store_finish(t, rc);
	json_array_foreach(c.changed, i, rec)
	{
		if (rc == 0 && j->p.note)
			j->p.note("job %s (title %s) %s after an origin crash",
				  json_string_value(json_object_get(rec, "id")),
				  json_string_value(json_object_get(rec, "title")),
				  strcmp(state_of(rec), "queued") == 0 ? "queued again" : "failed");
	}
	json_decref(c.changed);
	j->next_seq = c.max_seq + 1;
	return rc;
}

struct jobs *jobs_new(struct store *st, struct event_base *base, struct catalog *cat,
		      struct uploads *up, const struct jobs_params *p, char *err, size_t errlen)
{
	struct jobs *j = calloc(1, sizeof(*j));
	int rc;

	if (!j) {
		snprintf(err, errlen, "jobs: out of memory");
		return NULL;
	}
	*j = (struct jobs){
	    .magic = JOBS_MAGIC, .st = st, .base = base, .catalog = cat, .uploads = up, .p = *p};
	if (!(j->children = job_children_new(base))) {
		snprintf(err, errlen, "jobs: cannot watch child processes: %s", strerror(errno));
		free(j);
		return NULL;
	}
	if (folders(j, err, errlen) != 0) {
		jobs_free(j);
		return NULL;
	}
	if ((rc = recover(j)) != 0) {
		snprintf(err, errlen, "jobs: recovering the queue: %s", strerror(-rc));
		jobs_free(j);
		return NULL;
	}
	schedule(j);
	return j;
}

static int mark_requeued(json_t *rec, void *arg)
{
	if (strcmp(state_of(rec) ? state_of(rec) : "", "running") != 0)
		return -EALREADY; /* cancelled meanwhile */
	return json_object_set_new(rec, "state", json_string("queued")) == 0 ? 0 : -ENOMEM;
}

void jobs_free(struct jobs *j)
{
	if (!j)
		return;
	j->closing = true;
	job_children_free(j->children); /* kills and reaps every reel-transcode, reporting none */
	while (j->runs) {
		struct job_run *r = j->runs;

		j->runs = r->next;
		job_update(j, r->id, mark_requeued, NULL,
			   NULL); /* its folder goes at the next start */
		job_run_free(r);
	}
	j->magic = 0;
	free(j);
}
