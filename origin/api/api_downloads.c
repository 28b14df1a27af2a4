/*
 * Offline downloads: licenses (license.h) issued, renewed, released and
 * listed under the plan's limits, each change checked and written in one
 * store write transaction (the licenses table: downloads/tables.h).
 */
#include "api/api_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "jsonfield.h"
#include "records.h"
#include "schema.h"
#include "keys.h"
#include "license.h"
#include "plans/plans.h"

#define YEAR	    (365 * 86400)
#define LID_LEN	    25 /* "d" + 24 hex digits */
#define DEVICE_MAX  64
#define MAX_RECORDS 4096 /* licenses looked at per user */

struct dl {
	char lid[LID_LEN + 1];
	char title[TITLE_ID_MAX + 1];
	char device[DEVICE_MAX + 1];
	char ckid[CONTENT_KID_MAX + 1];
	uint8_t device_key[LICENSE_X25519_LEN];
	int64_t first_issued, issued, expires;
	uint32_t renewal;
	bool released;
};

static bool dl_active(const struct dl *d, int64_t now)
{
	return !d->released && now < d->expires;
}

static json_t *dl_json(const struct dl *d, int64_t now)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:s}", "id", d->lid, "title", d->title,
			 "device_id", d->device, "issued", jf_time(d->issued), "expires",
			 jf_time(d->expires), "renewal", (int)d->renewal, "status",
			 d->released	    ? "released"
			 : now < d->expires ? "active"
					    : "expired");
}

static int dl_parse(json_t *o, struct dl *d)
{
	char b64[64];
	uint8_t raw[48];
	uint64_t a, b, c, r;

	memset(d, 0, sizeof(*d));
	if (jf_str(o, "lid", d->lid, sizeof(d->lid)) ||
	    jf_str(o, "title", d->title, sizeof(d->title)) ||
	    jf_str(o, "device", d->device, sizeof(d->device)) ||
	    jf_str(o, "ckid", d->ckid, sizeof(d->ckid)) ||
	    jf_str(o, "device_key", b64, sizeof(b64)) ||
	    jf_uint(o, "first_issued", 0, INT64_MAX, &a) ||
	    jf_uint(o, "issued", 0, INT64_MAX, &b) || jf_uint(o, "expires", 0, INT64_MAX, &c) ||
	    jf_uint(o, "renewal", 0, UINT32_MAX, &r) || jf_bool(o, "released", &d->released) ||
	    paseto_b64_declen(strlen(b64)) > sizeof(raw) ||
	    paseto_b64_decode(b64, strlen(b64), raw) != LICENSE_X25519_LEN)
		return -EIO;
	memcpy(d->device_key, raw, LICENSE_X25519_LEN);
	d->first_issued = (int64_t)a;
	d->issued = (int64_t)b;
	d->expires = (int64_t)c;
	d->renewal = (uint32_t)r;
	return 0;
}

static int dl_put(struct store_txn *t, const char *uid, const struct dl *d)
{
	char key[ACCOUNTS_UID_LEN + 1 + LID_LEN + 1], b64[64];

	snprintf(key, sizeof(key), "%s/%s", uid, d->lid);
	paseto_b64_encode(d->device_key, LICENSE_X25519_LEN, b64);
	return records_put(t, ORIGIN_DB_LICENSES, key, strlen(key),
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:b}", "lid",
				     d->lid, "title", d->title, "device", d->device, "device_key",
				     b64, "ckid", d->ckid, "first_issued",
				     (json_int_t)d->first_issued, "issued", (json_int_t)d->issued,
				     "expires", (json_int_t)d->expires, "renewal", (int)d->renewal,
				     "released", d->released),
			   false);
}

/* Every license record of a user. */
struct dl_list {
	struct dl *v;
	size_t n, cap;
};

static int dl_collect(void *arg, const void *key, size_t klen, json_t *o)
{
	struct dl_list *l = arg;

	if (!o)
		return -EIO;
	if (l->n == MAX_RECORDS)
		return 1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (dl_parse(o, &l->v[l->n]) == 0)
		l->n++;
	return 0;
}

static int dl_load(struct store_txn *t, const char *uid, struct dl_list *l)
{
	char prefix[ACCOUNTS_UID_LEN + 2];

	snprintf(prefix, sizeof(prefix), "%s/", uid);
	l->n = 0;
	return records_scan(t, ORIGIN_DB_LICENSES, prefix, strlen(prefix), dl_collect, l);
}

