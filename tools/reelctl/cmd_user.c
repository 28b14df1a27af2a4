/*
 * user list|show|disable|enable.  A user is named by id (u and 16 hex
 * digits) or email; the admin API looks either up (GET
 * /admin/v1/users/USER), so nothing here reads the listing.
 */
#include <string.h>

#include "commands.h"
#include "views.h"

#define USERS "/admin/v1/users/"

/* WHO without the white space around it, into BUF. */
static const char *trimmed(const char *who, char *buf, size_t len)
{
	size_t n;

	who += strspn(who, " \t");
	n = strlen(who);
	while (n > 0 && (who[n - 1] == ' ' || who[n - 1] == '\t'))
		n--;
	snprintf(buf, len, "%.*s", (int)n, who);
	return buf;
}

int ctl_user_list(struct ctl *c, const struct ctl_line *l)
{
	return ctl_list(c, "/admin/v1/users", "users", true, ctl_view_users);
}

int ctl_user_show(struct ctl *c, const struct ctl_line *l)
{
	char who[320], obj[352], path[1024];
	json_t *u = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "user", l->pos[0]);
	if (!ctl_path(path, sizeof(path), obj, USERS, trimmed(l->pos[0], who, sizeof(who)), ""))
		return CTL_USAGE;
	if ((status = ctl_call(c, obj, "GET", path, NULL, &u)) == 0)
		status = ctl_show(c, u, ctl_view_user);
	json_decref(u);
	return status;
}

static int set_disabled(struct ctl *c, const char *user, bool disable)
{
	char who[320], obj[352], path[1024];
	json_t *res = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "user", user);
	if (!ctl_path(path, sizeof(path), obj, USERS, trimmed(user, who, sizeof(who)),
		      disable ? "/disable" : "/enable"))
		return CTL_USAGE;
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

/*
 * token mint USER TITLE [--ttl SECONDS]: POST /admin/v1/stream-tokens, a
 * real play on the user's behalf whose token lives at most --ttl; prints
 * the token and its edge URL.
 */
int ctl_token_mint(struct ctl *c, const struct ctl_line *l)
{
	const struct ctl_val *ttl = ctl_opt(l, "ttl");
	char who[320], obj[352];
	struct ctl_reply r;
	json_t *in, *res = NULL;
	int status;

	ctl_obj(obj, sizeof(obj), "user", l->pos[0]);
	if (!(in = json_pack("{s:s, s:s}", "user", trimmed(l->pos[0], who, sizeof(who)), "title",
			     l->pos[1])) ||
	    (ttl->set && json_object_set_new(in, "ttl", json_integer((json_int_t)ttl->num)) != 0)) {
		json_decref(in);
		return ctl_error(CTL_USAGE, "%s: the arguments must be UTF-8 text", obj);
	}
	status = ctl_request_json(c, obj, "POST", "/admin/v1/stream-tokens", in, NULL, &r);
	json_decref(in);
	if (status != 0)
		return status;
	if (strcmp(r.error, "unknown_title") == 0)
		ctl_obj(obj, sizeof(obj), "title", l->pos[1]); /* what was not found */
	if ((status = ctl_check(c, obj, &r, &res)) == 0)
		status = ctl_show(c, res, ctl_view_stream_token);
	ctl_reply_free(&r);
	json_decref(res);
	return status;
}
