/* Table-driven INI configuration over inih. */
#include "conf_table.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"

struct ctx {
	const struct conf_key *keys;
	size_t nkeys;
	char *base;
	char dir[PATH_MAX];
	char err[512];
};

static int store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 4:
		if (v > UINT32_MAX)
			return -EINVAL;
		*(uint32_t *)dst = (uint32_t)v;
		return 0;
	case 8:
		*(uint64_t *)dst = v;
		return 0;
	}
	return -EINVAL;
}

static int store_str(const struct ctx *c, void *dst, size_t size, const char *v, bool path)
{
	int n;

	if (path && v[0] && v[0] != '/' && strcmp(v, "stderr") != 0 && strcmp(v, "stdout") != 0)
		n = snprintf(dst, size, "%s/%s", c->dir, v);
	else
		n = snprintf(dst, size, "%s", v);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int parse_value(const struct ctx *c, const struct conf_key *k, const char *v)
{
	void *field = c->base + k->off;
	uint64_t n;
	bool b;
	int count;

	switch (k->type) {
	case CONF_ADDRS:
		count = strcmp(v, "off") == 0 ? 0 : conf_parse_addr_list(v, field, (int)k->max);
		if (count < 0 || (uint64_t)count < k->min)
			return -EINVAL;
		*(int *)(c->base + k->size) = count;
		return 0;
	case CONF_UINT:
		if (conf_parse_uint(v, k->min, k->max, &n) != 0)
			return -EINVAL;
		return store_uint(field, k->size, n);
	case CONF_SIZE:
		if (conf_parse_size(v, &n) != 0 || n < k->min || n > k->max)
			return -EINVAL;
		return store_uint(field, k->size, n);
	case CONF_DURATION:
		if (conf_parse_duration(v, &n) != 0 || n < k->min || n > k->max)
			return -EINVAL;
		return store_uint(field, k->size, n);
	case CONF_BOOL:
		if (conf_parse_bool(v, &b) != 0)
			return -EINVAL;
		*(bool *)field = b;
		return 0;
	case CONF_STR:
	case CONF_PATH:
		if (k->min && !v[0])
			return -EINVAL;
		return store_str(c, field, k->size, v, k->type == CONF_PATH);
	case CONF_LOGPATH:
		return store_str(c, field, k->size, strcmp(v, "off") == 0 ? "" : v, true);
	case CONF_LEVEL:
		return log_level_parse(v, field);
	case CONF_CUSTOM:
		return k->parse(v, field);
	}
	return -EINVAL;
}

static const char *type_hint(const struct conf_key *k)
{
	if (k->hint)
		return k->hint;
	switch (k->type) {
	case CONF_ADDRS:
		return "addresses such as 127.0.0.1:8080, [::]:8443";
	case CONF_UINT:
		return "a whole number in range";
	case CONF_SIZE:
		return "a size such as 16k or 4m, in range";
	case CONF_DURATION:
		return "a duration such as 500ms, 10s or 5m, in range";
	case CONF_BOOL:
		return "on or off";
	case CONF_LEVEL:
		return "error, warn, info or debug";
	default:
		return "a non-empty, shorter value";
	}
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *c = user;

	for (size_t i = 0; i < c->nkeys; i++) {
		const struct conf_key *k = &c->keys[i];

		if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
			continue;
		if (parse_value(c, k, value) == 0)
			return 1;
		snprintf(c->err, sizeof(c->err), "[%s] %s = \"%.200s\": expected %s", section, name,
			 value, type_hint(k));
		return 0;
	}
	snprintf(c->err, sizeof(c->err), "unknown key \"%.100s\" in section [%.100s]", name,
		 section);
	return 0;
}

static void ctx_init(struct ctx *c, const struct conf_key *keys, size_t nkeys, void *base,
		     const char *name)
{
	const char *slash = strrchr(name, '/');
	char abs[PATH_MAX];

	c->keys = keys;
	c->nkeys = nkeys;
	c->base = base;
	c->err[0] = '\0';
	if (slash)
		snprintf(c->dir, sizeof(c->dir), "%.*s", (int)(slash - name), name);
	else
		snprintf(c->dir, sizeof(c->dir), ".");
	if (c->dir[0] == '\0')
		snprintf(c->dir, sizeof(c->dir), "/");
	if (realpath(c->dir, abs))
		snprintf(c->dir, sizeof(c->dir), "%s", abs);
}

static int finish(const struct ctx *c, const char *name, int line, char *err, size_t errlen)
{
	if (line == -1)
		snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
	else if (line == -2)
		snprintf(err, errlen, "%s: out of memory", name);
	else if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", name, line, c->err[0] ? c->err : "syntax error");
	return line == 0 ? 0 : -1;
}

int conf_table_load(const struct conf_key *keys, size_t nkeys, void *base, const char *path,
		    char *err, size_t errlen)
{
	struct ctx c;

	ctx_init(&c, keys, nkeys, base, path);
	return finish(&c, path, ini_parse(path, on_key, &c), err, errlen);
}

int conf_table_parse(const struct conf_key *keys, size_t nkeys, void *base, const char *text,
		     const char *name, char *err, size_t errlen)
{
	struct ctx c;

	ctx_init(&c, keys, nkeys, base, name);
	return finish(&c, name, ini_parse_string(text, on_key, &c), err, errlen);
}