/* Sign the license for D of user UID with content key KEY; *OUT is malloc'd. */
static int sign(struct origin_api *api, const char *uid, const struct dl *d,
		const uint8_t key[CONTENT_KEY_LEN], char **out)
{
	struct license_claims c = {0};
	int rc;

	snprintf(c.lid, sizeof(c.lid), "%s", d->lid);
	snprintf(c.user, sizeof(c.user), "%s", uid);
	snprintf(c.device, sizeof(c.device), "%s", d->device);
	snprintf(c.title, sizeof(c.title), "%s", d->title);
	snprintf(c.ckid, sizeof(c.ckid), "%s", d->ckid);
	c.issued = d->issued;
	c.expires = d->expires;
	c.window_s = api->license_window_s;
	c.renewal = d->renewal;
	if ((rc = license_bind_device(&c, d->device_key, key)) == 0)
		rc = license_issue(keyset_signer(api->license_keys), &c, out);
	OPENSSL_cleanse(&c.wrapped, sizeof(c.wrapped));
	return rc;
}

/*
 * Stamp D issued NOW for the license lifetime, sign its license into *TOKEN
 * (malloc'd) and store D for user UID in T.
 */
static int put_license(struct origin_api *api, struct store_txn *t, const char *uid, struct dl *d,
		       const uint8_t key[CONTENT_KEY_LEN], int64_t now, char **token)
{
	int rc;

	d->issued = now;
	d->expires = now + api->license_ttl_s;
	if ((rc = sign(api, uid, d, key, token)) == 0)
		rc = dl_put(t, uid, d);
	return rc;
}

static void send_license(struct origin_api *api, struct httpd_exchange *x, int status,
			 const struct dl *d, const char *token, int64_t now)
{
	json_t *o = dl_json(d, now);

	if (o) {
		json_object_set_new(o, "license", json_string(token));
		json_object_set_new(o, "playback_window", json_integer(api->license_window_s));
	}
	api_send_json(x, status, o, NULL);
}

/* A 403 refusal with CODE, the plan's number N, and a message. */
__attribute__((format(printf, 4, 5))) static void
limit_error(struct httpd_exchange *x, const char *code, unsigned n, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_send_json(x, 403,
		      json_pack("{s:s, s:s, s:i}", "error", code, "message", msg, "limit", (int)n),
		      NULL);
}

/*
 * Check the plan's limits for a new download of TITLE on DEVICE among L at
 * NOW: false when within them, true after answering 403.
 */
static bool over_limits(struct httpd_exchange *x, const struct plan *pl, const struct dl_list *l,
			const char *title, const char *device, int64_t now)
{
	size_t active = 0, year = 0, devices = 0;
	bool known_device = false;

	for (size_t i = 0; i < l->n; i++) {
		const struct dl *d = &l->v[i];
		bool first = true;

		if (strcmp(d->title, title) == 0 && now - d->first_issued < YEAR)
			year++;
		if (!dl_active(d, now))
			continue;
		active++;
		if (strcmp(d->device, device) == 0)
			known_device = true;
		for (size_t j = 0; j < i && first; j++)
			if (dl_active(&l->v[j], now) && strcmp(l->v[j].device, d->device) == 0)
				first = false;
		devices += first;
	}
	if (!pl->downloads) {
		api_error(x, 403, "downloads_not_allowed", "the plan does not include downloads",
			  NULL);
		return true;
	}
	if (!known_device && devices >= pl->max_devices) {
		limit_error(x, "device_limit", pl->max_devices,
			    "the plan allows downloads on %u devices", pl->max_devices);
		return true;
	}
	if (active >= pl->max_downloads) {
		limit_error(x, "download_limit", pl->max_downloads,
			    "the plan allows %u active downloads", pl->max_downloads);
		return true;
	}
	if (year >= pl->downloads_per_title_year) {
		limit_error(x, "title_download_limit", pl->downloads_per_title_year,
			    "the plan allows %u downloads of a title per year",
			    pl->downloads_per_title_year);
		return true;
	}
	return false;
}

static bool parse_device_key(json_t *body, uint8_t pub[LICENSE_X25519_LEN])
{
	char b64[64];
	uint8_t buf[48];

	if (jf_str(body, "device_key", b64, sizeof(b64)) != 0 ||
	    paseto_b64_declen(strlen(b64)) > sizeof(buf) ||
	    paseto_b64_decode(b64, strlen(b64), buf) != LICENSE_X25519_LEN)
		return false;
	memcpy(pub, buf, LICENSE_X25519_LEN);
	return true;
}

/* The plan of UID into *PL, or true after answering 403 (no subscription) or 500. */
static bool not_entitled(struct origin_api *api, struct httpd_exchange *x, struct store_txn *t,
			 const char *uid, int64_t now, struct plan *pl)
{
	int rc = plans_entitled(t, uid, now, api->plans, pl);

	if (rc == -EACCES)
		api_error(x, 403, "no_subscription", "an active subscription is required", NULL);
	else if (rc != 0)
		api_internal(x, "downloads", rc);
	return rc != 0;
}

