/*
 * Accounts and sessions: signup, login (throttled), password change, logout,
 * me, and the caller's session for every other handler.  A login answers the
 * session token in the body and, over HTTPS, also as a __Host- cookie.
 * Signup, login and password change hash on the pool (api->pool): their
 * answer is deferred, and a full pool answers 503 busy with Retry-After: 1.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/accounts.h"
#include "accounts/pwhash_pool.h"
#include "jsonfield.h"
#include "plans/plans.h"

#define SESSION_COOKIE "__Host-reel_session"
#define DEVICE_COOKIE  "__Host-reel_device"
#define DEVICE_MAX_AGE (365 * 86400)

static int failed(struct origin_fail *f, int status, const char *code, const char *message)
{
	*f = (struct origin_fail){status, code, message, false, 0};
	return -1;
}

/* The string member NAME of OBJ, or NULL with *FAIL set. */
static json_t *member(json_t *obj, const char *name, struct origin_fail *fail)
{
	json_t *v = json_object_get(obj, name);

	if (!v)
		failed(fail, 400, "invalid_request",
		       strcmp(name, "email") == 0 ? "the member \"email\" is missing"
						  : "the member \"password\" is missing");
	else if (!json_is_string(v))
		failed(fail, 400, "invalid_request",
		       strcmp(name, "email") == 0 ? "the member \"email\" must be a string"
						  : "the member \"password\" must be a string");
	else
		return v;
	return NULL;
}

static int take(json_t *root, struct origin_creds *out, struct origin_fail *fail)
{
	json_t *email, *password, *device;
	size_t plen;

	if (!json_is_object(root))
		return failed(fail, 400, "invalid_json", "the body must be a JSON object");
	if (!(email = member(root, "email", fail)) || !(password = member(root, "password", fail)))
		return -1;
	if (memchr(json_string_value(email), '\0', json_string_length(email)) ||
	    origin_email_normalise(json_string_value(email), json_string_length(email), out->email,
				   sizeof(out->email)) != 0)
		return failed(fail, 422, "invalid_email", "the email address is not valid");
	plen = json_string_length(password);
	if (plen > ORIGIN_PASSWORD_MAXLEN)
		return failed(fail, 422, "weak_password",
			      "the password must have 10 to 128 characters");
	memcpy(out->password, json_string_value(password), plen);
	out->password[plen] = '\0';
	out->password_len = plen;
	device = json_object_get(root, "device_token");
	if (device && !json_is_string(device))
		return failed(fail, 400, "invalid_request",
			      "the member \"device_token\" must be a string");
	if (device && json_string_length(device) < sizeof(out->device))
		memcpy(out->device, json_string_value(device), json_string_length(device) + 1);
	return 0;
}

int origin_creds_parse(const char *body, size_t len, struct origin_creds *out,
		       struct origin_fail *fail)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return failed(fail, 400, "invalid_json", "the body is not valid JSON");
	rc = take(root, out, fail);
	json_decref(root);
	return rc;
}

int origin_creds_policy(const struct origin_creds *c, struct origin_fail *fail)
{
	struct origin_reason why = {0};
	int rc = accounts_password_policy(c->email, c->password, c->password_len, &why);

	if (rc == 0)
		return 0;
	api_refusal_fail(API_CREDENTIALS, rc, &why, fail);
	return -1;
}

/* The value of cookie NAME in the request's Cookie headers. */
static bool cookie(const struct http_request *req, const char *name, struct http_str *out)
{
	size_t nlen = strlen(name);

	for (unsigned i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];
		const char *p = h->value.p, *end = p + h->value.len;

		if (!http_str_ieq(h->name, "cookie"))
			continue;
		while (p < end) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			const char *stop = semi ? semi : end;

			while (p < stop && (*p == ' ' || *p == '\t'))
				p++;
			if ((size_t)(stop - p) > nlen && memcmp(p, name, nlen) == 0 &&
			    p[nlen] == '=') {
				out->p = p + nlen + 1;
				out->len = (size_t)(stop - out->p);
				while (out->len && (out->p[out->len - 1] == ' '))
					out->len--;
				return true;
			}
			p = stop + 1;
		}
	}
	return false;
}

