/*
 * reel-edge's configuration keys: the table common/conf_table.c reads, the
 * built-in defaults, and the checks across keys.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "claims.h"
#include "conf_table.h"
#include "httpsig.h"

#define F(member) CONF_FIELD(struct edge_config, member)
#define L(member) CONF_FIELD(struct edge_config, limits.member)
#define ADDRS(role, member, count)                                                                 \
	offsetof(struct edge_config, listen[EDGE_ROLE_##role].member),                             \
	    offsetof(struct edge_config, listen[EDGE_ROLE_##role].count)

const char *edge_role_name(enum edge_role role)
{
	static const char *const names[] = {
#define X(id, name, section) name,
	    EDGE_ROLE_LIST(X)
#undef X
	};

	return role < EDGE_ROLE_COUNT ? names[role] : "?";
}

static const char *role_section(enum edge_role role)
{
	static const char *const sections[] = {
#define X(id, name, section) section,
	    EDGE_ROLE_LIST(X)
#undef X
	};

	return sections[role];
}

static int parse_workers(const char *v, void *field)
{
	uint64_t n;

	if (strcmp(v, "auto") == 0)
		n = 0;
	else if (conf_parse_uint(v, 1, EDGE_MAX_WORKERS, &n) != 0)
		return -EINVAL;
	*(unsigned *)field = (unsigned)n;
	return 0;
}

static int parse_ktls(const char *v, void *field)
{
	if (strcmp(v, "auto") == 0 || strcmp(v, "on") == 0)
		*(enum edge_ktls *)field = EDGE_KTLS_AUTO;
	else if (strcmp(v, "off") == 0)
		*(enum edge_ktls *)field = EDGE_KTLS_OFF;
	else
		return -EINVAL;
	return 0;
}

/* [upstream] mode: reel (packages of a reel origin) or http (any HTTP origin). */
static int parse_upstream_mode(const char *v, void *field)
{
	if (strcmp(v, "reel") != 0 && strcmp(v, "http") != 0)
		return -EINVAL;
	*(bool *)field = strcmp(v, "http") == 0;
	return 0;
}

/* [store] sync: background (the store manager's sync) or each (fdatasync per filled object). */
static int parse_store_sync(const char *v, void *field)
{
	if (strcmp(v, "background") != 0 && strcmp(v, "each") != 0)
		return -EINVAL;
	*(bool *)field = strcmp(v, "each") == 0;
	return 0;
}

/* A string field of CAP bytes where "off" means "". */
static int parse_or_off(const char *v, void *field, size_t cap)
{
	int n = snprintf(field, cap, "%s", strcmp(v, "off") == 0 ? "" : v);

	return n < 0 || (size_t)n >= cap ? -EINVAL : 0;
}

static int parse_cors(const char *v, void *field)
{
	return parse_or_off(v, field, sizeof(((struct edge_config *)0)->cors_origins));
}

static int parse_hsts(const char *v, void *field)
{
	/* a header value: no control bytes, and it must say how long */
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	if (strcmp(v, "off") != 0 && strncmp(v, "max-age=", 8) != 0)
		return -EINVAL;
	return parse_or_off(v, field, sizeof(((struct edge_config *)0)->hsts));
}

/* An id as the signature profile allows it (httpsig.h): this edge's id. */
static int parse_id(const char *v, void *field)
{
	size_t n = strlen(v);

	if (n > HTTPSIG_ID_MAX || !claims_id_valid(v, n, false))
		return -EINVAL;
	memcpy(field, v, n + 1);
	return 0;
}

