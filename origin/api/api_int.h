/*
 * Shared by the origin's API handlers (api_*.c, admin.c): JSON answers and
 * errors, request body parsing, the caller's identity, times.
 */
#ifndef ORIGIN_API_INT_H
#define ORIGIN_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "accounts/creds.h"
#include "store.h"

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

/* Send OBJ (consumed; NULL answers 500) as the JSON body with STATUS and EXTRA header lines. */
void api_send_json(struct httpd_exchange *x, int status, json_t *obj, const char *extra);

/* {"error": CODE, "message": MSG} with STATUS and EXTRA header lines (may be NULL). */
void api_error(struct httpd_exchange *x, int status, const char *code, const char *msg,
	       const char *extra);
void api_fail(struct httpd_exchange *x, const struct origin_fail *f);

/* Log WHAT's failure RC (negative errno) and answer 503 storage_full or 500 internal. */
void api_internal(struct httpd_exchange *x, const char *what, int rc);

/*
 * End write transaction *T (NULL after a failed store_begin()) for a handler:
 * commit when RC is 0, else abort; *T is NULL after.  True when committed;
 * false after answering api_internal(X, WHAT, the error).
 */
bool api_commit(struct httpd_exchange *x, struct store_txn **t, int rc, const char *what);

/* 204 No Content. */
void api_no_content(struct httpd_exchange *x);

/*
 * The request body as a JSON object (the caller decrefs), or NULL after
 * answering 415 (not application/json) or 400 invalid_json.
 */
json_t *api_body(struct httpd_exchange *x);

/* Is the Content-Type application/json (parameters allowed)? */
bool api_is_json(const struct http_request *req);

/* The Bearer token (or the session cookie), or false after answering 401. */
bool api_bearer(struct httpd_exchange *x, struct http_str *tok);

/*
 * The signed-in user of the request (Bearer token or session cookie), or
 * false after answering 401 (no, unknown or expired session; disabled account).
 */
bool api_user(struct origin_api *api, struct httpd_exchange *x, struct origin_user *u);

/* The client's address bytes (4 or 16), for throttling. */
const void *api_peer_bytes(struct httpd_exchange *x, size_t *len);

/* A copy of P as a NUL-terminated string in OUT (CAP bytes); false when too long. */
bool api_param(const struct http_str *p, char *out, size_t cap);

/*
 * The value of query parameter NAME in the request target, decoded into OUT
 * (CAP bytes with the NUL): 1, 0 when absent, -1 when longer than CAP - 1.
 */
int api_query(const struct http_request *req, const char *name, char *out, size_t cap);

#define API_HANDLER(name)                                                                          \
	void name(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)

/* api_account.c */
API_HANDLER(api_signup);
API_HANDLER(api_login);
API_HANDLER(api_password);
API_HANDLER(api_logout);
API_HANDLER(api_me);
/* api_plans.c */
API_HANDLER(api_plans_list);
API_HANDLER(api_subscription_get);
API_HANDLER(api_subscription_put);
API_HANDLER(api_subscription_cancel);
/* api_catalog.c */
API_HANDLER(api_titles_list);
API_HANDLER(api_title_get);
/* api_play.c */
API_HANDLER(api_play);
API_HANDLER(api_play_heartbeat);
API_HANDLER(api_play_stop);
API_HANDLER(api_content_key);
API_HANDLER(api_stream_keys);
/* api_downloads.c */
API_HANDLER(api_license_keys);
API_HANDLER(api_download_issue);
API_HANDLER(api_downloads_list);
API_HANDLER(api_download_renew);
API_HANDLER(api_download_release);
/* The key endpoint's answer for ?license= (api_content_key hands it over). */
void api_license_key(struct origin_api *api, struct httpd_exchange *x, const char *title,
		     const char *license);

#endif
