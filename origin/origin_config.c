/*
 * reel-origin's configuration keys: the table common/conf_table.c reads, the
 * built-in defaults, and the checks across keys.
 */
#include "origin_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf_table.h"
#include "jobs/jobs.h"
#include "reel_config.h"

#define F(member) CONF_FIELD(struct origin_config, member)
/* A key of listen addresses: the array MEMBER and its count nMEMBER. */
#define LISTEN(section, key, member, example)                                                      \
	{                                                                                          \
		section, key, CONF_ADDRS, offsetof(struct origin_config, member),                  \
		    offsetof(struct origin_config, n##member), 0, ORIGIN_MAX_LISTEN,               \
		    "addresses such as " example, NULL                                             \
	}
#define L(member) CONF_FIELD(struct origin_config, limits.member)
#define DAY_MS	  (86400ULL * 1000)

static int parse_origins(const char *v, void *field);

/*
 * Every key, by section; a new domain adds its section's lines here and
 * their members to struct origin_config.
 */
static const struct conf_key keys[] = {
    LISTEN("server", "listen", listen, "127.0.0.1:8090"),
    LISTEN("server", "listen_tls", listen_tls, "0.0.0.0:443"),
    {"tls", "certificate", CONF_PATH, F(tls_cert), 0, 0, NULL, NULL},
    {"tls", "key", CONF_PATH, F(tls_key), 0, 0, NULL, NULL},
    LISTEN("admin", "listen", admin_listen, "127.0.0.1:8091"),
    LISTEN("admin", "listen_tls", admin_listen_tls, "10.0.0.5:8443"),
    {"admin", "tokens", CONF_PATH, F(admin_tokens), 0, 0, NULL, NULL},
    {"admin", "max_body", CONF_SIZE, F(admin_max_body), 1024, 1ULL << 30, NULL, NULL},
    {"server", "max_body", CONF_SIZE, L(max_body), 256, 1 << 20, NULL, NULL},
    {"server", "max_connections", CONF_UINT, L(max_connections), 1, 1000000, NULL, NULL},
    {"server", "keepalive_timeout", CONF_DURATION, L(keepalive_timeout_ms), 100, DAY_MS, NULL,
     NULL},
    {"server", "shutdown_timeout", CONF_DURATION, L(shutdown_timeout_ms), 0, 3600000, NULL, NULL},
    {"store", "data_dir", CONF_PATH, F(data_dir), 1, 0, NULL, NULL},
    {"store", "map_size", CONF_SIZE, F(map_size), 1 << 20, 1ULL << 40, NULL, NULL},
    {"auth", "session_ttl", CONF_DURATION, F(session_ttl_ms), 1000, 366 * DAY_MS,
     "a duration such as 30s, 15m or 720h, in range", NULL},
    {"auth", "session_idle", CONF_DURATION, F(session_idle_ms), 1000, 366 * DAY_MS,
     "a duration such as 30s, 15m or 720h, in range", NULL},
    {"auth", "argon2_memory", CONF_SIZE, F(argon2_memory), ORIGIN_ARGON2_MIN_MEMORY, 4ULL << 30,
     "a size of at least 19m (OWASP's minimum for argon2id)", NULL},
    {"auth", "argon2_time", CONF_UINT, F(argon2_time), ORIGIN_ARGON2_MIN_TIME, 100,
     "a whole number, at least 2 (OWASP's minimum for argon2id)", NULL},
    {"auth", "argon2_parallelism", CONF_UINT, F(argon2_lanes), ORIGIN_ARGON2_MIN_LANES, 64, NULL,
     NULL},
    {"auth", "hash_threads", CONF_UINT, F(hash_threads), 0, 256, NULL, NULL},
    {"auth", "hash_queue", CONF_UINT, F(hash_queue), 0, 100000, NULL, NULL},
    {"auth", "password_strength", CONF_UINT, F(password_strength), 0, 4,
     "a zxcvbn score from 0 (any password) to 4", NULL},
    {"auth", "signups_per_address", CONF_UINT, F(signups_per_address), 1, 1000000, NULL, NULL},
    {"playback", "edge_url", CONF_STR, F(edge_url), 1, 0, NULL, NULL},
    {"playback", "lease_timeout", CONF_DURATION, F(lease_timeout_ms), 1000, DAY_MS, NULL, NULL},
    {"playback", "token_margin", CONF_DURATION, F(token_margin_ms), 0, DAY_MS, NULL, NULL},
    {"playback", "token_max", CONF_DURATION, F(token_max_ms), 60000, DAY_MS, NULL, NULL},
    {"downloads", "license_ttl", CONF_DURATION, F(license_ttl_ms), 60000, 366 * DAY_MS, NULL, NULL},
    {"downloads", "playback_window", CONF_DURATION, F(license_window_ms), 60000, 366 * DAY_MS, NULL,
     NULL},
    {"viewing", "popular_window", CONF_DURATION, F(popular_window_ms), DAY_MS, 31 * DAY_MS,
     "a duration of whole days such as 168h (7 days), from 24h to 744h", NULL},
    {"viewing", "pair_fanout", CONF_UINT, F(pair_fanout), 1, 1000, NULL, NULL},
    {"viewing", "recency_half_life", CONF_DURATION, F(half_life_ms), 3600000, 3660 * DAY_MS, NULL,
     NULL},
    {"keys", "stream_keys", CONF_PATH, F(stream_keys), 0, 0, NULL, NULL},
    {"keys", "license_keys", CONF_PATH, F(license_keys), 0, 0, NULL, NULL},
    {"keys", "master_key", CONF_PATH, F(master_key), 0, 0, NULL, NULL},
    {"jobs", "transcoder", CONF_PATH, F(transcoder), 1, 0, NULL, NULL},
    {"jobs", "content_dir", CONF_PATH, F(content_dir), 0, 0, NULL, NULL},
    {"jobs", "upload_dir", CONF_PATH, F(upload_dir), 0, 0, NULL, NULL},
    {"jobs", "import_dir", CONF_PATH, F(import_dir), 0, 0, NULL, NULL},
    {"jobs", "max_running", CONF_UINT, F(jobs_max_running), 1, 64, NULL, NULL},
    {"jobs", "restarts", CONF_UINT, F(jobs_restarts), 0, 100, NULL, NULL},
    {"jobs", "nice", CONF_UINT, F(jobs_nice), 0, 19, NULL, NULL},
    {"jobs", "memory_limit", CONF_SIZE, F(jobs_memory), 0, 1ULL << 44, NULL, NULL},
    {"jobs", "cpu_limit", CONF_DURATION, F(jobs_cpu_ms), 0, 366 * DAY_MS, NULL, NULL},
    {"jobs", "time_limit", CONF_DURATION, F(jobs_time_ms), 0, 366 * DAY_MS, NULL, NULL},
    {"jobs", "systemd_scope", CONF_BOOL, F(jobs_scope), 0, 0, NULL, NULL},
    {"jobs", "preset", CONF_STR, F(jobs_preset), 1, 0, NULL, NULL},
    {"jobs", "segment", CONF_UINT, F(jobs_segment), 1, 60, NULL, NULL},
    {"jobs", "threads", CONF_UINT, F(jobs_threads), 0, 256, NULL, NULL},
    {"jobs", "ladder", CONF_STR, F(jobs_ladder), 0, 0, NULL, NULL},
    {"jobs", "max_upload", CONF_SIZE, F(max_upload), 1, 1ULL << 50, NULL, NULL},
    LISTEN("edges", "listen", edge_listen, "0.0.0.0:8092"),
    LISTEN("edges", "listen_tls", edge_listen_tls, "0.0.0.0:8093"),
    {"edges", "max_body", CONF_SIZE, F(edge_max_body), 1024, 1ULL << 30, NULL, NULL},
    {"edges", "down_after", CONF_DURATION, F(edge_down_after_ms), 1000, 3600000, NULL, NULL},
    {"edges", "interval", CONF_DURATION, F(edge_interval_ms), 1000, 3600000, NULL, NULL},
    {"edges", "fallback_url", CONF_STR, F(edge_fallback_url), 0, 0, NULL, NULL},
    LISTEN("content", "listen", content_listen, "0.0.0.0:8094"),
    LISTEN("content", "listen_tls", content_listen_tls, "0.0.0.0:8095"),
    {"content", "url", CONF_STR, F(content_url), 0, 0, NULL, NULL},
    {"keys", "control_keys", CONF_PATH, F(control_keys), 0, 0, NULL, NULL},
    {"fill", "copies", CONF_UINT, F(fill_copies), 1, 64, NULL, NULL},
    {"fill", "parallel", CONF_UINT, F(fill_parallel), 1, 256, NULL, NULL},
    {"fill", "rate", CONF_SIZE, F(fill_rate), 0, 1ULL << 40, NULL, NULL},
    {"fill", "window", CONF_STR, F(fill_window), 0, 0, NULL, NULL},
    {"fill", "rescan", CONF_DURATION, F(fill_rescan_ms), 1000, DAY_MS, NULL, NULL},
    {"fill", "backoff", CONF_DURATION, F(fill_backoff_ms), 1000, DAY_MS, NULL, NULL},
    {"fill", "backoff_max", CONF_DURATION, F(fill_backoff_max_ms), 1000, DAY_MS, NULL, NULL},
    {"fill", "timeout", CONF_DURATION, F(fill_timeout_ms), 1000, 3600000, NULL, NULL},
    {"fill", "peer", CONF_BOOL, F(fill_peer), 0, 0, NULL, NULL},
    {"web", "root", CONF_PATH, F(web_root), 0, 0, NULL, NULL},
    {"web", "edge_origins", CONF_CUSTOM, F(web_origins), 0, 0,
     "origins such as https://edge2.example.net, separated by spaces", parse_origins},
    {"log", "error_log", CONF_LOGPATH, F(error_log), 0, 0, NULL, NULL},
    {"log", "level", CONF_LEVEL, F(level), 0, 0, NULL, NULL},
    {"log", "access_log", CONF_LOGPATH, F(access_log), 0, 0, NULL, NULL},
};

void origin_config_defaults(struct origin_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	conf_parse_addr("127.0.0.1:8090", &cfg->listen[0]);
	cfg->nlisten = 1;
	conf_parse_addr("127.0.0.1:8091", &cfg->admin_listen[0]);
	cfg->nadmin_listen = 1;
	cfg->limits = httpd_limits_default;
	cfg->limits.max_connections = 4096;
	cfg->limits.max_body = 16384;
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/reel/origin");
	cfg->map_size = 1ULL << 30;
	cfg->session_ttl_ms = 30 * DAY_MS;
	cfg->session_idle_ms = 7 * DAY_MS;
	cfg->argon2_memory = ORIGIN_ARGON2_MIN_MEMORY;
	cfg->argon2_time = ORIGIN_ARGON2_MIN_TIME;
	cfg->argon2_lanes = ORIGIN_ARGON2_MIN_LANES;
	cfg->hash_queue = 64;
	cfg->password_strength = 3;
	cfg->signups_per_address = 20;
	cfg->admin_max_body = 8ULL << 20;
	snprintf(cfg->edge_url, sizeof(cfg->edge_url), "http://127.0.0.1:8080");
	cfg->lease_timeout_ms = 60000;
	cfg->token_margin_ms = 3600000;
	cfg->token_max_ms = DAY_MS;
	cfg->license_ttl_ms = 30 * DAY_MS;
	cfg->license_window_ms = 2 * DAY_MS;
	snprintf(cfg->transcoder, sizeof(cfg->transcoder), "%s/reel-transcode", REEL_BINDIR);
	cfg->jobs_max_running = 1;
	cfg->jobs_restarts = 1;
	cfg->jobs_nice = 10;
	cfg->jobs_memory = 8ULL << 30;
	cfg->jobs_cpu_ms = 2 * DAY_MS;
	cfg->jobs_time_ms = DAY_MS;
	snprintf(cfg->jobs_preset, sizeof(cfg->jobs_preset), "veryfast");
	cfg->jobs_segment = 6;
	cfg->max_upload = 64ULL << 30;
	cfg->popular_window_ms = 7 * DAY_MS;
	cfg->pair_fanout = 32;
	cfg->half_life_ms = 30 * DAY_MS;
	cfg->edge_max_body = 4ULL << 20;
	cfg->edge_down_after_ms = 10000;
	cfg->edge_interval_ms = 3000;
	cfg->fill_copies = 2;
	cfg->fill_parallel = 4;
	cfg->fill_rate = 150ULL << 20; /* 1.2 Gb/s, as Open Connect fills a disk appliance */
	cfg->fill_rescan_ms = 10000;
	cfg->fill_backoff_ms = 2000;
	cfg->fill_backoff_max_ms = 300000;
	cfg->fill_timeout_ms = 20000;
	snprintf(cfg->web_root, sizeof(cfg->web_root), "%s", REEL_DATADIR "/web");
	snprintf(cfg->error_log, sizeof(cfg->error_log), "stderr");
	cfg->level = LOG_LVL_INFO;
}

static int check_edges(struct origin_config *cfg, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(cfg->edge_fallback_url);

	while (n && cfg->edge_fallback_url[n - 1] == '/')
		cfg->edge_fallback_url[--n] = '\0';
	if (n && strncmp(cfg->edge_fallback_url, "http://", 7) != 0 &&
	    strncmp(cfg->edge_fallback_url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: [edges] fallback_url must start with http:// or https://",
			 name);
		return -1;
	}
	if (cfg->nedge_listen_tls && (!cfg->tls_cert[0] || !cfg->tls_key[0])) {
		snprintf(err, errlen, "%s: [edges] listen_tls needs [tls] certificate and key", name);
		return -1;
	}
	if (cfg->edge_interval_ms >= cfg->edge_down_after_ms) {
		snprintf(err, errlen, "%s: [edges] interval must be shorter than down_after", name);
		return -1;
	}
	return 0;
}

int origin_url_origin(const char *url, char *out, size_t cap)
{
	size_t skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	size_t host = strspn(url + skip, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789-._~:[]");
	char end = url[skip + host];

	if (!skip || !host || (end && end != '/' && end != '?' && end != '#'))
		return -EINVAL;
	if (skip + host >= cap)
		return -ENAMETOOLONG;
	memmove(out, url, skip + host);
	out[skip + host] = '\0';
	return (int)(skip + host);
}

/* [web] edge_origins: origins (no path) separated by spaces or commas, kept space-separated. */
static int parse_origins(const char *v, void *field)
{
	char *out = field, one[256];
	size_t cap = sizeof(((struct origin_config *)0)->web_origins), used = 0;

	while (*(v += strspn(v, " \t,"))) {
		size_t len = strcspn(v, " \t,");

		if (len >= sizeof(one) || used + len + 2 > cap)
			return -EINVAL;
		memcpy(one, v, len);
		one[len] = '\0';
		if (origin_url_origin(one, one, sizeof(one)) != (int)len)
			return -EINVAL; /* not an origin, or one with a path */
		used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? " " : "", one);
		v += len;
	}
	out[used] = '\0';
	return 0;
}

/* [fill] window "HH:MM-HH:MM" into minutes; "" is always open. */
static int check_fill(struct origin_config *cfg, const char *name, char *err, size_t errlen)
{
	unsigned h1, m1, h2, m2;
	char end;

	cfg->fill_window_start = cfg->fill_window_end = 0;
	if (cfg->fill_backoff_max_ms < cfg->fill_backoff_ms) {
		snprintf(err, errlen, "%s: [fill] backoff_max is shorter than backoff", name);
		return -1;
	}
	if (!cfg->fill_window[0])
		return 0;
	if (sscanf(cfg->fill_window, "%u:%u-%u:%u%c", &h1, &m1, &h2, &m2, &end) != 4 || h1 > 23 ||
	    h2 > 24 || m1 > 59 || m2 > 59 || (h2 == 24 && m2) ||
	    (h1 == h2 && m1 == m2)) {
		snprintf(err, errlen,
			 "%s: [fill] window must be HH:MM-HH:MM (local time, such as 02:00-14:00)",
			 name);
		return -1;
	}
	cfg->fill_window_start = (int)(h1 * 60 + m1);
	cfg->fill_window_end = (int)(h2 * 60 + m2) % 1440;
	if (cfg->fill_window_start == cfg->fill_window_end)
		cfg->fill_window_end = cfg->fill_window_start + 1440; /* the whole day */
	return 0;
}

/* Is A a wildcard address (0.0.0.0, ::), which names no host a player can reach? */
static bool addr_any(const struct conf_addr *a)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;

	return a->ss.ss_family == AF_INET ? v4->sin_addr.s_addr == htonl(INADDR_ANY)
					  : IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
}

