/* Per-address failure budget for token verification. */
#include "ratelimit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096

struct slot {
	uint8_t key[16];
	uint64_t window_start;
	uint32_t failures;
	uint8_t used;
};

struct edge_ratelimit {
	unsigned max_failures;
	uint64_t window_ms;
	struct slot slots[SLOTS];
};

struct edge_ratelimit *edge_ratelimit_new(unsigned max_failures, uint64_t window_ms)
{
	struct edge_ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl) {
		rl->max_failures = max_failures;
		rl->window_ms = window_ms;
	}
	return rl;
}

void edge_ratelimit_free(struct edge_ratelimit *rl)
{
	free(rl);
}

/* The address as 16 bytes (IPv4 mapped into IPv6) and its slot. */
static struct slot *slot_for(struct edge_ratelimit *rl, const struct sockaddr *sa, uint8_t key[16])
{
	uint64_t h = 1469598103934665603ULL;

	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return &rl->slots[(h ^ (h >> 29)) % SLOTS];
}

bool edge_ratelimit_blocked(struct edge_ratelimit *rl, const struct sockaddr *addr, uint64_t now_ms,
			    unsigned *retry_s)
{
	uint8_t key[16];
	struct slot *s = slot_for(rl, addr, key);
	uint64_t end;

	if (!s->used || memcmp(s->key, key, 16) != 0 || s->failures < rl->max_failures)
		return false;
	end = s->window_start + rl->window_ms;
	if (now_ms >= end)
		return false;
	*retry_s = (unsigned)((end - now_ms + 999) / 1000);
	return true;
}

void edge_ratelimit_failure(struct edge_ratelimit *rl, const struct sockaddr *addr, uint64_t now_ms)
{
	uint8_t key[16];
	struct slot *s = slot_for(rl, addr, key);

	if (!s->used || memcmp(s->key, key, 16) != 0 || now_ms >= s->window_start + rl->window_ms) {
		memcpy(s->key, key, 16);
		s->used = 1;
		s->window_start = now_ms;
		s->failures = 0;
	}
	s->failures++;
}
