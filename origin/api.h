/*
 * The origin's JSON API over the common HTTP core: routing, content-type and
 * body checks, JSON answers and errors ({"error": CODE, "message": TEXT}).
 *
 *   POST /api/v1/signup  {email, password}  201 {email, created}
 *   POST /api/v1/login   {email, password}  200 {token, expires}; 429 + Retry-After
 *                                           after repeated failures (throttle.h)
 *   POST /api/v1/logout  (Bearer)           204
 *   GET  /api/v1/me      (Bearer)           200 {email, created}
 *   GET  /healthz                           200 {"status": "ok"}
 *
 * Times are RFC 3339 UTC strings.
 */
#ifndef ORIGIN_API_H
#define ORIGIN_API_H

#include <stdint.h>

#include "auth.h"
#include "httpd.h"
#include "throttle.h"

#define ORIGIN_API_MAGIC 0x4f415049u /* "OAPI" */

struct origin_api {
	uint32_t magic;
	struct origin_auth *auth;
	int64_t (*now)(void);			  /* unix seconds */
	struct throttle *by_account, *by_address; /* failed logins */
};

/* The httpd handler; ARG is a struct origin_api. */
void origin_api_handle(struct httpd_exchange *x, void *arg);

#endif
