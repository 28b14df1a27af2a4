/* reelctl's shared pieces: errors, exit statuses, admin API calls, JSON output. */
#include "ctl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "format.h"

void ctl_init(struct ctl *c, const struct ctl_line *l)
{
	memset(c, 0, sizeof(*c));
	c->line = l;
	c->out = stdout;
	c->json = l->global[CTL_G_JSON].set;
	c->src = (struct ctl_creds_src){
	    .config = l->global[CTL_G_CONFIG].str,
	    .home = getenv("HOME"),
	    .xdg_home = getenv("XDG_CONFIG_HOME"),
	    .env_url = getenv("REEL_ADMIN_URL"),
	    .env_token = getenv("REEL_ADMIN_TOKEN"),
	    .url = l->global[CTL_G_URL].str,
	    .token = l->global[CTL_G_TOKEN].str,
	    .token_file = l->global[CTL_G_TOKEN_FILE].str,
	    .ca = l->global[CTL_G_CA].str,
	    .insecure = l->global[CTL_G_INSECURE].set,
	};
}

void ctl_free(struct ctl *c)
{
	ctl_client_free(c->http);
	c->http = NULL;
}

int ctl_error(int status, const char *fmt, ...)
{
	char msg[1024], clean[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "reelctl: %s\n", ctl_clean(msg, clean, sizeof(clean)));
	return status;
}

