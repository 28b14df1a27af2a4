/*
 * The origin's JSON APIs over the common HTTP core (docs/origin.md and
 * docs/openapi.yaml list every endpoint): the user API under /api/v1/ and,
 * on its own listeners, the admin API under /admin/v1/.  Every answer is JSON
 * with Cache-Control: no-store; errors are {"error": CODE, "message": TEXT}.
 */
#ifndef ORIGIN_API_H
#define ORIGIN_API_H

#include <stdbool.h>
#include <stdint.h>

#include "accounts/accounts.h"
#include "httpd.h"
#include "metrics.h"
#include "paseto.h"
#include "accounts/throttle.h"

#define ORIGIN_API_MAGIC 0x4f415049u /* "OAPI" */
#define ORIGIN_URL_MAX	 512

struct lease_table;
struct origin_cache;
struct keyset;
struct hashpool;
struct admin_tokens;

struct origin_api {
	uint32_t magic;
	struct store *st;
	struct origin_auth *auth;
	int64_t (*now)(void);			  /* unix seconds */
	struct throttle *by_account, *by_address; /* failed logins */
	struct hashpool *pool;			  /* argon2id jobs off the loop; NULL: inline */

	/* playback */
	struct lease_table *leases;
	struct origin_cache *cache;	   /* plans and titles; admin.c empties it on changes */
	const struct keyset *stream_keys;  /* sign and verify stream tokens */
	const struct keyset *license_keys; /* sign and verify offline licenses */
	char edge_url[ORIGIN_URL_MAX];	   /* base of playback URLs, no trailing / */
	uint32_t lease_timeout_s;	   /* a lease without heartbeat ends after */
	uint32_t token_margin_s;	   /* stream token lifetime past the duration */
	uint32_t token_max_s;		   /* ... capped at */
	uint32_t license_ttl_s, license_window_s; /* license storage expiry, playback window */
	const uint8_t *master_key;		  /* 32 bytes: seals content keys at rest */

	/* admin */
	const struct admin_tokens *admins;
	struct metrics *metrics; /* the HTTP counters, for /metrics */

	/* counters for /metrics (the loop's own; read by the same thread) */
	struct {
		uint64_t plays, stream_limit, play_refused, key_answers, key_refused;
		uint64_t licenses, license_refused, renewals, releases;
	} count;
};

/* The user API's httpd handler; ARG is a struct origin_api. */
void origin_api_handle(struct httpd_exchange *x, void *arg);

/* The admin API's httpd handler (admin.c); ARG is a struct origin_api. */
void origin_admin_handle(struct httpd_exchange *x, void *arg);

#endif