/* [content]: its url, by default its first listener's (HTTPS first). */
static int check_content(struct origin_config *cfg, const char *name, char *err, size_t errlen)
{
	const struct conf_addr *first = cfg->ncontent_listen_tls ? &cfg->content_listen_tls[0]
					: cfg->ncontent_listen	 ? &cfg->content_listen[0]
								 : NULL;
	size_t n = strlen(cfg->content_url);

	while (n && cfg->content_url[n - 1] == '/')
		cfg->content_url[--n] = '\0';
	if (!first) {
		cfg->content_url[0] = '\0'; /* no endpoint */
		return 0;
	}
	if (cfg->ncontent_listen_tls && (!cfg->tls_cert[0] || !cfg->tls_key[0])) {
		snprintf(err, errlen, "%s: [content] listen_tls needs [tls] certificate and key",
			 name);
		return -1;
	}
	if (n && strncmp(cfg->content_url, "http://", 7) != 0 &&
	    strncmp(cfg->content_url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: [content] url must start with http:// or https://",
			 name);
		return -1;
	}
	if (n)
		return 0;
	if (addr_any(first)) {
		snprintf(
		    err, errlen,
		    "%s: [content] url is needed: %s is a wildcard address, no URL players reach",
		    name, first->text);
		return -1;
	}
	snprintf(cfg->content_url, sizeof(cfg->content_url), "%s://%s",
		 cfg->ncontent_listen_tls ? "https" : "http", first->text);
	return 0;
}