bool api_no_bearer(struct httpd_exchange *x, struct http_str *tok)
{
	struct http_str a = x->req->authorization;

	if (a.len > 7 && strncasecmp(a.p, "Bearer ", 7) == 0) {
		tok->p = a.p + 7;
		tok->len = a.len - 7;
		while (tok->len && *tok->p == ' ') {
			tok->p++;
			tok->len--;
		}
		return false;
	}
	if (cookie(x->req, SESSION_COOKIE, tok))
		return false;
	api_error(x, 401, "unauthorized", "a Bearer token is required",
		  "WWW-Authenticate: Bearer\r\n");
	return true;
}

bool api_no_session(struct origin_api *api, struct httpd_exchange *x, struct accounts_user *u)
{
	struct http_str tok;
	int rc;

	if (api_no_bearer(x, &tok))
		return true;
	if ((rc = accounts_session_use(api->accounts, tok.p, tok.len, api->now(), u)) == 0)
		return false;
	api_refuse(api, x, API_SESSION, rc, NULL);
	return true;
}

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
	struct httpd_deferred *d; /* the request, while the pool has the job */
	struct origin_creds c;	  /* the password is wiped once hashed */
	struct origin_creds next; /* change: the new password (wiped once hashed) */
	char *stored;		  /* login, change: the account's hash (NULL: unknown email) */
	char *hash;		  /* signup, change: the new hash */
	int64_t now;		  /* login: when asked */
	uint8_t device[ACCOUNTS_DEVICE_ID_LEN]; /* login: the device token's id ... */
	bool has_device;			/* ... when it brought a valid one */
	int rc;			  /* of the argon2id step */
	struct origin_reason why; /* rc -EINVAL: the new password is too easy to guess */
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
	const struct accounts *a = j->api->accounts;

	if (j->kind == PW_SIGNUP) {
		j->rc = accounts_password_guessable(a, j->c.email, j->c.password, &j->why);
		if (j->rc == 0)
			j->rc = accounts_password_hash(a, j->c.password, j->c.password_len,
						       &j->hash);
	} else {
		j->rc = accounts_password_check(a, j->stored, j->c.password, j->c.password_len);
		if (j->rc == 0 && j->kind == PW_CHANGE &&
		    (j->rc = accounts_password_guessable(a, j->next.email, j->next.password,
							 &j->why)) == 0)
			j->rc = accounts_password_hash(a, j->next.password, j->next.password_len,
						       &j->hash);
	}
	explicit_bzero(j->c.password, sizeof(j->c.password));
	explicit_bzero(j->next.password, sizeof(j->next.password));
	j->c.password_len = j->next.password_len = 0;
}

static void signup_answer(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	int64_t now = api->now();
	int rc = j->rc ? j->rc : accounts_create(api->accounts, j->c.email, j->hash, now);

	if (rc != 0) {
		api_refuse(api, x, rc == -EINVAL ? API_CREDENTIALS : API_SIGNUP, rc, &j->why);
		return;
	}
	api_send_json(x, 201, json_pack("{s:s, s:o}", "email", j->c.email, "created", jf_time(now)),
		      NULL);
}

/*
 * The new session of a login or password change, as JSON (and a __Host-
 * cookie over HTTPS); a login also hands the device its new DEVICE token
 * (may be NULL), in the body and, over HTTPS, as a cookie of a year.
 */
static void send_session(struct httpd_exchange *x, char token[ACCOUNTS_TOKEN_LEN + 1],
			 int64_t expires, int64_t now, const char *device)
{
	char cookie[320];
	json_t *body = json_pack("{s:s, s:o}", "token", token, "expires", jf_time(expires));
	int n = 0;

	if (httpd_is_tls(x))
		n = snprintf(cookie, sizeof(cookie),
			     "Set-Cookie: " SESSION_COOKIE "=%s; Path=/; Max-Age=%lld; Secure; "
			     "HttpOnly; SameSite=Lax\r\n",
			     token, (long long)(expires - now));
	if (device && body)
		json_object_set_new(body, "device_token", json_string(device));
	if (device && httpd_is_tls(x))
		snprintf(cookie + n, sizeof(cookie) - (size_t)n,
			 "Set-Cookie: " DEVICE_COOKIE "=%s; Path=/; Max-Age=%d; Secure; HttpOnly; "
			 "SameSite=Strict\r\n",
			 device, DEVICE_MAX_AGE);
	api_send_json(x, 200, body, httpd_is_tls(x) ? cookie : NULL);
	explicit_bzero(token, ACCOUNTS_TOKEN_LEN + 1);
	explicit_bzero(cookie, sizeof(cookie));
}

