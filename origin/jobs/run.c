/*
 * A job's reel-transcode, from its start to its outcome (jobs_int.h): the
 * command line (the content key on a pipe, never on it), its progress and
 * log as they come, and at its end either the package moved into place and
 * registered in the catalog, or the one-line reason it failed.
 */
#include "jobs/jobs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonfield.h"

#define MANIFEST_MAX (64u << 20)
#define ARGS	     24

static void on_out_line(void *arg, const char *line, size_t len)
{
	struct job_run *r = arg;

	if (job_progress_parse(line, len, &r->progress) == JOB_EVENT_DONE)
		r->done_event = true;
}

static void on_err_line(void *arg, const char *line, size_t len)
{
	struct job_run *r = arg;

	job_log_add(&r->log, line, len);
}

/* A line of reel-transcode's that says why it failed ("reel-transcode: FILE: problem"). */
static bool is_reason(const char *line)
{
	return strncmp(line, "reel-transcode: ", 16) == 0 &&
	       strncmp(line, "reel-transcode: warning:", 24) != 0;
}

static bool any_line(const char *line)
{
	return line[0] != '\0';
}

/* LINE without its leading "PROGRAM: ", as the dynamic loader starts its errors. */
static const char *after_program(const char *line, const char *program)
{
	size_t n = strlen(program);

	return strncmp(line, program, n) == 0 && strncmp(line + n, ": ", 2) == 0 ? line + n + 2
										 : line;
}

/* S with its first FIND replaced by WITH, into OUT (CAP bytes). */
static void replace_once(const char *s, const char *find, const char *with, char *out, size_t cap)
{
	const char *at = find[0] ? strstr(s, find) : NULL;

	if (!at) {
		snprintf(out, cap, "%s", s);
		return;
	}
	snprintf(out, cap, "%.*s%s%s", (int)(at - s), s, with, at + strlen(find));
}

/* Why run R failed, which ended as E, in one line into OUT. */
static void failure(const struct job_run *r, const struct job_end *e, char *out, size_t cap)
{
	const struct job_limits *lim = &r->j->p.limits;
	const char *line;

	if (e->timed_out)
		snprintf(out, cap,
			 "reel-transcode exceeded the time limit of %llu s and was stopped",
			 (unsigned long long)(lim->wall_ms / 1000));
	else if (e->signal == SIGXCPU)
		snprintf(out, cap, "reel-transcode exceeded the CPU-time limit of %llu s",
			 (unsigned long long)lim->cpu_s);
	else if (e->signal)
		snprintf(out, cap, "reel-transcode was killed by signal %d (SIG%s)", e->signal,
			 sigabbrev_np(e->signal) ? sigabbrev_np(e->signal) : "?");
	else if (r->progress.message[0])
		replace_once(r->progress.message, r->source, r->shown, out, cap);
	else if ((line = job_log_last(&r->log, is_reason)))
		replace_once(line + 16, r->source, r->shown, out, cap);
	else if (e->status == 0)
		snprintf(out, cap, "reel-transcode ended without finishing the package");
	else if ((line = job_log_last(&r->log, any_line))) /* the loader's, say: no memory */
		snprintf(out, cap, "reel-transcode exited with status %d: %s", e->status,
			 after_program(line, r->j->p.transcoder));
	else
		snprintf(out, cap, "reel-transcode exited with status %d", e->status);
}

/* The file PATH, at most MANIFEST_MAX bytes, into *BUF (the caller frees it) and *LEN. */
static int read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;
	struct stat st;
	ssize_t n;

	*buf = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX)
		rc = -EFBIG;
	else if (!(*buf = malloc((size_t)st.st_size + 1)))
		rc = -ENOMEM;
	else if ((n = read(fd, *buf, (size_t)st.st_size)) != st.st_size)
		rc = -EIO;
	else
		*len = (size_t)n;
	close(fd);
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

