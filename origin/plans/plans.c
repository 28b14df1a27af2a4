/* Plans: their rules, records and the service over them (plans.h). */
#include "plans/plans.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfield.h"
#include "plans/plans_int.h"
#include "record_cache.h"
#include "records.h"
#include "schema.h"
#include "store.h"

#define PLAN_SLOTS	   64	/* the cache's; a power of two */
#define SUBSCRIPTION_SLOTS 4096 /* subscriptions cached at once (direct-mapped) */

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

struct plans *plans_new(struct store *st)
{
	struct plans *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	pl->st = st;
	pl->cache = record_cache_new(PLAN_SLOTS, sizeof(struct plan));
	pl->subs = record_cache_new(SUBSCRIPTION_SLOTS, sizeof(struct subscription));
	if (!pl->cache || !pl->subs) {
		plans_free(pl);
		return NULL;
	}
	return pl;
}

void plans_free(struct plans *pl)
{
	if (!pl)
		return;
	record_cache_free(pl->cache);
	record_cache_free(pl->subs);
	free(pl);
}

int plans_cached(struct plans *pl, struct store_txn *t, const char *name, struct plan *out)
{
	int rc;

	if (pl && record_cache_get(pl->cache, name, out))
		return 0;
	if ((rc = plan_get(t, name, out)) == 0 && pl)
		record_cache_put(pl->cache, name, out);
	return rc;
}

int plans_all(struct plans *pl, json_t **out)
{
	struct store_txn *t;
	int rc = store_begin(pl->st, false, &t);

	*out = NULL;
	if (rc != 0)
		return rc;
	rc = plans_list(t, out);
	store_abort(t);
	return rc;
}

int plans_find(struct plans *pl, const char *name, struct plan *out)
{
	struct store_txn *t;
	int rc = store_begin(pl->st, false, &t);

	if (rc != 0)
		return rc;
	rc = plan_get(t, name, out);
	store_abort(t);
	return rc;
}

int plans_save(struct plans *pl, const struct plan *p, bool only_new, bool *created)
{
	struct store_txn *t;
	struct plan old;
	int rc = store_begin(pl->st, true, &t);

	if (rc != 0)
		return rc;
	rc = plan_get(t, p->name, &old);
	*created = rc == -ENOENT;
	if (rc == 0 && only_new)
		rc = -EEXIST;
	else if (rc == 0 || rc == -ENOENT)
		rc = plan_put(t, p);
	rc = store_finish(t, rc);
	record_cache_clear(pl->cache);
	return rc;
}

int plans_remove(struct plans *pl, const char *name)
{
	struct store_txn *t;
	size_t users = 0;
	int rc = store_begin(pl->st, true, &t);

	if (rc != 0)
		return rc;
	if ((rc = plan_subscribers(t, name, &users)) == 0 && users)
		rc = -EBUSY;
	if (rc == 0)
		rc = store_del(t, ORIGIN_DB_PLANS, name, strlen(name));
	rc = store_finish(t, rc);
	record_cache_clear(pl->cache);
	return rc;
}
