/*
 * HTTP handlers of the origin's account API (see api.h).  Every answer is
 * JSON with Cache-Control: no-store; argon2id runs inline for now.
 */
#include "api.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static void send_json(struct httpd_exchange *x, int status, json_t *obj, const char *extra)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (!text) {
		httpd_error(x, 500, "out of memory", NULL, true);
		return;
	}
	httpd_begin(x, status);
	httpd_header_lit(x, "Content-Type: application/json\r\n");
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	if (extra)
		httpd_header(x, extra, strlen(extra));
	httpd_end_head(x, (int64_t)strlen(text));
	httpd_body_mem(x, text, strlen(text));
	free(text);
}

static void send_error(struct httpd_exchange *x, int status, const char *code, const char *msg,
		       const char *extra)
{
	send_json(x, status, json_pack("{s:s, s:s}", "error", code, "message", msg), extra);
}

static void send_fail(struct httpd_exchange *x, const struct origin_fail *f)
{
	send_error(x, f->status, f->code, f->message, NULL);
}

static void send_internal(struct httpd_exchange *x, const char *what, int rc)
{
	log_warnx("%s: %s", what, strerror(-rc));
	if (rc == -ENOSPC)
		send_error(x, 503, "storage_full", "the store is full", NULL);
	else
		send_error(x, 500, "internal", "internal error", NULL);
}

static void rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Is the Content-Type application/json (parameters allowed)? */
static bool is_json(const struct http_request *req)
{
	struct http_str ct = req->content_type;
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct.len < n || strncasecmp(ct.p, want, n) != 0)
		return false;
	return ct.len == n || ct.p[n] == ';' || ct.p[n] == ' ' || ct.p[n] == '\t';
}

/* Parse the body's credentials, answering the request on failure. */
static bool read_creds(struct httpd_exchange *x, struct origin_creds *c, bool signup)
{
	struct origin_fail f;

	if (!is_json(x->req)) {
		send_error(x, 415, "unsupported_media_type", "the body must be application/json",
			   NULL);
		return false;
	}
	if (origin_creds_parse(x->body, x->body_len, c, &f) != 0 ||
	    (signup && origin_creds_policy(c, &f) != 0)) {
		send_fail(x, &f);
		return false;
	}
	return true;
}

static void signup(struct origin_api *api, struct httpd_exchange *x)
{
	struct origin_creds c;
	int64_t now = api->now();
	char when[32];
	int rc;

	if (!read_creds(x, &c, true))
		goto out;
	if ((rc = origin_signup(api->auth, &c, now)) == -EEXIST) {
		send_error(x, 409, "email_taken", "an account with this email exists", NULL);
		goto out;
	}
	if (rc != 0) {
		send_internal(x, "signup", rc);
		goto out;
	}
	rfc3339(now, when);
	send_json(x, 201, json_pack("{s:s, s:s}", "email", c.email, "created", when), NULL);
out:
	explicit_bzero(&c, sizeof(c));
}

