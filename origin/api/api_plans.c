/*
 * Plans and subscriptions: the plans a user may choose and the caller's
 * subscription (subscribe, change plan, cancel); for admins, plans
 * themselves and grants.
 */
#include "api/api_int.h"

#include "http_cond.h"

#include <errno.h>
#include <string.h>

#include "jsonfield.h"
#include "log.h"
#include "plans/plans.h"

int plan_parse(json_t *obj, const char *name, struct plan *out, struct origin_fail *fail)
{
	struct origin_reason why = {0};
	int rc = plan_from_json(obj, name, out, &why);

	if (rc == 0)
		return 0;
	api_refusal_fail(API_PLAN, rc, &why, fail);
	return -1;
}

void api_plans_list(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	json_t *arr;
	int rc = plans_all(api->plans, &arr);

	api_send_result(x, "plans", rc, rc == 0 ? json_pack("{s:o}", "plans", arr) : NULL);
}

/* Answer S with STATUS, and the plan's "limits" when P is not NULL. */
static void send_subscription(struct httpd_exchange *x, int status, const struct subscription *s,
			      const struct plan *p)
{
	json_t *obj = subscription_json(s);

	if (obj && p)
		json_object_set_new(obj, "limits", plan_json(p));
	api_send_json(x, status, obj, NULL);
}

void api_subscription_get(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	struct accounts_user u;
	struct subscription s;
	struct plan plan;
	bool have_plan;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = plans_subscription(api->plans, u.id, api->now(), &s, &plan, &have_plan)) != 0) {
		api_refuse(api, x, API_SUBSCRIPTION, rc, NULL);
		return;
	}
	send_subscription(x, 200, &s, have_plan ? &plan : NULL);
}

/*
 * PUT /api/v1/subscription {"plan": NAME}: subscribe (201), change plan
 * (200; the period goes on), or undo a pending cancellation.  An ended
 * subscription starts a new period now.
 */
void api_subscription_put(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	static const char *const allowed[] = {"plan", NULL};
	char name[PLAN_NAME_MAX + 1];
	struct accounts_user u;
	struct subscription s;
	struct plan plan;
	bool created;
	json_t *body;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (jf_unknown(body, allowed) || jf_str(body, "plan", name, sizeof(name)) != 0)
		api_error(x, 400, "invalid_request", "the body must be {\"plan\": NAME}", NULL);
	else if ((rc = plans_subscribe(api->plans, u.id, name, api->now(), &s, &plan, &created)))
		api_refuse(api, x, API_SUBSCRIBE, rc, NULL);
	else
		send_subscription(x, created ? 201 : 200, &s, &plan);
	json_decref(body);
}

/* DELETE /api/v1/subscription: cancel at the end of the period (stays active until then). */
void api_subscription_cancel(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p)
{
	struct accounts_user u;
	struct subscription s;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = plans_cancel(api->plans, u.id, api->now(), &s)) != 0) {
		api_refuse(api, x, API_CANCEL, rc, NULL);
		return;
	}
	send_subscription(x, 200, &s, NULL);
}

/* ---- admin ---- */

void api_admin_plans_list(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	const char *who;

	if (!api_not_admin(api, x, &who))
		api_plans_list(api, x, p);
}

/* The plan name of the path into NAME, or true after answering 404. */
static bool bad_plan_param(struct httpd_exchange *x, const struct api_params *p, char *name)
{
	return api_bad_param(x, p, name, PLAN_NAME_MAX + 1, plan_name_valid, "unknown_plan",
			     "no such plan");
}

void api_admin_plan_get(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char name[PLAN_NAME_MAX + 1];
	struct plan plan;
	const char *who;
	int rc;

	if (api_not_admin(api, x, &who) || bad_plan_param(x, p, name))
		return;
	if ((rc = plans_find(api->plans, name, &plan)) != 0)
		api_refuse(api, x, API_PLAN, rc, NULL);
	else
		api_send_json(x, 200, plan_json(&plan), NULL);
}

/* Does the request say If-None-Match: * (create, never replace), on one line or several? */
static bool create_only(const struct http_request *req)
{
	char buf[256];
	struct http_str v = http_field_list(req, "if-none-match", req->if_none_match,
					    req->if_none_match_lines, buf, sizeof(buf));

	return v.p && http_etag_match(v.p, v.len, NULL, 0, true);
}

/*
 * PUT /admin/v1/plans/NAME: create or replace the plan; with If-None-Match: *
 * only create it (412 plan_exists when it exists).
 */
void api_admin_plan_put(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char name[PLAN_NAME_MAX + 1];
	struct origin_fail f;
	struct plan plan;
	const char *who;
	bool created;
	json_t *body;
	int rc;

	if (api_not_admin(api, x, &who))
		return;
	if (!api_param(&p->v[0], name, sizeof(name))) {
		api_error(x, 422, "invalid_plan", "a plan name is 1..32 of a-z, 0-9, _ and -",
			  NULL);
		return;
	}
	if (api_bad_body(x, &body))
		return;
	rc = plan_parse(body, name, &plan, &f);
	json_decref(body);
	if (rc != 0) {
		api_fail(x, &f);
		return;
	}
	if ((rc = plans_save(api->plans, &plan, create_only(x->req), &created)) != 0) {
		api_refuse(api, x, API_PLAN, rc, NULL);
		return;
	}
	log_info("admin %s: %s plan %s", who, created ? "created" : "updated", name);
	api_send_json(x, created ? 201 : 200, plan_json(&plan), NULL);
}

void api_admin_plan_delete(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	char name[PLAN_NAME_MAX + 1];
	const char *who;

	if (!api_not_admin(api, x, &who) && !bad_plan_param(x, p, name))
		api_admin_removed(api, x, API_PLAN, plans_remove(api->plans, name), who, "plan",
				  name);
}

/*
 * POST /admin/v1/grants {"user": EMAIL-OR-ID, "plan": NAME, "days": N}: the
 * user's subscription becomes PLAN for N days from now, without renewal.
 */
void api_admin_grant(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	static const char *const allowed[] = {"user", "plan", "days", NULL};
	char user[ORIGIN_EMAIL_MAX + 1], name[PLAN_NAME_MAX + 1];
	struct accounts_user u;
	struct subscription s;
	const char *who;
	uint64_t days;
	json_t *body;
	int rc;

	if (api_not_admin(api, x, &who) || api_bad_body(x, &body))
		return;
	if (jf_unknown(body, allowed) || jf_str(body, "user", user, sizeof(user)) != 0 ||
	    jf_str(body, "plan", name, sizeof(name)) != 0)
		api_error(x, 400, "invalid_request",
			  "the body must be {\"user\", \"plan\", \"days\"}", NULL);
	else if (jf_uint(body, "days", 1, 3660, &days) != 0)
		api_error(x, 422, "invalid_grant", "days must be a whole number in 1..3660", NULL);
	else if ((rc = accounts_find(api->accounts, user, &u)) != 0)
		api_refuse(api, x, API_GRANT_USER, rc, NULL);
	else if ((rc = plans_grant(api->plans, u.id, name, (uint32_t)days, api->now(), &s)) != 0)
		api_refuse(api, x, API_GRANT, rc, NULL);
	else {
		log_info("admin %s: granted plan %s to %s for %llu days", who, name, u.id,
			 (unsigned long long)days);
		api_send_json(
		    x, 200,
		    json_pack("{s:s, s:o}", "user", u.id, "subscription", subscription_json(&s)),
		    NULL);
	}
	json_decref(body);
}
