/*
 * title list|show|rm|register|add and key add: the catalog and content
 * keys.  A title is registered by PUTting its package's manifest.json,
 * streamed from the file, or added from a source file by a transcode job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "commands.h"
#include "progress.h"
#include "upload.h"
#include "views.h"

#define TITLES "/admin/v1/titles/"

int ctl_title_list(struct ctl *c, const struct ctl_line *l)
{
	return ctl_list(c, "/admin/v1/titles", "titles", true, ctl_view_titles);
}

int ctl_title_show(struct ctl *c, const struct ctl_line *l)
{
	json_t *t;
	int status = ctl_call_named(c, "title", TITLES, l->pos[0], "GET", &t);

	if (status == 0)
		status = ctl_show(c, t, ctl_view_title);
	json_decref(t);
	return status;
}

int ctl_title_rm(struct ctl *c, const struct ctl_line *l)
{
	return ctl_delete(c, "title", TITLES, l->pos[0], ", with its content keys");
}

/* ---- title register ---- */

/*
 * Open the manifest NAME (a package folder means its manifest.json) as a
 * body: its descriptor and size in B.  Returns 0 or the exit status.
 */
static int open_manifest(const char *name, struct ctl_body *b)
{
	char path[4096];
	struct stat st;
	int fd;

	if (stat(name, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(path, sizeof(path), "%s/manifest.json", name);
	else
		snprintf(path, sizeof(path), "%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return ctl_error(e == ENOENT ? CTL_NOT_FOUND : CTL_FAILED, "%s: %s", path,
				 strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ctl_error(CTL_USAGE, "%s: not a file", path);
	}
	b->fd = fd;
	b->size = (uint64_t)st.st_size;
	return 0;
}

/* Standard input, which has no size to send ahead, read into MEM (at most 64 MiB). */
static int read_stdin(struct buf *mem, struct ctl_body *b)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(0, chunk, sizeof(chunk))) > 0)
		if (mem->len + (size_t)n > (64u << 20) || buf_append(mem, chunk, (size_t)n) != 0)
			return ctl_error(CTL_USAGE, "standard input: larger than 64 MiB");
	if (n < 0)
		return ctl_error(CTL_FAILED, "standard input: %s", strerror(errno));
	b->mem = mem->p ? mem->p : "";
	b->len = mem->len;
	return 0;
}

static int register_path(char *buf, size_t len, const char *obj, const char *id,
			 const struct ctl_val *name)
{
	char esc[1024];
	size_t n;

	if (!ctl_path(buf, len, obj, TITLES, id, ""))
		return CTL_USAGE;
	if (!name->set)
		return 0;
	n = strlen(buf);
	if (!ctl_client_escape(name->str, esc, sizeof(esc)) ||
	    (size_t)snprintf(buf + n, len - n, "?name=%s", esc) >= len - n)
		return ctl_error(CTL_USAGE, "%s: --name is too long", obj);
	return 0;
}

int ctl_title_register(struct ctl *c, const struct ctl_line *l)
{
	const char *id = l->pos[0], *file = l->pos[1];
	struct ctl_body b = {.type = "application/json", .fd = -1};
	struct ctl_progress bar;
	struct buf mem = {0};
	char obj[128], path[4096];
	json_t *t = NULL;
	bool created;
	int status;

	ctl_obj(obj, sizeof(obj), "title", id);
	if ((status = register_path(path, sizeof(path), obj, id, ctl_opt(l, "name"))) != 0 ||
	    (status = strcmp(file, "-") == 0 ? read_stdin(&mem, &b) : open_manifest(file, &b)) != 0)
		goto out;
	if (b.fd >= 0 && isatty(2)) {
		ctl_progress_start(&bar, stderr, true, ctl_progress_columns(2), "upload", b.size,
				   true, 0.5, ctl_progress_now());
		b.progress = &bar;
	}
	status = ctl_call_created(c, obj, "PUT", path, &b, &t, &created);
	if (b.progress)
		ctl_progress_end(&bar, status == 0, ctl_progress_now());
	if (status != 0)
		goto out;
	if (c->json)
		status = ctl_print_json(c, t);
	else
		ctl_say(c, "%s %s, version %s", obj, created ? "registered" : "updated",
			ctl_json_str(t, "version") ? ctl_json_str(t, "version") : "-");
out:
	if (b.fd >= 0)
		close(b.fd);
	buf_free(&mem);
	json_decref(t);
	return status;
}

/* ---- key add ---- */

