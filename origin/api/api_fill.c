/* The fill scheduler's admin endpoints (docs/fill.md, "The fill scheduler"). */
#include "api/api_int.h"

#include "catalog/catalog.h"
#include "fill/fill.h"
#include "keyfiles.h"

/* GET /admin/v1/fill: per edge and title, what is done, in flight and waiting. */
void api_admin_fill_status(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	const char *who;
	json_t *o;

	if (api_not_admin(api, x, &who))
		return;
	if (!api->fill) {
		api_error(x, 503, "no_fill", "the fill scheduler is not running", NULL);
		return;
	}
	o = fill_status(api->fill, api->now());
	if (o && api->control_keys)
		json_object_set_new(o, "control_keys", keyset_public_json(api->control_keys));
	api_send_result(x, "fill", 0, o);
}

/* POST /admin/v1/fill/TITLE/urgent: fill TITLE now, even outside the fill window. */
void api_admin_fill_urgent(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	const char *who;

	if (api_not_admin(api, x, &who))
		return;
	if (!title_id_valid(p->v[0].p, p->v[0].len)) {
		api_error(x, 422, "invalid_title", "not a title id", NULL);
		return;
	}
	if (!api->fill) {
		api_error(x, 503, "no_fill", "the fill scheduler is not running", NULL);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)p->v[0].len, p->v[0].p);
	fill_title_added(api->fill, id, true);
	api_send_json(x, 202, json_pack("{s:s, s:b}", "title", id, "urgent", 1), NULL);
}
