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

#include "api/commit_batch.h"

#include "json_out.h"
#include "jsonfield.h"
#include "edges/edges.h"
#include "keyfiles.h"
#include "log.h"
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

/* A stream authorized in memory, waiting for its lease to be committed. */
struct play_grant {
	uint32_t magic;
	struct origin_api *api;
	struct playback_grant g;
	char uid[ACCOUNTS_UID_LEN + 1];
	char title[TITLE_ID_MAX + 1];
	double resume;
	bool steer; /* to the edges by the player's address (a viewer's play) */
};

#define PLAY_GRANT_MAGIC 0x506c4772u /* "PlGr" */

/* Is PG's play steered to the edges by X's address? */
static bool play_steered(const struct play_grant *pg)
{
	return pg->steer && pg->api->edges && edges_count(pg->api->edges);
}

/*
 * The 201's text of PG's play to X, written directly (no tree to build and
 * dump), steered by X's address when PG is (play_steered()).  0 with *TEXT
 * (malloc'd: the caller frees it) and *LEN, or a negative errno.
 */
static int play_text(struct httpd_exchange *x, const struct play_grant *pg, char **text,
		     size_t *len)
{
	const struct playback_grant *g = &pg->g;
	struct edges_choice c = {.n = 0};
	struct json_out o = {0};
	char expires[32], *steered = NULL;
	bool steer = play_steered(pg);
	int rc;

	if (stream_time_format(g->expires, expires, sizeof(expires)) != 0)
		return -EINVAL;
	if (steer) {
		if ((rc = api_steer_play(pg->api, x, pg->title, &c)) != 0)
			return rc;
		if (!(steered = api_steer_url(&c, g->token, pg->title)))
			return -ENOMEM;
	}
	json_out_open(&o, NULL, '{');
	json_out_str(&o, "url", steered ? steered : g->url);
	json_out_str(&o, "token", g->token);
	json_out_str(&o, "lease", g->lease);
	json_out_str(&o, "title", pg->title);
	json_out_str(&o, "expires", expires);
	json_out_int(&o, "max_height", (int)g->max_height);
	json_out_int(&o, "heartbeat_interval", (int)g->heartbeat_interval_s);
	json_out_int(&o, "lease_timeout", (int)g->lease_timeout_s);
	json_out_real(&o, "resume", pg->resume);
	free(steered);
	if (steer && api_steer_out(&o, &c, g->token, pg->title) != 0)
		o.err = o.err ? o.err : -ENOMEM;
	json_out_close(&o, '}');
	return json_out_end(&o, text, len);
}

/* Send the 201 of PG's play to X. */
static void play_send(struct httpd_exchange *x, const struct play_grant *pg)
{
	char *text = NULL;
	size_t len = 0;

	play_text(x, pg, &text, &len);
	api_send_json_text(x, 201, text, len, NULL);
	free(text);
}

/*
 * The answer to a play once the leases of its turn are committed (RC): 201
 * with the grant, or, when the commit failed, the lease given up and 503 or
 * 500.  A client gone meanwhile (X NULL) leaves its committed lease to end
 * without heartbeats.
 */
static void play_answer(struct httpd_exchange *x, void *item, int rc)
{
	struct play_grant *pg = item;
	struct origin_api *api = pg->api;
	const struct playback_grant *g = &pg->g;

	if (pg->magic != PLAY_GRANT_MAGIC)
		abort();
	if (rc != 0)
		playback_stop(api->playback, g->lease, pg->uid);
	if (x && rc != 0) {
		api_internal(x, "lease commit", rc);
	} else if (x) {
		api->count[ORIGIN_COUNT_PLAYS]++;
		play_send(x, pg);
	}
	playback_grant_clear(&pg->g);
	free(pg);
}

static void answer_committed(struct origin_api *api, struct httpd_exchange *x, const char *uid,
			     const char *title, struct playback_grant *g, double resume,
			     bool steer);

/*
 * POST /api/v1/play {"title"}: the lease is taken in memory at once (so the
 * plan's limit holds for the requests of the same turn) and the answer
 * waits for the turn's group commit, so every lease answered 201 survives a
 * crash.
 */
void api_play(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	struct accounts_user u;
	struct playback_grant g;
	struct origin_reason why = {0};
	double resume;
	json_t *body;
	int rc;

	if (api_no_session(api, x, &u) || api_bad_body(x, &body))
		return;
	if (bad_title_member(x, body, id)) {
		api->count[ORIGIN_COUNT_PLAY_REFUSED]++;
		goto out;
	}
	if ((rc = playback_start(api->playback, u.id, id, api->now(), &g, &why)) != 0)
		api_refuse(api, x, API_PLAY, rc, &why);
	else {
		/* where the viewer stopped, on any device; 0 (the start) when it cannot be known */
		viewing_started(api->viewing, u.id, id, api->now(), &resume);
		answer_committed(api, x, u.id, id, &g, resume, true);
	}
out:
	json_decref(body);
}

/*
 * Answer the grant G (taken over) of UID on TITLE, to start at RESUME
 * seconds, once its lease is committed.
 */
