/*
 * Accounts and sessions: signup, login (throttled), password change, logout, me.  A login
 * answers the session token in the body and, when the origin is configured
 * for browsers (cookie_secure), also as a __Host- cookie.  Signup and login
 * hash on the pool (api->pool): their answer is deferred, and a full pool
 * answers 503 busy with Retry-After: 1.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/hashpool.h"
#include "jsonfield.h"
#include "plans/plans.h"

/* The body's credentials into *C, or true after answering 415, 400 or 422. */
static bool bad_creds(struct httpd_exchange *x, struct origin_creds *c, bool signup)
{
	struct origin_fail f;

	if (!api_is_json(x->req)) {
		api_error(x, 415, "unsupported_media_type", "the body must be application/json",
			  NULL);
		return true;
	}
	if (origin_creds_parse(x->body, x->body_len, c, &f) != 0 ||
	    (signup && origin_creds_policy(c, &f) != 0)) {
		api_fail(x, &f);
		return true;
	}
	return false;
}

/*
 * A signup or login around its argon2id step, which runs on the hash pool
 * (api->pool) or inline: the handler fills it on the loop, pw_work() hashes
 * or checks on a worker thread, pw_answer() does the store step and answers
 * back on the loop.
 */
enum pw_kind { PW_SIGNUP, PW_LOGIN, PW_CHANGE };

struct pw_job {
	uint32_t magic;
	enum pw_kind kind;
	struct origin_api *api;
	struct httpd_deferred *d;		/* the request, while the pool has the job */
	struct origin_creds c;			/* the password is wiped once hashed */
	char newpw[ORIGIN_PASSWORD_MAXLEN + 1]; /* change: the new password (wiped once hashed) */
	size_t newpw_len;
	char *stored; /* login, change: the account's hash (NULL: unknown email) */
	char *hash;   /* signup, change: the new hash */
	int64_t now;  /* login: when asked */
	int rc;	      /* of the argon2id step */
};

#define PW_JOB_MAGIC 0x50774a62u /* "PwJb" */

static void pw_job_free(struct pw_job *j)
{
	free(j->stored);
	free(j->hash);
	explicit_bzero(j, sizeof(*j));
	free(j);
}

/* The argon2id step: nothing here touches the store or the loop's state. */
static void pw_work(void *arg)
{
	struct pw_job *j = arg;
	const struct origin_auth *a = j->api->auth;

	if (j->kind == PW_SIGNUP) {
		j->rc = origin_password_hash(a, j->c.password, j->c.password_len, &j->hash);
	} else {
		j->rc = origin_password_check(a, j->stored, j->c.password, j->c.password_len);
		if (j->rc == 0 && j->kind == PW_CHANGE)
			j->rc = origin_password_hash(a, j->newpw, j->newpw_len, &j->hash);
	}
	explicit_bzero(j->c.password, sizeof(j->c.password));
	explicit_bzero(j->newpw, sizeof(j->newpw));
	j->c.password_len = j->newpw_len = 0;
}

static void signup_answer(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	int64_t now = api->now();
	int rc = j->rc ? j->rc : origin_signup_hashed(api->auth, j->c.email, j->hash, now);

	if (rc == -EEXIST) {
		api_error(x, 409, "email_taken", "an account with this email exists", NULL);
		return;
	}
	if (rc != 0) {
		api_internal(x, "signup", rc);
		return;
	}
	api_send_json(x, 201, json_pack("{s:s, s:o}", "email", j->c.email, "created", jf_time(now)),
		      NULL);
}

/* The new session of a login or password change, as JSON (and a __Host- cookie over HTTPS). */
static void send_session(struct httpd_exchange *x, char token[ORIGIN_TOKEN_LEN + 1],
			 int64_t expires, int64_t now)
{
	char cookie[160];

	if (httpd_is_tls(x))
		snprintf(cookie, sizeof(cookie),
			 "Set-Cookie: __Host-reel_session=%s; Path=/; Max-Age=%lld; Secure; "
			 "HttpOnly; SameSite=Lax\r\n",
			 token, (long long)(expires - now));
	api_send_json(x, 200, json_pack("{s:s, s:o}", "token", token, "expires", jf_time(expires)),
		      httpd_is_tls(x) ? cookie : NULL);
	explicit_bzero(token, ORIGIN_TOKEN_LEN + 1);
	explicit_bzero(cookie, sizeof(cookie));
}

