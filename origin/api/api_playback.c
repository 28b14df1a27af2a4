/*
 * Playback: authorizations with leases (POST /api/v1/play), heartbeats,
 * stops, the content-key endpoint, and the published stream-token keys.
 */
#include "api/api_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "jsonfield.h"
#include "keys.h"
#include "playback/leases.h"
#include "plans/plans.h"
#include "stream_token.h"

/* The title named by BODY's "title" member into ID, or true after answering 400. */
static bool bad_title_member(struct httpd_exchange *x, json_t *body, char id[TITLE_ID_MAX + 1])
{
	static const char *const allowed[] = {"title", NULL};

	if (jf_unknown(body, allowed)) {
		api_error(x, 400, "invalid_request", "unknown member in the request", NULL);
		return true;
	}
	if (jf_str(body, "title", id, TITLE_ID_MAX + 1) != 0 || !title_id_valid(id, strlen(id))) {
		api_error(x, 400, "invalid_request", "title must be a title id", NULL);
		return true;
	}
	return false;
}

/*
 * What the user may play of TITLE: the plan and the title's facts, or true
 * after answering 403 (no active subscription, no rendition within the
 * plan's height) or 404 (unknown title).
 */
static bool not_entitled(struct origin_api *api, struct httpd_exchange *x, const char *uid,
			 const char *title, int64_t now, struct plan *plan, struct title_info *ti)
{
	struct store_txn *t;
	int rc = store_begin(api->st, false, &t);

	if (rc == 0) {
		if ((rc = plans_entitled(t, uid, now, api->plans, plan)) == -EACCES)
			rc = -EPERM;
		if (rc == 0)
			rc = catalog_info_in(api->catalog, t, title, ti);
		store_abort(t);
	}
	if (rc == -EPERM) {
		api_error(x, 403, "no_subscription", "an active subscription is required", NULL);
		return true;
	}
	if (rc == -ENOENT) {
		api_error(x, 404, "unknown_title", "no such title", NULL);
		return true;
	}
	if (rc != 0) {
		api_internal(x, "play", rc);
		return true;
	}
	if (ti->min_height && ti->min_height > plan->max_height) {
		api_error(x, 403, "height_not_allowed",
			  "no rendition of this title is within the plan's height", NULL);
		return true;
	}
	return false;
}

void api_play(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct accounts_user u;
	struct plan plan;
	struct title_info ti;
	struct stream_claims c = {0};
	struct lease lease;
	char id[TITLE_ID_MAX + 1], msg[96];
	char *token = NULL, *url = NULL;
	int64_t now = api->now(), ttl;
	json_t *body;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (bad_title_member(x, body, id) || not_entitled(api, x, u.id, id, now, &plan, &ti)) {
		api->count[ORIGIN_COUNT_PLAY_REFUSED]++;
		goto out;
	}
	rc = lease_acquire(api->leases, u.id, id, now, plan.max_streams, &lease);
	if (rc == -EUSERS) {
		api->count[ORIGIN_COUNT_STREAM_LIMIT]++;
		snprintf(msg, sizeof(msg), "the plan allows %u concurrent stream%s",
			 plan.max_streams, plan.max_streams == 1 ? "" : "s");
		api_send_json(x, 403,
			      json_pack("{s:s, s:s, s:i}", "error", "stream_limit", "message", msg,
					"limit", (int)plan.max_streams),
			      NULL);
		goto out;
	}
	if (rc != 0) {
		api_internal(x, "lease", rc);
		goto out;
	}
	ttl = (int64_t)ti.duration + 1 + api->token_margin_s;
	if (ttl > api->token_max_s)
		ttl = api->token_max_s;
	snprintf(c.user, sizeof(c.user), "%s", u.id);
	snprintf(c.title, sizeof(c.title), "%s", id);
	snprintf(c.version, sizeof(c.version), "%s", ti.version);
	snprintf(c.lease, sizeof(c.lease), "%s", lease.id);
	c.max_height = plan.max_height;
	c.issued = now;
	c.expires = now + ttl;
	if ((rc = stream_token_issue(keyset_signer(api->stream_keys), &c, &token)) != 0 ||
	    asprintf(&url, "%s/s/%s/%s/master.m3u8", api->edge_url, token, id) < 0) {
		url = NULL;
		lease_release(api->leases, lease.id, u.id);
		api_internal(x, "stream token", rc ? rc : -ENOMEM);
		goto out;
	}
	api->count[ORIGIN_COUNT_PLAYS]++;
	api_send_json(x, 201,
		      json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:i}", "url", url, "token",
				token, "lease", lease.id, "title", id, "expires",
				jf_time(c.expires), "max_height", (int)plan.max_height,
				"heartbeat_interval",
				(int)(api->lease_timeout_s / 3 ? api->lease_timeout_s / 3 : 1),
				"lease_timeout", (int)api->lease_timeout_s),
		      NULL);
