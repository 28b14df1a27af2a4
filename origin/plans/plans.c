/* Plans and subscriptions (plans.h). */
#include "plans/plans.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "playback/cache.h"
#include "jsonfield.h"
#include "records.h"
#include "schema.h"

#define DAY 86400

bool plan_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > PLAN_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int plan_from_json(json_t *obj, const char *name, struct plan *out, struct origin_reason *why)
{
	static const char *const allowed[] = {
	    "name",	   "title",	  "max_streams",   "max_height",
	    "downloads",   "max_devices", "max_downloads", "downloads_per_title_year",
	    "period_days", NULL};
	static const struct {
		const char *key;
		size_t off;
		uint64_t min, max;
		const char *msg;
	} limits[] = {
	    {"max_streams", offsetof(struct plan, max_streams), 1, 100,
	     "max_streams must be an integer in 1..100"},
	    {"max_height", offsetof(struct plan, max_height), 144, 8640,
	     "max_height must be an integer in 144..8640"},
	    {"max_devices", offsetof(struct plan, max_devices), 0, 100,
	     "max_devices must be an integer in 0..100"},
	    {"max_downloads", offsetof(struct plan, max_downloads), 0, 1000,
	     "max_downloads must be an integer in 0..1000"},
	    {"downloads_per_title_year", offsetof(struct plan, downloads_per_title_year), 0, 1000,
	     "downloads_per_title_year must be an integer in 0..1000"},
	};
	char given[PLAN_NAME_MAX + 1];
	uint64_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!plan_name_valid(name, strlen(name)))
		return reason_set(why, -EINVAL, NULL, "a plan name is 1..32 of a-z, 0-9, _ and -");
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (jf_unknown(obj, allowed))
		return reason_set(why, -EPROTO, NULL, "unknown member in the plan");
	if ((rc = jf_str(obj, "name", given, sizeof(given))) == -EINVAL ||
	    (rc == 0 && strcmp(given, name) != 0))
		return reason_set(why, -EINVAL, NULL, "name differs from the plan in the path");
	if (jf_str(obj, "title", out->title, sizeof(out->title)) == -EINVAL)
		return reason_set(why, -EINVAL, NULL,
				  "title must be a string of at most 128 bytes");
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if ((rc = jf_uint(obj, limits[i].key, limits[i].min, limits[i].max, &v)) == -ENOENT)
			return reason_set(
			    why, -EPROTO, NULL,
			    "a plan needs max_streams, max_height, downloads, max_devices, "
			    "max_downloads and downloads_per_title_year");
		if (rc != 0)
			return reason_set(why, -EINVAL, NULL, limits[i].msg);
		*(uint32_t *)((char *)out + limits[i].off) = (uint32_t)v;
	}
	if ((rc = jf_bool(obj, "downloads", &out->downloads)) == -ENOENT)
		return reason_set(why, -EPROTO, NULL, "a plan needs downloads (true or false)");
	if (rc != 0)
		return reason_set(why, -EINVAL, NULL, "downloads must be true or false");
	if ((rc = jf_uint(obj, "period_days", 1, 366, &v)) == -EINVAL)
		return reason_set(why, -EINVAL, NULL, "period_days must be an integer in 1..366");
	out->period_days = rc == 0 ? (uint32_t)v : 30;
	return 0;
}

json_t *plan_json(const struct plan *p)
{
	return json_pack("{s:s, s:s, s:i, s:i, s:b, s:i, s:i, s:i, s:i}", "name", p->name, "title",
			 p->title, "max_streams", (int)p->max_streams, "max_height",
			 (int)p->max_height, "downloads", p->downloads, "max_devices",
			 (int)p->max_devices, "max_downloads", (int)p->max_downloads,
			 "downloads_per_title_year", (int)p->downloads_per_title_year,
			 "period_days", (int)p->period_days);
}

int plan_get(struct store_txn *t, const char *name, struct plan *out)
{
	json_t *obj;
	int rc = records_get(t, ORIGIN_DB_PLANS, name, strlen(name), &obj);

	if (rc != 0)
		return rc;
	rc = plan_from_json(obj, name, out, NULL) == 0 ? 0 : -EIO;
	json_decref(obj);
	return rc;
}

int plan_put(struct store_txn *t, const struct plan *p)
{
	return records_put(t, ORIGIN_DB_PLANS, p->name, strlen(p->name), plan_json(p), false);
}

static int list_one(void *arg, const void *key, size_t klen, json_t *obj)
{
	if (!obj)
		return -EIO;
	return json_array_append(arg, obj) == 0 ? 0 : -ENOMEM;
}

int plans_list(struct store_txn *t, json_t **out)
{
	int rc;

	if (!(*out = json_array()))
		return -ENOMEM;
	if ((rc = records_scan(t, ORIGIN_DB_PLANS, NULL, 0, list_one, *out)) != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

struct count_plan {
	const char *name;
	size_t n;
};

static int count_one(void *arg, const void *key, size_t klen, json_t *obj)
{
	struct count_plan *c = arg;
	const char *plan = json_string_value(json_object_get(obj, "plan"));

	if (plan && strcmp(plan, c->name) == 0)
		c->n++;
	return 0;
}

int plan_subscribers(struct store_txn *t, const char *name, size_t *count)
{
	struct count_plan c = {name, 0};
	int rc = records_scan(t, ORIGIN_DB_SUBSCRIPTIONS, NULL, 0, count_one, &c);

	*count = c.n;
	return rc;
}

int subscription_get(struct store_txn *t, const char *uid, int64_t now, struct subscription *out)
{
	json_t *obj;
	uint64_t v;
	struct plan p;
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
	if (now >= out->period_end && !out->grant && !out->cancel_at_period_end &&
	    plan_get(t, out->plan, &p) == 0) {
		int64_t period = (int64_t)p.period_days * DAY;

		out->period_end += ((now - out->period_end) / period + 1) * period;
	}
	out->state = now < out->period_end ? SUB_ACTIVE : SUB_ENDED;
	rc = 0;
out:
	json_decref(obj);
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

int plans_entitled(struct store_txn *t, const char *uid, int64_t now, struct origin_cache *cache,
		   struct plan *plan)
{
	struct subscription s;
	int rc = subscription_get(t, uid, now, &s);

	if (rc == -ENOENT || (rc == 0 && s.state != SUB_ACTIVE))
		return -EACCES;
	if (rc != 0)
		return rc;
	rc = origin_cache_plan(cache, t, s.plan, plan);
	return rc == -ENOENT ? -EACCES : rc;
}

int plans_subscription_json(struct store *st, const char *uid, int64_t now, json_t **out)
{
	struct store_txn *t;
	struct subscription s;
	struct plan p;
	int rc = store_begin(st, false, &t);

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