static void login_answer(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	const char *email = j->c.email;
	char token[ORIGIN_TOKEN_LEN + 1];
	int64_t expires, now = api->now();
	const void *addr;
	size_t alen;
	int rc = j->rc;

	if (rc == 0)
		rc = origin_login_session(api->auth, email, j->stored, now, token, &expires);
	if (rc == -EACCES) {
		addr = api_peer_bytes(x, &alen); /* the account's failure is counted (pw_started) */
		throttle_failure(api->by_address, addr, alen, now);
		api_error(x, 401, "invalid_credentials", "wrong email or password", NULL);
		return;
	}
	throttle_clear(api->by_account, email, strlen(email));
	if (rc != 0) {
		api_internal(x, "login", rc);
		return;
	}
	send_session(x, token, expires, now);
}

/*
 * A password change: the current password matched and the new one is
 * hashed; set it, ending every session of the account, and open a new one
 * for this client.
 */
static void change_answer(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	const char *email = j->c.email;
	char token[ORIGIN_TOKEN_LEN + 1];
	int64_t expires, now = api->now();
	int rc = j->rc;

	if (rc == -EACCES) {
		api_error(x, 403, "wrong_password", "the current password is wrong", NULL);
		return;
	}
	throttle_clear(api->by_account, email, strlen(email));
	if (rc == 0 &&
	    (rc = origin_password_set(api->auth, email, j->stored, j->hash)) == -EACCES) {
		api_error(x, 409, "account_changed",
			  "the account changed meanwhile (password or status); sign in again",
			  NULL);
		return;
	}
	if (rc == 0)
		rc = origin_login_session(api->auth, email, j->hash, now, token, &expires);
	if (rc != 0) {
		api_internal(x, "password", rc);
		return;
	}
	send_session(x, token, expires, now);
}

static void pw_answer(struct pw_job *j, struct httpd_exchange *x)
{
	if (j->kind == PW_SIGNUP)
		signup_answer(j->api, x, j);
	else if (j->kind == PW_LOGIN)
		login_answer(j->api, x, j);
	else
		change_answer(j->api, x, j);
}

static void pw_busy(struct httpd_exchange *x)
{
	api_error(x, 503, "busy", "too many password checks in progress; try again shortly",
		  "Retry-After: 1\r\n");
}

/* The pool is done with J (RC -ECANCELED: the pool stopped first), on the loop. */
static void pw_done(void *arg, int rc)
{
	struct pw_job *j = arg;
	struct httpd_exchange *x;

	if (j->magic != PW_JOB_MAGIC)
		abort();
	if ((x = httpd_resume(j->d))) {
		if (rc != 0)
			pw_busy(x);
		else
			pw_answer(j, x);
		httpd_resume_done(x);
	}
	pw_job_free(j);
}

/*
 * The password check of a login starts: it counts as a failure of the
 * account at once, so that checks in flight together cannot get past the
 * throttle; a success clears the account (login_answer).
 */
static void pw_started(struct pw_job *j)
{
	if (j->kind != PW_SIGNUP)
		throttle_failure(j->api->by_account, j->c.email, strlen(j->c.email), j->now);
}

/* Run J (owned from here) on the pool and answer X later, or inline without a pool. */
static void pw_run(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	if (!api->pool) {
		pw_started(j);
		pw_work(j);
		pw_answer(j, x);
		pw_job_free(j);
		return;
	}
	if (!(j->d = httpd_defer(x))) {
		pw_busy(x);
		pw_job_free(j);
		return;
	}
	if (hashpool_submit(api->pool, pw_work, pw_done, j) == 0) {
		pw_started(j); /* reads only what the worker does not write */
		return;
	}
	x = httpd_resume(j->d); /* the pool is full: answer now */
	pw_busy(x);
	httpd_resume_done(x);
	pw_job_free(j);
}

/* A job of KIND; signup and login read their credentials from the body. */
static struct pw_job *pw_job_new(struct origin_api *api, struct httpd_exchange *x,
				 enum pw_kind kind)
{
	struct pw_job *j = calloc(1, sizeof(*j));

	if (!j) {
		api_internal(x, "password job", -ENOMEM);
		return NULL;
	}
	j->magic = PW_JOB_MAGIC;
	j->kind = kind;
	j->api = api;
	if (kind != PW_CHANGE && bad_creds(x, &j->c, kind == PW_SIGNUP)) {
		pw_job_free(j);
		return NULL;
	}
	return j;
}

void api_signup(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct pw_job *j = pw_job_new(api, x, PW_SIGNUP);

	if (j)
		pw_run(api, x, j);
}

