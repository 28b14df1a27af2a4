/*
 * Fuzz target for BIRD's control-socket replies as the edge parses them
 * (edge/bgp.c): whatever the input, the result is one of the documented
 * ones; on success every prefix is terminated, parses back as an address
 * and a length, and none is listed twice.
 */
#include "bgp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_bgp_prefixes p;
	char err[256], *copy = malloc(size ? size : 1); /* exactly the input: reads past it are caught */
	int rc;

	memcpy(copy, data, size);
	rc = edge_bgp_parse(copy, size, &p, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL && rc != -EPROTO && rc != -E2BIG && rc != -ENOMEM)
		abort();
	if (rc != 0 && memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	for (size_t i = 0; rc == 0 && i < p.n; i++) {
		char addr[EDGE_BGP_PREFIX_LEN], *slash;
		unsigned char bin[16];

		if (memchr(p.p[i], '\0', EDGE_BGP_PREFIX_LEN) == NULL)
			abort();
		memcpy(addr, p.p[i], sizeof(addr));
		if (!(slash = strchr(addr, '/')))
			abort();
		*slash = '\0';
		if (inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, bin) != 1)
			abort();
		if (i && strcmp(p.p[i - 1], p.p[i]) >= 0)
			abort(); /* sorted, no duplicates */
	}
	edge_bgp_prefixes_free(&p);
	free(copy);
	return 0;
}
