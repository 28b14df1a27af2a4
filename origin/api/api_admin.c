/*
 * The admin API (/admin/v1/, on the admin listeners only): users, plans,
 * grants, titles and their content keys.  Every request carries an admin
 * token (admin.h); every change is logged with the admin's name.
 */
#include "admin/admin_tokens.h"
#include "admin/users.h"
#include "api/api_int.h"
#include "api/commit_batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "accounts/pwhash_pool.h"
#include "jobs/jobs.h"
#include "jsonfield.h"
#include "edges/edges.h"
#include "fill/fill.h"
#include "playback/playback.h"
#include "log.h"
#include "plans/plans.h"

#define DAY 86400

bool api_not_admin(struct origin_api *api, struct httpd_exchange *x, const char **who)
{
	struct http_str a = x->req->authorization;

	*who = NULL;
	if (a.len > 7 && strncasecmp(a.p, "Bearer ", 7) == 0 && api->admins)
		*who = admin_check(api->admins, a.p + 7, a.len - 7);
	if (*who)
		return false;
	api_error(x, 401, "unauthorized", "an admin token is required",
		  "WWW-Authenticate: Bearer realm=\"reel-admin\"\r\n");
	return true;
}

/* ---- users ---- */

void api_admin_users_list(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	struct api_page pg;
	const char *who;
	json_t *page;
	int rc;

	if (api_not_admin(api, x, &who))
		return;
	pg = api_admin_page(x);
	rc = admin_users(api->accounts, api->plans, pg.offset, pg.limit, api->now(), &page);
	api_send_result(x, "users", rc, page);
}

/*
 * The user the path's segment names, an id or a percent-encoded email, into
 * *U, or true after answering 404 unknown_user or 500.
 */
static bool no_user_param(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p, struct accounts_user *u)
{
	char who[ORIGIN_EMAIL_MAX + 1];
	int rc = -ENOENT;

	if (api_param_decoded(&p->v[0], who, sizeof(who)))
		rc = accounts_find(api->accounts, who, u);
	if (rc == 0)
		return false;
	if (rc == -ENOENT)
		api_error(x, 404, "unknown_user", "no such user", NULL);
	else
		api_internal(x, "user", rc);
	return true;
}

/* GET /admin/v1/users/USER: one account (by id or email) with its subscription. */
void api_admin_user_get(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	struct accounts_user u;
	const char *who;
	json_t *row;

	if (api_not_admin(api, x, &who) || no_user_param(api, x, p, &u))
		return;
	row = admin_user(api->plans, &u, api->now());
	api_send_result(x, "user", row ? 0 : -ENOMEM, row);
}

/*
 * A disable's answer ITEM (a JSON object, consumed) once its revocations
 * are committed; 200 also when the commit failed (RC): the disable holds
 * and the next batch writes them again.
 */
static void disabled_answer(struct httpd_exchange *x, void *item, int rc)
{
	if (x)
		api_send_json(x, 200, item, NULL);
	else
		json_decref(item);
}

/*
 * Disable (DISABLE) or enable the user of the path.  A disable is answered
 * once the revocations it caused are committed with the lease group
 * commit, so an origin that crashes after the answer still sends them.
 */
static void set_disabled(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p, bool disable)
{
	struct accounts_user u;
	const char *who;
	size_t ended = 0;
	json_t *answer;
	int rc;

	if (api_not_admin(api, x, &who) || no_user_param(api, x, p, &u))
		return;
	rc = accounts_set_disabled(api->accounts, u.id, disable);
	if (rc == -ENOENT) {
		api_error(x, 404, "unknown_user", "no such user", NULL);
		return;
	}
	if (rc != 0) {
		api_internal(x, "disable", rc);
		return;
	}
	if (disable)
		ended = playback_end_user(api->playback, u.id);
	if (disable && api->edges)
		edges_user_disabled(api->edges, u.id, api->now());
	log_info("admin %s: %s user %s (%zu streams ended)", who, disable ? "disabled" : "enabled",
		 u.id, ended);
	answer = json_pack("{s:s, s:b, s:I}", "id", u.id, "disabled", disable, "streams_ended",
			   (json_int_t)ended);
	if (disable && answer)
		commit_batch_add(api->plays, x, disabled_answer, answer); /* revocations durable */
	else
		api_send_json(x, 200, answer, NULL);
}

void api_admin_user_disable(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p)
{
	set_disabled(api, x, p, true);
}

void api_admin_user_enable(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	set_disabled(api, x, p, false);
}

void api_admin_healthz(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct jobs_stats js;

	jobs_stats(api->jobs, &js);
	api_send_json(x, 200,
		      json_pack("{s:s, s:I, s:I, s:I}", "status", "ok", "leases",
				(json_int_t)playback_leases(api->playback), "jobs_running",
				(json_int_t)js.running, "jobs_queued", (json_int_t)js.queued),
		      NULL);
}

/* One metric NAME of TYPE ("counter", "gauge") with HELP and value V, in the text format. */
static int metric(struct buf *b, const char *name, const char *help, const char *type, uint64_t v)
{
	return buf_printf(b, "# HELP %s %s.\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
			  (unsigned long long)v);
}

/* The job queue's gauges and counters. */
static int jobs_metrics(struct origin_api *api, struct buf *b)
{
	struct jobs_stats js;
	int rc;

	jobs_stats(api->jobs, &js);
	if ((rc = metric(b, "reel_origin_jobs_running", "Transcode jobs running", "gauge",
			 js.running)) == 0 &&
	    (rc = metric(b, "reel_origin_jobs_queued", "Transcode jobs waiting", "gauge",
			 js.queued)) == 0 &&
	    (rc = metric(b, "reel_origin_jobs_done_total", "Transcode jobs done", "counter",
			 js.done)) == 0)
		rc = metric(b, "reel_origin_jobs_failed_total", "Transcode jobs failed", "counter",
			    js.failed);
	return rc;
}

/* GET /metrics: the HTTP core's counters and the origin's own, in the Prometheus text format. */
void api_admin_metrics(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct pwhash_pool_stats hs = {0};
	struct buf b = {0};
	int rc = metrics_render(api->metrics, &b);

	if (api->pool)
		pwhash_pool_stats(api->pool, &hs);
#define COUNTER(id, name, help)                                                                    \
	if (rc == 0)                                                                               \
		rc = metric(&b, name, help, "counter", api->count[ORIGIN_COUNT_##id]);
	ORIGIN_COUNTERS(COUNTER)
#undef COUNTER
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_rejected_total",
			    "Password hashing jobs refused (pool full: 503)", "counter",
			    hs.rejected);
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_completed_total", "Password hashing jobs done",
			    "counter", hs.completed);
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_running", "Password hashing jobs running",
			    "gauge", hs.running);
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_queued", "Password hashing jobs waiting", "gauge",
			    hs.queued);
	if (rc == 0)
		rc = metric(&b, "reel_origin_leases", "Playback leases live", "gauge",
			    playback_leases(api->playback));
	if (rc == 0)
		rc = jobs_metrics(api, &b);
	if (rc == 0 && api->fill)
		rc = fill_metrics(api->fill, &b);
	if (rc != 0) {
		buf_free(&b);
		api_internal(x, "metrics", -ENOMEM);
		return;
	}
	httpd_begin(x, 200);
	httpd_header_lit(x, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	httpd_end_head(x, (int64_t)b.len);
	httpd_body_mem(x, b.p, b.len);
	buf_free(&b);
}