void api_login(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct pw_job *j = pw_job_new(api, x, PW_LOGIN);
	int64_t now = api->now();
	const void *addr;
	char retry[48];
	size_t alen;
	unsigned wait, n;
	int rc;

	if (!j)
		return;
	j->now = now;
	addr = api_peer_bytes(x, &alen);
	wait = throttle_wait(api->by_account, j->c.email, strlen(j->c.email), now);
	if ((n = throttle_wait(api->by_address, addr, alen, now)) > wait)
		wait = n;
	if (wait) {
		snprintf(retry, sizeof(retry), "Retry-After: %u\r\n", wait);
		api_error(x, 429, "too_many_attempts", "too many failed logins; try again later",
			  retry);
		pw_job_free(j);
		return;
	}
	if ((rc = origin_login_lookup(api->auth, j->c.email, &j->stored)) != 0) {
		api_internal(x, "login", rc);
		pw_job_free(j);
		return;
	}
	pw_run(api, x, j);
}

/* A password member NAME of BODY into OUT (bytes, NUL allowed); false if absent or too long. */
static bool password_member(json_t *body, const char *name, char *out, size_t *len)
{
	json_t *v = json_object_get(body, name);

	if (!json_is_string(v) || json_string_length(v) > ORIGIN_PASSWORD_MAXLEN)
		return false;
	*len = json_string_length(v);
	memcpy(out, json_string_value(v), *len);
	out[*len] = '\0';
	return true;
}

/*
 * POST /api/v1/password {"current", "new"}: check the current password and
 * set the new one (the signup policy applies), ending every session of the
 * account; the answer is a new session for this client.  Failed checks count
 * toward the account's login throttle.
 */
void api_password(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	static const char *const allowed[] = {"current", "new", NULL};
	struct origin_user u;
	struct origin_fail f;
	struct pw_job *j = NULL;
	int64_t now = api->now();
	json_t *body;
	char retry[48];
	unsigned wait;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (!(j = pw_job_new(api, x, PW_CHANGE)))
		goto out;
	snprintf(j->c.email, sizeof(j->c.email), "%s", u.email);
	if (jf_unknown(body, allowed) ||
	    !password_member(body, "current", j->c.password, &j->c.password_len) ||
	    !password_member(body, "new", j->newpw, &j->newpw_len)) {
		api_error(x, 400, "invalid_request",
			  "the body must be {\"current\": PASSWORD, \"new\": PASSWORD}", NULL);
		goto out;
	}
	{
		struct origin_creds pc = {.password_len = j->newpw_len};

		snprintf(pc.email, sizeof(pc.email), "%s", u.email);
		memcpy(pc.password, j->newpw, j->newpw_len + 1);
		rc = origin_creds_policy(&pc, &f);
		explicit_bzero(&pc, sizeof(pc));
		if (rc != 0) {
			api_fail(x, &f);
			goto out;
		}
	}
	if ((wait = throttle_wait(api->by_account, u.email, strlen(u.email), now))) {
		snprintf(retry, sizeof(retry), "Retry-After: %u\r\n", wait);
		api_error(x, 429, "too_many_attempts", "too many failed attempts; try again later",
			  retry);
		goto out;
	}
	if ((rc = origin_login_lookup(api->auth, u.email, &j->stored)) != 0 || !j->stored) {
		api_internal(x, "password", rc ? rc : -ENOENT);
		goto out;
	}
	j->now = now;
	pw_run(api, x, j);
	j = NULL;
out:
	if (j)
		pw_job_free(j);
	json_decref(body);
}

void api_logout(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct http_str tok;
	int rc;

	if (api_no_bearer(x, &tok))
		return;
	if ((rc = origin_logout(api->auth, tok.p, tok.len)) == -EACCES) {
		api_error(x, 401, "invalid_token", "the session token is invalid or expired",
			  "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
		return;
	}
	if (rc != 0) {
		api_internal(x, "logout", rc);
		return;
	}
	if (httpd_is_tls(x)) {
		httpd_begin(x, 204);
		httpd_header_lit(x, "Cache-Control: no-store\r\n");
		httpd_header_lit(x, "Set-Cookie: __Host-reel_session=; Path=/; Max-Age=0; Secure; "
				    "HttpOnly; SameSite=Lax\r\n");
		httpd_end_head(x, -1);
		return;
	}
	api_no_content(x);
}

void api_me(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct origin_user u;
	json_t *sub;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = plans_subscription_json(api->st, u.id, api->now(), &sub)) != 0) {
		api_internal(x, "subscription", rc);
		return;
	}
	api_send_json(x, 200,
		      json_pack("{s:s, s:s, s:o, s:o}", "id", u.id, "email", u.email, "created",
				jf_time(u.created), "subscription", sub),
		      NULL);
}
