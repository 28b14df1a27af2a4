/*
 * reel-edge configuration: built-in defaults, overridden by an INI file
 * (conf/edge.conf documents every key).  Everything here is plain data in
 * the caller's struct: no call allocates.
 */
#ifndef EDGE_CONFIG_H
#define EDGE_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "httpd.h"
#include "log.h"

#define EDGE_MAX_LISTEN	 8
#define EDGE_MAX_WORKERS 64

enum edge_ktls { EDGE_KTLS_OFF, EDGE_KTLS_AUTO };

/*
 * What a listening socket serves, with the config section that lists its
 * addresses.  A role gets its own HTTP server in each worker, so each can
 * have its own handler and limits; adding one is a line here, its keys in
 * config.c and its handler in worker.c.
 */
#define EDGE_ROLE_LIST(X)                                                                          \
	X(CONTENT, "content", "server")	 /* packages, /healthz */                                  \
	X(METRICS, "metrics", "metrics") /* /metrics, /healthz */                                  \
	X(FILL, "fill", "fill")		 /* the fill API (fill.h): the origin's requests */

enum edge_role {
#define X(id, name, section) EDGE_ROLE_##id,
	EDGE_ROLE_LIST(X)
#undef X
	    EDGE_ROLE_COUNT,
};

/* The name of ROLE ("content"), a static string. */
const char *edge_role_name(enum edge_role role);

/* The addresses of one role: plain HTTP and HTTPS. */
struct edge_listen {
	struct conf_addr plain[EDGE_MAX_LISTEN];
	int nplain;
	struct conf_addr tls[EDGE_MAX_LISTEN];
	int ntls;
};

struct edge_config {
	char path[PATH_MAX]; /* the file read, "" for defaults only */

	struct edge_listen listen[EDGE_ROLE_COUNT];
	bool metrics_on_content; /* /metrics also on the content listeners */
	unsigned workers;	 /* 0: one per core */
	struct httpd_limits limits;

	char root[PATH_MAX];
	char cc_segment[256], cc_playlist[256], cc_other[256];
	char cors_origins[1024]; /* "" when off */
	bool gzip;
	unsigned max_ranges;

	unsigned cache_entries;
	uint64_t inline_max;
	uint64_t revalidate_ms;

	char tls_cert[PATH_MAX], tls_key[PATH_MAX];
	char tls_ciphers[1024];
	enum edge_ktls ktls;
	char hsts[256]; /* Strict-Transport-Security value on HTTPS answers; "" = off */

	bool require_token;	   /* only /s/<token>/<title>/... is served */
	char token_keys[PATH_MAX]; /* "KID PUBLIC-KEY-HEX" per line; "" = none */
	char origin_url[512];	   /* the origin: content keys are fetched there; "" = none */
	unsigned token_cache;
	unsigned token_max_failures; /* per client address and window */
	uint64_t token_failure_window_ms;

	/* the cache store: the content root as a cache with an LMDB index and a quota */
	bool store;
	char store_index[PATH_MAX];
	uint64_t store_max_size; /* 0: no limit but min_free */
	uint64_t store_min_free;
	uint64_t store_map_size;
	bool store_sync_each;		 /* [store] sync = each: fdatasync per filled object */
	uint64_t store_sync_interval_ms; /* the background sync's interval */

	char edge_id[65];	     /* this edge's id at the origin */
	char secret_file[PATH_MAX];  /* its per-edge secret (signs requests to the origin) */
	char control_keys[PATH_MAX]; /* the origin's control public keys (fill, purge) */

	char upstream_url[512]; /* pull-through: "" = off */
	bool upstream_http;	/* [upstream] mode = http: a shared HTTP cache (http_cache.h) */
	uint64_t upstream_connect_timeout_ms, upstream_read_timeout_ms, upstream_backoff_ms;
	unsigned upstream_retries, upstream_connections;
	unsigned breaker_failures;
	uint64_t breaker_open_ms;

	/* reports to the origin's edge API (heartbeat.h) and the revocations it answers */
	char heartbeat_url[512]; /* "" = off */
	uint64_t heartbeat_interval_ms, heartbeat_timeout_ms;
	unsigned heartbeat_revocations, heartbeat_leases;
	/* client prefixes learned from a local BIRD (bgp.h) */
	char bgp_socket[PATH_MAX]; /* birdc's control socket; "" = off */
	char bgp_table[64], bgp_protocol[64];

	char error_log[PATH_MAX], access_log[PATH_MAX]; /* access_log "" = off */
	enum log_level level;
};

/* Fill CFG with the built-in defaults. */
void edge_config_defaults(struct edge_config *cfg);

/* Does CFG listen with TLS anywhere (so it needs a certificate)? */
bool edge_config_has_tls(const struct edge_config *cfg);

/*
 * Read the INI file PATH over the defaults already in CFG.  Returns 0, or -1
 * with "PATH:LINE: problem" (or "PATH: problem") in ERR, a buffer of ERRLEN
 * bytes owned by the caller; CFG is then unspecified.
 */
int edge_config_load(struct edge_config *cfg, const char *path, char *err, size_t errlen);

/* The same from the text TEXT, reported as NAME (used by tests and the fuzzer). */
int edge_config_parse(struct edge_config *cfg, const char *text, const char *name, char *err,
		      size_t errlen);

#endif
