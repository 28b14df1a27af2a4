/*
 * Shared by the origin's API handlers (api/api_*.c): routing, JSON answers
 * and errors, the tables that turn domain results into answers, request
 * parsing, the caller's identity.  A handler reads: parse the request, call
 * the domain, answer (from the resource's table when the domain refused).
 *
 * Helpers that may answer follow the project's convention (common/httpd.h):
 * they return true when they have answered and the handler must return, and
 * are named for when they do (api_no_session, api_bad_body).
 */
#ifndef ORIGIN_API_INT_H
#define ORIGIN_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "accounts/accounts.h"
#include "api/api.h"
#include "api/bodies.h"
#include "reason.h"

#define API_MAX_PARAMS 2

/* The path segments a route's "*" matched, in order (not decoded: ids are plain). */
struct api_params {
	struct http_str v[API_MAX_PARAMS];
	int n;
};

typedef void (*api_fn)(struct origin_api *api, struct httpd_exchange *x,
		       const struct api_params *p);

/* A route: a path pattern whose "*" segments match one non-empty segment each. */
struct api_route {
	enum http_method method;
	const char *pattern;
	api_fn fn;
};

/*
 * Answer X by the first route of TABLE[0..N) matching its path and method
 * (HEAD as GET); 405 with Allow when only the path matches, else 404.
 */
void api_route(struct origin_api *api, struct httpd_exchange *x, const struct api_route *table,
	       size_t n);

/*
 * One row of a resource's table from domain refusals to answers: the
 * domain's negative errno RC is answered STATUS with CODE and MESSAGE (each
 * the domain's reason's when NULL here; the answer carries the reason's
 * "limit" when it names one) and the header lines EXTRA (may be NULL), and
 * adds 1 to the counter COUNT.  A table ends with {0}.
 */
struct api_refusal {
	int rc, status;
	const char *code, *message;
	enum origin_count count;
	const char *extra;
};

/* A row that counts nowhere and adds no header; API_REFUSAL_COUNTED counts in ORIGIN_COUNT_ID. */
#define API_REFUSAL(rc, status, code, message)                                                     \
	{                                                                                          \
		(rc), (status), (code), (message), ORIGIN_COUNT_NONE, NULL                         \
	}
#define API_REFUSAL_COUNTED(rc, status, code, message, id)                                         \
	{                                                                                          \
		(rc), (status), (code), (message), ORIGIN_COUNT_##id, NULL                         \
	}

/*
 * Answer the domain's refusal RC (negative) with its reason WHY (may be
 * NULL) by TABLE, and count it.  An RC the table does not list is a failure:
 * logged as WHAT's and answered by api_internal().
 */
void api_refuse(struct origin_api *api, struct httpd_exchange *x, const struct api_refusal *table,
		int rc, const struct origin_reason *why, const char *what);

/*
 * The answer TABLE gives RC and WHY (may be NULL), into *F (its strings are
 * the table's or WHY's: they live as long as those).  Returns 0, or -1 when
 * TABLE does not list RC (*F is then a 500 internal).
 */
int api_refusal_fail(const struct api_refusal *table, int rc, const struct origin_reason *why,
		     struct origin_fail *f);

/* Send OBJ (consumed; NULL answers 500) as the JSON body with STATUS and EXTRA header lines. */
void api_send_json(struct httpd_exchange *x, int status, json_t *obj, const char *extra);

/* {"error": CODE, "message": MSG} with STATUS and EXTRA header lines (may be NULL). */
void api_error(struct httpd_exchange *x, int status, const char *code, const char *msg,
	       const char *extra);

/* The answer *F: api_error(), plus "limit" when F has one. */
void api_fail(struct httpd_exchange *x, const struct origin_fail *f);

/* Log WHAT's failure RC (negative errno) and answer 503 storage_full or 500 internal. */
void api_internal(struct httpd_exchange *x, const char *what, int rc);

/* 204 No Content. */
void api_no_content(struct httpd_exchange *x);

/*
 * The request body as a JSON object into *OBJ (a new reference: the caller
 * decrefs it), or true after answering 415 (not application/json) or 400
 * invalid_json, with *OBJ NULL.
 */
bool api_bad_body(struct httpd_exchange *x, json_t **obj);

/* Is the Content-Type application/json (parameters allowed)? */
bool api_is_json(const struct http_request *req);

/*
 * The Bearer token (or the session cookie) into *TOK (pointing into the
 * request), or true after answering 401.
 */
bool api_no_bearer(struct httpd_exchange *x, struct http_str *tok);

/*
 * The signed-in user of the request (Bearer token or session cookie) into
 * *U, or true after answering 401 (no, unknown or expired session; disabled
 * account).
 */
bool api_no_session(struct origin_api *api, struct httpd_exchange *x, struct accounts_user *u);

/* The client's address bytes (4 or 16, into *LEN), for throttling; they live as long as X. */
const void *api_peer_bytes(struct httpd_exchange *x, size_t *len);

/* A copy of P as a NUL-terminated string in OUT (CAP bytes); false when too long. */
bool api_param(const struct http_str *p, char *out, size_t cap);

/*
 * The value of query parameter NAME in the request target, decoded into OUT
 * (CAP bytes with the NUL): 1, 0 when absent, -1 when longer than CAP - 1.
 */
int api_query(const struct http_request *req, const char *name, char *out, size_t cap);

/* Query parameter NAME as a count up to MAX; DEF when absent, too large or not a number. */
size_t api_query_size(struct httpd_exchange *x, const char *name, size_t def, size_t max);

/* The user API's handlers, by resource (routed in user_routes.c). */

/* api_accounts.c */
void api_signup(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_login(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_password(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_logout(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_me(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
/* api_plans.c */
void api_plans_list(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_subscription_get(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p);
void api_subscription_put(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p);
void api_subscription_cancel(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p);
/* api_catalog.c */
void api_titles_list(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_title_get(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
/* api_playback.c */
void api_play(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_play_heartbeat(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p);
void api_play_stop(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_content_key(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_stream_keys(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
/* api_downloads.c */
void api_license_keys(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
void api_download_issue(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p);
void api_downloads_list(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p);
void api_download_renew(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p);
void api_download_release(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p);
/*
 * The key endpoint's answer for ?license=LICENSE (api_content_key hands
 * TITLE and LICENSE, both the caller's, over).
 */
void api_license_key(struct origin_api *api, struct httpd_exchange *x, const char *title,
		     const char *license);

/* The admin API's handlers, by resource (routed in admin_routes.c). */

/*
 * The name of the admin whose token the request carries into *WHO (a
 * string of api->admins), or true after answering 401.
 */
bool api_not_admin(struct origin_api *api, struct httpd_exchange *x, const char **who);

/* api_admin.c */
void api_admin_users_list(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p);
void api_admin_user_disable(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p);
void api_admin_user_enable(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p);
void api_admin_healthz(struct origin_api *api, struct httpd_exchange *x,
		       const struct api_params *p);
void api_admin_metrics(struct origin_api *api, struct httpd_exchange *x,
		       const struct api_params *p);
/* api_plans.c */
void api_admin_plans_list(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p);
void api_admin_plan_get(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p);
void api_admin_plan_put(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p);
void api_admin_plan_delete(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p);
void api_admin_grant(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p);
/* api_catalog.c */
void api_admin_titles_list(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p);
void api_admin_title_get(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p);
void api_admin_title_put(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p);
void api_admin_title_delete(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p);
void api_admin_title_key_add(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p);

#endif
