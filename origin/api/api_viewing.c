/*
 * Viewing: a subscriber's "continue watching", history (its entries
 * removed one by one, or exported whole), recommendations, the popular
 * titles and search; and the parsers of the heartbeat's position and of
 * these lists' queries (bodies.h).
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "jsonfield.h"
#include "viewing/viewing.h"

int position_parse(const char *body, size_t len, struct position_report *out,
		   struct origin_fail *fail)
{
	static const char *const allowed[] = {"position", NULL};
	json_t *obj, *pos;

	*out = (struct position_report){false, 0};
	if (len == 0)
		return 0;
	obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		*fail = (struct origin_fail){400, "invalid_json", "the body is not a JSON object",
					     false, 0};
		return -1;
	}
	pos = json_object_get(obj, "position");
	if (jf_unknown(obj, allowed) || !json_is_number(pos)) {
		json_decref(obj);
		*fail = (struct origin_fail){400, "invalid_request",
					     "the body is {\"position\": SECONDS}", false, 0};
		return -1;
	}
	*out = (struct position_report){true, json_number_value(pos)};
	json_decref(obj);
	return 0;
}

int stop_position_parse(const struct http_request *req, const char *body, size_t len,
			struct position_report *out, struct origin_fail *fail)
{
	char text[32], *end;
	int q = api_query(req, "position", text, sizeof(text));

	*out = (struct position_report){false, 0};
	if (q == 0)
		return position_parse(body, len, out, fail);
	*fail = (struct origin_fail){400, "invalid_request", NULL, false, 0};
	if (len) {
		fail->message = "the position goes in the body or in the query, not both";
		return -1;
	}
	if (q > 0 && text[0] && strspn(text, "0123456789+-.eE") == strlen(text)) {
		*out = (struct position_report){true, strtod(text, &end)};
		if (!*end)
			return 0;
	}
	fail->message = "position must be a number of seconds";
	return -1;
}

int title_query_parse(const struct http_request *req, size_t def_limit, size_t max_limit,
		      struct title_query *out, struct origin_fail *fail)
{
	char lang[64];
	int q, l;

	memset(out, 0, sizeof(*out));
	*fail = (struct origin_fail){400, "invalid_request", NULL, false, 0};
	if ((q = api_query(req, "q", out->q, sizeof(out->q))) < 0) {
		fail->message = "q is at most 256 bytes";
		return -1;
	}
	if ((l = api_query(req, "language", lang, sizeof(lang))) < 0 ||
	    (l > 0 && lang_tag(lang, out->language) != 0)) {
		fail->message = "language must be a language tag (en, pt-BR) or an ISO 639-2 code "
				"(eng)";
		return -1;
	}
	if (api_query_count(req, "offset", 0, 1000000, &out->offset) != 0 ||
	    api_query_count(req, "limit", def_limit, max_limit, &out->limit) != 0) {
		fail->message = "offset and limit must be whole numbers in range";
		return -1;
	}
	out->has_q = q > 0;
	out->has_language = l > 0;
	return 0;
}

/* X's query into *Q (a default of DEF titles, at most MAX), or true after answering 400. */
static bool bad_query(struct httpd_exchange *x, size_t def, size_t max, struct title_query *q)
{
	struct origin_fail f;

	if (title_query_parse(x->req, def, max, q, &f) == 0)
		return false;
	api_fail(x, &f);
	return true;
}

/* The lists a viewer asks for, with their query's default and largest limit. */
enum viewing_list { LIST_CONTINUE, LIST_HISTORY, LIST_RECOMMEND, LIST_POPULAR, LIST_SEARCH };

static const struct {
	const char *what; /* for the log, when the domain fails */
	size_t def, max;
} lists[] = {
    [LIST_CONTINUE] = {"continue", 20, 100},	   [LIST_HISTORY] = {"history", 50, 100},
    [LIST_RECOMMEND] = {"recommendations", 20, 50}, [LIST_POPULAR] = {"popular", 20, 100},
    [LIST_SEARCH] = {"search", 20, 50},
};

/* List L for user UID with query Q into *OUT: the domain's result. */
static int make_list(struct origin_api *api, enum viewing_list l, const char *uid,
		     const struct title_query *q, json_t **out)
{
	const char *lang = q->has_language ? q->language : NULL;

	switch (l) {
	case LIST_CONTINUE:
		return viewing_continue(api->viewing, uid, q->limit, out);
	case LIST_HISTORY:
		return viewing_history(api->viewing, uid, q->offset, q->limit, out);
	case LIST_RECOMMEND:
		return viewing_recommend(api->viewing, uid, q->limit, api->now(), out);
	case LIST_POPULAR:
		return viewing_popular(api->viewing, lang, q->limit, out);
	case LIST_SEARCH:
		return viewing_search(api->viewing, q->q, lang, q->limit, out);
	}
	return -EINVAL;
}

/* Parse X's session and query, then answer list L. */
static void answer_list(struct origin_api *api, struct httpd_exchange *x, enum viewing_list l)
{
	struct accounts_user u;
	struct title_query q;
	json_t *out = NULL;
	int rc;

	if (api_no_session(api, x, &u) || bad_query(x, lists[l].def, lists[l].max, &q))
		return;
	if (l == LIST_SEARCH && !q.has_q) {
		api_error(x, 400, "invalid_request", "q, the text to search for, is required",
			  NULL);
		return;
	}
	rc = make_list(api, l, u.id, &q, &out);
	api_send_result(x, lists[l].what, rc, out);
}

/* GET /api/v1/me/continue[?limit=N] */
void api_me_continue(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	answer_list(api, x, LIST_CONTINUE);
}

/* GET /api/v1/me/history[?offset=N][&limit=N] */
void api_me_history(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	answer_list(api, x, LIST_HISTORY);
}

/* GET /api/v1/me/recommendations[?limit=N] */
void api_me_recommendations(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p)
{
	answer_list(api, x, LIST_RECOMMEND);
}

/* GET /api/v1/popular[?language=TAG][&limit=N] */
void api_popular(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	answer_list(api, x, LIST_POPULAR);
}

/* GET /api/v1/search?q=TEXT[&language=TAG][&limit=N] */
void api_search(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	answer_list(api, x, LIST_SEARCH);
}

/* DELETE /api/v1/me/history/TITLE */
void api_me_history_delete(struct origin_api *api, struct httpd_exchange *x,
			   const struct api_params *p)
{
	char id[TITLE_ID_MAX + 1];
	struct accounts_user u;
	int rc;

	if (api_no_session(api, x, &u) ||
	    api_bad_param(x, p, id, sizeof(id), title_id_valid, "unknown_entry",
			  "no such title in your history"))
		return;
	if ((rc = viewing_forget(api->viewing, u.id, id)) != 0)
		api_refuse(api, x, API_HISTORY, rc, NULL);
	else
		api_no_content(x);
}

/* GET /api/v1/me/export: the whole history as a JSON file to keep. */
void api_me_export(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	struct accounts_user u;
	json_t *out;
	int rc;

	if (api_no_session(api, x, &u))
		return;
	if ((rc = viewing_export(api->viewing, u.id, api->now(), &out)) != 0) {
		api_internal(x, "export", rc);
		return;
	}
	if (json_object_set_new(out, "email", json_string(u.email)) != 0) {
		json_decref(out);
		out = NULL;
	}
	api_send_json(x, 200, out,
		      "Content-Disposition: attachment; filename=\"reel-history.json\"\r\n");
}