static const struct conf_key keys[] = {
    {"server", "listen", CONF_ADDRS, ADDRS(CONTENT, plain, nplain), 0, EDGE_MAX_LISTEN, NULL, NULL},
    {"server", "listen_tls", CONF_ADDRS, ADDRS(CONTENT, tls, ntls), 0, EDGE_MAX_LISTEN, NULL, NULL},
    {"metrics", "listen", CONF_ADDRS, ADDRS(METRICS, plain, nplain), 0, EDGE_MAX_LISTEN, NULL,
     NULL},
    {"metrics", "on_content", CONF_BOOL, F(metrics_on_content), 0, 0, NULL, NULL},
    {"server", "workers", CONF_CUSTOM, F(workers), 0, 0, "auto or a number from 1 to 64",
     parse_workers},
    {"server", "max_connections", CONF_UINT, L(max_connections), 1, 1000000, NULL, NULL},
    {"server", "shutdown_timeout", CONF_DURATION, L(shutdown_timeout_ms), 0, 3600000, NULL, NULL},
    {"content", "root", CONF_PATH, F(root), 1, 0, NULL, NULL},
    {"content", "cache_control_segment", CONF_STR, F(cc_segment), 0, 0, NULL, NULL},
    {"content", "cache_control_playlist", CONF_STR, F(cc_playlist), 0, 0, NULL, NULL},
    {"content", "cache_control_other", CONF_STR, F(cc_other), 0, 0, NULL, NULL},
    {"content", "cors_origins", CONF_CUSTOM, F(cors_origins), 0, 0, "*, off, or a list of origins",
     parse_cors},
    {"content", "gzip", CONF_BOOL, F(gzip), 0, 0, NULL, NULL},
    {"content", "max_ranges", CONF_UINT, F(max_ranges), 1, 256, NULL, NULL},
    {"cache", "max_entries", CONF_UINT, F(cache_entries), 16, 10000000, NULL, NULL},
    {"cache", "inline_max", CONF_SIZE, F(inline_max), 0, 16 << 20, NULL, NULL},
    {"cache", "revalidate", CONF_DURATION, F(revalidate_ms), 0, 86400000, NULL, NULL},
    {"limits", "max_request_line", CONF_SIZE, L(max_request_line), 256, 1 << 20, NULL, NULL},
    {"limits", "max_header_size", CONF_SIZE, L(max_header_size), 1024, 1 << 20, NULL, NULL},
    {"limits", "header_timeout", CONF_DURATION, L(header_timeout_ms), 100, 3600000, NULL, NULL},
    {"limits", "keepalive_timeout", CONF_DURATION, L(keepalive_timeout_ms), 100, 86400000, NULL,
     NULL},
    {"limits", "send_timeout", CONF_DURATION, L(send_timeout_ms), 100, 86400000, NULL, NULL},
    {"limits", "max_requests_per_connection", CONF_UINT, L(max_requests), 1, 100000000, NULL, NULL},
    {"limits", "lingering_timeout", CONF_DURATION, L(lingering_timeout_ms), 0, 3600000, NULL, NULL},
    {"tls", "certificate", CONF_PATH, F(tls_cert), 0, 0, NULL, NULL},
    {"tls", "key", CONF_PATH, F(tls_key), 0, 0, NULL, NULL},
    {"tls", "ciphers", CONF_STR, F(tls_ciphers), 1, 0, NULL, NULL},
    {"tls", "ktls", CONF_CUSTOM, F(ktls), 0, 0, "auto or off", parse_ktls},
    {"tls", "hsts", CONF_CUSTOM, F(hsts), 0, 0, "off or max-age=SECONDS[; includeSubDomains]",
     parse_hsts},
    {"tokens", "require", CONF_BOOL, F(require_token), 0, 0, NULL, NULL},
    {"tokens", "keys", CONF_PATH, F(token_keys), 0, 0, NULL, NULL},
    {"origin", "url", CONF_STR, F(origin_url), 0, 0, NULL, NULL},
    {"tokens", "cache_entries", CONF_UINT, F(token_cache), 8, 10000000, NULL, NULL},
    {"tokens", "max_failures", CONF_UINT, F(token_max_failures), 1, 1000000, NULL, NULL},
    {"tokens", "failure_window", CONF_DURATION, F(token_failure_window_ms), 1000, 86400000, NULL,
     NULL},
    {"store", "enabled", CONF_BOOL, F(store), 0, 0, NULL, NULL},
    {"store", "index", CONF_PATH, F(store_index), 1, 0, NULL, NULL},
    {"store", "max_size", CONF_SIZE, F(store_max_size), 0, UINT64_MAX, NULL, NULL},
    {"store", "min_free", CONF_SIZE, F(store_min_free), 0, UINT64_MAX, NULL, NULL},
    {"store", "map_size", CONF_SIZE, F(store_map_size), 1 << 20, 1ULL << 40, NULL, NULL},
    {"store", "sync", CONF_CUSTOM, F(store_sync_each), 0, 0, "background or each",
     parse_store_sync},
    {"store", "sync_interval", CONF_DURATION, F(store_sync_interval_ms), 100, 3600000, NULL, NULL},
    {"fill", "listen", CONF_ADDRS, ADDRS(FILL, plain, nplain), 0, EDGE_MAX_LISTEN, NULL, NULL},
    {"fill", "listen_tls", CONF_ADDRS, ADDRS(FILL, tls, ntls), 0, EDGE_MAX_LISTEN, NULL, NULL},
    {"origin", "edge_id", CONF_CUSTOM, F(edge_id), 0, 0, "1..64 of A-Z a-z 0-9 . _ ~ : -",
     parse_id},
    {"origin", "secret_file", CONF_PATH, F(secret_file), 0, 0, NULL, NULL},
    {"origin", "control_keys", CONF_PATH, F(control_keys), 0, 0, NULL, NULL},
    {"upstream", "url", CONF_STR, F(upstream_url), 0, 0, NULL, NULL},
    {"upstream", "mode", CONF_CUSTOM, F(upstream_http), 0, 0, "reel or http", parse_upstream_mode},
    {"upstream", "connect_timeout", CONF_DURATION, F(upstream_connect_timeout_ms), 10, 600000, NULL,
     NULL},
    {"upstream", "read_timeout", CONF_DURATION, F(upstream_read_timeout_ms), 10, 3600000, NULL,
     NULL},
    {"upstream", "retries", CONF_UINT, F(upstream_retries), 0, 10, NULL, NULL},
    {"upstream", "retry_backoff", CONF_DURATION, F(upstream_backoff_ms), 1, 60000, NULL, NULL},
    {"upstream", "max_connections", CONF_UINT, F(upstream_connections), 1, 10000, NULL, NULL},
    {"upstream", "breaker_failures", CONF_UINT, F(breaker_failures), 1, 1000, NULL, NULL},
    {"upstream", "breaker_open", CONF_DURATION, F(breaker_open_ms), 10, 3600000, NULL, NULL},
    {"heartbeat", "url", CONF_STR, F(heartbeat_url), 0, 0, NULL, NULL},
    {"heartbeat", "interval", CONF_DURATION, F(heartbeat_interval_ms), 100, 600000, NULL, NULL},
    {"heartbeat", "timeout", CONF_DURATION, F(heartbeat_timeout_ms), 100, 600000, NULL, NULL},
    {"heartbeat", "revocations", CONF_UINT, F(heartbeat_revocations), 64, 16777216, NULL, NULL},
    {"heartbeat", "leases", CONF_UINT, F(heartbeat_leases), 64, 16777216, NULL, NULL},
    {"bgp", "socket", CONF_PATH, F(bgp_socket), 0, 0, NULL, NULL},
    {"bgp", "table", CONF_STR, F(bgp_table), 0, 0, NULL, NULL},
    {"bgp", "protocol", CONF_STR, F(bgp_protocol), 0, 0, NULL, NULL},
    {"log", "error_log", CONF_LOGPATH, F(error_log), 0, 0, NULL, NULL},
    {"log", "level", CONF_LEVEL, F(level), 0, 0, NULL, NULL},
    {"log", "access_log", CONF_LOGPATH, F(access_log), 0, 0, NULL, NULL},
};