/* Who tries J's password: its account, its device (if any) and X's address. */
static struct accounts_attempt attempt(const struct pw_job *j, struct httpd_exchange *x)
{
	struct accounts_attempt w = {.email = j->c.email, .device = j->has_device ? j->device : NULL};

	if (x)
		w.addr = api_peer_bytes(x, &w.alen);
	return w;
}

static void login_answer(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	char token[ACCOUNTS_TOKEN_LEN + 1], device[ACCOUNTS_DEVICE_TOKEN_LEN + 1];
	int64_t expires, now = api->now();
	struct accounts_attempt w = attempt(j, x);
	int rc = j->rc;

	if (rc == 0)
		rc = accounts_login_session(api->accounts, j->c.email, j->stored, now, token,
					    &expires);
	accounts_check_done(api->accounts, &w, rc != -EACCES, now);
	if (rc == 0 && (rc = accounts_device_token(api->accounts, j->c.email, device)) != 0)
		explicit_bzero(token, sizeof(token)); /* the session stays unused */
	if (rc != 0) {
		api_refuse(api, x, API_LOGIN, rc, NULL);
		return;
	}
	send_session(x, token, expires, now, device);
}

/*
 * A password change: the current password matched and the new one is
 * hashed; set it, ending every session of the account, and open a new one
 * for this client.
 */
