/* Subscriptions: their periods, renewals, grants and entitlement (plans.h). */
#include "plans/plans.h"

#include <errno.h>
#include <string.h>

#include "jsonfield.h"
#include "plans/plans_int.h"
#include "record_cache.h"
#include "records.h"
#include "schema.h"
#include "store.h"

#define DAY 86400

/* UID's subscription record in T as stored into *OUT (no renewal, no state): 0, -ENOENT, -EIO. */
static int subscription_read(struct store_txn *t, const char *uid, struct subscription *out)
{
	json_t *obj;
	uint64_t v;
	const char *src;
	int rc = records_get(t, ORIGIN_DB_SUBSCRIPTIONS, uid, strlen(uid), &obj);

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return rc;
	rc = -EIO;
	if (jf_str(obj, "plan", out->plan, sizeof(out->plan)) != 0 ||
	    jf_uint(obj, "started", 0, INT64_MAX, &v) != 0)
		goto out;
	out->started = (int64_t)v;
	if (jf_uint(obj, "period_end", 0, INT64_MAX, &v) != 0 ||
	    jf_bool(obj, "cancel_at_period_end", &out->cancel_at_period_end) != 0 ||
	    !(src = json_string_value(json_object_get(obj, "source"))))
		goto out;
	out->period_end = (int64_t)v;
	out->grant = strcmp(src, "grant") == 0;
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

/* Apply the renewals of the stored subscription S due by NOW (the plan read in T) and its state. */
static void subscription_settle(struct store_txn *t, int64_t now, struct subscription *s)
{
	struct plan p;

	if (now >= s->period_end && !s->grant && !s->cancel_at_period_end &&
	    plan_get(t, s->plan, &p) == 0) {
		int64_t period = (int64_t)p.period_days * DAY;

		s->period_end += ((now - s->period_end) / period + 1) * period;
	}
	s->state = now < s->period_end ? SUB_ACTIVE : SUB_ENDED;
}

int subscription_get(struct store_txn *t, const char *uid, int64_t now, struct subscription *out)
{
	int rc = subscription_read(t, uid, out);

	if (rc == 0)
		subscription_settle(t, now, out);
	return rc;
}

int subscription_put(struct store_txn *t, const char *uid, const struct subscription *s)
{
	return records_put(t, ORIGIN_DB_SUBSCRIPTIONS, uid, strlen(uid),
			   json_pack("{s:s, s:I, s:I, s:b, s:s}", "plan", s->plan, "started",
				     (json_int_t)s->started, "period_end",
				     (json_int_t)s->period_end, "cancel_at_period_end",
				     s->cancel_at_period_end, "source",
				     s->grant ? "grant" : "user"),
			   false);
}

json_t *subscription_json(const struct subscription *s)
{
	const char *status = s->state != SUB_ACTIVE    ? "ended"
			     : s->cancel_at_period_end ? "canceled"
						       : "active";

	return json_pack("{s:s, s:s, s:b, s:o, s:o, s:b, s:s}", "plan", s->plan, "status", status,
			 "active", s->state == SUB_ACTIVE, "started", jf_time(s->started),
			 "period_end", jf_time(s->period_end), "cancel_at_period_end",
			 s->cancel_at_period_end, "source", s->grant ? "grant" : "user");
}

int plans_entitled(struct store_txn *t, const char *uid, int64_t now, struct plans *pl,
		   struct plan *plan)
{
	struct subscription s;
	int rc = 0;

	/* the stored record through PL's cache: subscribe, cancel and grant empty it */
	if (!pl || !record_cache_get(pl->subs, uid, &s)) {
		rc = subscription_read(t, uid, &s);
		if (rc == 0 && pl)
			record_cache_put(pl->subs, uid, &s);
	}
	if (rc == 0)
		subscription_settle(t, now, &s);
	if (rc == -ENOENT || (rc == 0 && s.state != SUB_ACTIVE))
		return -EACCES;
	if (rc != 0)
		return rc;
	rc = plans_cached(pl, t, s.plan, plan);
	return rc == -ENOENT ? -EACCES : rc;
}

int plans_subscription_json(struct plans *pl, const char *uid, int64_t now, json_t **out)
{
	struct store_txn *t;
	struct subscription s;
	struct plan p;
	int rc = store_begin(pl->st, false, &t);

	if (rc != 0)
		return rc;
	rc = subscription_get(t, uid, now, &s);
	if (rc == -ENOENT) {
		*out = json_null();
		rc = 0;
	} else if (rc == 0) {
		*out = subscription_json(&s);
		if (*out && plan_get(t, s.plan, &p) == 0)
			json_object_set_new(*out, "limits", plan_json(&p));
		rc = *out ? 0 : -ENOMEM;
	}
	store_abort(t);
	return rc;
}

int plans_subscription(struct plans *pl, const char *uid, int64_t now, struct subscription *s,
		       struct plan *plan, bool *have_plan)
{
	struct store_txn *t;
	int rc = store_begin(pl->st, false, &t);

	*have_plan = false;
	if (rc != 0)
		return rc;
	if ((rc = subscription_get(t, uid, now, s)) == 0)
		*have_plan = plan_get(t, s->plan, plan) == 0;
	store_abort(t);
	return rc;
}

int plans_subscribe(struct plans *pl, const char *uid, const char *name, int64_t now,
		    struct subscription *s, struct plan *plan, bool *created)
{
	struct store_txn *t;
	int rc = store_begin(pl->st, true, &t);

	*created = false;
	if (rc != 0)
		return rc;
	if ((rc = plan_get(t, name, plan)) != 0)
		return store_finish(t, rc);
	rc = subscription_get(t, uid, now, s);
	if (rc != 0 && rc != -ENOENT)
		return store_finish(t, rc);
	if (rc == -ENOENT || s->state != SUB_ACTIVE) {
		*created = rc == -ENOENT;
		memset(s, 0, sizeof(*s));
		s->started = now;
		s->period_end = now + (int64_t)plan->period_days * DAY;
	}
	memcpy(s->plan, plan->name, sizeof(s->plan));
	s->cancel_at_period_end = false;
	s->grant = false;
	s->state = SUB_ACTIVE;
	record_cache_clear(pl->subs);
	return store_finish(t, subscription_put(t, uid, s));
}

int plans_cancel(struct plans *pl, const char *uid, int64_t now, struct subscription *s)
{
	struct store_txn *t;
	int rc = store_begin(pl->st, true, &t);

	if (rc != 0)
		return rc;
	rc = subscription_get(t, uid, now, s);
	if (rc == 0 && s->state != SUB_ACTIVE)
		rc = -ENOENT;
	if (rc != 0)
		return store_finish(t, rc);
	s->cancel_at_period_end = true;
	record_cache_clear(pl->subs);
	return store_finish(t, subscription_put(t, uid, s));
}

int plans_grant(struct plans *pl, const char *uid, const char *name, uint32_t days, int64_t now,
		struct subscription *s)
{
	struct store_txn *t;
	struct plan plan;
	int rc = store_begin(pl->st, true, &t);

	if (rc != 0)
		return rc;
	if ((rc = plan_get(t, name, &plan)) != 0)
		return store_finish(t, rc);
	*s = (struct subscription){.started = now,
				   .period_end = now + (int64_t)days * DAY,
				   .grant = true,
				   .state = SUB_ACTIVE};
	memcpy(s->plan, plan.name, sizeof(s->plan));
	record_cache_clear(pl->subs);
	return store_finish(t, subscription_put(t, uid, s));
}