void ctl_say(struct ctl *c, const char *fmt, ...)
{
	char msg[1024], clean[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(c->out, "%s\n", ctl_clean(msg, clean, sizeof(clean)));
}

const char *ctl_obj(char *buf, size_t len, const char *kind, const char *name)
{
	char clean[256];

	snprintf(buf, len, "%s '%s'", kind, ctl_clean(name, clean, sizeof(clean)));
	return buf;
}

const char *ctl_path(char *buf, size_t len, const char *obj, const char *prefix, const char *name,
		     const char *suffix)
{
	char esc[512];
	int n;

	if (!ctl_client_escape(name, esc, sizeof(esc)) ||
	    (n = snprintf(buf, len, "%s%s%s", prefix, esc, suffix)) < 0 || (size_t)n >= len) {
		ctl_error(CTL_USAGE, "%s: the name is too long", obj);
		return NULL;
	}
	return buf;
}

int ctl_exit_status(long status, const char *code)
{
	if (status >= 200 && status < 300)
		return CTL_OK;
	if (strncmp(code, "unknown_", 8) == 0)
		return CTL_NOT_FOUND;
	switch (status) {
	case 404:
		return strcmp(code, "not_found") == 0 ? CTL_FAILED : CTL_NOT_FOUND;
	case 401:
	case 403:
	case 409:
	case 412:
		return CTL_REFUSED;
	case 400:
	case 413:
	case 414:
	case 422:
	case 431:
		return CTL_USAGE;
	}
	return CTL_FAILED;
}

/* The client, made from the credentials at the first call; NULL after printing why not. */
static struct ctl_client *client(struct ctl *c, int *status)
{
	struct ctl_creds cr;
	char err[1024];
	bool einval;
	int rc;

	if (c->http)
		return c->http;
	if ((rc = ctl_creds_load(&c->src, &cr, err, sizeof(err))) != 0) {
		*status = ctl_error(rc == -EPERM    ? CTL_REFUSED
				    : rc == -EINVAL ? CTL_USAGE
				    : rc == -ENOENT ? CTL_NOT_FOUND
						    : CTL_FAILED,
				    "%s", err);
	} else if (!(c->http = ctl_client_new(&cr, &einval, err, sizeof(err)))) {
		*status = ctl_error(einval ? CTL_USAGE : CTL_FAILED, "%s", err);
	} else if (!ctl_client_has_token(c->http)) {
		*status = ctl_error(CTL_USAGE,
				    "no admin token: set token_file in %s, or REEL_ADMIN_TOKEN, or "
				    "give --token-file FILE",
				    cr.config[0] ? cr.config : "the config file");
		ctl_client_free(c->http);
		c->http = NULL;
	}
	explicit_bzero(&cr, sizeof(cr));
	return c->http;
}

int ctl_try(struct ctl *c, const char *method, const char *path, const struct ctl_body *body,
	    struct ctl_reply *r, char *err, size_t errlen)
{
	struct ctl_client *h;
	int status = CTL_FAILED;

	memset(r, 0, sizeof(*r));
	r->error = r->message = "";
	if (!(h = client(c, &status)))
		return status;
	return ctl_client_call(h, method, path, body, r, err, errlen) == 0 ? 0 : -1;
}

int ctl_request(struct ctl *c, const char *method, const char *path, const struct ctl_body *body,
		struct ctl_reply *r)
{
	char err[1024];
	int status = ctl_try(c, method, path, body, r, err, sizeof(err));

	return status < 0 ? ctl_error(CTL_FAILED, "%s", err) : status;
}

int ctl_fail(struct ctl *c, const char *obj, const struct ctl_reply *r)
{
	int status = ctl_exit_status(r->status, r->error);
	const char *url = ctl_client_url(c->http);

	/* the admin API answers 401 to a token it refuses; its 403s name the refused request */
	if (r->status == 401 || (r->status == 403 && !r->error[0]))
		return ctl_error(status, "%s: the admin token from %s was refused (%ld %s)", url,
				 ctl_client_token_from(c->http), r->status,
				 r->error[0] ? r->error : r->reason);
	if (strncmp(r->error, "unknown_", 8) == 0)
		return ctl_error(status, "%s: not found", obj);
	if (r->status == 404 && strcmp(r->error, "not_found") == 0)
		return ctl_error(status,
				 "%s: no such admin endpoint (is the URL the origin's [admin] "
				 "listen address?)",
				 url);
	if (r->message[0])
		return ctl_error(status, "%s: %s (%ld %s)", obj, r->message, r->status, r->error);
	return ctl_error(status, "%s: %s answered %ld %s%s%s", obj, url, r->status, r->reason,
			 r->ctype[0] ? ", " : "", r->ctype);
}

int ctl_check(struct ctl *c, const char *obj, struct ctl_reply *r, json_t **out)
{
	*out = NULL;
	if (r->status < 200 || r->status >= 300)
		return ctl_fail(c, obj, r);
	if (r->status != 204 && !r->json)
		return ctl_error(CTL_FAILED,
				 "%s: the answer (%ld, %s) is not JSON; is the URL the "
				 "origin's admin address?",
				 ctl_client_url(c->http), r->status,
				 r->ctype[0] ? r->ctype : "no type");
	*out = r->json;
	r->json = NULL;
	return CTL_OK;
}

int ctl_call_created(struct ctl *c, const char *obj, const char *method, const char *path,
		     const struct ctl_body *body, json_t **out, bool *created)
{
	struct ctl_reply r;
	int status;

	*out = NULL;
	*created = false;
	if ((status = ctl_request(c, method, path, body, &r)) != 0)
		return status;
	*created = r.status == 201;
	status = ctl_check(c, obj, &r, out);
	ctl_reply_free(&r);
	return status;
}

int ctl_request_json(struct ctl *c, const char *obj, const char *method, const char *path,
		     const json_t *in, const char *header, struct ctl_reply *r)
{
	char *text = json_dumps(in, JSON_COMPACT);
	struct ctl_body b = {.type = "application/json", .mem = text, .len = text ? strlen(text) : 0,
			     .fd = -1, .header = header};
	int status;

	if (!text)
		return ctl_error(CTL_USAGE, "%s: the arguments must be UTF-8 text", obj);
	status = ctl_request(c, method, path, &b, r);
	free(text);
	return status;
}

int ctl_call_json(struct ctl *c, const char *obj, const char *method, const char *path,
		  const json_t *in, json_t **out, bool *created)
{
	struct ctl_reply r;
	int status;

	*out = NULL;
	if (created)
		*created = false;
	if ((status = ctl_request_json(c, obj, method, path, in, NULL, &r)) != 0)
		return status;
	if (created)
		*created = r.status == 201;
	status = ctl_check(c, obj, &r, out);
	ctl_reply_free(&r);
	return status;
}

int ctl_call(struct ctl *c, const char *obj, const char *method, const char *path,
	     const struct ctl_body *body, json_t **out)
{
	bool created;

	return ctl_call_created(c, obj, method, path, body, out, &created);
}

#define PAGE 1000 /* the admin API's largest limit */

int ctl_pages(struct ctl *c, const char *obj, const char *path, const char *key,
	      bool (*each)(void *arg, json_t *item), void *arg)
{
	char url[512];
	json_int_t total = 0, seen = 0;
	int status;

	do {
		json_t *page, *arr;
		bool stop = false;

		snprintf(url, sizeof(url), "%s%coffset=%lld&limit=%d", path,
			 strchr(path, '?') ? '&' : '?', (long long)seen, PAGE);
		if ((status = ctl_call(c, obj, "GET", url, NULL, &page)) != 0)
			return status;
		arr = json_object_get(page, key);
		total = json_integer_value(json_object_get(page, "total"));
		for (size_t i = 0; i < json_array_size(arr) && !stop; i++)
			stop = each(arg, json_array_get(arr, i));
		seen += (json_int_t)json_array_size(arr);
		if (json_array_size(arr) == 0)
			total = 0; /* an empty page ends it, whatever the total says */
		json_decref(page);
		if (stop)
			return 0;
	} while (seen < total);
	return 0;
}

static bool append(void *arg, json_t *item)
{
	json_array_append(arg, item);
	return false;
}

int ctl_fetch_all(struct ctl *c, const char *obj, const char *path, const char *key, json_t **out)
{
	json_t *all = json_array();
	int status;

	*out = NULL;
	if (!all)
		return ctl_error(CTL_FAILED, "out of memory");
	if ((status = ctl_pages(c, obj, path, key, append, all)) != 0) {
		json_decref(all);
		return status;
	}
	*out = json_pack("{s:o, s:I}", key, all, "total", (json_int_t)json_array_size(all));
	return *out ? 0 : ctl_error(CTL_FAILED, "out of memory");
}

int ctl_print_json(struct ctl *c, const json_t *j)
{
	if (json_dumpf(j, c->out, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) !=
		0 ||
	    fputc('\n', c->out) == EOF)
		return ctl_error(CTL_FAILED, "cannot write the output");
	return CTL_OK;
}

int ctl_show(struct ctl *c, const json_t *j, int (*view)(FILE *, const json_t *))
{
	if (c->json)
		return ctl_print_json(c, j);
	if (view(c->out, j) != 0)
		return ctl_error(CTL_FAILED, "cannot write the output");
	return CTL_OK;
}

int ctl_show_list(struct ctl *c, const json_t *all, const char *key,
		  int (*view)(FILE *, const json_t *))
{
	if (!c->json && json_array_size(json_object_get(all, key)) == 0)
		return ctl_error(CTL_OK, "no %s", key);
	return ctl_show(c, all, view);
}

int ctl_call_named(struct ctl *c, const char *kind, const char *prefix, const char *name,
		   const char *method, json_t **out)
{
	char obj[320], path[1024];

	*out = NULL;
	ctl_obj(obj, sizeof(obj), kind, name);
	if (!ctl_path(path, sizeof(path), obj, prefix, name, ""))
		return CTL_USAGE;
	return ctl_call(c, obj, method, path, NULL, out);
}

int ctl_delete(struct ctl *c, const char *kind, const char *prefix, const char *name,
	       const char *note)
{
	json_t *none;
	char obj[320];
	int status = ctl_call_named(c, kind, prefix, name, "DELETE", &none);

	if (status == 0 && !c->json)
		ctl_say(c, "%s deleted%s", ctl_obj(obj, sizeof(obj), kind, name), note);
	json_decref(none);
	return status;
}

int ctl_list(struct ctl *c, const char *path, const char *key, bool paged,
	     int (*view)(FILE *, const json_t *))
{
	json_t *all;
	int status = paged ? ctl_fetch_all(c, key, path, key, &all)
			   : ctl_call(c, key, "GET", path, NULL, &all);

	if (status == 0)
		status = ctl_show_list(c, all, key, view);
	json_decref(all);
	return status;
}

int ctl_secret_create(const char *file, const char *what)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		ctl_error(CTL_FAILED, "%s: %s (the %s is shown once: name a new file)", file,
			  strerror(errno), what);
	return fd;
}

int ctl_secret_write(int fd, const char *file, const char *secret, const char *what)
{
	struct buf line = {0};
	int status = 0;

	if (!secret || buf_printf(&line, "%s\n", secret) != 0 ||
	    write(fd, line.p, line.len) != (ssize_t)line.len || fsync(fd) != 0)
		status = secret ? ctl_error(CTL_FAILED, "%s: %s; the %s, shown once, is %s", file,
					    strerror(errno), what, secret)
				: ctl_error(CTL_FAILED, "%s: the origin sent no %s", file, what);
	if (close(fd) != 0 && status == 0)
		status = ctl_error(CTL_FAILED, "%s: %s", file, strerror(errno));
	explicit_bzero(line.p, line.len);
	buf_free(&line);
	return status;
}

bool ctl_is_id(const char *s, char kind)
{
	if (s[0] != kind || strlen(s) != 17)
		return false;
	for (int i = 1; i < 17; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}