#define TLS12_CIPHERS                                                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

void edge_config_defaults(struct edge_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	conf_parse_addr("127.0.0.1:8080", &cfg->listen[EDGE_ROLE_CONTENT].plain[0]);
	cfg->listen[EDGE_ROLE_CONTENT].nplain = 1;
	conf_parse_addr("127.0.0.1:9145", &cfg->listen[EDGE_ROLE_METRICS].plain[0]);
	cfg->listen[EDGE_ROLE_METRICS].nplain = 1;
	cfg->limits = httpd_limits_default;
	snprintf(cfg->root, sizeof(cfg->root), "/var/lib/reel/edge/content");
	snprintf(cfg->cc_segment, sizeof(cfg->cc_segment), "public, max-age=31536000, immutable");
	snprintf(cfg->cc_playlist, sizeof(cfg->cc_playlist), "public, max-age=60");
	snprintf(cfg->cc_other, sizeof(cfg->cc_other), "public, max-age=300");
	snprintf(cfg->cors_origins, sizeof(cfg->cors_origins), "*");
	cfg->gzip = true;
	cfg->max_ranges = 16;
	cfg->cache_entries = 8192;
	cfg->inline_max = 32768;
	cfg->revalidate_ms = 2000;
	snprintf(cfg->tls_ciphers, sizeof(cfg->tls_ciphers), "%s", TLS12_CIPHERS);
	cfg->ktls = EDGE_KTLS_AUTO;
	cfg->token_cache = 65536;
	cfg->token_max_failures = 20;
	cfg->token_failure_window_ms = 10000;
	snprintf(cfg->store_index, sizeof(cfg->store_index), "/var/lib/reel/edge/index");
	cfg->store_min_free = 1ULL << 30;
	cfg->store_map_size = 1ULL << 30;
	cfg->store_sync_interval_ms = EDGE_SYNC_INTERVAL_MS;
	cfg->upstream_connect_timeout_ms = 2000;
	cfg->upstream_read_timeout_ms = 10000;
	cfg->upstream_backoff_ms = 100;
	cfg->upstream_retries = 2;
	cfg->upstream_connections = 64;
	cfg->breaker_failures = 5;
	cfg->breaker_open_ms = 5000;
	cfg->heartbeat_interval_ms = 3000;
	cfg->heartbeat_timeout_ms = 2000;
	cfg->heartbeat_revocations = 65536;
	cfg->heartbeat_leases = 16384;
	snprintf(cfg->error_log, sizeof(cfg->error_log), "stderr");
	cfg->level = LOG_LVL_INFO;
}

