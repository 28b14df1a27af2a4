/*
 * The admin API (/admin/v1/, on the admin listeners only): users, plans,
 * grants, titles and their content keys.  Every request carries an admin
 * token (admin.h); every change is logged with the admin's name.
 */
#include "admin/admin_tokens.h"
#include "admin/users.h"
#include "api/api_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "playback/cache.h"
#include "catalog/catalog.h"
#include "accounts/pwhash_pool.h"
#include "hex.h"
#include "jsonfield.h"
#include "playback/leases.h"
#include "log.h"
#include "plans/plans.h"

#define DAY 86400

bool api_not_admin(struct origin_api *api, struct httpd_exchange *x, const char **who)
{
	struct http_str a = x->req->authorization;

	*who = NULL;
	if (a.len > 7 && strncasecmp(a.p, "Bearer ", 7) == 0 && api->admins)
		*who = admin_check(api->admins, a.p + 7, a.len - 7);
	if (*who)
		return false;
	api_error(x, 401, "unauthorized", "an admin token is required",
		  "WWW-Authenticate: Bearer realm=\"reel-admin\"\r\n");
	return true;
}

/* ---- users ---- */

static size_t query_size(struct httpd_exchange *x, const char *name, size_t def, size_t max)
{
	char buf[16];
	char *end;
	unsigned long v;

	if (api_query(x->req, name, buf, sizeof(buf)) != 1)
		return def;
	v = strtoul(buf, &end, 10);
	return *end || v > max ? def : v;
}

void api_admin_users_list(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	const char *who;
	json_t *page;
	int rc;

	if (api_not_admin(api, x, &who))
		return;
	rc = admin_users(api->accounts, api->plans, query_size(x, "offset", 0, SIZE_MAX),
			 query_size(x, "limit", 100, 1000), api->now(), &page);
	if (rc != 0) {
		api_internal(x, "users", rc);
		return;
	}
	api_send_json(x, 200, page, NULL);
}

static void set_disabled(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p, bool disable)
{
	char uid[ACCOUNTS_UID_LEN + 1];
	const char *who;
	size_t ended = 0;
	int rc = -ENOENT;

	if (api_not_admin(api, x, &who))
		return;
	if (api_param(&p->v[0], uid, sizeof(uid)))
		rc = accounts_set_disabled(api->accounts, uid, disable);
	if (rc == -ENOENT) {
		api_error(x, 404, "unknown_user", "no such user", NULL);
		return;
	}
	if (rc != 0) {
		api_internal(x, "disable", rc);
		return;
	}
	if (disable)
		ended = lease_end_user(api->leases, uid);
	log_info("admin %s: %s user %s (%zu streams ended)", who, disable ? "disabled" : "enabled",
		 uid, ended);
	api_send_json(x, 200,
		      json_pack("{s:s, s:b, s:I}", "id", uid, "disabled", disable, "streams_ended",
				(json_int_t)ended),
		      NULL);
}

void api_admin_user_disable(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p)
{
	set_disabled(api, x, p, true);
}

void api_admin_user_enable(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	set_disabled(api, x, p, false);
}

/* ---- titles and keys ---- */

/* The title id of the path into ID, or true after answering 404. */
static bool bad_title_param(struct httpd_exchange *x, const struct api_params *p, char *id)
{
	if (api_param(&p->v[0], id, TITLE_ID_MAX + 1) && title_id_valid(id, strlen(id)))
		return false;
	api_error(x, 404, "unknown_title", "no such title", NULL);
	return true;
}

