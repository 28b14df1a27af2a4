/*
 * The edges' resources: the registry for admins (/admin/v1/edges), the
 * heartbeat edges send (POST /edge/v1/heartbeat, on the edge API's
 * listeners), and steering: which edges POST /api/v1/play sends a player
 * to, and what an admin sees of that choice (/admin/v1/steer).
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/edge_bodies.h"
#include "catalog/catalog.h"
#include "edges/edges.h"
#include "httpsig.h"
#include "json_out.h"
#include "jsonfield.h"
#include "log.h"

/* ---- the admin's registry ---- */

static bool edge_id_valid(const char *s, size_t len)
{
	return len == EDGE_ID_LEN && jf_id_valid(s, len, EDGE_ID_LEN);
}

static bool bad_edge_param(struct httpd_exchange *x, const struct api_params *p,
			   char id[EDGE_ID_LEN + 1])
{
	return api_bad_param(x, p, id, EDGE_ID_LEN + 1, edge_id_valid, "unknown_edge",
			     "no such edge");
}

void api_admin_edges_list(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	const char *who;

	if (!api_not_admin(api, x, &who))
		api_send_result(x, "edges", 0, edges_list(api->edges, api->now()));
}

/* POST /admin/v1/edges: register an edge; the answer shows its credential once. */
void api_admin_edge_add(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char id[EDGE_ID_LEN + 1], secret[EDGE_SECRET_LEN + 1];
	struct edge_spec s = {.nprefixes = 0};
	struct origin_reason why = {0};
	struct origin_fail f;
	const char *who;
	json_t *body, *e;
	int rc;

	if (api_not_admin(api, x, &who) || api_bad_body(x, &body))
		return;
	if (edge_spec_parse(body, &s, &f) != 0) {
		api_fail(x, &f);
		goto out;
	}
	if ((rc = edges_add(api->edges, &s, api->now(), id, secret, &why)) != 0) {
		api_refuse(api, x, API_EDGE_ADD, rc, &why);
		goto out;
	}
	log_info("admin %s: registered edge %s (%s, %s)", who, id, s.name, s.url);
	if (edges_show(api->edges, id, api->now(), &e) == 0 &&
	    json_object_set_new(e, "secret", json_string(secret)) == 0)
		api_send_json(x, 201, e, NULL);
	else
		api_internal(x, "edge", -ENOMEM);
	memset(secret, 0, sizeof(secret));
out:
	edge_spec_clear(&s);
	json_decref(body);
}

void api_admin_edge_get(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char id[EDGE_ID_LEN + 1];
	const char *who;
	json_t *e;
	int rc;

	if (api_not_admin(api, x, &who) || bad_edge_param(x, p, id))
		return;
	if ((rc = edges_show(api->edges, id, api->now(), &e)) != 0)
		api_refuse(api, x, API_EDGE, rc, NULL);
	else
		api_send_json(x, 200, e, NULL);
}

static void set_draining(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p, bool draining)
{
	char id[EDGE_ID_LEN + 1];
	const char *who;
	json_t *e;
	int rc;

	if (api_not_admin(api, x, &who) || bad_edge_param(x, p, id))
		return;
	if ((rc = edges_set_draining(api->edges, id, draining)) == 0)
		rc = edges_show(api->edges, id, api->now(), &e);
	if (rc != 0) {
		api_refuse(api, x, API_EDGE, rc, NULL);
		return;
	}
	log_info("admin %s: edge %s %s", who, id, draining ? "draining" : "resumed");
	api_send_json(x, 200, e, NULL);
}

void api_admin_edge_drain(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	set_draining(api, x, p, true);
}

void api_admin_edge_resume(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	set_draining(api, x, p, false);
}

