/*
 * Shared by the origin's API handlers (api/api_*.c): routing, JSON answers
 * and errors, the tables that turn domain results into answers, request
 * parsing, the caller's identity.  A handler reads: parse the request, call
 * the domain, answer (from the resource's table when the domain refused).
 *
 * Helpers that may answer follow the project's convention (common/httpd.h):
 * they return true when they have answered and the handler must return, and
 * are named for when they do (api_no_session, api_bad_body).
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_API_INT_H
#define ORIGIN_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "accounts/accounts.h"
#include "api/api.h"
#include "api/bodies.h"
#include "edges/edges.h"
#include "reason.h"

#define API_MAX_PARAMS 2

/* The path segments a route's "*" matched, in order (not decoded: ids are plain). */
struct api_params {
	struct http_str v[API_MAX_PARAMS];
	int n;
};

/*
 * A handler: parse X's request (P: the segments its route's "*" matched),
 * call the domain, answer.  Every handler is defined written out with this
 * signature; the declarations below use the type.
 */
typedef void api_handler(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p);

/* A route: a path pattern whose "*" segments match one non-empty segment each. */
struct api_route {
	enum http_method method;
	const char *pattern;
	api_handler *fn;
};

/*
 * Answer X by the first route of TABLE[0..N) matching its path and method
 * (HEAD as GET); 405 with Allow when only the path matches, else 404; 400
 * invalid_request, before any route, for a request with more than one
 * Authorization header.
 */
void api_route(struct origin_api *api, struct httpd_exchange *x, const struct api_route *table,
	       size_t n);

/*
 * The API's resources whose domain calls can refuse, each with the name its
 * failures are logged under: R(ID, name).  refusals.c maps their refusals.
 */
/* clang-format off */
#define API_RESOURCES(R)                                                                           \
	R(SESSION, "session") R(SIGNUP, "signup") R(LOGIN, "login")                                \
	R(CREDENTIALS, "credentials") R(PASSWORD, "password")                                     \
	R(PLAN, "plan") R(SUBSCRIPTION, "subscription") R(SUBSCRIBE, "subscribe")                 \
	R(CANCEL, "cancel") R(GRANT_USER, "grant") R(GRANT, "grant")                               \
	R(TITLE, "title") R(KEY_ADD, "key") R(KEYS, "keys")                                        \
	R(PLAY, "play") R(HEARTBEAT, "heartbeat") R(STOP, "stop") R(STREAM_KEY, "content key")    \
	R(DOWNLOAD, "download") R(RENEW, "renew") R(RELEASE, "release")                            \
	R(LICENSE_KEY, "license key")                                                              \
	R(JOB_BODY, "job") R(JOB_NEW, "job") R(JOB, "job") R(JOB_CANCEL, "cancel")                \
	R(JOB_RETRY, "retry") R(UPLOAD, "upload") R(UPLOAD_NEW, "upload")                          \
	R(UPLOAD_PIECE, "upload")                                                                  \
	R(HISTORY, "history")                                                                      \
	R(EDGE, "edge") R(EDGE_ADD, "edge") R(HEARTBEAT_EDGE, "edge heartbeat")                    \
	R(CONTENT, "content") R(STREAM, "stream token")
/* clang-format on */

#define API_RESOURCE_ENUM(id, name) API_##id,
enum api_resource { API_RESOURCES(API_RESOURCE_ENUM) API_RESOURCE_COUNT };
#undef API_RESOURCE_ENUM

/*
 * One row of the mapping (refusals.c): resource RESOURCE answers its
 * domain's negative errno RC with STATUS, CODE and MESSAGE (each the domain
 * reason's when NULL here; the answer carries the reason's "limit" when it
 * names one) and the header lines EXTRA (may be NULL), and adds 1 to the
 * counter COUNT.
 */
struct api_refusal {
	enum api_resource resource;
	int rc, status;
	const char *code, *message;
	enum origin_count count;
	const char *extra;
};