/* PUT /admin/v1/titles/ID[?name=TEXT], the body the package's manifest.json. */
void api_admin_title_put(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1], name[TITLE_NAME_MAX + 1];
	const char *who;
	struct origin_fail f;
	struct store_txn *t;
	json_t *rec, *old = NULL;
	int rc, status, named;

	if (api_not_admin(api, x, &who))
		return;
	if (!api_param(&p->v[0], id, sizeof(id)) || !title_id_valid(id, strlen(id))) {
		api_error(x, 422, "invalid_manifest",
			  "a title id is 1..64 of A-Z, a-z, 0-9, '.', '_' and '-'", NULL);
		return;
	}
	if (!api_is_json(x->req)) {
		api_error(x, 415, "unsupported_media_type", "the body must be application/json",
			  NULL);
		return;
	}
	if ((named = api_query(x->req, "name", name, sizeof(name))) < 0) {
		api_error(x, 422, "invalid_manifest", "name is at most 256 bytes", NULL);
		return;
	}
	if (catalog_from_manifest(x->body ? x->body : "", x->body_len, id, named ? name : NULL,
				  api->now(), &rec, &f) != 0) {
		api_fail(x, &f);
		return;
	}
	if ((rc = store_begin(api->st, true, &t)) != 0) {
		json_decref(rec);
		api_internal(x, "title", rc);
		return;
	}
	rc = catalog_get(t, id, &old);
	status = rc == -ENOENT ? 201 : 200;
	json_decref(old);
	if (rc == 0 || rc == -ENOENT)
		rc = catalog_put(t, json_incref(rec));
	if (api_commit_failed(x, &t, rc, "title")) {
		json_decref(rec);
		return;
	}
	origin_cache_clear(api->cache);
	log_info("admin %s: %s title %s version %s", who, status == 201 ? "registered" : "updated",
		 id, json_string_value(json_object_get(rec, "version")));
	api_send_json(x, status, rec, NULL);
}

void api_admin_title_get(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p)
{
	const char *who;
	char id[TITLE_ID_MAX + 1];
	struct store_txn *t;
	json_t *rec = NULL;
	int rc;

	if (api_not_admin(api, x, &who) || bad_title_param(x, p, id))
		return;
	if ((rc = store_begin(api->st, false, &t)) == 0) {
		rc = catalog_get(t, id, &rec);
		store_abort(t);
	}
	if (rc == -ENOENT)
		api_error(x, 404, "unknown_title", "no such title", NULL);
	else if (rc != 0)
		api_internal(x, "title", rc);
	else
		api_send_json(x, 200, rec, NULL);
}

void api_admin_titles_list(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	const char *who;
	struct store_txn *t;
	json_t *out = NULL;
	int rc;

	if (api_not_admin(api, x, &who))
		return;
	if ((rc = store_begin(api->st, false, &t)) == 0) {
		rc = catalog_list(t, NULL, NULL, query_size(x, "offset", 0, SIZE_MAX),
				  query_size(x, "limit", 100, 1000), &out);
		store_abort(t);
	}
	if (rc != 0)
		api_internal(x, "titles", rc);
	else
		api_send_json(x, 200, out, NULL);
}

void api_admin_title_delete(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	const char *who;
	struct store_txn *t;
	int rc;

	if (api_not_admin(api, x, &who) || bad_title_param(x, p, id))
		return;
	if ((rc = store_begin(api->st, true, &t)) != 0) {
		api_internal(x, "title", rc);
		return;
	}
	if ((rc = catalog_delete(t, id)) == -ENOENT) {
		store_abort(t);
		api_error(x, 404, "unknown_title", "no such title", NULL);
		return;
	}
	if (api_commit_failed(x, &t, rc, "title"))
		return;
	origin_cache_clear(api->cache);
	log_info("admin %s: deleted title %s", who, id);
	api_no_content(x);
}

/*
 * POST /admin/v1/titles/ID/keys {"kid": KID, "key": HEX?}: store a content
 * key for the title (imported, or made here when "key" is absent) and make
 * it current; the answer shows the key once, for reel-transcode --key-file.
 * The title need not be registered yet: its key comes before its package.
 */