/* POST /admin/v1/edges/ID/secret: a new credential; the old one is refused from now on. */
void api_admin_edge_secret(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	char id[EDGE_ID_LEN + 1], secret[EDGE_SECRET_LEN + 1];
	const char *who;
	int rc;

	if (api_not_admin(api, x, &who) || bad_edge_param(x, p, id))
		return;
	if ((rc = edges_new_secret(api->edges, id, secret)) != 0) {
		api_refuse(api, x, API_EDGE, rc, NULL);
		return;
	}
	log_info("admin %s: new credential for edge %s (the old one is revoked)", who, id);
	api_send_json(x, 200, json_pack("{s:s, s:s}", "id", id, "secret", secret), NULL);
	memset(secret, 0, sizeof(secret));
}

void api_admin_edge_delete(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	char id[EDGE_ID_LEN + 1];
	const char *who;

	if (!api_not_admin(api, x, &who) && !bad_edge_param(x, p, id))
		api_admin_removed(api, x, API_EDGE, edges_remove(api->edges, id), who, "edge", id);
}

/* ---- steering ---- */

/* Choice I of C, with its playback URL URL, as an object of O (member KEY, or an element). */
static void choice_out(struct json_out *o, const char *key, const struct edges_choice *c,
		       size_t i, const char *url)
{
	json_out_open(o, key, '{');
	json_out_str(o, "url", url);
	json_out_str(o, "why", c->e[i].why);
	if (c->e[i].id[0])
		json_out_str(o, "edge", c->e[i].id);
	if (c->e[i].prefix_len)
		json_out_int(o, "prefix_len", c->e[i].prefix_len);
	json_out_close(o, '}');
}

/* GET /admin/v1/steer?address=A&title=T: where a player at A would be sent for T now. */
void api_admin_steer(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char addr[64], title[TITLE_ID_MAX + 1];
	struct edges_choice c;
	struct json_out o = {0};
	struct prefix a;
	const char *who;
	char *text = NULL;
	size_t len = 0;

	if (api_not_admin(api, x, &who))
		return;
	if (api_query(x->req, "address", addr, sizeof(addr)) != 1 ||
	    prefix_parse_address(addr, strlen(addr), &a) != 0) {
		api_error(x, 400, "invalid_request", "address must be an IPv4 or IPv6 address",
			  NULL);
		return;
	}
	if (api_query(x->req, "title", title, sizeof(title)) != 1 ||
	    !title_id_valid(title, strlen(title))) {
		api_error(x, 400, "invalid_request", "title must be a title id", NULL);
		return;
	}
	edges_steer(api->edges, &a, title, api->now(), false, &c);
	json_out_open(&o, NULL, '{');
	json_out_str(&o, "address", addr);
	json_out_str(&o, "title", title);
	json_out_open(&o, "choices", '[');
	for (size_t i = 0; i < c.n; i++)
		choice_out(&o, NULL, &c, i, c.e[i].url);
	json_out_close(&o, ']');
	json_out_close(&o, '}');
	json_out_end(&o, &text, &len);
	api_send_json_text(x, 200, text, len, NULL);
	free(text);
}

/* A playback URL on edge base BASE: BASE/s/TOKEN/TITLE/master.m3u8 (malloc'd), or NULL. */
static char *play_url(const char *base, const char *token, const char *title)
{
	static const char s[] = "/s/", tail[] = "/master.m3u8";
	size_t nb = strlen(base), nt = strlen(token), ni = strlen(title);
	char *u = malloc(nb + 3 + nt + 1 + ni + sizeof(tail)), *p = u;

	if (!u)
		return NULL; /* the pieces copied, not formatted: five URLs a play */
	p = mempcpy(p, base, nb);
	p = mempcpy(p, s, 3);
	p = mempcpy(p, token, nt);
	*p++ = '/';
	p = mempcpy(p, title, ni);
	memcpy(p, tail, sizeof(tail));
	return u;
}

int api_steer_play(struct origin_api *api, struct httpd_exchange *x, const char *title,
		   struct edges_choice *c)
{
	struct prefix a;
	size_t len;
	const void *peer = api_peer_bytes(x, &len);