/* The row for RC of resource R (a static one), or NULL when R does not list RC. */
const struct api_refusal *api_refusal_of(enum api_resource r, int rc);

/*
 * Answer the domain's refusal RC (negative) of resource R, with its reason
 * WHY (may be NULL), and count it.  An RC that R does not list is a failure:
 * logged under R's name and answered by api_internal().
 */
void api_refuse(struct origin_api *api, struct httpd_exchange *x, enum api_resource r, int rc,
		const struct origin_reason *why);

/*
 * The answer resource R gives RC and WHY (may be NULL) into *F (its strings
 * are static or WHY's: they live as long as those).  Returns 0, or -1 when R
 * does not list RC (*F is then a 500 internal).
 */
int api_refusal_fail(enum api_resource r, int rc, const struct origin_reason *why,
		     struct origin_fail *f);

/* Send OBJ (consumed; NULL answers 500) as the JSON body with STATUS and EXTRA header lines. */
void api_send_json(struct httpd_exchange *x, int status, json_t *obj, const char *extra);

/* Send the JSON text TEXT[0..LEN) (NULL answers 500; not owned) as api_send_json() does. */
void api_send_json_text(struct httpd_exchange *x, int status, const char *text, size_t len,
			const char *extra);

/* {"error": CODE, "message": MSG} with STATUS and EXTRA header lines (may be NULL). */
void api_error(struct httpd_exchange *x, int status, const char *code, const char *msg,
	       const char *extra);

/* The answer *F: api_error(), plus "limit" when F has one. */
void api_fail(struct httpd_exchange *x, const struct origin_fail *f);

/* Log WHAT's failure RC (negative errno) and answer 503 storage_full or 500 internal. */
void api_internal(struct httpd_exchange *x, const char *what, int rc);

/*
 * The answer to a read: 200 with OBJ when RC is 0, else WHAT's failure RC as
 * api_internal().  OBJ (may be NULL) is consumed either way.
 */
void api_send_result(struct httpd_exchange *x, const char *what, int rc, json_t *obj);

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

/* P percent-decoded into OUT (CAP bytes with the NUL); false when too long or it holds a NUL. */
bool api_param_decoded(const struct http_str *p, char *out, size_t cap);

/*
 * The path's first "*" segment into ID (the caller's, CAP bytes) when it fits
 * and VALID(ID, its length) holds, or true after answering 404 CODE with
 * MESSAGE.
 */
bool api_bad_param(struct httpd_exchange *x, const struct api_params *p, char *id, size_t cap,
		   bool (*valid)(const char *s, size_t len), const char *code, const char *message);

/*
 * The value of query parameter NAME in the request target, decoded into OUT
 * (CAP bytes with the NUL): 1, 0 when absent, -1 when longer than CAP - 1.
 */
int api_query(const struct http_request *req, const char *name, char *out, size_t cap);

/* The page an admin's listing asks for: ?offset= (default 0) and ?limit= (default 100, at most
 * 1000). */
struct api_page {
	size_t offset, limit;
};
struct api_page api_admin_page(struct httpd_exchange *x);

/*
 * The answer to an admin's removal of KIND ID: when RC is 0, log it as WHO's
 * and answer 204; else refuse RC as resource R does.
 */
void api_admin_removed(struct origin_api *api, struct httpd_exchange *x, enum api_resource r,
		       int rc, const char *who, const char *kind, const char *id);

/* The user API's handlers, by file (routed in user_routes.c). */
/* user_routes.c: {"status": "ok"}, also on the edge API */
api_handler api_healthz;
/* api_accounts.c */
api_handler api_signup, api_login, api_password, api_logout, api_me;
/* api_plans.c */
api_handler api_plans_list, api_subscription_get, api_subscription_put, api_subscription_cancel;
/* api_catalog.c */
api_handler api_titles_list, api_title_get;
/* api_playback.c */
api_handler api_play, api_play_heartbeat, api_play_stop, api_content_key, api_stream_keys;
/* api_downloads.c */
api_handler api_license_keys, api_download_issue, api_downloads_list, api_download_renew,
    api_download_release;
