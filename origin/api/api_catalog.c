/* The catalog for subscribers: list and search titles, get one. */
#include "api/api_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

#define PAGE_MAX 100

/* What the catalog's refusals answer, for titles. */
static const struct api_refusal title_refusals[] = {
    API_REFUSAL(-EBADMSG, 400, "invalid_json", NULL),
    API_REFUSAL(-EINVAL, 422, "invalid_manifest", NULL),
    {0},
};

int catalog_from_manifest(const char *body, size_t len, const char *id, const char *name,
			  int64_t now, json_t **out, struct origin_fail *fail)
{
	struct origin_reason why;
	int rc = catalog_record(body, len, id, name, now, out, &why);

	if (rc == 0)
		return 0;
	api_refusal_fail(title_refusals, rc, &why, fail);
	return -1;
}

/* Query parameter NAME as a count in 0..MAX (DEF when absent), or true after answering 400. */
static bool bad_query_count(struct httpd_exchange *x, const char *name, size_t def, size_t max,
			    size_t *out)
{
	char buf[16], *end = NULL;
	unsigned long v = 0;
	int found = api_query(x->req, name, buf, sizeof(buf));

	if (found == 0) {
		*out = def;
		return false;
	}
	if (found > 0 && buf[0] >= '0' && buf[0] <= '9')
		v = strtoul(buf, &end, 10);
	if (!end || *end || v > max) {
		api_error(x, 400, "invalid_request",
			  "limit and offset must be whole numbers in range", NULL);
		return true;
	}
	*out = v;
	return false;
}

/* GET /api/v1/titles[?q=TEXT][&language=TAG][&offset=N][&limit=N] */
void api_titles_list(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char q[129] = "", lang[36];
	int by_lang = 0;
	struct accounts_user u;
	struct store_txn *t;
	size_t offset, limit;
	json_t *out = NULL;
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
	if ((rc = store_begin(api->st, false, &t)) == 0) {
		rc = catalog_list(t, q, by_lang > 0 ? lang : NULL, offset, limit, &out);
		store_abort(t);
	}
	if (rc != 0) {
		api_internal(x, "titles", rc);
		return;
	}
	api_send_json(x, 200, out, NULL);
}

void api_title_get(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	struct accounts_user u;
	struct store_txn *t;
	json_t *rec = NULL;
	int rc = -ENOENT;

	if (api_no_session(api, x, &u))
		return;
	if (api_param(&p->v[0], id, sizeof(id)) && title_id_valid(id, strlen(id)) &&
	    (rc = store_begin(api->st, false, &t)) == 0) {
		rc = catalog_get(t, id, &rec);
		store_abort(t);
	}
	if (rc == -ENOENT) {
		api_error(x, 404, "unknown_title", "no such title", NULL);
		return;
	}
	if (rc != 0) {
		api_internal(x, "title", rc);
		return;
	}
	api_send_json(x, 200, rec, NULL);
}
