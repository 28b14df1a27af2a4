/*
 * Fuzz target for the origin's heartbeat answer as the edge applies it
 * (edge/heartbeat.c): the result is 0 or -EINVAL; a refused answer leaves
 * the shared revocations as they were; an accepted one has a terminated
 * cursor and an interval within the documented range.
 */
#include "heartbeat.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct edge_rev *rev;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_hb_answer a;
	struct edge_rev_stats before, after;
	char err[256];
	int rc;

	if (!rev && !(rev = edge_rev_new(4096, 64)))
		abort();
	edge_rev_stats(rev, &before);
	rc = edge_heartbeat_apply(rev, (const char *)data, size, 1000000, &a, err, sizeof(err));
	edge_rev_stats(rev, &after);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc != 0 && (after.entries != before.entries || memchr(err, '\0', sizeof(err)) == NULL))
		abort();
	if (rc == 0 && (memchr(a.cursor, '\0', sizeof(a.cursor)) == NULL || a.interval_ms > 600000 ||
			after.entries - before.entries != a.leases + a.users + a.kids))
		abort();
	return 0;
}