/* api_viewing.c */
api_handler api_me_continue, api_me_history, api_me_history_delete, api_me_export,
    api_me_recommendations, api_popular, api_search;

/*
 * The key endpoint's answer for ?license=LICENSE (api_content_key hands
 * TITLE and LICENSE, both the caller's, over).
 */
void api_license_key(struct origin_api *api, struct httpd_exchange *x, const char *title,
		     const char *license);

/*
 * The name of the admin whose token the request carries into *WHO (a
 * string of api->admins), or true after answering 401.
 */
bool api_not_admin(struct origin_api *api, struct httpd_exchange *x, const char **who);

/* The admin API's handlers, by file (routed in admin_routes.c). */
/* api_admin.c */
api_handler api_admin_users_list, api_admin_user_get, api_admin_user_disable, api_admin_user_enable,
    api_admin_healthz, api_admin_metrics;
/* api_plans.c */
api_handler api_admin_plans_list, api_admin_plan_get, api_admin_plan_put, api_admin_plan_delete,
    api_admin_grant;
/* api_playback.c */
api_handler api_admin_stream_token;
/* api_catalog.c */
api_handler api_admin_titles_list, api_admin_title_get, api_admin_title_put, api_admin_title_delete,
    api_admin_title_key_add, api_admin_title_keys_list;
/* api_jobs.c */
api_handler api_admin_upload_create, api_admin_uploads_list, api_admin_upload_get,
    api_admin_upload_append, api_admin_upload_delete, api_admin_job_create, api_admin_jobs_list,
    api_admin_job_get, api_admin_job_logs, api_admin_job_cancel, api_admin_job_retry;

/* api_edges.c */
api_handler api_admin_edges_list, api_admin_edge_add, api_admin_edge_get, api_admin_edge_drain,
    api_admin_edge_resume, api_admin_edge_secret, api_admin_edge_delete, api_admin_steer;

/* api_fill.c */
api_handler api_admin_fill_status, api_admin_fill_urgent;

/* The edge API's handlers (routed in edge_routes.c). */
/* api_edges.c */
api_handler api_edge_heartbeat;

/*
 * The registered edge that signed X's request (docs/fill.md) into ID, or
 * true after answering 401 (not signed; an unknown or revoked credential,
 * a signature that does not verify, out of time or replayed) or 400
 * (malformed signature fields), each with its reason.
 */
bool api_no_edge(struct origin_api *api, struct httpd_exchange *x, char id[EDGE_ID_LEN + 1]);

/*
 * The content key KID (NULL: the current one; "": none) of TITLE for the
 * holder of stream token TOKEN (all the caller's): 200 with its 16 bytes,
 * or the refusal (API_STREAM_KEY).
 */
void api_send_stream_key(struct origin_api *api, struct httpd_exchange *x, const char *title,
			 const char *token, const char *kid);

/*
 * Steer the player of X's request for TITLE: *C the edges chosen, the one
 * to play from first, the fallback last (C->n >= 1).  0, or -EINVAL when X
 * has no IP address.
 */
int api_steer_play(struct origin_api *api, struct httpd_exchange *x, const char *title,
		   struct edges_choice *c);

/* The playback URL on C's first choice for stream token TOKEN of TITLE (malloc'd), or NULL. */
char *api_steer_url(const struct edges_choice *c, const char *token, const char *title);

/*
 * Write C into O as the members "steering" (why the first choice) and
 * "alternates" (the others), each with its playback URL for TOKEN of
 * TITLE.  0 or -ENOMEM.
 */
struct json_out;
int api_steer_out(struct json_out *o, const struct edges_choice *c, const char *token,
		  const char *title);

#endif
