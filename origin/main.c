/*
 * reel-origin: the control plane.  One process, one libevent loop serving the
 * JSON API on the common HTTP core, all state in one LMDB environment.
 * SIGTERM or SIGINT drains and exits; SIGUSR1 reopens the log files.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "daemon_args.h"
#include "reel_config.h"

static struct {
	struct origin_config cfg;
	struct event_base *base;
	struct httpd *srv;
	struct accesslog *alog;
	struct metrics *metrics;
	struct store *store;
	struct origin_auth *auth;
	struct origin_api api;
	struct httpd_listener ls[ORIGIN_MAX_LISTEN];
	int nls;
	bool draining;
} M;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: reel-origin [-c FILE] [-t] [-h] [-v]\n"
		"\n"
		"Serve the control-plane JSON API (accounts and sessions) over HTTP/1.1.\n"
		"\n"
		"  -c, --config FILE  configuration file (INI; default %s/origin.conf if it\n"
		"                     exists, else built-in defaults)\n"
		"  -t, --test         check the configuration and exit\n"
		"  -h, --help         show this help\n"
		"  -v, --version      show the version\n"
		"\n"
		"Signals: TERM or INT drains and exits, USR1 reopens the log files.\n",
		REEL_SYSCONFDIR);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int open_listener(const struct conf_addr *a, char *err, size_t errlen)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, 1024) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", a->text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void drained(void *arg)
{
	event_base_loopbreak(M.base);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	if (M.draining)
		return;
	M.draining = true;
	log_info("shutting down: draining %u connections", httpd_connections(M.srv));
	httpd_drain(M.srv, drained, NULL);
}

static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	log_init("reel-origin", M.cfg.level, M.cfg.error_log);
	if (M.alog && accesslog_reopen(M.alog) != 0)
		log_warn("reopening access log %s", M.cfg.access_log);
}

static int open_store(char *err, size_t errlen)
{
	struct origin_auth_params p = {
	    .m_kib = (uint32_t)(M.cfg.argon2_memory >> 10),
	    .t = M.cfg.argon2_time,
	    .p = M.cfg.argon2_lanes,
	    .ttl_s = (int64_t)(M.cfg.session_ttl_ms / 1000),
	    .idle_s = (int64_t)(M.cfg.session_idle_ms / 1000),
	};
	int rc = store_open(&M.store, M.cfg.data_dir, M.cfg.map_size, origin_db_names,
			    ORIGIN_DB_COUNT, err, errlen);

	if (rc != 0)
		return -1;
	if (!(M.auth = origin_auth_new(M.store, &p))) {
		snprintf(err, errlen, "password hashing setup: %s", strerror(errno));
		return -1;
	}
	M.api = (struct origin_api){.magic = ORIGIN_API_MAGIC, .auth = M.auth, .now = now_s};
	/* 5 free failures per account, 20 per address; then 2 s, 4 s, 8 s ... up to 15 min */
	M.api.by_account = throttle_new(65536, 5, 900);
	M.api.by_address = throttle_new(65536, 20, 900);
	if (!M.api.by_account || !M.api.by_address) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int open_listeners(char *err, size_t errlen)
{
	for (int i = 0; i < M.cfg.nlisten; i++) {
		int fd = open_listener(&M.cfg.listen[i], err, errlen);

		if (fd < 0)
			return -1;
		M.ls[M.nls].fd = fd;
		M.ls[M.nls].tls = NULL;
		snprintf(M.ls[M.nls].name, sizeof(M.ls[M.nls].name), "%s", M.cfg.listen[i].text);
		M.nls++;
	}
	return 0;
}

static int serve(void)
{
	struct event *ev[3] = {NULL, NULL, NULL};
	int sigs[3] = {SIGTERM, SIGINT, SIGUSR1};
	int rc = 1;

	if (!(M.base = event_base_new()) || !(M.metrics = metrics_new(1))) {
		log_warnx("cannot create the event loop");
		goto out;
	}
	if (M.cfg.access_log[0] && !(M.alog = accesslog_open(M.cfg.access_log))) {
		log_warn("access log %s", M.cfg.access_log);
		goto out;
	}
	M.srv = httpd_new(M.base, &M.cfg.limits, M.ls, M.nls, metrics_slot(M.metrics, 0), M.alog,
			  origin_api_handle, &M.api);
	if (!M.srv) {
		log_warn("server setup");
		goto out;
	}
	M.nls = 0; /* the server owns the sockets now */
	httpd_set_warn(M.srv, log_warnx);
	for (int i = 0; i < 3; i++) {
		ev[i] = evsignal_new(M.base, sigs[i], i == 2 ? on_usr1 : on_term, NULL);
		if (!ev[i] || event_add(ev[i], NULL) != 0) {
			log_warnx("cannot install signal handlers");
			goto out;
		}
	}
	for (int i = 0; i < M.cfg.nlisten; i++)
		log_info("listening on http://%s", M.cfg.listen[i].text);
	log_info("data in %s", M.cfg.data_dir);
	event_base_dispatch(M.base);
	log_info("stopped");
	rc = 0;
out:
	for (int i = 0; i < 3; i++)
		if (ev[i])
			event_free(ev[i]);
	httpd_free(M.srv);
	accesslog_free(M.alog);
	metrics_free(M.metrics);
	if (M.base)
		event_base_free(M.base);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool test = false;
	char err[1024];
	int rc = daemon_args(argc, argv, "reel-origin", REEL_SYSCONFDIR "/origin.conf", usage,
			     &path, &test);

	if (rc >= 0)
		return rc;
	origin_config_defaults(&M.cfg);
	if (path && origin_config_load(&M.cfg, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "reel-origin: %s\n", err);
		return 1;
	}
	if (test) {
		printf("reel-origin: configuration %s is valid\n", path ? path : "(built-in)");
		return 0;
	}
	if (log_init("reel-origin", M.cfg.level, M.cfg.error_log) != 0) {
		fprintf(stderr, "reel-origin: cannot open error log %s: %s\n", M.cfg.error_log,
			strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = 1;
	if (open_store(err, sizeof(err)) != 0 || open_listeners(err, sizeof(err)) != 0)
		log_error("%s", err);
	else
		rc = serve();
	for (int i = 0; i < M.nls; i++)
		close(M.ls[i].fd);
	throttle_free(M.api.by_account);
	throttle_free(M.api.by_address);
	origin_auth_free(M.auth);
	store_free(M.store);
	return rc;
}
