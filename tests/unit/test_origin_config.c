/* Unit tests for origin/origin_config.c: defaults, keys, OWASP minimums, errors. */
#include "origin_config.h"
#include "test.h"

static int parse(struct origin_config *cfg, const char *text, char *err, size_t errlen)
{
	origin_config_defaults(cfg);
	return origin_config_parse(cfg, text, "t.conf", err, errlen);
}

/* [content]: no endpoint by default; its url from its first listener, or as set. */
static void content_section(struct origin_config *cfg, char *err, size_t errlen)
{
	CHECK_INT(parse(cfg, "", err, errlen), 0);
	CHECK_STR(cfg->content_url, "");
	CHECK_INT(parse(cfg, "[content]\nurl = https://o.example/\n", err, errlen), 0);
	CHECK_STR(cfg->content_url, ""); /* no listener: no endpoint */
	CHECK_INT(parse(cfg, "[content]\nlisten = 127.0.0.1:8094, [::1]:8094\n", err, errlen), 0);
	CHECK_INT(cfg->ncontent_listen, 2);
	CHECK_STR(cfg->content_url, "http://127.0.0.1:8094");
	CHECK_INT(parse(cfg, "[content]\nlisten = [::1]:8094\n", err, errlen), 0);
	CHECK_STR(cfg->content_url, "http://[::1]:8094");
	CHECK_INT(
	    parse(cfg, "[content]\nlisten = 0.0.0.0:8094\nurl = https://o.example/\n", err, errlen),
	    0);
	CHECK_STR(cfg->content_url, "https://o.example");
	CHECK_INT(parse(cfg, "[content]\nlisten = 0.0.0.0:8094\n", err, errlen), -1);
	CHECK(strstr(err, "[content] url") && strstr(err, "wildcard"));
	CHECK_INT(parse(cfg, "[content]\nlisten = [::]:8094\n", err, errlen), -1);
	CHECK_INT(parse(cfg, "[content]\nlisten = 127.0.0.1:1\nurl = o.example\n", err, errlen),
		  -1);
	CHECK(strstr(err, "http://"));
	CHECK_INT(parse(cfg, "[content]\nlisten_tls = 127.0.0.1:1\n", err, errlen), -1);
	CHECK(strstr(err, "[tls]"));
}

int main(void)
{
	static struct origin_config cfg;
	char err[512];

	CHECK_INT(parse(&cfg, "", err, sizeof(err)), 0);
	CHECK_INT(cfg.argon2_memory, 19 << 20);
	CHECK_INT(cfg.argon2_time, 2);
	CHECK_INT(cfg.argon2_lanes, 1);
	CHECK_INT(cfg.limits.max_body, 16384);
	CHECK_STR(cfg.listen[0].text, "127.0.0.1:8090");
	CHECK_INT(parse(&cfg,
			"[server]\nlisten = 127.0.0.1:1, 127.0.0.1:2\nmax_body = 4k\n"
			"[store]\ndata_dir = /d\nmap_size = 16m\n"
			"[auth]\nsession_ttl = 2h\nsession_idle = 30m\nargon2_memory = 64m\n"
			"argon2_time = 3\nargon2_parallelism = 4\n[log]\nlevel = debug\n",
			err, sizeof(err)),
		  0);
	CHECK_INT(cfg.nlisten, 2);
	CHECK_INT(cfg.limits.max_body, 4096);
	CHECK_STR(cfg.data_dir, "/d");
	CHECK_INT(cfg.map_size, 16 << 20);
	CHECK_INT(cfg.session_ttl_ms, 7200000);
	CHECK_INT(cfg.session_idle_ms, 1800000);
	CHECK_INT(cfg.argon2_memory, 64 << 20);
	CHECK_INT(cfg.argon2_time, 3);
	CHECK_INT(cfg.argon2_lanes, 4);
	CHECK_INT(parse(&cfg, "[auth]\nargon2_memory = 18m\n", err, sizeof(err)), -1);
	CHECK(strstr(err, "t.conf:2:") && strstr(err, "19m"));
	CHECK_INT(parse(&cfg, "[auth]\nargon2_time = 1\n", err, sizeof(err)), -1);
	CHECK_INT(parse(&cfg, "[auth]\nargon2_parallelism = 0\n", err, sizeof(err)), -1);
	CHECK_INT(parse(&cfg, "[auth]\nsession_idle = 2h\nsession_ttl = 1h\n", err, sizeof(err)),
		  -1);
	CHECK_INT(parse(&cfg, "[auth]\nbogus = 1\n", err, sizeof(err)), -1);
	CHECK(strstr(err, "unknown key"));
	CHECK_INT(parse(&cfg, "[store]\ndata_dir =\n", err, sizeof(err)), -1);
	content_section(&cfg, err, sizeof(err));
	return test_done();
}
