/*
 * reel-origin configuration: built-in defaults, overridden by an INI file
 * (conf/origin.conf documents every key).
 */
#ifndef ORIGIN_CONFIG_H
#define ORIGIN_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "httpd.h"
#include "log.h"

#define ORIGIN_MAX_LISTEN 8

/* OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. */
#define ORIGIN_ARGON2_MIN_MEMORY (19ULL << 20)
#define ORIGIN_ARGON2_MIN_TIME	 2
#define ORIGIN_ARGON2_MIN_LANES	 1

struct origin_config {
	char path[PATH_MAX]; /* the file read, "" for defaults only */

	struct conf_addr listen[ORIGIN_MAX_LISTEN];
	int nlisten;
	struct httpd_limits limits; /* limits.max_body: the largest JSON request body */

	char data_dir[PATH_MAX];
	uint64_t map_size; /* bytes */

	uint64_t session_ttl_ms;  /* a session ends this long after login */
	uint64_t session_idle_ms; /* ... or this long after its last use */
	uint64_t argon2_memory;	  /* bytes (a multiple of 1 KiB) */
	uint32_t argon2_time;	  /* passes */
	uint32_t argon2_lanes;	  /* parallelism */

	char error_log[PATH_MAX], access_log[PATH_MAX]; /* access_log "" = off */
	enum log_level level;
};

/* Fill CFG with the built-in defaults. */
void origin_config_defaults(struct origin_config *cfg);

/*
 * Read the INI file PATH over the defaults.  Returns 0, or -1 with
 * "PATH:LINE: problem" in ERR; CFG is then unspecified.
 */
int origin_config_load(struct origin_config *cfg, const char *path, char *err, size_t errlen);

/* The same from the text TEXT, reported as NAME (used by tests). */
int origin_config_parse(struct origin_config *cfg, const char *text, const char *name, char *err,
			size_t errlen);

#endif