void api_admin_title_key_add(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p)
{
	static const char *const allowed[] = {"kid", "key", NULL};
	char id[TITLE_ID_MAX + 1], kid[CONTENT_KID_MAX + 1], hex[2 * CONTENT_KEY_LEN + 2];
	const char *who;
	uint8_t key[CONTENT_KEY_LEN];
	struct store_txn *t;
	json_t *body;
	int rc;

	if (api_not_admin(api, x, &who) || bad_title_param(x, p, id) || api_bad_body(x, &body))
		return;
	if (jf_unknown(body, allowed) || jf_str(body, "kid", kid, sizeof(kid)) != 0 ||
	    !jf_id_valid(kid, strlen(kid), CONTENT_KID_MAX)) {
		api_error(x, 400, "invalid_request",
			  "the body must be {\"kid\": ID} with an optional \"key\" (32 hex digits)",
			  NULL);
		goto out;
	}
	rc = jf_str(body, "key", hex, sizeof(hex));
	if (rc == -EINVAL || (rc == 0 && hex_decode(hex, strlen(hex), key, CONTENT_KEY_LEN) != 0)) {
		api_error(x, 422, "invalid_key", "key must be 32 hex digits (AES-128)", NULL);
		goto out;
	}
	if (rc == -ENOENT && RAND_bytes(key, sizeof(key)) != 1) {
		api_internal(x, "key", -EIO);
		goto out;
	}
	if ((rc = store_begin(api->st, true, &t)) != 0) {
		api_internal(x, "key", rc);
		goto out;
	}
	if ((rc = catalog_key_put(t, api->master_key, id, kid, key)) == -EEXIST) {
		store_abort(t);
		api_error(x, 409, "key_exists", "the title already has a key with this kid", NULL);
		goto out;
	}
	if (api_commit_failed(x, &t, rc, "key"))
		goto out;
	hex_encode(key, CONTENT_KEY_LEN, hex);
	log_info("admin %s: title %s key %s is current", who, id, kid);
	api_send_json(x, 201, json_pack("{s:s, s:s, s:s}", "title", id, "kid", kid, "key", hex),
		      NULL);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	json_decref(body);
}

void api_admin_healthz(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	api_send_json(x, 200,
		      json_pack("{s:s, s:I}", "status", "ok", "leases",
				(json_int_t)lease_table_count(api->leases)),
		      NULL);
}

/* One metric NAME of TYPE ("counter", "gauge") with HELP and value V, in the text format. */
static int metric(struct buf *b, const char *name, const char *help, const char *type, uint64_t v)
{
	return buf_printf(b, "# HELP %s %s.\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
			  (unsigned long long)v);
}

/* GET /metrics: the HTTP core's counters and the origin's own, in the Prometheus text format. */
void api_admin_metrics(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct pwhash_pool_stats hs = {0};
	struct buf b = {0};
	int rc = metrics_render(api->metrics, &b);

	if (api->pool)
		pwhash_pool_stats(api->pool, &hs);
#define COUNTER(id, name, help)                                                                    \
	if (rc == 0)                                                                               \
		rc = metric(&b, name, help, "counter", api->count[ORIGIN_COUNT_##id]);
	ORIGIN_COUNTERS(COUNTER)
#undef COUNTER
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_rejected_total",
			    "Password hashing jobs refused (pool full: 503)", "counter",
			    hs.rejected);
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_completed_total", "Password hashing jobs done",
			    "counter", hs.completed);
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_running", "Password hashing jobs running",
			    "gauge", hs.running);
	if (rc == 0)
		rc = metric(&b, "reel_origin_hash_queued", "Password hashing jobs waiting", "gauge",
			    hs.queued);
	if (rc == 0)
		rc = metric(&b, "reel_origin_leases", "Playback leases live", "gauge",
			    lease_table_count(api->leases));
	if (rc != 0) {
		buf_free(&b);
		api_internal(x, "metrics", -ENOMEM);
		return;
	}
	httpd_begin(x, 200);
	httpd_header_lit(x, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
	httpd_header_lit(x, "Cache-Control: no-store\r\n");
	httpd_end_head(x, (int64_t)b.len);
	httpd_body_mem(x, b.p, b.len);
	buf_free(&b);
}