/* POST /api/v1/downloads {"title", "device_id", "device_key": B64URL(X25519 public key)} */
void api_download_issue(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	static const char *const allowed[] = {"title", "device_id", "device_key", NULL};
	struct accounts_user u;
	struct plan pl;
	struct dl d = {0};
	struct dl_list l = {0};
	struct store_txn *t = NULL;
	uint8_t key[CONTENT_KEY_LEN];
	int64_t now = api->now();
	char *token = NULL;
	json_t *body;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (jf_unknown(body, allowed) || jf_str(body, "title", d.title, sizeof(d.title)) != 0 ||
	    jf_str(body, "device_id", d.device, sizeof(d.device)) != 0) {
		api_error(x, 400, "invalid_request",
			  "the body must be {\"title\", \"device_id\", \"device_key\"}", NULL);
		goto out;
	}
	if (!title_id_valid(d.title, strlen(d.title)) ||
	    !jf_id_valid(d.device, strlen(d.device), DEVICE_MAX)) {
		api_error(x, 422, "invalid_request",
			  "device_id is 1..64 of A-Z a-z 0-9 . _ ~ : - and title a title id", NULL);
		goto out;
	}
	if (!parse_device_key(body, d.device_key)) {
		api_error(x, 422, "invalid_device_key",
			  "device_key must be a base64url X25519 public key (32 bytes)", NULL);
		goto out;
	}
	if ((rc = store_begin(api->st, true, &t)) != 0)
		goto end;
	if (not_entitled(api, x, t, u.id, now, &pl))
		goto out;
	rc = catalog_key_in(api->catalog, t, d.title, NULL, key, d.ckid);
	if (rc == -ENOENT) {
		struct title_info ti;

		if (catalog_info_in(api->catalog, t, d.title, &ti) == -ENOENT)
			api_error(x, 404, "unknown_title", "no such title", NULL);
		else
			api_error(x, 409, "not_downloadable",
				  "the title has no content key, so it cannot be licensed", NULL);
		goto out;
	}
	if (rc != 0 || (rc = dl_load(t, u.id, &l)) != 0)
		goto end;
	if (over_limits(x, &pl, &l, d.title, d.device, now)) {
		api->count[ORIGIN_COUNT_LICENSE_REFUSED]++;
		goto out;
	}
	if ((rc = jf_random_id('d', 12, d.lid)) != 0)
		goto end;
	d.first_issued = now;
	rc = put_license(api, t, u.id, &d, key, now, &token);
end:
	if (!api_commit_failed(x, &t, rc, "download")) {
		api->count[ORIGIN_COUNT_LICENSES]++;
		send_license(api, x, 201, &d, token, now);
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	store_abort(t);
	free(token);
	free(l.v);
	json_decref(body);
}

/* The user's license record LID (from the path) in T into *D, or true after answering. */
static bool no_download(struct httpd_exchange *x, struct store_txn *t, const char *uid,
			const struct api_params *p, struct dl *d)
{
	char key[ACCOUNTS_UID_LEN + 1 + LID_LEN + 1];
	json_t *o;
	int rc = -ENOENT;

	if (p->v[0].len == LID_LEN) {
		snprintf(key, sizeof(key), "%s/%.*s", uid, LID_LEN, p->v[0].p);
		if ((rc = records_get(t, ORIGIN_DB_LICENSES, key, strlen(key), &o)) == 0) {
			rc = dl_parse(o, d);
			json_decref(o);
		}
	}
	if (rc == -ENOENT)
		api_error(x, 404, "unknown_download", "no such download", NULL);
	else if (rc != 0)
		api_internal(x, "download", rc);
	return rc != 0;
}

/* POST /api/v1/downloads/LID/renew: a fresh license (new expiry, renewal + 1) for the same device.
 */
void api_download_renew(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	struct accounts_user u;
	struct plan pl;
	struct dl d;
	struct store_txn *t = NULL;
	uint8_t key[CONTENT_KEY_LEN] = {0};
	int64_t now = api->now();
	char *token = NULL;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = store_begin(api->st, true, &t)) != 0)
		goto end;
	if (no_download(x, t, u.id, p, &d) || not_entitled(api, x, t, u.id, now, &pl))
		goto out;
	if (d.released) {
		api_error(x, 409, "released", "the download was released; download it again", NULL);
		goto out;
	}
	if (!pl.downloads) {
		api_error(x, 403, "downloads_not_allowed", "the plan does not include downloads",
			  NULL);
		goto out;
	}
	if ((rc = catalog_key_in(api->catalog, t, d.title, d.ckid, key, NULL)) == -ENOENT) {
		api_error(x, 409, "not_downloadable", "the title's content key is gone", NULL);
		goto out;
	}
	if (rc != 0)
		goto end;
	d.renewal++;
	rc = put_license(api, t, u.id, &d, key, now, &token);