bool edge_config_has_tls(const struct edge_config *cfg)
{
	for (int r = 0; r < EDGE_ROLE_COUNT; r++)
		if (cfg->listen[r].ntls)
			return true;
	return false;
}

static bool same_addr(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/*
 * Is an address listed twice (in one role, or in two: the kernel would
 * spread one port's connections over both)?  Writes which one to ERR.
 */
static bool duplicate_addr(const struct edge_config *cfg, const char *name, char *err,
			   size_t errlen)
{
	const struct conf_addr *all[EDGE_ROLE_COUNT * 2 * EDGE_MAX_LISTEN];
	enum edge_role role[EDGE_ROLE_COUNT * 2 * EDGE_MAX_LISTEN];
	int n = 0;

	for (int r = 0; r < EDGE_ROLE_COUNT; r++) {
		for (int i = 0; i < cfg->listen[r].nplain; i++)
			role[n] = (enum edge_role)r, all[n++] = &cfg->listen[r].plain[i];
		for (int i = 0; i < cfg->listen[r].ntls; i++)
			role[n] = (enum edge_role)r, all[n++] = &cfg->listen[r].tls[i];
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++) {
			if (same_addr(all[i], all[j])) {
				snprintf(err, errlen, "%s: %s is listed twice ([%s] and [%s])",
					 name, all[i]->text, role_section(role[j]),
					 role_section(role[i]));
				return true;
			}
		}
	}
	return false;
}

