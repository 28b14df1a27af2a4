/*
 * reel-origin configuration: built-in defaults, overridden by an INI file
 * (conf/origin.conf documents every key).
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_ORIGIN_CONFIG_H
#define ORIGIN_ORIGIN_CONFIG_H

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

	struct conf_addr listen[ORIGIN_MAX_LISTEN], listen_tls[ORIGIN_MAX_LISTEN];
	int nlisten, nlisten_tls;
	struct httpd_limits limits; /* limits.max_body: the largest JSON request body */
	char tls_cert[PATH_MAX], tls_key[PATH_MAX];

	struct conf_addr admin_listen[ORIGIN_MAX_LISTEN]; /* the admin API; none: no admin API */
	int nadmin_listen;
	struct conf_addr admin_listen_tls[ORIGIN_MAX_LISTEN]; /* ... over HTTPS ([tls]'s certificate) */
	int nadmin_listen_tls;
	char admin_tokens[PATH_MAX]; /* "" = nobody can use the admin API */
	uint64_t admin_max_body;     /* bytes: manifests can be large */

	char data_dir[PATH_MAX];
	uint64_t map_size; /* bytes */

	uint64_t session_ttl_ms;  /* a session ends this long after login */
	uint64_t session_idle_ms; /* ... or this long after its last use */
	uint64_t argon2_memory;	  /* bytes (a multiple of 1 KiB) */
	uint32_t argon2_time;	  /* passes */
	uint32_t argon2_lanes;	  /* parallelism */
	uint32_t hash_threads;	  /* password hashing threads; 0 = one per CPU */
	uint32_t hash_queue;	  /* hashing jobs waiting at most; past it: 503 */
	uint32_t password_strength;   /* zxcvbn score (0..4) a new password needs */
	uint32_t signups_per_address; /* signups an address may try before it waits */

	char edge_url[512];	    /* base of playback URLs */
	uint64_t lease_timeout_ms;  /* a lease without heartbeat ends after */
	uint64_t token_margin_ms;   /* stream tokens live the title's duration plus */
	uint64_t token_max_ms;	    /* ... at most */
	uint64_t license_ttl_ms;    /* offline licenses expire after */
	uint64_t license_window_ms; /* playback window after the first offline play */
	uint64_t popular_window_ms; /* popularity: plays of the last days */
	uint32_t pair_fanout;	    /* co-watching: a finish pairs with the viewer's N before */
	uint64_t half_life_ms;	    /* recommendations: a finish this old weighs half */
	char stream_keys[PATH_MAX]; /* key set files (keyfiles.h); "" = in data_dir */
	char license_keys[PATH_MAX];
	char master_key[PATH_MAX];

	char transcoder[PATH_MAX];  /* reel-transcode */
	char content_dir[PATH_MAX]; /* packages; "" = content/ in data_dir */
	char upload_dir[PATH_MAX];  /* uploaded sources; "" = uploads/ in data_dir */
	char import_dir[PATH_MAX];  /* sources on this host must be under it; "" = none */
	uint32_t jobs_max_running;  /* transcodes at once */
	uint32_t jobs_restarts;	    /* reruns of a job cut by an origin crash */
	uint32_t jobs_nice;	    /* the transcoder's nice value */
	uint64_t jobs_memory;	    /* its address space limit, bytes; 0 = none */
	uint64_t jobs_cpu_ms;	    /* its CPU-time limit; 0 = none */
	uint64_t jobs_time_ms;	    /* its wall-time limit; 0 = none */
	bool jobs_scope;	    /* in a transient systemd scope where systemd runs */
	char jobs_preset[32];	    /* libx264 preset */
	uint32_t jobs_segment;	    /* segment target, seconds */
	uint32_t jobs_threads;	    /* encoder threads; 0 = the transcoder's default */
	char jobs_ladder[256];	    /* default ladder; "" = the transcoder's */
	uint64_t max_upload;	    /* bytes of an uploaded source at most */
	struct conf_addr edge_listen[ORIGIN_MAX_LISTEN], edge_listen_tls[ORIGIN_MAX_LISTEN];
	int nedge_listen, nedge_listen_tls; /* the edge API (heartbeats); none: no edge API */
	uint64_t edge_max_body;		    /* bytes: a heartbeat lists titles and leases */
	uint64_t edge_down_after_ms;	    /* an edge is down this long after its last report */
	uint64_t edge_interval_ms;	    /* the report interval edges are told */
	char edge_fallback_url[257];	    /* steering's last resort; "" = [playback] edge_url */

	struct conf_addr content_listen[ORIGIN_MAX_LISTEN], content_listen_tls[ORIGIN_MAX_LISTEN];
	int ncontent_listen, ncontent_listen_tls; /* the content endpoint; none: no endpoint */
	char content_url[257]; /* the base players reach it by; "" = no endpoint */

	char control_keys[PATH_MAX]; /* key set signing fill requests; "" = in data_dir */
	uint32_t fill_copies, fill_parallel; /* k per cluster; transfers per edge */
	uint64_t fill_rate;		     /* bytes/s per edge; 0 = no cap */
	char fill_window[16];		     /* "HH:MM-HH:MM" local time; "" = always */
	int fill_window_start, fill_window_end; /* minutes, from fill_window */
	uint64_t fill_rescan_ms, fill_backoff_ms, fill_backoff_max_ms;
	uint64_t fill_timeout_ms; /* an edge's answer without a body; a stalled transfer */
	bool fill_peer; /* peer fill: edges copy from peers of their cluster */

	char web_root[PATH_MAX]; /* the web player's files (web/web.h); "" = none */
	char web_origins[1024];	 /* origins besides edge_url's the player fetches media
				    from, space-separated; "" = none */

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

/*
 * The origin (RFC 6454) of the http or https URL URL, "scheme://host[:port]"
 * without path, query or fragment, into OUT (CAP bytes).  Returns its
 * length; -EINVAL when URL is not http(s), has no host, or its host and
 * port hold a character other than letters, digits and "-._~:[]" (so no
 * user info, and nothing that could end a Content-Security-Policy source);
 * -ENAMETOOLONG when OUT is too small.  OUT may be URL itself.
 */
int origin_url_origin(const char *url, char *out, size_t cap);

#endif