static void change_answer(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	const char *email = j->c.email;
	char token[ACCOUNTS_TOKEN_LEN + 1];
	int64_t expires, now = api->now();
	int rc = j->rc;

	accounts_check_done(api->accounts, &(struct accounts_attempt){.email = email},
			    rc != -EACCES, now);
	if (rc == 0)
		rc = accounts_password_set(api->accounts, email, j->stored, j->hash);
	if (rc == 0)
		rc = accounts_login_session(api->accounts, email, j->hash, now, token, &expires);
	if (rc != 0) {
		api_refuse(api, x, rc == -EINVAL ? API_CREDENTIALS : API_PASSWORD, rc, &j->why);
		return;
	}
	send_session(x, token, expires, now, NULL);
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

/* The password check of a login or password change starts (the throttle counts it). */
static void pw_started(struct pw_job *j)
{
	struct accounts_attempt w = attempt(j, NULL);

	if (j->kind != PW_SIGNUP)
		accounts_check_started(j->api->accounts, &w, j->now);
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
	if (pwhash_pool_submit(api->pool, pw_work, pw_done, j) == 0) {
		pw_started(j); /* reads only what the worker does not write */
		return;
	}
	x = httpd_resume(j->d); /* the pool is full: answer now */
	pw_busy(x);
	httpd_resume_done(x);
	pw_job_free(j);
}

/*
 * A new job of KIND into *OUT (the caller's; pw_run or pw_job_free it), or
 * true after answering; signup and login read their credentials from the
 * body.
 */
static bool no_pw_job(struct origin_api *api, struct httpd_exchange *x, enum pw_kind kind,
		      struct pw_job **out)
{
	struct pw_job *j = calloc(1, sizeof(*j));

	*out = NULL;
	if (!j) {
		api_internal(x, "password job", -ENOMEM);
		return true;
	}
	j->magic = PW_JOB_MAGIC;
	j->kind = kind;
	j->api = api;
	if (kind != PW_CHANGE && bad_creds(x, &j->c, kind == PW_SIGNUP)) {
		pw_job_free(j);
		return true;
	}
	*out = j;
	return false;
}

/* The throttle's 429 for WAIT seconds more, with MSG. */
static void too_many(struct httpd_exchange *x, unsigned wait, const char *msg)
{
	char retry[48];

	snprintf(retry, sizeof(retry), "Retry-After: %u\r\n", wait);
	api_error(x, 429, "too_many_attempts", msg, retry);
}

/*
 * POST /api/v1/signup: every well-formed attempt (the ones that can learn
 * whether an email is taken) counts for the client's address, so that the
 * 409 email_taken answer cannot tell the accounts of many emails.
 */
void api_signup(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct pw_job *j;
	size_t alen;
	const void *addr = api_peer_bytes(x, &alen);
	unsigned wait;

	if (no_pw_job(api, x, PW_SIGNUP, &j))
		return;
	if ((wait = accounts_signup_throttled(api->accounts, addr, alen, api->now()))) {
		too_many(x, wait, "too many signups from this address; try again later");
		pw_job_free(j);
		return;
	}
	pw_run(api, x, j);
}

/* The device token the login J brings (body, else cookie), checked for its account. */
static void login_device(struct origin_api *api, struct httpd_exchange *x, struct pw_job *j)
{
	struct http_str tok = {j->c.device, strlen(j->c.device)};

	if (!tok.len && !cookie(x->req, DEVICE_COOKIE, &tok))
		return;
	j->has_device = accounts_device_of(api->accounts, j->c.email, tok.p, tok.len, j->device);
}

void api_login(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	int64_t now = api->now();
	struct accounts_attempt w;
	struct pw_job *j;
	unsigned wait;
	int rc;

	if (no_pw_job(api, x, PW_LOGIN, &j))
		return;
	j->now = now;
	login_device(api, x, j);
	w = attempt(j, x);
	if ((wait = accounts_throttled(api->accounts, &w, now))) {
		too_many(x, wait, "too many failed logins; try again later");
		pw_job_free(j);
		return;
	}
	if ((rc = accounts_login_lookup(api->accounts, j->c.email, &j->stored)) != 0) {
		api_internal(x, "login", rc);
		pw_job_free(j);
		return;
	}
	pw_run(api, x, j);
}

/* A password member NAME of BODY into C (bytes, NUL allowed); false if absent or too long. */
static bool password_member(json_t *body, const char *name, struct origin_creds *c)
{
	json_t *v = json_object_get(body, name);

	if (!json_is_string(v) || json_string_length(v) > ORIGIN_PASSWORD_MAXLEN)
		return false;
	c->password_len = json_string_length(v);
	memcpy(c->password, json_string_value(v), c->password_len);
	c->password[c->password_len] = '\0';
	return true;
}

/*
 * The current and new passwords of BODY into J, the new one within the
 * signup policy, or true after answering 400 or 422.
 */
static bool bad_passwords(struct httpd_exchange *x, json_t *body, struct pw_job *j)
{
	static const char *const allowed[] = {"current", "new", NULL};
	struct origin_fail f;

	if (jf_unknown(body, allowed) || !password_member(body, "current", &j->c) ||
	    !password_member(body, "new", &j->next)) {
		api_error(x, 400, "invalid_request",
			  "the body must be {\"current\": PASSWORD, \"new\": PASSWORD}", NULL);
		return true;
	}
	if (origin_creds_policy(&j->next, &f) != 0) {
		api_fail(x, &f);
		return true;
	}
	return false;
}

/*
 * POST /api/v1/password {"current", "new"}: check the current password and
 * set the new one (the signup policy applies), ending every session of the
 * account; the answer is a new session for this client.  Failed checks count
 * toward the account's login throttle.
 */
void api_password(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct accounts_user u;
	struct pw_job *j = NULL;
	int64_t now = api->now();
	json_t *body;
	unsigned wait;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (no_pw_job(api, x, PW_CHANGE, &j))
		goto out;
	snprintf(j->c.email, sizeof(j->c.email), "%s", u.email);
	snprintf(j->next.email, sizeof(j->next.email), "%s", u.email);
	if (bad_passwords(x, body, j))
		goto out;
	if ((wait = accounts_throttled(api->accounts, &(struct accounts_attempt){.email = u.email},
				       now))) {
		too_many(x, wait, "too many failed attempts; try again later");
		goto out;
	}
	if ((rc = accounts_login_lookup(api->accounts, u.email, &j->stored)) != 0 || !j->stored) {
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
	if ((rc = accounts_logout(api->accounts, tok.p, tok.len)) != 0) {
		api_refuse(api, x, API_SESSION, rc, NULL);
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
	struct accounts_user u;
	json_t *sub;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	rc = plans_subscription_json(api->plans, u.id, api->now(), &sub);
	api_send_result(x, "subscription", rc,
			rc == 0 ? json_pack("{s:s, s:s, s:o, s:o}", "id", u.id, "email", u.email,
					    "created", jf_time(u.created), "subscription", sub)
				: NULL);
}
