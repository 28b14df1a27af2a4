/*
 * The user API's routes (/api/v1/ and /healthz on the user listeners): a
 * path pattern, a method and the handler of each endpoint, in the order
 * docs/openapi.yaml lists them.  A new resource adds its lines here.  The
 * web player's files (web/web.h) take the paths that name one of them.
 */
#include "api/api_int.h"
#include "web/web.h"

#include <assert.h>

void api_healthz(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	api_send_json(x, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

static const struct api_route routes[] = {
    {HTTP_POST, "/api/v1/signup", api_signup},
    {HTTP_POST, "/api/v1/login", api_login},
    {HTTP_POST, "/api/v1/logout", api_logout},
    {HTTP_POST, "/api/v1/password", api_password},
    {HTTP_GET, "/api/v1/me", api_me},
    {HTTP_GET, "/api/v1/plans", api_plans_list},
    {HTTP_GET, "/api/v1/subscription", api_subscription_get},
    {HTTP_PUT, "/api/v1/subscription", api_subscription_put},
    {HTTP_DELETE, "/api/v1/subscription", api_subscription_cancel},
    {HTTP_GET, "/api/v1/titles", api_titles_list},
    {HTTP_GET, "/api/v1/titles/*", api_title_get},
    {HTTP_POST, "/api/v1/play", api_play},
    {HTTP_POST, "/api/v1/play/*/heartbeat", api_play_heartbeat},
    {HTTP_DELETE, "/api/v1/play/*", api_play_stop},
    {HTTP_GET, "/api/v1/keys/*", api_content_key},
    {HTTP_GET, "/api/v1/stream-keys", api_stream_keys},
    {HTTP_GET, "/api/v1/license-keys", api_license_keys},
    {HTTP_POST, "/api/v1/downloads", api_download_issue},
    {HTTP_GET, "/api/v1/downloads", api_downloads_list},
    {HTTP_POST, "/api/v1/downloads/*/renew", api_download_renew},
    {HTTP_DELETE, "/api/v1/downloads/*", api_download_release},
    {HTTP_GET, "/api/v1/me/continue", api_me_continue},
    {HTTP_GET, "/api/v1/me/history", api_me_history},
    {HTTP_DELETE, "/api/v1/me/history/*", api_me_history_delete},
    {HTTP_GET, "/api/v1/me/export", api_me_export},
    {HTTP_GET, "/api/v1/me/recommendations", api_me_recommendations},
    {HTTP_GET, "/api/v1/popular", api_popular},
    {HTTP_GET, "/api/v1/search", api_search},
    {HTTP_GET, "/healthz", api_healthz},
};

void origin_api_handle(struct httpd_exchange *x, void *arg)
{
	struct origin_api *api = arg;

	assert(api->magic == ORIGIN_API_MAGIC);
	if (web_served(api->web, x))
		return;
	api_route(api, x, routes, sizeof(routes) / sizeof(routes[0]));
}
