/*
 * Offline downloads: licenses issued, renewed, released and listed
 * (downloads/downloads.h holds the rules), the key endpoint's answer for a
 * license, and the published license keys.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "downloads/downloads.h"
#include "jsonfield.h"
#include "keyfiles.h"
#include "paseto.h"

/* Answer the license LICENSE of D with STATUS. */
static void send_license(struct origin_api *api, struct httpd_exchange *x, int status,
			 const struct download *d, const char *license, int64_t now)
{
	json_t *o = download_json(d, now);

	if (o) {
		json_object_set_new(o, "license", json_string(license));
		json_object_set_new(o, "playback_window",
				    json_integer(downloads_window(api->downloads)));
	}
	api_send_json(x, status, o, NULL);
}

/* The base64url X25519 public key member "device_key" of BODY into PUB; false if it is not one. */
static bool device_key_member(json_t *body, uint8_t pub[LICENSE_X25519_LEN])
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

/*
 * The title, device id and device key of an issue body into D, or true after
 * answering 400 or 422.
 */
static bool bad_issue_body(struct httpd_exchange *x, json_t *body, struct download *d)
{
	static const char *const allowed[] = {"title", "device_id", "device_key", NULL};

	if (jf_unknown(body, allowed) || jf_str(body, "title", d->title, sizeof(d->title)) != 0 ||
	    jf_str(body, "device_id", d->device, sizeof(d->device)) != 0) {
		api_error(x, 400, "invalid_request",
			  "the body must be {\"title\", \"device_id\", \"device_key\"}", NULL);
		return true;
	}
	if (!title_id_valid(d->title, strlen(d->title)) ||
	    !jf_id_valid(d->device, strlen(d->device), DOWNLOAD_DEVICE_MAX)) {
		api_error(x, 422, "invalid_request",
			  "device_id is 1..64 of A-Z a-z 0-9 . _ ~ : - and title a title id", NULL);
		return true;
	}
	if (!device_key_member(body, d->device_key)) {
		api_error(x, 422, "invalid_device_key",
			  "device_key must be a base64url X25519 public key (32 bytes)", NULL);
		return true;
	}
	return false;
}

/* POST /api/v1/downloads {"title", "device_id", "device_key": B64URL(X25519 public key)} */
void api_download_issue(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	struct accounts_user u;
	struct origin_reason why = {0};
	struct download want = {0}, d;
	int64_t now = api->now();
	char *license;
	json_t *body;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (bad_issue_body(x, body, &want))
		goto out;
	rc = downloads_issue(api->downloads, u.id, want.title, want.device, want.device_key, now,
			     &d, &license, &why);
	if (rc != 0) {
		api_refuse(api, x, API_DOWNLOAD, rc, &why);
		goto out;
	}
	api->count[ORIGIN_COUNT_LICENSES]++;
	send_license(api, x, 201, &d, license, now);
	free(license);
out:
	json_decref(body);
}

/* The download id of the path into LID ("" when it cannot be one). */
static void lid_param(const struct api_params *p, char lid[DOWNLOAD_LID_LEN + 1])
{
	if (!api_param(&p->v[0], lid, DOWNLOAD_LID_LEN + 1))
		lid[0] = '\0';
}

/* POST /api/v1/downloads/LID/renew: a fresh license (new expiry, renewal + 1) for the same device.
 */
void api_download_renew(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char lid[DOWNLOAD_LID_LEN + 1];
	struct accounts_user u;
	struct download d;
	int64_t now = api->now();
	char *license;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	lid_param(p, lid);
	if ((rc = downloads_renew(api->downloads, u.id, lid, now, &d, &license)) != 0) {
		api_refuse(api, x, API_RENEW, rc, NULL);
		return;
	}
	api->count[ORIGIN_COUNT_RENEWALS]++;
	send_license(api, x, 200, &d, license, now);
	free(license);
}

/* DELETE /api/v1/downloads/LID: release the download, freeing its slot. */
void api_download_release(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	char lid[DOWNLOAD_LID_LEN + 1];
	struct accounts_user u;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	lid_param(p, lid);
	if ((rc = downloads_release(api->downloads, u.id, lid)) != 0) {
		api_refuse(api, x, API_RELEASE, rc, NULL);
		return;
	}
	api->count[ORIGIN_COUNT_RELEASES]++;
	api_no_content(x);
}

/* GET /api/v1/downloads: the user's active downloads (?all=1: every record). */
void api_downloads_list(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	struct accounts_user u;
	char all[4];
	bool every = api_query(x->req, "all", all, sizeof(all)) == 1 && strcmp(all, "1") == 0;
	json_t *arr;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	rc = downloads_list(api->downloads, u.id, api->now(), every, &arr);
	api_send_result(x, "downloads", rc, rc == 0 ? json_pack("{s:o}", "downloads", arr) : NULL);
}

/*
 * GET /api/v1/keys/TITLE?license=LICENSE: the title's content key wrapped
 * afresh for the device of a valid, unreleased license of that title (the
 * same form as the license's own "wrapped"), for a player that lost it.
 */
void api_license_key(struct origin_api *api, struct httpd_exchange *x, const char *title,
		     const char *license)
{
	char epk[64], nonce[32], ct[64];
	struct download_key k;
	int rc = downloads_key(api->downloads, title, license, api->now(), &k);

	if (rc != 0) {
		api_refuse(api, x, API_LICENSE_KEY, rc, NULL);
		return;
	}
	paseto_b64_encode(k.wrapped.epk, sizeof(k.wrapped.epk), epk);
	paseto_b64_encode(k.wrapped.nonce, sizeof(k.wrapped.nonce), nonce);
	paseto_b64_encode(k.wrapped.ct, sizeof(k.wrapped.ct), ct);
	api->count[ORIGIN_COUNT_KEY_ANSWERS]++;
	api_send_json(x, 200,
		      json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "title", title, "lid", k.lid,
				"ckid", k.ckid, "wrapped", "epk", epk, "nonce", nonce, "ct", ct),
		      NULL);
}

void api_license_keys(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	api_send_json(x, 200, keyset_public_json(api->license_keys), NULL);
}
