/* Unit tests for reel-edge's INI configuration. */
#include "config.h"
#include "test.h"

#include <string.h>

static struct edge_config cfg;
static char err[1024];

static int parse(const char *text)
{
	edge_config_defaults(&cfg);
	err[0] = '\0';
	return edge_config_parse(&cfg, text, "/etc/reel/edge.conf", err, sizeof(err));
}

/* The cache store's keys and the checks across them. */
static void test_store(void)
{
	CHECK(!cfg.store);
	CHECK_INT(
	    parse("[store]\nenabled = on\nindex = idx\nmax_size = 10g\nmin_free = 0\n"
		  "[fill]\nlisten = 127.0.0.1:8081\n"
		  "[origin]\nedge_id = edge-1\nsecret_file = s\ncontrol_keys = k\n"
		  "[upstream]\nurl = http://o:8090/content\nretries = 0\nbreaker_open = 2s\n"),
	    0);
	CHECK(cfg.store);
	CHECK_STR(cfg.store_index, "/etc/reel/idx");
	CHECK(cfg.store_max_size == 10ULL << 30 && cfg.store_min_free == 0);
	CHECK_INT(cfg.listen[EDGE_ROLE_FILL].nplain, 1);
	CHECK_INT(cfg.listen[EDGE_ROLE_FILL].ntls, 0);
	CHECK_STR(cfg.edge_id, "edge-1");
	CHECK_STR(cfg.control_keys, "/etc/reel/k");
	CHECK_INT(cfg.upstream_retries, 0);
	CHECK_INT(cfg.breaker_open_ms, 2000);
	CHECK_INT(parse("[fill]\nlisten = 8081\n"), -1);
	CHECK(strstr(err, "[fill] listen needs [store] enabled") != NULL);
	CHECK_INT(parse("[store]\nenabled = on\n[fill]\nlisten = 8081\n"), -1);
	CHECK(strstr(err, "control_keys and edge_id") != NULL);
	CHECK_INT(parse("[store]\nenabled = on\n[origin]\nedge_id = e\ncontrol_keys = k\n"
			"[fill]\nlisten = 127.0.0.1:8080\n"),
		  -1);
	CHECK(strstr(err, "listed twice ([server] and [fill])") != NULL);
	CHECK_INT(parse("[store]\nenabled = on\n[origin]\nedge_id = e\ncontrol_keys = k\n"
			"[fill]\nlisten_tls = 127.0.0.1:8443\n"),
		  -1);
	CHECK(strstr(err, "listen_tls needs [tls] certificate") != NULL);
	CHECK_INT(parse("[upstream]\nurl = http://o/\n"), -1);
	CHECK(strstr(err, "[upstream] url needs [store]") != NULL);
	CHECK_INT(parse("[store]\nenabled = on\n[upstream]\nurl = ftp://o/\n"), -1);
	CHECK(strstr(err, "http:// or https://") != NULL);
	CHECK_INT(parse("[origin]\nedge_id = has space\n"), -1);
	CHECK_INT(parse("[origin]\nsecret_file = s\n"), -1);
	CHECK(strstr(err, "secret_file needs edge_id") != NULL);
}

/* [store] sync: the background sync by default, fdatasync per object on demand. */
static void test_store_sync(void)
{
	CHECK_INT(parse("[store]\nenabled = on\n"), 0);
	CHECK(!cfg.store_sync_each && cfg.store_sync_interval_ms == 5000);
	CHECK_INT(parse("[store]\nenabled = on\nsync = each\nsync_interval = 2s\n"), 0);
	CHECK(cfg.store_sync_each && cfg.store_sync_interval_ms == 2000);
	CHECK_INT(parse("[store]\nsync = sometimes\n"), -1);
	CHECK(strstr(err, "background or each") != NULL);
	CHECK_INT(parse("[store]\nsync_interval = 10ms\n"), -1);
}

/* [upstream] mode: the generic HTTP cache and what it excludes. */
static void test_upstream_mode(void)
{
	CHECK_INT(parse("[store]\nenabled = on\n[upstream]\nurl = http://o:80\nmode = http\n"), 0);
	CHECK(cfg.upstream_http);
	CHECK_INT(parse("[store]\nenabled = on\n[upstream]\nurl = http://o:80\nmode = reel\n"), 0);
	CHECK(!cfg.upstream_http);
	CHECK_INT(parse("[upstream]\nmode = squid\n"), -1);
	CHECK(strstr(err, "reel or http") != NULL);
	CHECK_INT(parse("[store]\nenabled = on\n[upstream]\nmode = http\n"), -1);
	CHECK(strstr(err, "mode = http needs [upstream] url") != NULL);
	CHECK_INT(parse("[store]\nenabled = on\n[upstream]\nurl = http://o\nmode = http\n"
			"[tokens]\nrequire = on\nkeys = k\n"),
		  -1);
	CHECK(strstr(err, "[tokens] require must be off") != NULL);
}

