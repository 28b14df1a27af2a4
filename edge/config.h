/*
 * reel-edge configuration: built-in defaults, overridden by an INI file
 * (conf/edge.conf documents every key).
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

struct edge_config {
	char path[PATH_MAX]; /* the file read, "" for defaults only */

	struct conf_addr listen[EDGE_MAX_LISTEN];
	int nlisten;
	struct conf_addr listen_tls[EDGE_MAX_LISTEN];
	int nlisten_tls;
	unsigned workers; /* 0: one per core */
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

	bool require_token;	   /* only /s/<token>/<title>/... is served */
	char token_keys[PATH_MAX]; /* "KID PUBLIC-KEY-HEX" per line; "" = none */
	char origin_url[512];	   /* the origin: content keys are fetched there; "" = none */
	unsigned token_cache;
	unsigned token_max_failures; /* per client address and window */
	uint64_t token_failure_window_ms;

	char error_log[PATH_MAX], access_log[PATH_MAX]; /* access_log "" = off */
	enum log_level level;
};

/* Fill CFG with the built-in defaults. */
void edge_config_defaults(struct edge_config *cfg);

/*
 * Read the INI file PATH over the defaults.  Returns 0, or -1 with
 * "PATH:LINE: problem" in ERR; CFG is then unspecified.
 */
int edge_config_load(struct edge_config *cfg, const char *path, char *err, size_t errlen);

/* The same from the text TEXT, reported as NAME (used by tests and the fuzzer). */
int edge_config_parse(struct edge_config *cfg, const char *text, const char *name, char *err,
		      size_t errlen);

#endif
