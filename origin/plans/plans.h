/*
 * Plans (plans.c) and subscriptions (subscriptions.c) in the origin's store
 * (tables.h).
 *
 * Plans are written by admins.  A user's subscription runs in periods of
 * the plan's period_days; it renews by itself (no payment processing: an
 * activation is an API call) until cancelled, and a cancelled one stays
 * active to the end of the period it is in.  An admin grant activates a
 * plan until a given time and does not renew.  Renewal is computed when the
 * record is read, so nothing has to run on a timer.
 *
 * Two layers: calls in a transaction T of the caller's, for other domains
 * that must read plans in their own transaction (playback, downloads), and
 * the service (struct plans), whose calls each run one transaction.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_PLANS_H
#define ORIGIN_PLANS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "reason.h"

struct store;
struct store_txn;

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

/* The plans service: the store (not owned) and a cache of plans by name. */
struct plans;

/* ---- plans (plans.c) ---- */

/* Is NAME[0..LEN) a valid plan name? */
bool plan_name_valid(const char *name, size_t len);

/*
 * Read plan NAME from its JSON form OBJ (an admin's body, or the stored
 * record; a "name" member, if any, must equal NAME) into *OUT.  Every limit
 * is required; "title" and "period_days" (default 30) are optional; unknown
 * members are refused.  Returns 0, -EPROTO (not a plan: an unknown or
 * missing member), or -EINVAL (a value out of range, or NAME invalid), with
 * the rule in *WHY (may be NULL; its message is static).
 */
int plan_from_json(json_t *obj, const char *name, struct plan *out, struct origin_reason *why);

/* The plan as a new JSON object (the caller decrefs it; NULL on allocation failure). */
json_t *plan_json(const struct plan *p);

/* Plan NAME from T into *OUT: 0, -ENOENT, or a negative errno (-EIO: a damaged record). */
int plan_get(struct store_txn *t, const char *name, struct plan *out);

/* Write plan P (replacing one of the same name) in T.  The service's cache is not told. */
int plan_put(struct store_txn *t, const struct plan *p);

/* Every plan in T, by name, as a new JSON array in *OUT (the caller decrefs it). */
int plans_list(struct store_txn *t, json_t **out);

/* How many subscriptions (active or not) name plan NAME in T, into *COUNT. */
int plan_subscribers(struct store_txn *t, const char *name, size_t *count);

/*
 * The plans service over ST (not owned; it must outlive the service), or
 * NULL on ENOMEM; free it with plans_free().  It alone writes plans, so its
 * cache is never stale.
 */
struct plans *plans_new(struct store *st);

/* Free PL.  NULL is a no-op. */
void plans_free(struct plans *pl);

/* Every plan, by name, as a new JSON array in *OUT (the caller decrefs it). */
int plans_all(struct plans *pl, json_t **out);

/* Plan NAME into *OUT: 0, -ENOENT, or a negative errno. */
int plans_find(struct plans *pl, const char *name, struct plan *out);

/*
 * Write plan P, replacing one of the same name (*CREATED false) or not
 * (true); with ONLY_NEW, a plan of that name is kept and the answer is
 * -EEXIST.  0, -EEXIST, or a negative errno.
 */
int plans_save(struct plans *pl, const struct plan *p, bool only_new, bool *created);

/* Delete plan NAME: 0, -EBUSY (subscriptions name it), -ENOENT, or a negative errno. */
int plans_remove(struct plans *pl, const char *name);

/*
 * Plan NAME in T through PL's cache (PL NULL: straight from T): 0, -ENOENT,
 * or a negative errno.
 */
int plans_cached(struct plans *pl, struct store_txn *t, const char *name, struct plan *out);

/* ---- subscriptions (subscriptions.c) ---- */

/*
 * UID's subscription in T as of NOW (renewals applied): 0 with *OUT (state
 * SUB_ACTIVE or SUB_ENDED), -ENOENT when the user never subscribed, or a
 * negative errno.
 */
int subscription_get(struct store_txn *t, const char *uid, int64_t now, struct subscription *out);

/* Write UID's subscription S in T. */
int subscription_put(struct store_txn *t, const char *uid, const struct subscription *s);

/*
 * S as a new JSON object (the caller decrefs it; NULL on allocation
 * failure): {"plan", "status", "active", "started", "period_end",
 * "cancel_at_period_end", "source"}.
 */
json_t *subscription_json(const struct subscription *s);

/*
 * The plan UID may use at NOW, read in T through PL's cache (PL NULL: from
 * T alone): 0 with *PLAN, -EACCES when there is no active subscription (or
 * its plan is gone), or a negative errno.
 */
int plans_entitled(struct store_txn *t, const char *uid, int64_t now, struct plans *pl,
		   struct plan *plan);

/*
 * UID's subscription as of NOW into *S, and its plan into *PLAN with
 * *HAVE_PLAN true (false when the plan is gone).  0, -ENOENT (never
 * subscribed), or a negative errno.
 */
int plans_subscription(struct plans *pl, const char *uid, int64_t now, struct subscription *s,
		       struct plan *plan, bool *have_plan);

/*
 * Subscribe UID to plan NAME at NOW: a first or an ended subscription
 * starts a new period (*CREATED true for a first), an active one changes
 * plan and keeps its period; a pending cancellation is undone.  0 with the
 * subscription in *S and the plan in *PLAN, -ENOENT (no such plan), or a
 * negative errno.
 */
int plans_subscribe(struct plans *pl, const char *uid, const char *name, int64_t now,
		    struct subscription *s, struct plan *plan, bool *created);

/*
 * Cancel UID's subscription at the end of its period (it stays active until
 * then): 0 with *S, -ENOENT (no active subscription), or a negative errno.
 */
int plans_cancel(struct plans *pl, const char *uid, int64_t now, struct subscription *s);

/*
 * An admin's grant: UID's subscription becomes plan NAME for DAYS days from
 * NOW, without renewal.  0 with *S, -ENOENT (no such plan), or a negative
 * errno.
 */
int plans_grant(struct plans *pl, const char *uid, const char *name, uint32_t days, int64_t now,
		struct subscription *s);

/*
 * For GET /me: UID's subscription as a new JSON object with its plan's
 * "limits", or JSON null, in *OUT (the caller decrefs it).
 */
int plans_subscription_json(struct plans *pl, const char *uid, int64_t now, json_t **out);

#endif