/* What the job shows of the title it registered: REC's members (borrowed), and the key id. */
static json_t *summary(json_t *rec, const char *kid)
{
	static const char *const keep[] = {
	    "version",	       "duration",	     "container",	"video",     "audio",
	    "audio_languages", "subtitle_languages", "skipped_streams", "encrypted", "total_size"};
	json_t *s = json_object();

	for (size_t i = 0; s && i < sizeof(keep) / sizeof(keep[0]); i++)
		if (json_object_get(rec, keep[i]))
			json_object_set(s, keep[i], json_object_get(rec, keep[i]));
	if (s && json_object_set_new(s, "kid", kid ? json_string(kid) : json_null()) != 0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

/* Register REC (the catalog record of R's package at DEST): 0, or -1 with WHY. */
static int register_title(struct job_run *r, json_t *rec, char *why, size_t whylen)
{
	struct catalog *cat = r->j->catalog;
	json_t *old = NULL;
	bool created;
	int rc = catalog_title(cat, r->title, &old);

	json_decref(old);
	if (rc == 0) {
		snprintf(why, whylen, "title %s was registered meanwhile; the package is dropped",
			 r->title);
		return -1;
	}
	rc = r->encrypt ? catalog_save_keyed(cat, rec, r->id, r->key, r->j->p.now(), &created)
			: catalog_save(cat, rec, &created);
	if (rc != 0) {
		snprintf(why, whylen, "the catalog refused title %s: %s", r->title, strerror(-rc));
		return -1;
	}
	return 0;
}

/*
 * R's package is complete: check its manifest, move it to the content
 * folder, register it.  0 with *RESULT (the job's summary), or -1 with WHY
 * (the catalog untouched, the package dropped).
 */
static int publish(struct job_run *r, json_t **result, char *why, size_t whylen)
{
	char path[sizeof(r->package) + 16], dest[PATH_MAX + 80];
	struct origin_reason reason = {0};
	struct stat st;
	json_t *rec = NULL;
	size_t len = 0;
	char *body;
	int rc;

	*result = NULL;
	snprintf(path, sizeof(path), "%s/manifest.json", r->package);
	snprintf(dest, sizeof(dest), "%s/%s", r->j->p.content_dir, r->title);
	if ((rc = read_file(path, &body, &len)) != 0) {
		snprintf(why, whylen, "the package has no readable manifest.json: %s",
			 strerror(-rc));
		return -1;
	}
	rc = catalog_record(body, len, r->title, &(struct title_meta){r->name, NULL}, r->j->p.now(),
			    &rec, &reason);
	free(body);
	if (rc != 0) {
		snprintf(why, whylen, "the package's manifest.json was refused: %s",
			 reason.message ? reason.message : strerror(-rc));
		return -1;
	}
	if (lstat(dest, &st) == 0)
		jobs_discard(r->j, dest); /* an old package nobody registers */
	if (rename(r->package, dest) != 0) {
		snprintf(why, whylen, "cannot move the package to %.200s: %s", dest,
			 strerror(errno));
		json_decref(rec);
		return -1;
	}
	if (register_title(r, rec, why, whylen) != 0) {
		jobs_discard(r->j, dest);
		json_decref(rec);
		return -1;
	}
	*result = summary(rec, r->encrypt ? r->id : NULL);
	json_decref(rec);
	return 0;
}

static void on_ended(void *arg, const struct job_end *e)
{
	struct job_run *r = arg;
	struct jobs *j = r->j;
	char why[768];
	json_t *result = NULL;

	r->child = NULL; /* freed once this returns */
	if (r->cancelled) {
		jobs_discard(j, r->work);
		jobs_run_ended(j, r, "cancelled", NULL, NULL);
		return;
	}
	if (e->status == 0 && r->done_event && !e->killed && !e->timed_out &&
	    publish(r, &result, why, sizeof(why)) == 0) {
		jobs_discard(j, r->work);
		jobs_run_ended(j, r, "done", NULL, result);
		return;
	}
	if (!(e->status == 0 && r->done_event))
		failure(r, e, why, sizeof(why));
	jobs_discard(j, r->work);
	jobs_run_ended(j, r, "failed", why, NULL);
}

static const struct job_child_ops run_ops = {on_out_line, on_err_line, on_ended};

/* R's source file (and what to call it) from the job's record REC. */
static int find_source(struct job_run *r, json_t *rec, char *why, size_t whylen)
{
	json_t *src = json_object_get(rec, "source");
	const char *up = json_string_value(json_object_get(src, "upload"));
	const char *path = json_string_value(json_object_get(src, "path"));
	char name[UPLOAD_NAME_MAX + 1];
	struct stat st;
	int rc;

	if (up) {
		if ((rc = uploads_source(r->j->uploads, up, r->source, sizeof(r->source), name)) !=
		    0) {
			snprintf(why, whylen, "upload %s: %s", up,
				 rc == -ENOENT ? "gone (deleted)" : strerror(-rc));
			return rc;
		}
		snprintf(r->shown, sizeof(r->shown), "%s", name);
		return 0;
	}
	if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: the source file is gone", path ? path : "?");
		return -ENOENT;
	}
	snprintf(r->source, sizeof(r->source), "%s", path);
	snprintf(r->shown, sizeof(r->shown), "%s", path);
	return 0;
}

/* reel-transcode's command line for R (the job REC) into ARGV, its strings in BUF. */
static void command(const struct job_run *r, json_t *rec, const char *argv[ARGS],
		    char buf[6][PATH_MAX + 32])
{
	const struct jobs_params *p = &r->j->p;
	const char *ladder = json_string_value(json_object_get(rec, "ladder"));
	const char *format = json_string_value(json_object_get(rec, "format"));
	size_t n = 0;

	argv[n++] = p->transcoder;
	argv[n++] = r->source;
	argv[n++] = r->package;
	argv[n++] = "--progress=json";
	snprintf(buf[0], sizeof(buf[0]), "--title=%s", r->name);
	argv[n++] = buf[0];
	snprintf(buf[1], sizeof(buf[1]), "--preset=%s", p->preset);
	argv[n++] = buf[1];
	snprintf(buf[2], sizeof(buf[2]), "--segment=%u", p->segment_s);
	argv[n++] = buf[2];
	if (ladder && ladder[0]) {
		snprintf(buf[3], sizeof(buf[3]), "--ladder=%s", ladder);
		argv[n++] = buf[3];
	}
	if (format && strcmp(format, "ts") == 0)
		argv[n++] = "--format=ts";
	if (p->threads) {
		snprintf(buf[4], sizeof(buf[4]), "--threads=%u", p->threads);
		argv[n++] = buf[4];
	}
	if (r->encrypt) {
		snprintf(buf[5], sizeof(buf[5]), "--key-file=/dev/fd/%d", JOB_CHILD_SECRET_FD);
		argv[n++] = buf[5];
		argv[n++] = "--key-uri=../key";
	}
	argv[n] = NULL;
}

static int spawn_run(struct job_run *r, json_t *rec, char *why, size_t whylen)
{
	static char buf[6][PATH_MAX + 32];
	const char *argv[ARGS];
	int rc;

	command(r, rec, argv, buf);
	rc = job_child_start(r->j->children, argv, &r->j->p.limits, r->encrypt ? r->key : NULL,
			     r->encrypt ? sizeof(r->key) : 0, &run_ops, r, &r->child);
	if (rc != 0)
		snprintf(why, whylen, "cannot run %s: %s", r->j->p.transcoder, strerror(-rc));
	return rc;
}

int job_run_start(struct jobs *j, json_t *rec, char *why, size_t whylen)
{
	struct job_run *r = calloc(1, sizeof(*r));
	int rc = -ENOMEM;

	snprintf(why, whylen, "out of memory");
	if (!r)
		return rc;
	r->magic = JOB_RUN_MAGIC;
	r->j = j;
	r->progress.eta = -1;
	snprintf(r->id, sizeof(r->id), "%s", json_string_value(json_object_get(rec, "id")));
	snprintf(r->title, sizeof(r->title), "%s",
		 json_string_value(json_object_get(rec, "title")));
	snprintf(r->name, sizeof(r->name), "%s", json_string_value(json_object_get(rec, "name")));
	r->encrypt = json_is_true(json_object_get(rec, "encrypt"));
	snprintf(r->work, sizeof(r->work), "%s/.jobs/%s", j->p.content_dir, r->id);
	snprintf(r->package, sizeof(r->package), "%s/%s", r->work, r->title);
	if ((rc = find_source(r, rec, why, whylen)) != 0)
		goto fail;
	if (mkdir(r->work, 0755) != 0) {
		rc = -errno;
		snprintf(why, whylen, "%s: %s", r->work, strerror(errno));
		goto fail;
	}
	if (r->encrypt && RAND_bytes(r->key, sizeof(r->key)) != 1) {
		rc = -EIO;
		snprintf(why, whylen, "cannot make a content key");
		goto fail;
	}
	if ((rc = spawn_run(r, rec, why, whylen)) != 0) {
		rmdir(r->work);
		goto fail;
	}
	r->next = j->runs;
	j->runs = r;
	j->nrunning++;
	if (j->p.note)
		j->p.note("job %s (title %s) started: pid %d", r->id, r->title,
			  (int)job_child_pid(r->child));
	return 0;
fail:
	job_run_free(r);
	return rc;
}

void job_run_stop(struct job_run *r)
{
	if (r->child)
		job_child_kill(r->child);
}

void job_run_free(struct job_run *r)
{
	if (!r)
		return;
	OPENSSL_cleanse(r->key, sizeof(r->key));
	r->magic = 0;
	free(r);
}
