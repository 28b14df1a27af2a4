/*
 * The edge API's routes (/edge/v1/ and /healthz on the [edges] listeners):
 * what edges send the origin, each request signed with the edge's own
 * credential (docs/fill.md, docs/distribution.md).  A new resource adds its
 * lines here.
 */
#include "api/api_int.h"

#include <assert.h>

static const struct api_route routes[] = {
    {HTTP_POST, "/edge/v1/heartbeat", api_edge_heartbeat},
    {HTTP_GET, "/healthz", api_healthz},
};

void origin_edge_handle(struct httpd_exchange *x, void *arg)
{
	struct origin_api *api = arg;

	assert(api->magic == ORIGIN_API_MAGIC);
	api_route(api, x, routes, sizeof(routes) / sizeof(routes[0]));
}
