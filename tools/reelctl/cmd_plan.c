/* plan add|list|show|rm and grant USER PLAN: plans and admin grants. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "views.h"

#define PLANS "/admin/v1/plans/"

/* GET the plan NAME into *PLAN (the caller json_decrefs it), or the exit status. */
static int get_plan(struct ctl *c, const char *name, json_t **plan)
{
	return ctl_call_named(c, "plan", PLANS, name, "GET", plan);
}

int ctl_plan_list(struct ctl *c, const struct ctl_line *l)
{
	return ctl_list(c, "/admin/v1/plans", "plans", false, ctl_view_plans);
}

int ctl_plan_show(struct ctl *c, const struct ctl_line *l)
{
	json_t *plan;
	int status = get_plan(c, l->pos[0], &plan);

	if (status == 0)
		status = ctl_show(c, plan, ctl_view_plan);
	json_decref(plan);
	return status;
}

/* The PlanInput from the options of plan add. */
static json_t *plan_input(const struct ctl_line *l)
{
	static const char *const counts[][2] = {
	    {"max-streams", "max_streams"},
	    {"max-height", "max_height"},
	    {"max-devices", "max_devices"},
	    {"max-downloads", "max_downloads"},
	    {"downloads-per-title-year", "downloads_per_title_year"},
	    {"period-days", "period_days"},
	};
	json_t *in = json_pack("{s:b}", "downloads", ctl_opt(l, "downloads")->set);

	for (size_t i = 0; in && i < sizeof(counts) / sizeof(counts[0]); i++) {
		const struct ctl_val *v = ctl_opt(l, counts[i][0]);

		if (v->set || strcmp(counts[i][0], "period-days") != 0)
			json_object_set_new(in, counts[i][1], json_integer((json_int_t)v->num));
	}
	if (in && ctl_opt(l, "title")->set)
		json_object_set_new(in, "title", json_string(ctl_opt(l, "title")->str));
	return in;
}

/*
 * PUT the plan IN at PATH: with REPLACE it may replace a plan of that name;
 * without, If-None-Match: * has the origin create it only, in one step (412
 * plan_exists when it exists).  0 with the answer in *OUT and whether it
 * was created, or the exit status after saying why.
 */
static int put_plan(struct ctl *c, const char *obj, const char *path, const json_t *in,
		    bool replace, json_t **out, bool *created)
{
	struct ctl_reply r;
	int status;

	*out = NULL;
	if ((status = ctl_request_json(c, obj, "PUT", path, in,
				       replace ? NULL : "If-None-Match: *", &r)) != 0)
		return status;
	*created = r.status == 201;
	if (r.status == 412 && strcmp(r.error, "plan_exists") == 0)
		status = ctl_error(CTL_REFUSED, "%s: exists (give --replace to replace it)", obj);
	else
		status = ctl_check(c, obj, &r, out);
	ctl_reply_free(&r);
	return status;
}

int ctl_plan_add(struct ctl *c, const struct ctl_line *l)
{
	const char *name = l->pos[0];
	char obj[128], path[1024];
	json_t *in = NULL, *plan = NULL;
	bool created = false;
	int status;

	ctl_obj(obj, sizeof(obj), "plan", name);
	if (!ctl_path(path, sizeof(path), obj, PLANS, name, ""))
		return CTL_USAGE;
	if (!(in = plan_input(l)))
		return ctl_error(CTL_FAILED, "out of memory");
	status = put_plan(c, obj, path, in, ctl_opt(l, "replace")->set, &plan, &created);
	if (status == 0) {
		if (c->json)
			status = ctl_print_json(c, plan);
		else
			ctl_say(c, "%s %s", obj, created ? "created" : "replaced");
	}
	json_decref(in);
	json_decref(plan);
	return status;
}

int ctl_plan_rm(struct ctl *c, const struct ctl_line *l)
{
	return ctl_delete(c, "plan", PLANS, l->pos[0], "");
}

/*
 * grant USER PLAN [--days N]: POST /admin/v1/grants.  The plan is read
 * first, so a missing one is named before anything changes, and without
 * --days the grant lasts one period of the plan.
 */
int ctl_grant(struct ctl *c, const struct ctl_line *l)
{
	const char *user = l->pos[0], *plan = l->pos[1];
	const struct ctl_val *days = ctl_opt(l, "days");
	json_t *p = NULL, *in = NULL, *res = NULL;
	char obj[320];
	json_int_t n;
	int status;

	if ((status = get_plan(c, plan, &p)) != 0)
		return status;
	n = days->set ? (json_int_t)days->num
		      : json_integer_value(json_object_get(p, "period_days"));
	ctl_obj(obj, sizeof(obj), "user", user);
	if (!(in = json_pack("{s:s, s:s, s:I}", "user", user, "plan", plan, "days", n))) {
		status = ctl_error(CTL_USAGE, "%s: the arguments must be UTF-8 text", obj);
		goto out;
	}
	if ((status = ctl_call_json(c, obj, "POST", "/admin/v1/grants", in, &res, NULL)) != 0)
		goto out;
	if (c->json)
		status = ctl_print_json(c, res);
	else
		ctl_say(c, "%s has plan '%s' until %s", obj, plan,
			ctl_json_str(json_object_get(res, "subscription"), "period_end"));
out:
	json_decref(res);
	json_decref(in);
	json_decref(p);
	return status;
}
