/*
 * Table-driven INI parsing for reel-edge: every key has a section, a type and
 * a place in struct edge_config; unknown keys are errors, so a typo never
 * silently leaves a default in force.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctype {
	T_ADDRS,
	T_UINT,
	T_SIZE,
	T_DURATION,
	T_BOOL,
	T_STR,
	T_PATH,
	T_LEVEL,
	T_WORKERS,
	T_KTLS,
	T_CORS,
	T_LOGPATH
};

struct ckey {
	const char *section, *name;
	enum ctype type;
	size_t off, size; /* for T_ADDRS: off of the array, size = off of the count */
	uint64_t min, max;
};

#define F(field) offsetof(struct edge_config, field), sizeof(((struct edge_config *)0)->field)
#define L(field)                                                                                   \
	offsetof(struct edge_config, limits.field), sizeof(((struct edge_config *)0)->limits.field)

static const struct ckey keys[] = {
    {"server", "listen", T_ADDRS, offsetof(struct edge_config, listen),
     offsetof(struct edge_config, nlisten), 0, 0},
    {"server", "listen_tls", T_ADDRS, offsetof(struct edge_config, listen_tls),
     offsetof(struct edge_config, nlisten_tls), 0, 0},
    {"server", "workers", T_WORKERS, F(workers), 1, EDGE_MAX_WORKERS},
    {"server", "max_connections", T_UINT, L(max_connections), 1, 1000000},
    {"server", "shutdown_timeout", T_DURATION, L(shutdown_timeout_ms), 0, 3600000},
    {"content", "root", T_PATH, F(root), 0, 0},
    {"content", "cache_control_segment", T_STR, F(cc_segment), 0, 0},
    {"content", "cache_control_playlist", T_STR, F(cc_playlist), 0, 0},
    {"content", "cache_control_other", T_STR, F(cc_other), 0, 0},
    {"content", "cors_origins", T_CORS, F(cors_origins), 0, 0},
    {"content", "gzip", T_BOOL, F(gzip), 0, 0},
    {"content", "max_ranges", T_UINT, F(max_ranges), 1, 256},
    {"cache", "max_entries", T_UINT, F(cache_entries), 16, 10000000},
    {"cache", "inline_max", T_SIZE, F(inline_max), 0, 16 << 20},
    {"cache", "revalidate", T_DURATION, F(revalidate_ms), 0, 86400000},
    {"limits", "max_request_line", T_SIZE, L(max_request_line), 256, 1 << 20},
    {"limits", "max_header_size", T_SIZE, L(max_header_size), 1024, 1 << 20},
    {"limits", "header_timeout", T_DURATION, L(header_timeout_ms), 100, 3600000},
    {"limits", "keepalive_timeout", T_DURATION, L(keepalive_timeout_ms), 100, 86400000},
    {"limits", "send_timeout", T_DURATION, L(send_timeout_ms), 100, 86400000},
    {"limits", "max_requests_per_connection", T_UINT, L(max_requests), 1, 100000000},
    {"tls", "certificate", T_PATH, F(tls_cert), 0, 0},
    {"tls", "key", T_PATH, F(tls_key), 0, 0},
    {"tls", "ciphers", T_STR, F(tls_ciphers), 0, 0},
    {"tls", "ktls", T_KTLS, F(ktls), 0, 0},
    {"tokens", "require", T_BOOL, F(require_token), 0, 0},
    {"tokens", "keys", T_PATH, F(token_keys), 0, 0},
    {"tokens", "cache_entries", T_UINT, F(token_cache), 8, 10000000},
    {"tokens", "max_failures", T_UINT, F(token_max_failures), 1, 1000000},
    {"tokens", "failure_window", T_DURATION, F(token_failure_window_ms), 1000, 86400000},
    {"log", "error_log", T_LOGPATH, F(error_log), 0, 0},
    {"log", "level", T_LEVEL, F(level), 0, 0},
    {"log", "access_log", T_LOGPATH, F(access_log), 0, 0},
};

