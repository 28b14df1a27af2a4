/*
 * Table-driven INI parsing for reel-origin (the pattern of edge/config.c):
 * every key has a section, a type, a range and a place in struct
 * origin_config; unknown keys are errors.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctype { T_ADDRS, T_UINT, T_SIZE, T_DURATION, T_PATH, T_LEVEL, T_LOGPATH };

struct ckey {
	const char *section, *name;
	enum ctype type;
	size_t off, size; /* for T_ADDRS: off of the array, size = off of the count */
	uint64_t min, max;
};

#define F(field) offsetof(struct origin_config, field), sizeof(((struct origin_config *)0)->field)
#define L(field)                                                                                   \
	offsetof(struct origin_config, limits.field),                                              \
	    sizeof(((struct origin_config *)0)->limits.field)
#define DAY_MS (86400ULL * 1000)

static const struct ckey keys[] = {
    {"server", "listen", T_ADDRS, offsetof(struct origin_config, listen),
     offsetof(struct origin_config, nlisten), 0, 0},
    {"server", "max_body", T_SIZE, L(max_body), 256, 1 << 20},
    {"server", "max_connections", T_UINT, L(max_connections), 1, 1000000},
    {"server", "keepalive_timeout", T_DURATION, L(keepalive_timeout_ms), 100, DAY_MS},
    {"server", "shutdown_timeout", T_DURATION, L(shutdown_timeout_ms), 0, 3600000},
    {"store", "data_dir", T_PATH, F(data_dir), 0, 0},
    {"store", "map_size", T_SIZE, F(map_size), 1 << 20, 1ULL << 40},
    {"auth", "session_ttl", T_DURATION, F(session_ttl_ms), 1000, 366 * DAY_MS},
    {"auth", "session_idle", T_DURATION, F(session_idle_ms), 1000, 366 * DAY_MS},
    {"auth", "argon2_memory", T_SIZE, F(argon2_memory), ORIGIN_ARGON2_MIN_MEMORY, 4ULL << 30},
    {"auth", "argon2_time", T_UINT, F(argon2_time), ORIGIN_ARGON2_MIN_TIME, 100},
    {"auth", "argon2_parallelism", T_UINT, F(argon2_lanes), ORIGIN_ARGON2_MIN_LANES, 64},
    {"log", "error_log", T_LOGPATH, F(error_log), 0, 0},
    {"log", "level", T_LEVEL, F(level), 0, 0},
    {"log", "access_log", T_LOGPATH, F(access_log), 0, 0},
};

void origin_config_defaults(struct origin_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	conf_parse_addr("127.0.0.1:8090", &cfg->listen[0]);
	cfg->nlisten = 1;
	cfg->limits = (struct httpd_limits){
	    .max_request_line = 8192,
	    .max_header_size = 16384,
	    .header_timeout_ms = 10000,
	    .keepalive_timeout_ms = 75000,
	    .send_timeout_ms = 60000,
	    .shutdown_timeout_ms = 10000,
	    .max_requests = 10000,
	    .max_connections = 4096,
	    .max_body = 16384,
	};
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/reel/origin");
	cfg->map_size = 1ULL << 30;
	cfg->session_ttl_ms = 30 * DAY_MS;
	cfg->session_idle_ms = 7 * DAY_MS;
	cfg->argon2_memory = ORIGIN_ARGON2_MIN_MEMORY;
	cfg->argon2_time = ORIGIN_ARGON2_MIN_TIME;
	cfg->argon2_lanes = ORIGIN_ARGON2_MIN_LANES;
	snprintf(cfg->error_log, sizeof(cfg->error_log), "stderr");
	cfg->level = LOG_LVL_INFO;
}

struct parse_ctx {
	struct origin_config *cfg;
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

	if (path && v[0] && v[0] != '/' && strcmp(v, "stderr") != 0)
		n = snprintf(dst, size, "%s/%s", ctx->dir, v);
	else
		n = snprintf(dst, size, "%s", v);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int parse_value(struct parse_ctx *ctx, const struct ckey *k, const char *v)
{
	char *base = (char *)ctx->cfg;
	uint64_t n;

	switch (k->type) {
	case T_ADDRS: {
		int count =
		    conf_parse_addr_list(v, (struct conf_addr *)(base + k->off), ORIGIN_MAX_LISTEN);

		if (count <= 0)
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
	case T_LEVEL:
		return log_level_parse(v, (enum log_level *)(base + k->off));
	case T_LOGPATH:
		return store_str(ctx, base + k->off, k->size, strcmp(v, "off") == 0 ? "" : v, true);
	case T_PATH:
		if (!v[0])
			return -EINVAL;
		return store_str(ctx, base + k->off, k->size, v, true);
	}
	return -EINVAL;
}

static const char *type_hint(const struct ckey *k)
{
	if (k->type == T_SIZE && k->min == ORIGIN_ARGON2_MIN_MEMORY)
		return "a size of at least 19m (OWASP's minimum for argon2id)";
	switch (k->type) {
	case T_ADDRS:
		return "addresses such as 127.0.0.1:8090";
	case T_UINT:
		if (k->min > 1)
			return "a whole number, at least 2 (OWASP's minimum for argon2id)";
		return "a whole number in range";
	case T_SIZE:
		return "a size such as 16k or 4m, in range";
	case T_DURATION:
		return "a duration such as 30s, 15m or 720h, in range";
	case T_LEVEL:
		return "error, warn, info or debug";
	default:
		return "a non-empty, shorter value";
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
			 value, type_hint(&keys[i]));
		return 0;
	}
	snprintf(ctx->err, ctx->errlen, "unknown key \"%.100s\" in section [%.100s]", name,
		 section);
	return 0;
}

static int finish(struct parse_ctx *ctx, int line, char *err, size_t errlen)
{
	if (line == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", ctx->name, strerror(errno));
		return -1;
	}
	if (line == -2) {
		snprintf(err, errlen, "%s: out of memory", ctx->name);
		return -1;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", ctx->name, line,
			 ctx->err[0] ? ctx->err : "syntax error");
		return -1;
	}
	if (ctx->cfg->session_idle_ms > ctx->cfg->session_ttl_ms) {
		snprintf(err, errlen, "%s: [auth] session_idle is longer than session_ttl",
			 ctx->name);
		return -1;
	}
	ctx->cfg->argon2_memory &= ~1023ULL; /* whole KiB, as argon2 counts */
	return 0;
}

static void ctx_init(struct parse_ctx *ctx, struct origin_config *cfg, const char *name,
		     char *errbuf, size_t errlen)
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

int origin_config_load(struct origin_config *cfg, const char *path, char *err, size_t errlen)
{
	struct parse_ctx ctx;
	char ebuf[512];

	ctx_init(&ctx, cfg, path, ebuf, sizeof(ebuf));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	return finish(&ctx, ini_parse(path, on_key, &ctx), err, errlen);
}

int origin_config_parse(struct origin_config *cfg, const char *text, const char *name, char *err,
			size_t errlen)
{
	struct parse_ctx ctx;
	char ebuf[512];

	ctx_init(&ctx, cfg, name, ebuf, sizeof(ebuf));
	return finish(&ctx, ini_parse_string(text, on_key, &ctx), err, errlen);
}
