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

#include "httpd.h"
#include "metrics.h"

#define ORIGIN_API_MAGIC 0x4f415049u /* "OAPI" */
#define ORIGIN_URL_MAX	 512

/*
 * The origin's own counters for /metrics, in the order they are shown:
 * C(ID, metric name, help).
 */
#define ORIGIN_COUNTERS(C)                                                                         \
	C(PLAYS, "reel_origin_plays_total", "Playback authorizations granted")                     \
	C(STREAM_LIMIT, "reel_origin_stream_limit_total",                                          \
	  "Playbacks refused at the plan's stream limit")                                          \
	C(PLAY_REFUSED, "reel_origin_play_refused_total",                                          \
	  "Playbacks refused otherwise (no subscription, title)")                                  \
	C(KEY_ANSWERS, "reel_origin_key_answers_total", "Content keys handed to players")          \
	C(KEY_REFUSED, "reel_origin_key_refused_total", "Content key requests refused")            \
	C(LICENSES, "reel_origin_licenses_total", "Offline licenses issued")                       \
	C(LICENSE_REFUSED, "reel_origin_license_refused_total",                                    \
	  "Offline licenses refused at a plan limit")                                              \
	C(RENEWALS, "reel_origin_license_renewals_total", "Offline licenses renewed")              \
	C(RELEASES, "reel_origin_license_releases_total", "Offline downloads released")            \
	C(LEASE_COMMITS, "reel_origin_lease_commits_total",                                        \
	  "Group commits of lease changes (one synced LMDB transaction each)")                     \
	C(POSITIONS, "reel_origin_positions_total", "Playback positions recorded")                 \
	C(POSITION_REFUSED, "reel_origin_position_refused_total",                                  \
	  "Playback positions refused (out of the title)")                                         \
	C(CONTENT_EDGE, "reel_origin_content_edge_total",                                          \
	  "Content endpoint answers to edges (pull-through)")                                      \
	C(CONTENT_PLAYER, "reel_origin_content_player_total",                                      \
	  "Content endpoint answers to players (steering's last resort)")

#define ORIGIN_COUNT_ENUM(id, name, help) ORIGIN_COUNT_##id,
enum origin_count { ORIGIN_COUNT_NONE, ORIGIN_COUNTERS(ORIGIN_COUNT_ENUM) ORIGIN_COUNT_MAX };
#undef ORIGIN_COUNT_ENUM

struct accounts;
struct plans;
struct catalog;
struct playback;
struct downloads;
struct jobs;
struct uploads;
struct viewing;
struct edges;
struct keyset;
struct pwhash_pool;
struct admin_tokens;
struct commit_batch;
struct web;
struct fill;
struct content;
struct throttle;

/*
 * What the handlers of both APIs work with: one per process, set up by
 * main.c; the handlers borrow every pointer (none is theirs to free).  A new
 * domain adds its service here.
 */
struct origin_api {
	uint32_t magic;
	int64_t (*now)(void); /* unix seconds */

	struct accounts *accounts;	   /* users, sessions, login throttling */
	struct pwhash_pool *pool;	   /* argon2id jobs off the loop; NULL: inline */
	struct plans *plans;		   /* plans and subscriptions */
	struct catalog *catalog;	   /* titles and their content keys */
	struct playback *playback;	   /* leases, stream tokens, content keys for players */
	struct downloads *downloads;	   /* offline licenses */
	struct jobs *jobs;		   /* transcode jobs */
	struct uploads *uploads;	   /* uploaded sources */
	uint64_t upload_chunk;		   /* bytes of an upload a request may carry */
	struct viewing *viewing;	   /* resume points, history, recommendations, search */
	struct edges *edges;		   /* the edge registry, reports and steering */
	const struct keyset *stream_keys;  /* published: stream token keys */
	const struct keyset *license_keys; /* published: license keys */
	const struct admin_tokens *admins; /* who may use the admin API */
	struct metrics *metrics;	   /* the HTTP counters, for /metrics */
	struct commit_batch *plays;	   /* new leases, answered once committed */
	struct web *web;		   /* the web player's files; NULL: none */
	struct fill *fill;		   /* the fill scheduler; NULL: none */
	const struct keyset *control_keys; /* published: the keys fill requests are signed with */
	struct content *content;	   /* the content endpoint's store; NULL: no endpoint */
	struct throttle *bad_tokens;	   /* the content endpoint's bad stream tokens per address */

	/* the origin's counters for /metrics: the loop's own, read by the same thread */
	uint64_t count[ORIGIN_COUNT_MAX];
};

/* The user API's httpd handler; ARG is the struct origin_api (borrowed). */
void origin_api_handle(struct httpd_exchange *x, void *arg);

/* The admin API's httpd handler; ARG is the struct origin_api (borrowed). */
void origin_admin_handle(struct httpd_exchange *x, void *arg);

/* The edge API's httpd handler (what edges send); ARG is the struct origin_api (borrowed). */
void origin_edge_handle(struct httpd_exchange *x, void *arg);

/* The content endpoint's httpd handler (api_content.c); ARG is the struct origin_api (borrowed). */
void origin_content_handle(struct httpd_exchange *x, void *arg);

#endif