int main(void)
{
	test_store();
	test_upstream_mode();
	test_store_sync();
	CHECK_INT(parse(""), 0);
	CHECK_INT(cfg.listen[EDGE_ROLE_CONTENT].nplain, 1);
	CHECK_INT(cfg.listen[EDGE_ROLE_METRICS].nplain, 1);
	CHECK_STR(cfg.listen[EDGE_ROLE_METRICS].plain[0].text, "127.0.0.1:9145");
	CHECK(!cfg.metrics_on_content);
	CHECK_STR(cfg.hsts, "");
	CHECK_INT(cfg.limits.lingering_timeout_ms, 5000);
	CHECK_INT(cfg.limits.max_header_size, 16384);
	CHECK(cfg.gzip);
	CHECK_INT(parse("[server]\nlisten = 127.0.0.1:1, 127.0.0.1:2\nworkers = 3\n"
			"[limits]\nheader_timeout = 250ms\nmax_header_size = 32k\n"
			"[content]\nroot = pkgs\ngzip = off\ncors_origins = off\n"
			"[log]\naccess_log = off\nlevel = debug\n"),
		  0);
	CHECK_INT(cfg.listen[EDGE_ROLE_CONTENT].nplain, 2);
	CHECK_INT(cfg.workers, 3);
	CHECK_INT(cfg.limits.header_timeout_ms, 250);
	CHECK_INT(cfg.limits.max_header_size, 32768);
	CHECK_STR(cfg.root, "/etc/reel/pkgs");
	CHECK(!cfg.gzip);
	CHECK_STR(cfg.cors_origins, "");
	CHECK_STR(cfg.access_log, "");
	CHECK_INT(cfg.level, LOG_LVL_DEBUG);
	CHECK_INT(parse("[server]\nworkers = auto\n"), 0);
	CHECK_INT(cfg.workers, 0);
	CHECK_INT(parse("[server]\nlisten = nowhere\n"), -1);
	CHECK_STR(err, "/etc/reel/edge.conf:2: [server] listen = \"nowhere\": expected addresses "
		       "such as 127.0.0.1:8080, [::]:8443");
	CHECK_INT(parse("[server]\nworkers = 0\n"), -1);
	CHECK_INT(parse("[limits]\nheader_timeout = forever\n"), -1);
	CHECK_INT(parse("[content]\nroots = /x\n"), -1);
	CHECK_STR(err, "/etc/reel/edge.conf:2: unknown key \"roots\" in section [content]");
	CHECK_INT(parse("[nope]\nx = 1\n"), -1);
	CHECK_INT(parse("[server\n"), -1);
	CHECK_INT(parse("[server]\nlisten_tls = 127.0.0.1:8443\n"), -1);
	CHECK_STR(err, "/etc/reel/edge.conf: listen_tls needs [tls] certificate and key");
	CHECK_INT(parse("[server]\nlisten_tls = 127.0.0.1:8443\n[tls]\ncertificate = c.pem\n"
			"key = /k.pem\n"),
		  0);
	CHECK_STR(cfg.tls_cert, "/etc/reel/c.pem");
	/* listener roles: metrics on their own addresses, never one port for two roles */
	CHECK_INT(parse("[metrics]\nlisten = off\n"), 0);
	CHECK_INT(cfg.listen[EDGE_ROLE_METRICS].nplain, 0);
	CHECK_INT(parse("[metrics]\nlisten = [::1]:9100, 127.0.0.1:9101\non_content = on\n"), 0);
	CHECK_INT(cfg.listen[EDGE_ROLE_METRICS].nplain, 2);
	CHECK(cfg.metrics_on_content);
	CHECK_INT(parse("[server]\nlisten = 127.0.0.1:9145\n"), -1);
	CHECK_STR(err,
		  "/etc/reel/edge.conf: 127.0.0.1:9145 is listed twice ([server] and [metrics])");
	CHECK_INT(parse("[server]\nlisten = 127.0.0.1:1, 127.0.0.1:1\n"), -1);
	CHECK_STR(err, "/etc/reel/edge.conf: 127.0.0.1:1 is listed twice ([server] and [server])");
	CHECK_INT(parse("[server]\nlisten_tls = 127.0.0.1:8080\n[tls]\ncertificate = c\nkey = k\n"),
		  -1);
	/* Strict-Transport-Security for the HTTPS listeners */
	CHECK_INT(parse("[tls]\nhsts = max-age=31536000; includeSubDomains\n"), 0);
	CHECK_STR(cfg.hsts, "max-age=31536000; includeSubDomains");
	CHECK_INT(parse("[tls]\nhsts = off\n"), 0);
	CHECK_STR(cfg.hsts, "");
	CHECK_INT(parse("[tls]\nhsts = includeSubDomains\n"), -1);
	CHECK_INT(parse("[limits]\nlingering_timeout = 0\n"), 0);
	CHECK_INT(cfg.limits.lingering_timeout_ms, 0);
	CHECK_INT(parse("[limits]\nmax_request_line = 64k\nmax_header_size = 16k\n"), -1);
	CHECK_INT(parse("[tokens]\nrequire = on\n"), -1);
	CHECK_STR(err, "/etc/reel/edge.conf: [tokens] require = on needs keys");
	CHECK_INT(parse("[tokens]\nrequire = on\nkeys = stream-keys\n"), 0);
	CHECK_STR(cfg.token_keys, "/etc/reel/stream-keys");
	CHECK(cfg.require_token);
	return test_done();
}