/* The client's address bytes (4 or 16) for throttling. */
static const void *peer_bytes(struct httpd_exchange *x, size_t *len)
{
	const struct sockaddr *sa = httpd_peer(x);

	if (sa->sa_family == AF_INET6) {
		*len = 16;
		return &((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	*len = 4;
	return &((const struct sockaddr_in *)sa)->sin_addr;
}

static void login(struct origin_api *api, struct httpd_exchange *x)
{
	struct origin_creds c;
	char token[ORIGIN_TOKEN_LEN + 1], when[32], retry[48];
	int64_t expires, now = api->now();
	const void *addr;
	size_t alen;
	unsigned wait, n;
	int rc;

	if (!read_creds(x, &c, false))
		goto out;
	addr = peer_bytes(x, &alen);
	wait = throttle_wait(api->by_account, c.email, strlen(c.email), now);
	if ((n = throttle_wait(api->by_address, addr, alen, now)) > wait)
		wait = n;
	if (wait) {
		snprintf(retry, sizeof(retry), "Retry-After: %u\r\n", wait);
		send_error(x, 429, "too_many_attempts", "too many failed logins; try again later",
			   retry);
		goto out;
	}
	rc = origin_login(api->auth, &c, now, token, &expires);
	if (rc == -EACCES) {
		throttle_failure(api->by_account, c.email, strlen(c.email), now);
		throttle_failure(api->by_address, addr, alen, now);
		send_error(x, 401, "invalid_credentials", "wrong email or password", NULL);
		goto out;
	}
	throttle_clear(api->by_account, c.email, strlen(c.email));
	if (rc != 0) {
		send_internal(x, "login", rc);
		goto out;
	}
	rfc3339(expires, when);
	send_json(x, 200, json_pack("{s:s, s:s}", "token", token, "expires", when), NULL);
	explicit_bzero(token, sizeof(token));
out:
	explicit_bzero(&c, sizeof(c));
}

/* The Bearer token of the request, or false after answering 401. */
static bool bearer(struct httpd_exchange *x, struct http_str *tok)
{
	struct http_str a = x->req->authorization;

	if (a.len > 7 && strncasecmp(a.p, "Bearer ", 7) == 0) {
		tok->p = a.p + 7;
		tok->len = a.len - 7;
		while (tok->len && *tok->p == ' ') {
			tok->p++;
			tok->len--;
		}
		return true;
	}
	send_error(x, 401, "unauthorized", "a Bearer token is required",
		   "WWW-Authenticate: Bearer\r\n");
	return false;
}

static void invalid_token(struct httpd_exchange *x)
{
	send_error(x, 401, "invalid_token", "the session token is invalid or expired",
		   "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
}

static void logout(struct origin_api *api, struct httpd_exchange *x)
{
	struct http_str tok;
	int rc;

	if (!bearer(x, &tok))
		return;
	if ((rc = origin_logout(api->auth, tok.p, tok.len)) == -EACCES) {
		invalid_token(x);
		return;
	}
	if (rc != 0) {
		send_internal(x, "logout", rc);
		return;
	}
	httpd_begin(x, 204);
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	httpd_end_head(x, -1);
}

static void me(struct origin_api *api, struct httpd_exchange *x)
{
	char email[ORIGIN_EMAIL_MAX + 1], when[32];
	struct http_str tok;
	int64_t created;
	int rc;

	if (!bearer(x, &tok))
		return;
	rc = origin_session_use(api->auth, tok.p, tok.len, api->now(), email, &created);
	if (rc == -EACCES) {
		invalid_token(x);
		return;
	}
	if (rc != 0) {
		send_internal(x, "session", rc);
		return;
	}
	rfc3339(created, when);
	send_json(x, 200, json_pack("{s:s, s:s}", "email", email, "created", when), NULL);
}

static void healthz(struct origin_api *api, struct httpd_exchange *x)
{
	send_json(x, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

struct route {
	const char *path;
	enum http_method method;
	const char *allow; /* the Allow header line for 405 */
	void (*fn)(struct origin_api *, struct httpd_exchange *);
};

static const struct route routes[] = {
    {"/api/v1/signup", HTTP_POST, "Allow: POST\r\n", signup},
    {"/api/v1/login", HTTP_POST, "Allow: POST\r\n", login},
    {"/api/v1/logout", HTTP_POST, "Allow: POST\r\n", logout},
    {"/api/v1/me", HTTP_GET, "Allow: GET, HEAD\r\n", me},
    {"/healthz", HTTP_GET, "Allow: GET, HEAD\r\n", healthz},
};

void origin_api_handle(struct httpd_exchange *x, void *arg)
{
	struct origin_api *api = arg;
	const struct http_request *req = x->req;

	assert(api->magic == ORIGIN_API_MAGIC);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (req->path.len != strlen(r->path) ||
		    memcmp(req->path.p, r->path, req->path.len) != 0)
			continue;
		if (req->method == r->method || (r->method == HTTP_GET && req->method == HTTP_HEAD))
			r->fn(api, x);
		else
			send_error(x, 405, "method_not_allowed", "method not allowed", r->allow);
		return;
	}
	send_error(x, 404, "not_found", "no such endpoint", NULL);
}