#define TLS12_CIPHERS                                                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

void edge_config_defaults(struct edge_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	conf_parse_addr("127.0.0.1:8080", &cfg->listen[0]);
	cfg->nlisten = 1;
	cfg->limits = (struct httpd_limits){
	    .max_request_line = 8192,
	    .max_header_size = 16384,
	    .header_timeout_ms = 10000,
	    .keepalive_timeout_ms = 75000,
	    .send_timeout_ms = 60000,
	    .shutdown_timeout_ms = 10000,
	    .max_requests = 10000,
	    .max_connections = 16384,
	};
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
	snprintf(cfg->error_log, sizeof(cfg->error_log), "stderr");
	cfg->level = LOG_LVL_INFO;
}

struct parse_ctx {
	struct edge_config *cfg;
	const char *name;
	char dir[PATH_MAX];
	char *err;
	size_t errlen;
};

static int store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 4:
		*(uint32_t *)dst = (uint32_t)v;
		return 0;
	case 8:
		*(uint64_t *)dst = v;
		return 0;
	}
	return -EINVAL;
}

static int store_str(struct parse_ctx *ctx, void *dst, size_t size, const char *v, bool path)
{
	int n;

	if (path && v[0] != '/' && strcmp(v, "stderr") != 0 && strcmp(v, "stdout") != 0)
		n = snprintf(dst, size, "%s/%s", ctx->dir, v);
	else
		n = snprintf(dst, size, "%s", v);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int parse_value(struct parse_ctx *ctx, const struct ckey *k, const char *v)
{
	char *base = (char *)ctx->cfg;
	uint64_t n;
	bool b;

	switch (k->type) {
	case T_ADDRS: {
		int count =
		    conf_parse_addr_list(v, (struct conf_addr *)(base + k->off), EDGE_MAX_LISTEN);

		if (count < 0)
			return -EINVAL;
		*(int *)(base + k->size) = count;
		return 0;
	}
	case T_UINT:
		if (conf_parse_uint(v, k->min, k->max, &n) != 0)
			return -EINVAL;
		return store_uint(base + k->off, k->size, n);
	case T_SIZE:
		if (conf_parse_size(v, &n) != 0 || n < k->min || n > k->max)
			return -EINVAL;
		return store_uint(base + k->off, k->size, n);
	case T_DURATION:
		if (conf_parse_duration(v, &n) != 0 || n < k->min || n > k->max)
			return -EINVAL;
		return store_uint(base + k->off, k->size, n);
	case T_BOOL:
		if (conf_parse_bool(v, &b) != 0)
			return -EINVAL;
		*(bool *)(base + k->off) = b;
		return 0;
	case T_WORKERS:
		if (strcmp(v, "auto") == 0)
			n = 0;
		else if (conf_parse_uint(v, k->min, k->max, &n) != 0)
			return -EINVAL;
		return store_uint(base + k->off, k->size, n);
	case T_LEVEL:
		return log_level_parse(v, (enum log_level *)(base + k->off));
	case T_KTLS:
		if (strcmp(v, "auto") == 0 || strcmp(v, "on") == 0)
			ctx->cfg->ktls = EDGE_KTLS_AUTO;
		else if (strcmp(v, "off") == 0)
			ctx->cfg->ktls = EDGE_KTLS_OFF;
		else
			return -EINVAL;
		return 0;
	case T_CORS:
		return store_str(ctx, base + k->off, k->size, strcmp(v, "off") == 0 ? "" : v,
				 false);
	case T_LOGPATH:
		if (strcmp(v, "off") == 0)
			v = "";
		return v[0] ? store_str(ctx, base + k->off, k->size, v, true)
			    : store_str(ctx, base + k->off, k->size, "", false);
	case T_PATH:
		return store_str(ctx, base + k->off, k->size, v, true);
	case T_STR:
		return store_str(ctx, base + k->off, k->size, v, false);
	}
	return -EINVAL;
}

static const char *type_hint(enum ctype t)
{
	switch (t) {
	case T_ADDRS:
		return "addresses such as 127.0.0.1:8080, [::]:8443";
	case T_UINT:
		return "a whole number in range";
	case T_SIZE:
		return "a size such as 16k or 4m, in range";
	case T_DURATION:
		return "a duration such as 500ms, 10s or 5m, in range";
	case T_BOOL:
		return "on or off";
	case T_WORKERS:
		return "auto or a number from 1 to 64";
	case T_LEVEL:
		return "error, warn, info or debug";
	case T_KTLS:
		return "auto or off";
	default:
		return "a shorter value";
	}
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].name, name) != 0)
			continue;
		if (parse_value(ctx, &keys[i], value) == 0)
			return 1;
		snprintf(ctx->err, ctx->errlen, "[%s] %s = \"%.200s\": expected %s", section, name,
			 value, type_hint(keys[i].type));
		return 0;
	}
	snprintf(ctx->err, ctx->errlen, "unknown key \"%.100s\" in section [%.100s]", name,
		 section);
	return 0;
}

