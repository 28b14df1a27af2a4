/*
 * edge add|list|show|drain|resume|secret|rm and steer ADDRESS TITLE: the
 * registry of edges and where the origin would send a player.  An edge is
 * named by id (e and 16 hex digits) or by name; the admin API takes ids, so
 * a name is found in the listing.  A new credential (add, secret) is shown
 * once, as the lines of the edge's [origin] section.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "commands.h"
#include "views.h"

#define EDGES "/admin/v1/edges"

/* The edge WHO (id or name) into *EDGE (the caller json_decrefs it), or the exit status. */
static int find_edge(struct ctl *c, const char *who, json_t **edge)
{
	char obj[320];
	json_t *all, *e;
	size_t i;
	int status;

	*edge = NULL;
	if (ctl_is_id(who, 'e'))
		return ctl_call_named(c, "edge", EDGES "/", who, "GET", edge);
	ctl_obj(obj, sizeof(obj), "edge", who);
	if ((status = ctl_call(c, obj, "GET", EDGES, NULL, &all)) != 0)
		return status;
	json_array_foreach(json_object_get(all, "edges"), i, e)
	{
		const char *name = ctl_json_str(e, "name");

		if (name && strcmp(name, who) == 0) {
			*edge = json_incref(e);
			break;
		}
	}
	json_decref(all);
	return *edge ? 0 : ctl_error(CTL_NOT_FOUND, "%s: not found", obj);
}

/* EDGES/ID/SUFFIX for the edge WHO into BUF, its id found first; 0 or the exit status. */
static int edge_path(struct ctl *c, const char *who, const char *suffix, char *buf, size_t len)
{
	char obj[320];
	json_t *e = NULL;
	const char *id = who;
	int status = 0;

	if (!ctl_is_id(who, 'e') && (status = find_edge(c, who, &e)) != 0)
		return status;
	if (e)
		id = ctl_json_str(e, "id");
	ctl_obj(obj, sizeof(obj), "edge", who);
	if (!id || !ctl_is_id(id, 'e'))
		status = ctl_error(CTL_FAILED, "%s: the origin gave no usable id", obj);
	else
		snprintf(buf, len, EDGES "/%s%s", id, suffix);
	json_decref(e);
	return status;
}

int ctl_edge_list(struct ctl *c, const struct ctl_line *l)
{
	return ctl_list(c, EDGES, "edges", false, ctl_view_edges);
}

int ctl_edge_show(struct ctl *c, const struct ctl_line *l)
{
	json_t *e;
	int status = find_edge(c, l->pos[0], &e);

	if (status == 0)
		status = ctl_show(c, e, ctl_view_edge);
	json_decref(e);
	return status;
}

/* ---- add ---- */

/* Append the prefixes in TEXT (separated by commas, white space or lines; '#' to the end of a
 * line is a comment) to the array PRE.  Returns 0, or -EINVAL for text that is not UTF-8. */
static int add_prefixes(json_t *pre, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n;
		json_t *s;

		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (*p == ',' || isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		n = strcspn(p, ", \t\r\n#");
		if (!(s = json_stringn(p, n)) || json_array_append_new(pre, s) != 0)
			return -EINVAL;
		p += n;
	}
	return 0;
}