/* A BIRD symbol (or ""): it goes into a birdc command line as is. */
static bool bgp_name_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int check(const struct edge_config *cfg, const char *name, char *err, size_t errlen)
{
	const struct edge_listen *content = &cfg->listen[EDGE_ROLE_CONTENT];
	const struct edge_listen *fill = &cfg->listen[EDGE_ROLE_FILL];
	bool fills = fill->nplain + fill->ntls > 0;
	const char *why = NULL;

	if (duplicate_addr(cfg, name, err, errlen))
		return -1;
	if (content->nplain + content->ntls == 0)
		why = "no listen or listen_tls address";
	else if (edge_config_has_tls(cfg) && (!cfg->tls_cert[0] || !cfg->tls_key[0]))
		why = "listen_tls needs [tls] certificate and key";
	else if (cfg->origin_url[0] && strncmp(cfg->origin_url, "http://", 7) != 0 &&
		 strncmp(cfg->origin_url, "https://", 8) != 0)
		why = "[origin] url must start with http:// or https://";
	else if (cfg->require_token && !cfg->token_keys[0])
		why = "[tokens] require = on needs keys";
	else if (fills && !cfg->store)
		why = "[fill] listen needs [store] enabled = on";
	else if (fills && (!cfg->control_keys[0] || !cfg->edge_id[0]))
		why = "[fill] listen needs [origin] control_keys and edge_id";
	else if (cfg->upstream_url[0] && !cfg->store)
		why = "[upstream] url needs [store] enabled = on";
	else if (cfg->upstream_url[0] && strncmp(cfg->upstream_url, "http://", 7) != 0 &&
		 strncmp(cfg->upstream_url, "https://", 8) != 0)
		why = "[upstream] url must start with http:// or https://";
	else if (cfg->upstream_http && !cfg->upstream_url[0])
		why = "[upstream] mode = http needs [upstream] url";
	else if (cfg->upstream_http && cfg->require_token)
		why = "[upstream] mode = http serves any origin's paths: [tokens] require must be "
		      "off";
	else if (cfg->secret_file[0] && !cfg->edge_id[0])
		why = "[origin] secret_file needs edge_id";
	else if (cfg->heartbeat_url[0] && strncmp(cfg->heartbeat_url, "http://", 7) != 0 &&
		 strncmp(cfg->heartbeat_url, "https://", 8) != 0)
		why = "[heartbeat] url must start with http:// or https://";
	else if (cfg->heartbeat_url[0] && (!cfg->edge_id[0] || !cfg->secret_file[0]))
		why = "[heartbeat] url needs [origin] edge_id and secret_file";
	else if (cfg->bgp_socket[0] && !cfg->heartbeat_url[0])
		why = "[bgp] socket needs [heartbeat] url (the prefixes go in its reports)";
	else if (cfg->bgp_table[0] && cfg->bgp_protocol[0])
		why = "[bgp] table and protocol: one or the other, not both";
	else if (!bgp_name_ok(cfg->bgp_table) || !bgp_name_ok(cfg->bgp_protocol))
		why = "[bgp] table and protocol are BIRD names: letters, digits and _";
	else if (cfg->limits.max_request_line > cfg->limits.max_header_size)
		why = "max_request_line is larger than max_header_size";
	if (why)
		snprintf(err, errlen, "%s: %s", name, why);
	return why ? -1 : 0;
}

int edge_config_load(struct edge_config *cfg, const char *path, char *err, size_t errlen)
{
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (conf_table_load(keys, sizeof(keys) / sizeof(keys[0]), cfg, path, err, errlen) != 0)
		return -1;
	return check(cfg, path, err, errlen);
}

int edge_config_parse(struct edge_config *cfg, const char *text, const char *name, char *err,
		      size_t errlen)
{
	if (conf_table_parse(keys, sizeof(keys) / sizeof(keys[0]), cfg, text, name, err, errlen) !=
	    0)
		return -1;
	return check(cfg, name, err, errlen);
}
