/*
 * Plans and subscriptions in the origin's store (tables.h).
 *
 * Plans are written by admins.  A user's subscription runs in periods of
 * the plan's period_days; it renews by itself (no payment processing: an
 * activation is an API call) until cancelled, and a cancelled one stays
 * active to the end of the period it is in.  An admin grant activates a
 * plan until a given time and does not renew.  Renewal is computed when the
 * record is read, so nothing has to run on a timer.
 */
#ifndef ORIGIN_PLANS_H
#define ORIGIN_PLANS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "reason.h"
#include "store.h"

#define PLAN_NAME_MAX  32
#define PLAN_TITLE_MAX 128

struct plan {
	char name[PLAN_NAME_MAX + 1];	   /* [a-z0-9_-], the id */
	char title[PLAN_TITLE_MAX + 1];	   /* for people, may be "" */
	uint32_t max_streams;		   /* concurrent streams, 1..100 */
	uint32_t max_height;		   /* largest rendition height, 144..8640 */
	bool downloads;			   /* offline downloads allowed */
	uint32_t max_devices;		   /* devices holding downloads at once */
	uint32_t max_downloads;		   /* active downloads at once */
	uint32_t downloads_per_title_year; /* licenses issued per title in 365 days */
	uint32_t period_days;		   /* subscription period, 1..366 */
};

enum sub_state { SUB_NONE, SUB_ACTIVE, SUB_ENDED };

struct subscription {
	char plan[PLAN_NAME_MAX + 1];
	int64_t started, period_end; /* unix seconds; period_end as of the read */
	bool cancel_at_period_end;
	bool grant; /* from an admin grant (no renewal) */
	enum sub_state state;
};

/* Is NAME[0..LEN) a valid plan name? */
bool plan_name_valid(const char *name, size_t len);

/*
 * Read plan NAME from its JSON form OBJ (an admin's body, or the stored
 * record; a "name" member, if any, must equal NAME) into *OUT.  Every limit
 * is required; "title" and "period_days" (default 30) are optional; unknown
 * members are refused.  Returns 0, -EPROTO (not a plan: an unknown or
 * missing member), or -EINVAL (a value out of range, or NAME invalid), with
 * the rule in *WHY (may be NULL).
 */
int plan_from_json(json_t *obj, const char *name, struct plan *out, struct origin_reason *why);

/* The plan as its JSON object (NULL on allocation failure). */
json_t *plan_json(const struct plan *p);

/* Plan NAME from T: 0, -ENOENT, or a negative errno. */
int plan_get(struct store_txn *t, const char *name, struct plan *out);

/* Write plan P (replacing one of the same name). */
int plan_put(struct store_txn *t, const struct plan *p);

/* Every plan as a JSON array, by name. */
int plans_list(struct store_txn *t, json_t **out);

/* How many subscriptions (active or not) name plan NAME. */
int plan_subscribers(struct store_txn *t, const char *name, size_t *count);

/*
 * UID's subscription as of NOW (renewals applied): 0 with *OUT (state
 * SUB_ACTIVE or SUB_ENDED), -ENOENT when the user never subscribed, or a
 * negative errno.
 */
int subscription_get(struct store_txn *t, const char *uid, int64_t now, struct subscription *out);

/* Write UID's subscription S. */
int subscription_put(struct store_txn *t, const char *uid, const struct subscription *s);

/* S as a JSON object: {"plan", "status", "started", "period_end", "cancel_at_period_end",
 * "source"}. */
json_t *subscription_json(const struct subscription *s);

struct origin_cache;

/*
 * The plan UID may use at NOW, read through CACHE (cache.h; NULL: from the
 * store): 0 with *PLAN, -EACCES when there is no active subscription (or its
 * plan is gone), or a negative errno.
 */
int plans_entitled(struct store_txn *t, const char *uid, int64_t now, struct origin_cache *cache,
		   struct plan *plan);

/* For GET /me: UID's subscription as JSON (with its plan), or JSON null. */
int plans_subscription_json(struct store *st, const char *uid, int64_t now, json_t **out);

#endif