int ctl_key_add(struct ctl *c, const struct ctl_line *l)
{
	const char *id = l->pos[0], *kid = l->pos[1];
	const struct ctl_val *key = ctl_opt(l, "key"), *save = ctl_opt(l, "save");
	char obj[128], path[1024];
	json_t *in = NULL, *res = NULL;
	int status, fd = -1;

	ctl_obj(obj, sizeof(obj), "title", id);
	if (!ctl_path(path, sizeof(path), obj, TITLES, id, "/keys"))
		return CTL_USAGE;
	if (save->set && (fd = ctl_secret_create(save->str, "key")) < 0)
		return CTL_FAILED;
	if (!(in = json_pack("{s:s}", "kid", kid)) ||
	    (key->set && json_object_set_new(in, "key", json_string(key->str)) != 0)) {
		status = ctl_error(CTL_USAGE, "%s: KID and --key must be UTF-8 text", obj);
		goto out;
	}
	if ((status = ctl_call_json(c, obj, "POST", path, in, &res, NULL)) != 0)
		goto out;
	if (fd >= 0) {
		status = ctl_secret_write(fd, save->str, ctl_json_str(res, "key"), "key");
		fd = -1;
	}
	if (status == 0 && c->json)
		status = ctl_print_json(c, res);
	else if (status == 0 && save->set)
		ctl_say(c, "%s key '%s' is current; saved in %s", obj, kid, save->str);
	else if (status == 0)
		ctl_say(c, "%s key '%s' is current: %s (shown once)", obj, kid,
			ctl_json_str(res, "key") ? ctl_json_str(res, "key") : "-");
out:
	if (fd >= 0) {
		close(fd);
		unlink(save->str);
	}
	json_decref(in);
	json_decref(res);
	return status;
}

/* key list ID: the title's content key ids and dates (the keys never leave the origin). */
int ctl_key_list(struct ctl *c, const struct ctl_line *l)
{
	const char *id = l->pos[0];
	char obj[128], path[1024];
	json_t *keys = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "title", id);
	if (!ctl_path(path, sizeof(path), obj, TITLES, id, "/keys"))
		return CTL_USAGE;
	if ((status = ctl_call(c, obj, "GET", path, NULL, &keys)) == 0)
		status = ctl_show(c, keys, ctl_view_keys);
	json_decref(keys);
	return status;
}

/* ---- title add ---- */

/* The job body for title ID from L's options and the source (upload UPLOAD, or L's path). */
static json_t *job_body(const struct ctl_line *l, const char *id, const char *upload)
{
	static const char *const strings[][2] = {
	    {"name", "name"}, {"ladder", "ladder"}, {"format", "format"}};
	json_t *in = json_pack("{s:s}", "title", id);
	bool ok = in != NULL;

	for (size_t i = 0; ok && i < sizeof(strings) / sizeof(strings[0]); i++)
		if (ctl_opt(l, strings[i][0])->set)
			ok = json_object_set_new(in, strings[i][1],
						 json_string(ctl_opt(l, strings[i][0])->str)) == 0;
	if (ok)
		ok = json_object_set_new(in, upload ? "upload" : "path",
					 json_string(upload ? upload : l->pos[0])) == 0;
	if (ok && ctl_opt(l, "encrypt")->set)
		ok = json_object_set_new(in, "encrypt", json_true()) == 0;
	if (ok && ctl_opt(l, "urgent")->set)
		ok = json_object_set_new(in, "urgent", json_true()) == 0;
	if (!ok) {
		json_decref(in);
		return NULL;
	}
	return in;
}

/* What title add says at its end (J: the job; with --wait, ended). */
static int added(struct ctl *c, const char *obj, const json_t *j, bool waited)
{
	const char *jid = ctl_json_str(j, "id") ? ctl_json_str(j, "id") : "-";
	const char *version = ctl_json_str(json_object_get(j, "result"), "version");
	const json_t *fill = json_object_get(j, "fill");

	if (c->json)
		return ctl_print_json(c, j);
	if (waited && json_integer_value(json_object_get(fill, "edges")) > 0)
		ctl_say(c, "%s registered, version %s (job %s), complete on %lld edge%s", obj,
			version ? version : "-", jid,
			(long long)json_integer_value(json_object_get(fill, "complete")),
			json_integer_value(json_object_get(fill, "complete")) == 1 ? "" : "s");
	else if (waited)
		ctl_say(c, "%s registered, version %s (job %s)", obj, version ? version : "-", jid);
	else
		ctl_say(c, "%s: job %s %s; follow it with: reelctl job show %s", obj, jid,
			ctl_json_str(j, "state") ? ctl_json_str(j, "state") : "queued", jid);
	return CTL_OK;
}

int ctl_title_add(struct ctl *c, const struct ctl_line *l)
{
	const char *id = ctl_opt(l, "id")->str;
	bool on_origin = ctl_opt(l, "on-origin")->set, wait = ctl_opt(l, "wait")->set;
	char obj[128], upload[CTL_UPLOAD_ID_MAX];
	json_t *in = NULL, *job = NULL, *end = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "title", id);
	if (!on_origin && (status = ctl_upload_file(c, l->pos[0], upload)) != 0)
		return status;
	if (!(in = job_body(l, id, on_origin ? NULL : upload)))
		return ctl_error(CTL_USAGE, "%s: the arguments must be UTF-8 text", obj);
	if ((status = ctl_call_json(c, obj, "POST", "/admin/v1/jobs", in, &job, NULL)) == 0) {
		if (!ctl_json_str(job, "id"))
			status = ctl_error(CTL_FAILED, "%s: the origin named no job", obj);
		else if (wait)
			status = ctl_job_wait(c, ctl_json_str(job, "id"), obj,
					      (double)ctl_opt(l, "timeout")->num, &end);
	}
	if (status == 0)
		status = added(c, obj, end ? end : job, wait);
	json_decref(in);
	json_decref(job);
	json_decref(end);
	return status;
}
