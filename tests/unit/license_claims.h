/*
 * What the license tests and the license fuzz target compare: two
 * license_claims equal member by member (the struct may hold padding).
 */
#ifndef REEL_TEST_LICENSE_CLAIMS_H
#define REEL_TEST_LICENSE_CLAIMS_H

#include <stdbool.h>
#include <string.h>

#include "license.h"

static inline bool claims_equal(const struct license_claims *a, const struct license_claims *b)
{
	return strcmp(a->lid, b->lid) == 0 && strcmp(a->user, b->user) == 0 &&
	       strcmp(a->device, b->device) == 0 && strcmp(a->title, b->title) == 0 &&
	       strcmp(a->ckid, b->ckid) == 0 &&
	       memcmp(a->device_key_hash, b->device_key_hash, LICENSE_HASH_LEN) == 0 &&
	       a->issued == b->issued && a->expires == b->expires && a->window_s == b->window_s &&
	       a->renewal == b->renewal &&
	       memcmp(&a->wrapped, &b->wrapped, sizeof(a->wrapped)) == 0;
}

#endif