	if (prefix_from_bytes(peer, len, &a) != 0)
		return -EINVAL;
	edges_steer(api->edges, &a, title, api->now(), true, c);
	return 0;
}

int api_steer_out(struct json_out *o, const struct edges_choice *c, const char *token,
		  const char *title)
{
	for (size_t i = 0; i < c->n; i++) {
		char *u = play_url(c->e[i].url, token, title);

		if (!u)
			return -ENOMEM;
		choice_out(o, i == 0 ? "steering" : NULL, c, i, u);
		if (i == 0)
			json_out_open(o, "alternates", '[');
		free(u);
	}
	json_out_close(o, ']');
	return 0;
}

char *api_steer_url(const struct edges_choice *c, const char *token, const char *title)
{
	return play_url(c->e[0].url, token, title);
}

/* ---- the edges' own API ---- */

/* Why a signature was refused, for the 401's message. */
static const char *sig_refusal(int rc)
{
	switch (rc) {
	case -ENOKEY:
		return "signed with a key this origin does not know";
	case -EPROTO:
		return "the signature is not of the reel profile (hmac-sha256, keyid and tag "
		       "the edge's id)";
	case -ETIMEDOUT:
		return "the signature's time is more than 300 s away";
	case -EBADMSG:
		return "the signature does not verify";
	case -EILSEQ:
		return "the body does not match its Content-Digest";
	case -EALREADY:
		return "the nonce was used before";
	default:
		return "the signature cannot be checked";
	}
}

/* Not signed, or refused (sig_refusal): 401; malformed signature fields: 400. */
bool api_no_edge(struct origin_api *api, struct httpd_exchange *x, char id[EDGE_ID_LEN + 1])
{
	struct httpsig_msg m;
	struct httpsig_params sp;
	struct http_str in, sig;
	int rc = httpsig_request(x->req, &m, &in, &sig);

	if (rc == -ENOKEY) {
		api_error(x, 401, "unauthorized",
			  "the request is not signed (Content-Digest, Signature-Input, Signature)",
			  NULL);
		return true;
	}
	if (rc == 0)
		rc = httpsig_parse(in.p, in.len, sig.p, sig.len, &sp);
	if (rc == -EPROTO) {
		api_error(x, 401, "unauthorized", sig_refusal(rc), NULL);
		return true;
	}
	if (rc != 0) {
		api_error(x, 400, "invalid_signature", "malformed signature fields", NULL);
		return true;
	}
	rc = edges_authenticate(api->edges, &sp, &m, x->body ? x->body : "",
				x->body ? x->body_len : 0, api->now(), id);
	if (rc == -ENOMEM) {
		api_internal(x, "edge signature", rc);
		return true;
	}
	if (rc != 0) {
		api_error(x, 401, "unauthorized", sig_refusal(rc), NULL);
		return true;
	}
	return false;
}

/* POST /edge/v1/heartbeat: an edge's report; the answer carries the revocations since its last. */
void api_edge_heartbeat(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	char id[EDGE_ID_LEN + 1];
	struct edge_report r;
	struct origin_fail f;
	json_t *answer;
	int rc;

	if (api_no_edge(api, x, id))
		return;
	if (!api_is_json(x->req)) {
		api_error(x, 415, "unsupported_media_type", "the body must be application/json",
			  NULL);
		return;
	}
	if (edge_report_parse(x->body ? x->body : "", x->body ? x->body_len : 0, &r, &f) != 0) {
		api_fail(x, &f);
		edge_report_clear(&r);
		return;
	}
	if ((rc = edges_report(api->edges, id, &r, api->now(), &answer)) != 0)
		api_refuse(api, x, API_HEARTBEAT_EDGE, rc, NULL);
	else
		api_send_json(x, 200, answer, NULL);
	edge_report_clear(&r);
}