static int check(struct origin_config *cfg, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(cfg->edge_url);
	char origin[sizeof(cfg->edge_url)];

	if (cfg->nlisten + cfg->nlisten_tls == 0) {
		snprintf(err, errlen, "%s: [server] needs a listen or listen_tls address", name);
		return -1;
	}
	if ((cfg->nlisten_tls || cfg->nadmin_listen_tls) && (!cfg->tls_cert[0] || !cfg->tls_key[0])) {
		snprintf(err, errlen, "%s: listen_tls needs [tls] certificate and key", name);
		return -1;
	}
	while (n && cfg->edge_url[n - 1] == '/')
		cfg->edge_url[--n] = '\0';
	if (origin_url_origin(cfg->edge_url, origin, sizeof(origin)) < 0) {
		snprintf(err, errlen,
			 "%s: [playback] edge_url must be http:// or https:// and a host "
			 "(letters, digits, -._~:[]), then a path if any",
			 name);
		return -1;
	}
	if (check_edges(cfg, name, err, errlen) != 0)
		return -1;
	if (check_content(cfg, name, err, errlen) != 0)
		return -1;
	if (check_fill(cfg, name, err, errlen) != 0)
		return -1;
	if (cfg->session_idle_ms > cfg->session_ttl_ms) {
		snprintf(err, errlen, "%s: [auth] session_idle is longer than session_ttl", name);
		return -1;
	}
	if (cfg->jobs_ladder[0] && !job_ladder_valid(cfg->jobs_ladder)) {
		snprintf(err, errlen, "%s: [jobs] ladder must be WxH@KBPS,... (1..16 rungs)", name);
		return -1;
	}
	cfg->argon2_memory &= ~1023ULL; /* whole KiB, as argon2 counts */
	return 0;
}

int origin_config_load(struct origin_config *cfg, const char *path, char *err, size_t errlen)
{
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (conf_table_load(keys, sizeof(keys) / sizeof(keys[0]), cfg, path, err, errlen) != 0)
		return -1;
	return check(cfg, path, err, errlen);
}

int origin_config_parse(struct origin_config *cfg, const char *text, const char *name, char *err,
			size_t errlen)
{
	if (conf_table_parse(keys, sizeof(keys) / sizeof(keys[0]), cfg, text, name, err, errlen) !=
	    0)
		return -1;
	return check(cfg, name, err, errlen);
}