static void answer_committed(struct origin_api *api, struct httpd_exchange *x, const char *uid,
			     const char *title, struct playback_grant *g, double resume, bool steer)
{
	struct play_grant *grant = calloc(1, sizeof(*grant));

	if (!grant) {
		playback_stop(api->playback, g->lease, uid);
		playback_grant_clear(g);
		api_internal(x, "play", -ENOMEM);
		return;
	}
	grant->magic = PLAY_GRANT_MAGIC;
	grant->api = api;
	grant->g = *g;
	snprintf(grant->uid, sizeof(grant->uid), "%s", uid);
	snprintf(grant->title, sizeof(grant->title), "%s", title);
	grant->resume = resume;
	grant->steer = steer;
	commit_batch_add(api->plays, x, play_answer, grant);
}

/*
 * POST /admin/v1/stream-tokens {"user", "title", "ttl"}: a stream token of
 * USER (id or email) for TITLE, to debug an edge.  It is a real play: the
 * user's subscription, the title and the plan's limits apply, its lease
 * counts against the streams and ends like any other; only the token's
 * life is the admin's TTL (60..3600 s, default 600).  Logged with the
 * admin's name.
 */
void api_admin_stream_token(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p)
{
	static const char *const allowed[] = {"user", "title", "ttl", NULL};
	char user[ORIGIN_EMAIL_MAX + 1], id[TITLE_ID_MAX + 1];
	struct origin_reason why = {0};
	struct playback_grant g;
	struct accounts_user u;
	uint64_t ttl = 600;
	double resume;
	const char *who;
	json_t *body;
	int rc;

	if (api_not_admin(api, x, &who) || api_bad_body(x, &body))
		return;
	if (jf_unknown(body, allowed) || jf_str(body, "user", user, sizeof(user)) != 0 ||
	    jf_str(body, "title", id, sizeof(id)) != 0 || !title_id_valid(id, strlen(id)))
		api_error(x, 400, "invalid_request",
			  "the body must be {\"user\", \"title\"} with an optional \"ttl\"", NULL);
	else if (json_object_get(body, "ttl") && jf_uint(body, "ttl", 60, 3600, &ttl) != 0)
		api_error(x, 422, "invalid_ttl",
			  "ttl must be a whole number of seconds in 60..3600", NULL);
	else if ((rc = accounts_find(api->accounts, user, &u)) != 0)
		api_refuse(api, x, API_GRANT_USER, rc, NULL);
	else if ((rc = playback_start_within(api->playback, u.id, id, api->now(), (uint32_t)ttl, &g,
					     &why)) != 0)
		api_refuse(api, x, API_PLAY, rc, &why);
	else {
		log_info("admin %s: stream token for %s on %s (lease %s, %llu s)", who, u.id, id,
			 g.lease, (unsigned long long)ttl);
		viewing_started(api->viewing, u.id, id, api->now(), &resume);
		answer_committed(api, x, u.id, id, &g, resume, false);
	}
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

/*
 * The optional {"position": SECONDS} of a heartbeat's body (of a stop's,
 * with STOP, or its ?position=) into *POS, or true after answering 400 or
 * 415.
 */
static bool bad_position(struct httpd_exchange *x, bool stop, struct position_report *pos)
{
	struct origin_fail f;
	int rc;

	if (x->body_len && !api_is_json(x->req)) {
		api_error(x, 415, "unsupported_media_type", "the body must be application/json",
			  NULL);
		return true;
	}
	rc = stop ? stop_position_parse(x->req, x->body, x->body_len, pos, &f)
		  : position_parse(x->body, x->body_len, pos, &f);
	if (rc == 0)
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

	if (api_no_session(api, x, &u) || bad_lease_param(x, p, id) || bad_position(x, false, &pos))
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

/* A stop's answer, once its lease's end and revocation are committed (or retried: RC). */
static void stop_answer(struct httpd_exchange *x, void *item, int rc)
{
	if (x)
		api_no_content(x);
}

/*
 * DELETE /api/v1/play/LEASE, with the player's last position (body or
 * ?position=) or none: the position is kept with the lease's end, so a
 * player that leaves sends one request, not a report that could arrive
 * after the end.  Answered with the group commit that makes the end and
 * its revocation durable, so edges refuse the token even if the origin
 * crashes right after.
 */
void api_play_stop(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char id[LEASE_ID_LEN + 1];
	struct accounts_user u;
	struct position_report pos;
	struct origin_reason why = {0};
	int rc;

	if (api_no_session(api, x, &u) || bad_lease_param(x, p, id) || bad_position(x, true, &pos))
		return;
	rc = viewing_stop(api->viewing, id, u.id, pos.given ? &pos.position : NULL, api->now(),
			  &why);
	if (rc != 0) {
		api_refuse(api, x, API_STOP, rc, &why);
		return;
	}
	if (pos.given)
		api->count[ORIGIN_COUNT_POSITIONS]++;
	commit_batch_add(api->plays, x, stop_answer, NULL);
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
	int want_kid;

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
	api_send_stream_key(api, x, title, token, want_kid > 0 ? kid : want_kid < 0 ? "" : NULL);
}

void api_send_stream_key(struct origin_api *api, struct httpd_exchange *x, const char *title,
			 const char *token, const char *kid)
{
	uint8_t key[CONTENT_KEY_LEN];
	int rc = playback_key(api->playback, title, token, kid, api->now(), key);

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