static int check(struct edge_config *cfg, char *err, size_t errlen)
{
	if (cfg->nlisten + cfg->nlisten_tls == 0) {
		snprintf(err, errlen, "no listen or listen_tls address");
		return -1;
	}
	if (cfg->nlisten_tls && (!cfg->tls_cert[0] || !cfg->tls_key[0])) {
		snprintf(err, errlen, "listen_tls needs [tls] certificate and key");
		return -1;
	}
	if (cfg->require_token && !cfg->token_keys[0]) {
		snprintf(err, errlen, "[tokens] require = on needs keys");
		return -1;
	}
	if (cfg->limits.max_request_line > cfg->limits.max_header_size) {
		snprintf(err, errlen, "max_request_line is larger than max_header_size");
		return -1;
	}
	return 0;
}

static int finish(struct parse_ctx *ctx, int line, char *err, size_t errlen)
{
	char msg[512];

	if (line == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", ctx->name, strerror(errno));
		return -1;
	}
	if (line == -2) {
		snprintf(err, errlen, "%s: out of memory", ctx->name);
		return -1;
	}
	if (line > 0) {
		snprintf(msg, sizeof(msg), "%s", ctx->err[0] ? ctx->err : "syntax error");
		snprintf(err, errlen, "%s:%d: %s", ctx->name, line, msg);
		return -1;
	}
	if (check(ctx->cfg, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", ctx->name, msg);
		return -1;
	}
	return 0;
}

static void ctx_init(struct parse_ctx *ctx, struct edge_config *cfg, const char *name, char *errbuf,
		     size_t errlen)
{
	const char *slash = strrchr(name, '/');
	char abs[PATH_MAX];

	ctx->cfg = cfg;
	ctx->name = name;
	ctx->err = errbuf;
	ctx->errlen = errlen;
	errbuf[0] = '\0';
	if (slash)
		snprintf(ctx->dir, sizeof(ctx->dir), "%.*s", (int)(slash - name), name);
	else
		snprintf(ctx->dir, sizeof(ctx->dir), ".");
	if (ctx->dir[0] == '\0')
		snprintf(ctx->dir, sizeof(ctx->dir), "/");
	if (realpath(ctx->dir, abs))
		snprintf(ctx->dir, sizeof(ctx->dir), "%s", abs);
}

int edge_config_load(struct edge_config *cfg, const char *path, char *err, size_t errlen)
{
	struct parse_ctx ctx;
	char ebuf[512];

	ctx_init(&ctx, cfg, path, ebuf, sizeof(ebuf));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	return finish(&ctx, ini_parse(path, on_key, &ctx), err, errlen);
}

int edge_config_parse(struct edge_config *cfg, const char *text, const char *name, char *err,
		      size_t errlen)
{
	struct parse_ctx ctx;
	char ebuf[512];

	ctx_init(&ctx, cfg, name, ebuf, sizeof(ebuf));
	return finish(&ctx, ini_parse_string(text, on_key, &ctx), err, errlen);
}
