/*
 * Playback: authorizations with leases (POST /api/v1/play), heartbeats,
 * stops, the content-key endpoint, and the published stream-token keys.
 */
#include "api/api_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "jsonfield.h"
#include "edges/edges.h"
#include "keyfiles.h"
#include "playback/playback.h"
#include "stream_token.h"
#include "viewing/viewing.h"

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

void api_play(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	struct accounts_user u;
	struct playback_grant g;
	struct origin_reason why = {0};
	double resume;
	json_t *body, *answer;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (bad_title_member(x, body, id)) {
		api->count[ORIGIN_COUNT_PLAY_REFUSED]++;
		goto out;
	}
	if ((rc = playback_start(api->playback, u.id, id, api->now(), &g, &why)) != 0) {
		api_refuse(api, x, API_PLAY, rc, &why);
		goto out;
	}
	api->count[ORIGIN_COUNT_PLAYS]++;
	/* where the viewer stopped, on any device; 0 (the start) when it cannot be known */
	viewing_started(api->viewing, u.id, id, api->now(), &resume);
	answer = json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:i, s:f}", "url", g.url, "token",
			   g.token, "lease", g.lease, "title", id, "expires", jf_time(g.expires),
			   "max_height", (int)g.max_height, "heartbeat_interval",
			   (int)g.heartbeat_interval_s, "lease_timeout", (int)g.lease_timeout_s,
			   "resume", resume);
	if (answer && api->edges && edges_count(api->edges) &&
	    api_steer_play(api, x, id, g.token, answer) != 0) {
		json_decref(answer);
		answer = NULL;
	}
	api_send_json(x, 201, answer, NULL);
	playback_grant_clear(&g);
out:
	json_decref(body);
}

/* The lease id of the path into ID, or true after answering 404. */
static bool lease_id_valid(const char *s, size_t len)
{
	return len == LEASE_ID_LEN;
}

static bool bad_lease_param(struct httpd_exchange *x, const struct api_params *p,
			    char id[LEASE_ID_LEN + 1])
{
	return api_bad_param(x, p, id, LEASE_ID_LEN + 1, lease_id_valid, "unknown_lease",
			     "no such lease");
}

/* The heartbeat's optional {"position": SECONDS} into *POS, or true after answering 400 or 415. */
static bool bad_position(struct httpd_exchange *x, struct position_report *pos)
{
	struct origin_fail f;

	if (x->body_len && !api_is_json(x->req)) {
		api_error(x, 415, "unsupported_media_type", "the body must be application/json",
			  NULL);
		return true;
	}
	if (position_parse(x->body, x->body_len, pos, &f) == 0)
		return false;
	api_fail(x, &f);
	return true;
}

/* POST /api/v1/play/LEASE/heartbeat, with the player's position or none. */
void api_play_heartbeat(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char id[LEASE_ID_LEN + 1];
	struct accounts_user u;
	struct position_report pos;
	struct origin_reason why = {0};
	int64_t expires;
	int rc;

	if (api_no_session(api, x, &u) || bad_lease_param(x, p, id) || bad_position(x, &pos))
		return;
	rc = viewing_heartbeat(api->viewing, id, u.id, pos.given ? &pos.position : NULL, api->now(),
			       &expires, &why);
	if (rc != 0) {
		api_refuse(api, x, API_HEARTBEAT, rc, &why);
		return;
	}
	if (pos.given)
		api->count[ORIGIN_COUNT_POSITIONS]++;
	api_send_json(x, 200, json_pack("{s:s, s:o}", "lease", id, "expires", jf_time(expires)),
		      NULL);
}

void api_play_stop(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char id[LEASE_ID_LEN + 1];
	struct accounts_user u;
	int rc;

	if (api_no_session(api, x, &u) || bad_lease_param(x, p, id))
		return;
	if ((rc = playback_stop(api->playback, id, u.id)) != 0) {
		api_refuse(api, x, API_STOP, rc, NULL);
		return;
	}
	api_no_content(x);
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
	/* a kid too long to be one names no key: "" (absent: the current key) */
	want_kid = api_query(x->req, "kid", kid, sizeof(kid));
	rc = playback_key(api->playback, title, token,
			  want_kid > 0	 ? kid
			  : want_kid < 0 ? ""
					 : NULL,
			  api->now(), key);
	if (rc != 0) {
		api_refuse(api, x, API_STREAM_KEY, rc, NULL);
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