/* The prefixes of --prefixes-file FILE into PRE; 0 or the exit status. */
static int prefixes_file(json_t *pre, const char *file)
{
	FILE *f = fopen(file, "re");
	struct buf text = {0};
	char chunk[65536];
	size_t n;
	int status = 0;

	if (!f)
		return ctl_error(errno == ENOENT ? CTL_NOT_FOUND : CTL_FAILED, "%s: %s", file,
				 strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (text.len + n > (16u << 20) || buf_append(&text, chunk, n) != 0) {
			status = ctl_error(CTL_USAGE, "%s: larger than 16 MiB", file);
			break;
		}
	if (status == 0 && ferror(f))
		status = ctl_error(CTL_FAILED, "%s: %s", file, strerror(errno));
	if (status == 0 && (buf_append(&text, "", 1) != 0 || strlen(text.p) != text.len - 1))
		status = ctl_error(CTL_USAGE, "%s: not a text file", file);
	if (status == 0 && add_prefixes(pre, text.p) != 0)
		status = ctl_error(CTL_USAGE, "%s: not UTF-8 text", file);
	fclose(f);
	buf_free(&text);
	return status;
}

/* The body of POST /admin/v1/edges from L into *IN; 0 or the exit status. */
static int edge_input(const struct ctl_line *l, json_t **in)
{
	const struct ctl_val *list = ctl_opt(l, "prefixes"), *file = ctl_opt(l, "prefixes-file");
	json_t *pre = json_array();
	int status = 0;

	*in = NULL;
	if (!pre)
		return ctl_error(CTL_FAILED, "out of memory");
	if (list->set && add_prefixes(pre, list->str) != 0)
		status = ctl_error(CTL_USAGE, "--prefixes: not UTF-8 text");
	if (status == 0 && file->set)
		status = prefixes_file(pre, file->str);
	if (status == 0 &&
	    !(*in = json_pack("{s:s, s:s, s:s, s:I, s:O}", "name", l->pos[0], "url", l->pos[1],
			      "cluster", ctl_opt(l, "cluster")->str, "capacity",
			      (json_int_t)ctl_opt(l, "capacity")->num, "prefixes", pre)))
		status = ctl_error(CTL_USAGE, "NAME, URL and --cluster must be UTF-8 text");
	if (status == 0 && ctl_opt(l, "fill-url")->set &&
	    json_object_set_new(*in, "fill_url", json_string(ctl_opt(l, "fill-url")->str)) != 0)
		status = ctl_error(CTL_USAGE, "--fill-url must be UTF-8 text");
	json_decref(pre);
	return status;
}

/* The file of --save, created before anything changes: 0 with *FD (-1: none) or the exit status. */
static int save_file(const struct ctl_line *l, int *fd)
{
	const struct ctl_val *save = ctl_opt(l, "save");

	*fd = -1;
	if (save->set && (*fd = ctl_secret_create(save->str, "credential")) < 0)
		return CTL_FAILED;
	return 0;
}

/*
 * The new credential of answer RES for edge OBJ: written to FD (--save; -1:
 * none), and shown as the lines of the edge's [origin] section, or as JSON.
 */
static int show_credential(struct ctl *c, const struct ctl_line *l, int fd, const char *obj,
			   const json_t *res, const char *done)
{
	const char *file = ctl_opt(l, "save")->str;
	const char *id = ctl_json_str(res, "id"), *secret = ctl_json_str(res, "secret");
	int status;

	if (fd >= 0 && (status = ctl_secret_write(fd, file, secret, "credential")) != 0)
		return status;
	if (c->json)
		return ctl_print_json(c, res);
	ctl_say(c, "; %s %s; in its edge.conf:", obj, done);
	ctl_say(c, "[origin]");
	ctl_say(c, "edge_id = %s", id ? id : "-");
	if (fd >= 0) {
		char *abs = realpath(file, NULL);

		ctl_say(c, "secret_file = %s", abs ? abs : file);
		free(abs);
	} else {
		ctl_say(c, "; the credential, shown once: write it alone to secret_file, mode 600");
		ctl_say(c, ";   %s", secret ? secret : "-");
		ctl_say(c, "secret_file = /etc/reel/edge.secret");
	}
	return CTL_OK;
}

/* Remove the --save file FD of L after a failed call. */
static void drop_file(const struct ctl_line *l, int fd)
{
	if (fd >= 0) {
		close(fd);
		unlink(ctl_opt(l, "save")->str);
	}
}

int ctl_edge_add(struct ctl *c, const struct ctl_line *l)
{
	char obj[320];
	json_t *in, *res = NULL;
	int status, fd = -1;

	ctl_obj(obj, sizeof(obj), "edge", l->pos[0]);
	if ((status = edge_input(l, &in)) != 0)
		return status;
	if ((status = save_file(l, &fd)) == 0 &&
	    (status = ctl_call_json(c, obj, "POST", EDGES, in, &res, NULL)) == 0)
		status = show_credential(c, l, fd, obj, res, "registered");
	else
		drop_file(l, fd);
	json_decref(in);
	json_decref(res);
	return status;
}

/* ---- drain, resume, secret, rm ---- */

/* POST EDGES/ID/ACTION for the edge of L, saying DONE. */
static int edge_post(struct ctl *c, const struct ctl_line *l, const char *action, const char *done)
{
	char obj[320], path[128];
	bool secret = strcmp(action, "/secret") == 0;
	json_t *res = NULL;
	int status, fd = -1;

	ctl_obj(obj, sizeof(obj), "edge", l->pos[0]);
	if ((status = edge_path(c, l->pos[0], action, path, sizeof(path))) != 0 ||
	    (secret && (status = save_file(l, &fd)) != 0))
		goto out;
	if ((status = ctl_call(c, obj, "POST", path, NULL, &res)) != 0) {
		drop_file(l, fd);
		goto out;
	}
	if (secret)
		status = show_credential(c, l, fd, obj, res, done);
	else if (c->json)
		status = ctl_print_json(c, res);
	else
		ctl_say(c, "%s %s (state %s)", obj, done,
			ctl_json_str(res, "state") ? ctl_json_str(res, "state") : "-");
out:
	json_decref(res);
	return status;
}

int ctl_edge_drain(struct ctl *c, const struct ctl_line *l)
{
	return edge_post(c, l, "/drain", "draining: no new players");
}

int ctl_edge_resume(struct ctl *c, const struct ctl_line *l)
{
	return edge_post(c, l, "/resume", "resumed");
}

int ctl_edge_secret(struct ctl *c, const struct ctl_line *l)
{
	return edge_post(c, l, "/secret", "has a new credential (the old one is refused)");
}

int ctl_edge_rm(struct ctl *c, const struct ctl_line *l)
{
	char obj[320], path[128];
	json_t *none = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "edge", l->pos[0]);
	if ((status = edge_path(c, l->pos[0], "", path, sizeof(path))) != 0 ||
	    (status = ctl_call(c, obj, "DELETE", path, NULL, &none)) != 0)
		return status;
	json_decref(none);
	if (!c->json)
		ctl_say(c, "%s deleted, its credential refused", obj);
	return status;
}

/* ---- fill ---- */

int ctl_fill_status(struct ctl *c, const struct ctl_line *l)
{
	json_t *res = NULL;
	int status = ctl_call(c, "the fill status", "GET", "/admin/v1/fill", NULL, &res);

	if (status == 0)
		status = ctl_show(c, res, ctl_view_fill);
	json_decref(res);
	return status;
}

/* ---- steer ---- */

int ctl_steer(struct ctl *c, const struct ctl_line *l)
{
	char addr[256], title[512], path[1024], obj[320];
	json_t *res = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "title", l->pos[1]);
	if (!ctl_client_escape(l->pos[0], addr, sizeof(addr)) ||
	    !ctl_client_escape(l->pos[1], title, sizeof(title)))
		return ctl_error(CTL_USAGE, "ADDRESS or TITLE is too long");
	snprintf(path, sizeof(path), "/admin/v1/steer?address=%s&title=%s", addr, title);
	if ((status = ctl_call(c, obj, "GET", path, NULL, &res)) == 0)
		status = ctl_show(c, res, ctl_view_steer);
	json_decref(res);
	return status;
}
