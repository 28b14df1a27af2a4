/* Plans and the caller's subscription: list plans, subscribe, change plan, cancel. */
#include "api/api_int.h"

#include <errno.h>
#include <string.h>

#include "jsonfield.h"
#include "plans/plans.h"

#define DAY 86400

/* What the plans domain's refusals answer, for the admin's plans. */
static const struct api_refusal plan_refusals[] = {
    API_REFUSAL(-EPROTO, 400, "invalid_request", NULL),
    API_REFUSAL(-EINVAL, 422, "invalid_plan", NULL),
    {0},
};

int plan_parse(json_t *obj, const char *name, struct plan *out, struct origin_fail *fail)
{
	struct origin_reason why;
	int rc = plan_from_json(obj, name, out, &why);

	if (rc == 0)
		return 0;
	api_refusal_fail(plan_refusals, rc, &why, fail);
	return -1;
}

void api_plans_list(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct store_txn *t;
	json_t *arr = NULL;
	int rc = store_begin(api->st, false, &t);

	if (rc == 0) {
		rc = plans_list(t, &arr);
		store_abort(t);
	}
	if (rc != 0) {
		api_internal(x, "plans", rc);
		return;
	}
	api_send_json(x, 200, json_pack("{s:o}", "plans", arr), NULL);
}

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
	struct store_txn *t;
	struct plan plan;
	bool have_plan = false;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = store_begin(api->st, false, &t)) == 0) {
		if ((rc = subscription_get(t, u.id, api->now(), &s)) == 0)
			have_plan = plan_get(t, s.plan, &plan) == 0;
		store_abort(t);
	}
	if (rc == -ENOENT) {
		api_error(x, 404, "no_subscription", "you have no subscription", NULL);
		return;
	}
	if (rc != 0) {
		api_internal(x, "subscription", rc);
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
	struct store_txn *t = NULL;
	struct plan plan;
	int64_t now = api->now();
	json_t *body;
	int rc, status = 200;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (jf_unknown(body, allowed) || jf_str(body, "plan", name, sizeof(name)) != 0) {
		api_error(x, 400, "invalid_request", "the body must be {\"plan\": NAME}", NULL);
		goto out;
	}
	if ((rc = store_begin(api->st, true, &t)) != 0)
		goto end;
	if ((rc = plan_get(t, name, &plan)) == -ENOENT) {
		api_error(x, 422, "unknown_plan", "no such plan", NULL);
		goto out;
	}
	if (rc != 0)
		goto end;
	rc = subscription_get(t, u.id, now, &s);
	if (rc != 0 && rc != -ENOENT)
		goto end;
	if (rc == -ENOENT || s.state != SUB_ACTIVE) {
		status = rc == -ENOENT ? 201 : 200;
		memset(&s, 0, sizeof(s));
		s.started = now;
		s.period_end = now + (int64_t)plan.period_days * DAY;
	}
	memcpy(s.plan, plan.name, sizeof(s.plan));
	s.cancel_at_period_end = false;
	s.grant = false;
	s.state = SUB_ACTIVE;
	rc = subscription_put(t, u.id, &s);
end:
	if (!api_commit_failed(x, &t, rc, "subscribe"))
		send_subscription(x, status, &s, &plan);
out:
	store_abort(t);
	json_decref(body);
}

/* DELETE /api/v1/subscription: cancel at the end of the period (stays active until then). */
void api_subscription_cancel(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p)
{
	struct accounts_user u;
	struct subscription s;
	struct store_txn *t = NULL;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = store_begin(api->st, true, &t)) != 0)
		goto end;
	rc = subscription_get(t, u.id, api->now(), &s);
	if (rc == -ENOENT || (rc == 0 && s.state != SUB_ACTIVE)) {
		api_error(x, 404, "no_subscription", "you have no active subscription", NULL);
		goto out;
	}
	if (rc != 0)
		goto end;
	s.cancel_at_period_end = true;
	rc = subscription_put(t, u.id, &s);
end:
	if (!api_commit_failed(x, &t, rc, "cancel"))
		send_subscription(x, 200, &s, NULL);
out:
	store_abort(t);
}
