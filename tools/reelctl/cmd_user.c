/*
 * user list|show|disable|enable.  A user is named by id (u and 16 hex
 * digits) or email; the admin API takes ids and has no lookup of one
 * account, so an email is found by reading the listing.
 */
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "views.h"

struct find {
	const char *who;
	size_t len; /* WHO without surrounding white space */
	json_t *found;
};

static bool match(void *arg, json_t *u)
{
	struct find *f = arg;
	const char *id = ctl_json_str(u, "id"), *email = ctl_json_str(u, "email");

	if ((id && strlen(id) == f->len && strncmp(id, f->who, f->len) == 0) ||
	    (email && strlen(email) == f->len && strncasecmp(email, f->who, f->len) == 0)) {
		f->found = json_incref(u);
		return true;
	}
	return false;
}

/* The account WHO (id or email) into *USER (the caller json_decrefs it), or the exit status. */
static int find_user(struct ctl *c, const char *who, json_t **user)
{
	struct find f = {who + strspn(who, " \t"), 0, NULL};
	char obj[320];
	int status;

	f.len = strlen(f.who);
	while (f.len > 0 && (f.who[f.len - 1] == ' ' || f.who[f.len - 1] == '\t'))
		f.len--;
	ctl_obj(obj, sizeof(obj), "user", who);
	if ((status = ctl_pages(c, obj, "/admin/v1/users", "users", match, &f)) != 0)
		return status;
	if (!f.found)
		return ctl_error(CTL_NOT_FOUND, "%s: not found", obj);
	*user = f.found;
	return 0;
}

int ctl_user_list(struct ctl *c, const struct ctl_line *l)
{
	return ctl_list(c, "/admin/v1/users", "users", true, ctl_view_users);
}

int ctl_user_show(struct ctl *c, const struct ctl_line *l)
{
	json_t *u;
	int status = find_user(c, l->pos[0], &u);

	if (status != 0)
		return status;
	status = ctl_show(c, u, ctl_view_user);
	json_decref(u);
	return status;
}

static int set_disabled(struct ctl *c, const char *who, bool disable)
{
	char obj[320], path[256], esc[128];
	const char *id = who;
	json_t *u = NULL, *res = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "user", who);
	if (!ctl_is_id(who, 'u') && (status = find_user(c, who, &u)) != 0)
		return status;
	if (u)
		id = ctl_json_str(u, "id");
	if (!id || !ctl_client_escape(id, esc, sizeof(esc))) {
		status = ctl_error(CTL_FAILED, "%s: the origin gave no usable id", obj);
		goto out;
	}
	snprintf(path, sizeof(path), "/admin/v1/users/%s/%s", esc, disable ? "disable" : "enable");
	if ((status = ctl_call(c, obj, "POST", path, NULL, &res)) != 0)
		goto out;
	if (c->json)
		status = ctl_print_json(c, res);
	else if (disable)
		ctl_say(c, "%s disabled (%lld streams ended)", obj,
			(long long)json_integer_value(json_object_get(res, "streams_ended")));
	else
		ctl_say(c, "%s enabled", obj);
out:
	json_decref(res);
	json_decref(u);
	return status;
}

int ctl_user_disable(struct ctl *c, const struct ctl_line *l)
{
	return set_disabled(c, l->pos[0], true);
}

int ctl_user_enable(struct ctl *c, const struct ctl_line *l)
{
	return set_disabled(c, l->pos[0], false);
}
