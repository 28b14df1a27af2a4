/*
 * The catalog: for subscribers, list and search titles and get one; for
 * admins, register titles from their manifest, list, get and delete them,
 * and add their content keys.
 */
#include "api/api_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fill/fill.h"
#include "hex.h"
#include "jsonfield.h"
#include "log.h"

#define PAGE_MAX 100

int catalog_from_manifest(const char *body, size_t len, const char *id,
			  const struct title_meta *meta, int64_t now, json_t **out,
			  struct origin_fail *fail)
{
	struct origin_reason why = {0};
	int rc = catalog_record(body, len, id, meta, now, out, &why);

	if (rc == 0)
		return 0;
	api_refusal_fail(API_TITLE, rc, &why, fail);
	return -1;
}

/* Query parameter NAME as a count in 0..MAX (DEF when absent), or true after answering 400. */
static bool bad_query_count(struct httpd_exchange *x, const char *name, size_t def, size_t max,
			    size_t *out)
{
	if (api_query_count(x->req, name, def, max, out) == 0)
		return false;
	api_error(x, 400, "invalid_request", "limit and offset must be whole numbers in range",
		  NULL);
	return true;
}

/* GET /api/v1/titles[?q=TEXT][&language=TAG][&offset=N][&limit=N] */
void api_titles_list(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char q[129] = "", lang[36];
	int by_lang = 0;
	struct accounts_user u;
	size_t offset, limit;
	json_t *out;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if (api_query(x->req, "q", q, sizeof(q)) < 0 ||
	    (by_lang = api_query(x->req, "language", lang, sizeof(lang))) < 0) {
		api_error(x, 400, "invalid_request", "q is at most 128 bytes, language 35", NULL);
		return;
	}
	if (bad_query_count(x, "offset", 0, 1000000, &offset) ||
	    bad_query_count(x, "limit", 50, PAGE_MAX, &limit))
		return;
	rc = catalog_titles(api->catalog, q, by_lang > 0 ? lang : NULL, offset, limit, &out);
	api_send_result(x, "titles", rc, out);
}

/* The title id of the path into ID, or true after answering 404. */
static bool bad_title_param(struct httpd_exchange *x, const struct api_params *p, char *id)
{
	return api_bad_param(x, p, id, TITLE_ID_MAX + 1, title_id_valid, "unknown_title",
			     "no such title");
}

/* Answer title ID's record. */
static void send_title(struct origin_api *api, struct httpd_exchange *x, const char *id)
{
	json_t *rec;
	int rc = catalog_title(api->catalog, id, &rec);

	if (rc != 0)
		api_refuse(api, x, API_TITLE, rc, NULL);
	else
		api_send_json(x, 200, rec, NULL);
}

void api_title_get(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	struct accounts_user u;

	if (!api_no_session(api, x, &u) && !bad_title_param(x, p, id))
		send_title(api, x, id);
}

/* ---- admin ---- */

/*
 * PUT /admin/v1/titles/ID[?name=TEXT][&description=TEXT], the body the
 * package's manifest.json.
 */
void api_admin_title_put(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1], name[TITLE_NAME_MAX + 1], *desc = NULL;
	const char *who;
	struct origin_fail f;
	struct title_meta meta = {0};
	json_t *rec;
	bool created;
	int rc, named, described = 0;

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
	if (!(desc = malloc(TITLE_DESC_MAX + 1))) {
		api_internal(x, "title", -ENOMEM);
		return;
	}
	if ((named = api_query(x->req, "name", name, sizeof(name))) < 0 ||
	    (described = api_query(x->req, "description", desc, TITLE_DESC_MAX + 1)) < 0) {
		api_error(x, 422, "invalid_manifest", "name is at most 256 bytes, description 4096",
			  NULL);
		goto out;
	}
	meta = (struct title_meta){named ? name : NULL, described ? desc : NULL};
	if (catalog_from_manifest(x->body ? x->body : "", x->body_len, id, &meta, api->now(), &rec,
				  &f) != 0) {
		api_fail(x, &f);
		goto out;
	}
	if ((rc = catalog_save(api->catalog, rec, &created)) != 0) {
		json_decref(rec);
		api_refuse(api, x, API_TITLE, rc, NULL);
		goto out;
	}
	log_info("admin %s: %s title %s version %s", who, created ? "registered" : "updated", id,
		 json_string_value(json_object_get(rec, "version")));
	if (api->fill)
		fill_title_added(api->fill, id, false); /* queued for fill to the edges */
	api_send_json(x, created ? 201 : 200, rec, NULL);
out:
	free(desc);
}

void api_admin_title_get(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	const char *who;

	if (!api_not_admin(api, x, &who) && !bad_title_param(x, p, id))
		send_title(api, x, id);
}

void api_admin_titles_list(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	const char *who;
	json_t *out;
	int rc;

	struct api_page pg;

	if (api_not_admin(api, x, &who))
		return;
	pg = api_admin_page(x);
	rc = catalog_titles(api->catalog, NULL, NULL, pg.offset, pg.limit, &out);
	api_send_result(x, "titles", rc, out);
}

void api_admin_title_delete(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	const char *who;

	if (!api_not_admin(api, x, &who) && !bad_title_param(x, p, id))
		api_admin_removed(api, x, API_TITLE, catalog_remove(api->catalog, id), who, "title",
				  id);
}

/*
 * POST /admin/v1/titles/ID/keys {"kid": KID, "key": HEX?}: store a content
 * key for the title (imported, or made here when "key" is absent) and make
 * it current; the answer shows the key once, for reel-transcode --key-file.
 */
void api_admin_title_key_add(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p)
{
	static const char *const allowed[] = {"kid", "key", NULL};
	char id[TITLE_ID_MAX + 1], kid[CONTENT_KID_MAX + 1], hex[2 * CONTENT_KEY_LEN + 2];
	uint8_t given[CONTENT_KEY_LEN], key[CONTENT_KEY_LEN];
	const char *who;
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
	if (rc == -EINVAL ||
	    (rc == 0 && hex_decode(hex, strlen(hex), given, CONTENT_KEY_LEN) != 0)) {
		api_error(x, 422, "invalid_key", "key must be 32 hex digits (AES-128)", NULL);
		goto out;
	}
	if ((rc = catalog_key_add(api->catalog, id, kid, rc == 0 ? given : NULL, api->now(), key)) !=
	    0) {
		api_refuse(api, x, API_KEY_ADD, rc, NULL);
		goto out;
	}
	hex_encode(key, CONTENT_KEY_LEN, hex);
	log_info("admin %s: title %s key %s is current", who, id, kid);
	api_send_json(x, 201, json_pack("{s:s, s:s, s:s}", "title", id, "kid", kid, "key", hex),
		      NULL);
out:
	OPENSSL_cleanse(given, sizeof(given));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	json_decref(body);
}

/* GET /admin/v1/titles/ID/keys: the title's content key ids and dates, never the keys. */
void api_admin_title_keys_list(struct origin_api *api, struct httpd_exchange *x,
			       const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	const char *who;
	json_t *keys;
	int rc;

	if (api_not_admin(api, x, &who) || bad_title_param(x, p, id))
		return;
	if ((rc = catalog_keys_list(api->catalog, id, &keys)) != 0) {
		api_refuse(api, x, API_KEYS, rc, NULL);
		return;
	}
	api_send_json(x, 200, json_pack("{s:s, s:o}", "title", id, "keys", keys), NULL);
}
