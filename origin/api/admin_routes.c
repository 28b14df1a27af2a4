/*
 * The admin API's routes (/admin/v1/, /healthz and /metrics on the admin
 * listeners only): a path pattern, a method and the handler of each
 * endpoint.  Every handler checks the admin token itself (api_not_admin),
 * but for /healthz and /metrics.  A new resource adds its lines here.
 */
#include "api/api_int.h"

#include <assert.h>

static const struct api_route routes[] = {
    {HTTP_GET, "/admin/v1/users", api_admin_users_list},
    {HTTP_GET, "/admin/v1/users/*", api_admin_user_get},
    {HTTP_POST, "/admin/v1/users/*/disable", api_admin_user_disable},
    {HTTP_POST, "/admin/v1/users/*/enable", api_admin_user_enable},
    {HTTP_GET, "/admin/v1/plans", api_admin_plans_list},
    {HTTP_GET, "/admin/v1/plans/*", api_admin_plan_get},
    {HTTP_PUT, "/admin/v1/plans/*", api_admin_plan_put},
    {HTTP_DELETE, "/admin/v1/plans/*", api_admin_plan_delete},
    {HTTP_POST, "/admin/v1/grants", api_admin_grant},
    {HTTP_POST, "/admin/v1/stream-tokens", api_admin_stream_token},
    {HTTP_GET, "/admin/v1/titles", api_admin_titles_list},
    {HTTP_GET, "/admin/v1/titles/*", api_admin_title_get},
    {HTTP_PUT, "/admin/v1/titles/*", api_admin_title_put},
    {HTTP_DELETE, "/admin/v1/titles/*", api_admin_title_delete},
    {HTTP_POST, "/admin/v1/titles/*/keys", api_admin_title_key_add},
    {HTTP_GET, "/admin/v1/titles/*/keys", api_admin_title_keys_list},
    {HTTP_POST, "/admin/v1/uploads", api_admin_upload_create},
    {HTTP_GET, "/admin/v1/uploads", api_admin_uploads_list},
    {HTTP_GET, "/admin/v1/uploads/*", api_admin_upload_get},
    {HTTP_PATCH, "/admin/v1/uploads/*", api_admin_upload_append},
    {HTTP_DELETE, "/admin/v1/uploads/*", api_admin_upload_delete},
    {HTTP_POST, "/admin/v1/jobs", api_admin_job_create},
    {HTTP_GET, "/admin/v1/jobs", api_admin_jobs_list},
    {HTTP_GET, "/admin/v1/jobs/*", api_admin_job_get},
    {HTTP_GET, "/admin/v1/jobs/*/logs", api_admin_job_logs},
    {HTTP_POST, "/admin/v1/jobs/*/cancel", api_admin_job_cancel},
    {HTTP_POST, "/admin/v1/jobs/*/retry", api_admin_job_retry},
    {HTTP_GET, "/admin/v1/edges", api_admin_edges_list},
    {HTTP_POST, "/admin/v1/edges", api_admin_edge_add},
    {HTTP_GET, "/admin/v1/edges/*", api_admin_edge_get},
    {HTTP_DELETE, "/admin/v1/edges/*", api_admin_edge_delete},
    {HTTP_POST, "/admin/v1/edges/*/drain", api_admin_edge_drain},
    {HTTP_POST, "/admin/v1/edges/*/resume", api_admin_edge_resume},
    {HTTP_POST, "/admin/v1/edges/*/secret", api_admin_edge_secret},
    {HTTP_GET, "/admin/v1/steer", api_admin_steer},
    {HTTP_GET, "/admin/v1/fill", api_admin_fill_status},
    {HTTP_POST, "/admin/v1/fill/*/urgent", api_admin_fill_urgent},
    {HTTP_GET, "/healthz", api_admin_healthz},
    {HTTP_GET, "/metrics", api_admin_metrics},
};

void origin_admin_handle(struct httpd_exchange *x, void *arg)
{
	struct origin_api *api = arg;

	assert(api->magic == ORIGIN_API_MAGIC);
	api_route(api, x, routes, sizeof(routes) / sizeof(routes[0]));
}