out:
	free(token);
	free(url);
	json_decref(body);
}

/* The lease id of the path into ID, or true after answering 404. */
static bool bad_lease_param(struct httpd_exchange *x, const struct api_params *p,
			    char id[LEASE_ID_LEN + 1])
{
	if (p->v[0].len == LEASE_ID_LEN && api_param(&p->v[0], id, LEASE_ID_LEN + 1))
		return false;
	api_error(x, 404, "unknown_lease", "no such lease", NULL);
	return true;
}

void api_play_heartbeat(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char id[LEASE_ID_LEN + 1];
	struct accounts_user u;
	struct lease l;
	int64_t now = api->now();

	if (api_no_session(api, x, &u) || bad_lease_param(x, p, id))
		return;
	if (lease_heartbeat(api->leases, id, u.id, now, &l) != 0) {
		api_error(x, 404, "unknown_lease",
			  "no such lease, or it ended; start the playback again", NULL);
		return;
	}
	api_send_json(x, 200,
		      json_pack("{s:s, s:o}", "lease", l.id, "expires",
				jf_time(l.last + api->lease_timeout_s)),
		      NULL);
}

void api_play_stop(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char id[LEASE_ID_LEN + 1];
	struct accounts_user u;

	if (api_no_session(api, x, &u) || bad_lease_param(x, p, id))
		return;
	if (lease_release(api->leases, id, u.id) != 0) {
		api_error(x, 404, "unknown_lease", "no such lease, or it ended", NULL);
		return;
	}
	api_no_content(x);
}

/* Answer a stream-token check's failure RC. */
static void token_refused(struct httpd_exchange *x, int rc)
{
	switch (rc) {
	case -ETIMEDOUT:
		api_error(x, 401, "token_expired", "the stream token has expired", NULL);
		break;
	case -EACCES:
		api_error(x, 403, "wrong_title", "the stream token is for another title", NULL);
		break;
	case -ENOMEM:
	case -EIO:
		api_internal(x, "stream token", rc);
		break;
	default:
		api_error(x, 401, "invalid_token", "the stream token is not valid", NULL);
	}
}

/*
 * GET /api/v1/keys/TITLE?token=STREAM-TOKEN[&kid=KID]: the 16 raw bytes of
 * the title's AES-128 key for a player holding a valid stream token of that
 * title whose lease is live.  Players reach it through the edge, which
 * redirects /s/TOKEN/TITLE/key here with the token from its path.  With
 * ?license=LICENSE instead, the key wrapped for the license's device.
 */
void api_content_key(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char title[TITLE_ID_MAX + 1], token[STREAM_TOKEN_MAX + 1], kid[CONTENT_KID_MAX + 1];
	uint8_t key[CONTENT_KEY_LEN];
	struct stream_claims c;
	int64_t now = api->now();
	int want_kid, rc;

	if (!api_param(&p->v[0], title, sizeof(title)) || !title_id_valid(title, strlen(title))) {
		api_error(x, 404, "unknown_title", "no such title", NULL);
		return;
	}
	if (api_query(x->req, "license", token, sizeof(token)) == 1) {
		api_license_key(api, x, title, token);
		return;
	}
	if (api_query(x->req, "token", token, sizeof(token)) != 1) {
		api_error(x, 401, "unauthorized",
			  "a stream token (?token=) or an offline license (?license=) is required",
			  NULL);
		return;
	}
	rc = stream_token_check(api->stream_keys->ring, token, strlen(token), now, title,
				strlen(title), &c);
	if (rc != 0) {
		api->count[ORIGIN_COUNT_KEY_REFUSED]++;
		token_refused(x, rc);
		return;
	}
	if (!lease_live(api->leases, c.lease, now)) {
		api->count[ORIGIN_COUNT_KEY_REFUSED]++;
		api_error(x, 403, "lease_ended", "the playback lease has ended", NULL);
		return;
	}
	if ((want_kid = api_query(x->req, "kid", kid, sizeof(kid))) < 0) {
		api_error(x, 404, "no_key", "this title has no such content key", NULL);
		return;
	}
	rc = catalog_key(api->catalog, title, want_kid > 0 ? kid : NULL, key, NULL);
	if (rc == -ENOENT) {
		api_error(x, 404, "no_key", "this title has no such content key", NULL);
		return;
	}
	if (rc != 0) {
		api_internal(x, "content key", rc);
		return;
	}
	api->count[ORIGIN_COUNT_KEY_ANSWERS]++;
	httpd_begin(x, 200);
	httpd_header_lit(x, "Content-Type: application/octet-stream\r\n");
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	httpd_header_lit(x, "Access-Control-Allow-Origin: *\r\n");
	httpd_end_head(x, sizeof(key));
	httpd_body_mem(x, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
}

void api_stream_keys(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	api_send_json(x, 200, keyset_public_json(api->stream_keys), NULL);
}