end:
	if (!api_commit_failed(x, &t, rc, "renew")) {
		api->count[ORIGIN_COUNT_RENEWALS]++;
		send_license(api, x, 200, &d, token, now);
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	store_abort(t);
	free(token);
}

/* DELETE /api/v1/downloads/LID: release the download, freeing its slot. */
void api_download_release(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	struct accounts_user u;
	struct store_txn *t = NULL;
	struct dl d;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = store_begin(api->st, true, &t)) != 0)
		goto end;
	if (no_download(x, t, u.id, p, &d))
		goto out;
	if (d.released) {
		api_error(x, 404, "unknown_download", "the download was already released", NULL);
		goto out;
	}
	d.released = true;
	rc = dl_put(t, u.id, &d);
end:
	if (!api_commit_failed(x, &t, rc, "release")) {
		api->count[ORIGIN_COUNT_RELEASES]++;
		api_no_content(x);
	}
out:
	store_abort(t);
}

/* GET /api/v1/downloads: the user's active downloads (?all=1: every record). */
void api_downloads_list(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	struct accounts_user u;
	struct store_txn *t;
	struct dl_list l = {0};
	int64_t now = api->now();
	char all[4];
	bool every = api_query(x->req, "all", all, sizeof(all)) == 1 && strcmp(all, "1") == 0;
	json_t *arr = json_array();
	int rc;

	if (api_no_session(api, x, &u))
		goto out;
	if ((rc = store_begin(api->st, false, &t)) == 0) {
		rc = dl_load(t, u.id, &l);
		store_abort(t);
	}
	if (rc != 0) {
		api_internal(x, "downloads", rc);
		goto out;
	}
	for (size_t i = 0; arr && i < l.n; i++)
		if (every || dl_active(&l.v[i], now))
			json_array_append_new(arr, dl_json(&l.v[i], now));
	api_send_json(x, 200, json_pack("{s:O}", "downloads", arr), NULL);
out:
	json_decref(arr);
	free(l.v);
}

/*
 * GET /api/v1/keys/TITLE?license=LICENSE: the title's content key wrapped
 * afresh for the device of a valid, unreleased license of that title (the
 * same form as the license's own "wrapped"), for a player that lost it.
 */
void api_license_key(struct origin_api *api, struct httpd_exchange *x, const char *title,
		     const char *lic)
{
	char key[2 * STREAM_ID_MAX + 2], epk[64], nonce[32], ct[64];
	uint8_t ckey[CONTENT_KEY_LEN];
	struct license_claims c;
	struct license_wrapped w;
	struct store_txn *t = NULL;
	struct dl d;
	json_t *o = NULL;
	int rc = license_check(api->license_keys->ring, lic, strlen(lic), api->now(), &c);

	if (rc == -ETIMEDOUT) {
		api_error(x, 401, "license_expired", "the license has expired; renew it", NULL);
		return;
	}
	if (rc == -ENOMEM || rc == -EIO) {
		api_internal(x, "license", rc);
		return;
	}
	if (rc != 0) {
		api_error(x, 401, "invalid_license", "the license is not valid", NULL);
		return;
	}
	if (strcmp(c.title, title) != 0) {
		api_error(x, 403, "wrong_title", "the license is for another title", NULL);
		return;
	}
	snprintf(key, sizeof(key), "%s/%s", c.user, c.lid);
	if ((rc = store_begin(api->st, false, &t)) == 0 &&
	    (rc = records_get(t, ORIGIN_DB_LICENSES, key, strlen(key), &o)) == 0 &&
	    (rc = dl_parse(o, &d)) == 0 && !d.released && strcmp(d.ckid, c.ckid) == 0)
		rc = catalog_key_in(api->catalog, t, title, c.ckid, ckey, NULL);
	else if (rc == 0 || rc == -ENOENT)
		rc = -EPERM;
	store_abort(t);
	json_decref(o);
	if (rc == -EPERM) {
		api_error(x, 403, "license_released", "the download was released", NULL);
		return;
	}
	if (rc == 0)
		rc = license_wrap_key(d.device_key, c.lid, title, c.ckid, ckey, &w);
	OPENSSL_cleanse(ckey, sizeof(ckey));
	if (rc != 0) {
		api_internal(x, "license key", rc == -ENOENT ? -EIO : rc);
		return;
	}
	paseto_b64_encode(w.epk, sizeof(w.epk), epk);
	paseto_b64_encode(w.nonce, sizeof(w.nonce), nonce);
	paseto_b64_encode(w.ct, sizeof(w.ct), ct);
	api->count[ORIGIN_COUNT_KEY_ANSWERS]++;
	api_send_json(x, 200,
		      json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "title", title, "lid", c.lid,
				"ckid", c.ckid, "wrapped", "epk", epk, "nonce", nonce, "ct", ct),
		      NULL);
}

void api_license_keys(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	api_send_json(x, 200, keyset_public_json(api->license_keys), NULL);
}
