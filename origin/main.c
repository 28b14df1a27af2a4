/*
 * reel-origin: the control plane.  One process, one libevent loop serving the
 * JSON API on the common HTTP core, all state in one LMDB environment.
 * SIGTERM or SIGINT drains and exits; SIGUSR1 reopens the log files; SIGHUP
 * re-reads the signing key sets and the admin tokens, so keys rotate without
 * a restart.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "accounts/accounts.h"
#include "admin/admin_tokens.h"
#include "api/api.h"
#include "catalog/catalog.h"
#include "plans/plans.h"
#include "origin_config.h"
#include "daemon_args.h"
#include "downloads/downloads.h"
#include "accounts/pwhash_pool.h"
#include "keyfiles.h"
#include "playback/playback.h"
#include "reel_config.h"
#include "schema.h"
#include "store.h"
#include "tls.h"

static struct {
	struct origin_config cfg;
	struct event_base *base;
	struct httpd *srv, *admin_srv;
	SSL_CTX *tls;
	struct keyset stream_keys, license_keys;
	uint8_t master_key[32];
	struct admin_tokens admins;
	struct playback *playback;
	struct event *tick;
	struct pwhash_pool *pool;
	struct accesslog *alog;
	struct metrics *metrics;
	struct store *store;
	struct accounts *accounts;
	struct origin_api api;
	struct httpd_listener ls[2 * ORIGIN_MAX_LISTEN], als[ORIGIN_MAX_LISTEN];
	int nls, nals;
	bool draining;
} M;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: reel-origin [-c FILE] [-t] [-h] [-v]\n"
		"       reel-origin --admin-token NAME\n"
		"\n"
		"Serve the control plane's JSON APIs over HTTP/1.1 and HTTPS: accounts,\n"
		"plans and subscriptions, the catalog, playback authorization, content\n"
		"keys and offline licenses; and the admin API on its own listeners.\n"
		"\n"
		"  -c, --config FILE  configuration file (INI; default %s/origin.conf if it\n"
		"                     exists, else built-in defaults)\n"
		"  -t, --test         check the configuration and exit\n"
		"  -h, --help         show this help\n"
		"  -v, --version      show the version\n"
		"  --admin-token NAME print a new admin token and its line for [admin] tokens\n"
		"\n"
		"Signals: TERM or INT drains and exits, USR1 reopens the log files, HUP\n"
		"re-reads the key sets and admin tokens (keys rotate without a restart).\n",
		REEL_SYSCONFDIR);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
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
	struct playback_params pp = {0};
	struct downloads_params dp;
	struct accounts_params p = {
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
	if (!(M.accounts = accounts_new(M.store, &p))) {
		snprintf(err, errlen, "password hashing setup: %s", strerror(errno));
		return -1;
	}
	M.api = (struct origin_api){
	    .magic = ORIGIN_API_MAGIC,
	    .accounts = M.accounts,
	    .now = now_s,
	};
	if (!(M.api.plans = plans_new(M.store))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(M.api.catalog = catalog_new(M.store, M.master_key))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pp.lease_timeout_s = (uint32_t)(M.cfg.lease_timeout_ms / 1000);
	pp.token_margin_s = (uint32_t)(M.cfg.token_margin_ms / 1000);
	pp.token_max_s = (uint32_t)(M.cfg.token_max_ms / 1000);
	snprintf(pp.edge_url, sizeof(pp.edge_url), "%s", M.cfg.edge_url);
	if ((rc = playback_new(M.store, M.api.plans, M.api.catalog, &M.stream_keys, &pp, now_s(),
			       &M.playback)) != 0) {
		snprintf(err, errlen, "loading leases: %s", strerror(-rc));
		return -1;
	}
	M.api.playback = M.playback;
	dp.license_ttl_s = (uint32_t)(M.cfg.license_ttl_ms / 1000);
	dp.license_window_s = (uint32_t)(M.cfg.license_window_ms / 1000);
	if (!(M.api.downloads =
		  downloads_new(M.store, M.api.plans, M.api.catalog, &M.license_keys, &dp))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int add_listeners(struct httpd_listener *ls, int *n, const struct conf_addr *addrs,
			 int count, SSL_CTX *tls, char *err, size_t errlen)
{
	for (int i = 0; i < count; i++) {
		int fd = conf_addr_listen(&addrs[i], false, 1024, err, errlen);

		if (fd < 0)
			return -1;
		ls[*n].fd = fd;
		ls[*n].tls = tls;
		snprintf(ls[*n].name, sizeof(ls[*n].name), "%s", addrs[i].text);
		(*n)++;
	}
	return 0;
}

static int open_listeners(char *err, size_t errlen)
{
	if (M.cfg.nlisten_tls &&
	    !(M.tls = tls_server_ctx(M.cfg.tls_cert, M.cfg.tls_key, NULL, false, err, errlen)))
		return -1;
	if (add_listeners(M.ls, &M.nls, M.cfg.listen, M.cfg.nlisten, NULL, err, errlen) != 0 ||
	    add_listeners(M.ls, &M.nls, M.cfg.listen_tls, M.cfg.nlisten_tls, M.tls, err, errlen) !=
		0 ||
	    add_listeners(M.als, &M.nals, M.cfg.admin_listen, M.cfg.nadmin_listen, NULL, err,
			  errlen) != 0)
		return -1;
	return 0;
}

/* A key file's path: PATH as configured, else NAME in the data folder. */
static const char *key_path(const char *path, const char *name, char *buf, size_t len)
{
	if (path[0])
		return path;
	snprintf(buf, len, "%s/%s", M.cfg.data_dir, name);
	return buf;
}

/* Load (creating the defaults in the data folder) the origin's keys and admin tokens. */
static int open_keys(char *err, size_t errlen)
{
	char p[PATH_MAX + 32];

	if (keyset_load(&M.stream_keys, key_path(M.cfg.stream_keys, "stream.keys", p, sizeof(p)),
			!M.cfg.stream_keys[0], "s1", err, errlen) != 0 ||
	    keyset_load(&M.license_keys, key_path(M.cfg.license_keys, "license.keys", p, sizeof(p)),
			!M.cfg.license_keys[0], "l1", err, errlen) != 0 ||
	    master_key_load(key_path(M.cfg.master_key, "master.key", p, sizeof(p)),
			    !M.cfg.master_key[0], M.master_key, err, errlen) != 0)
		return -1;
	if (M.cfg.admin_tokens[0] &&
	    admin_tokens_load(&M.admins, M.cfg.admin_tokens, err, errlen) != 0)
		return -1;
	M.api.stream_keys = &M.stream_keys;
	M.api.license_keys = &M.license_keys;
	M.api.admins = &M.admins;
	return 0;
}

/* Once a second: end leases without heartbeat and save lease changes. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	int rc;

	if ((rc = playback_tick(M.playback, now_s())) != 0)
		log_warnx("saving leases: %s", strerror(-rc));
}

/*
 * SIGHUP: re-read the stream and license key sets and the admin tokens (the
 * configuration file itself is not re-read).  All or nothing: a file with a
 * problem keeps every old key in use.
 */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct keyset stream, license;
	struct admin_tokens admins = {0};
	char p[PATH_MAX + 32], err[1024];

	if (keyset_load(&stream, key_path(M.cfg.stream_keys, "stream.keys", p, sizeof(p)), false,
			"s1", err, sizeof(err)) != 0) {
		log_error("reload: %s; keeping the old keys", err);
		return;
	}
	if (keyset_load(&license, key_path(M.cfg.license_keys, "license.keys", p, sizeof(p)), false,
			"l1", err, sizeof(err)) != 0) {
		log_error("reload: %s; keeping the old keys", err);
		keyset_free(&stream);
		return;
	}
	if (M.cfg.admin_tokens[0] &&
	    admin_tokens_load(&admins, M.cfg.admin_tokens, err, sizeof(err)) != 0) {
		log_error("reload: %s; keeping the old keys", err);
		keyset_free(&stream);
		keyset_free(&license);
		return;
	}
	keyset_free(&M.stream_keys);
	keyset_free(&M.license_keys);
	M.stream_keys = stream;
	M.license_keys = license;
	M.admins = admins;
	log_info(
	    "reload: %zu stream keys (signing: %s), %zu license keys (signing: %s), %zu admins",
	    stream.n, paseto_key_kid(keyset_signer(&stream)), license.n,
	    paseto_key_kid(keyset_signer(&license)), admins.n);
}

static int serve(void)
{
	struct event *ev[4] = {NULL, NULL, NULL, NULL};
	int sigs[4] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
	void (*handlers[4])(evutil_socket_t, short, void *) = {on_term, on_term, on_usr1, on_hup};
	int rc = 1;

	if (!(M.base = event_base_new()) || !(M.api.metrics = M.metrics = metrics_new(1))) {
		log_warnx("cannot create the event loop");
		goto out;
	}
	if (M.cfg.access_log[0] && !(M.alog = accesslog_open(M.cfg.access_log))) {
		log_warn("access log %s", M.cfg.access_log);
		goto out;
	}
	M.pool = pwhash_pool_new(M.base,
				 M.cfg.hash_threads ? M.cfg.hash_threads
						    : (unsigned)sysconf(_SC_NPROCESSORS_ONLN),
				 M.cfg.hash_queue);
	if (!M.pool) {
		log_warn("password hashing threads");
		goto out;
	}
	M.api.pool = M.pool;
	M.srv = httpd_new(M.base, &M.cfg.limits, M.ls, M.nls, metrics_slot(M.metrics, 0), M.alog,
			  origin_api_handle, &M.api);
	if (!M.srv) {
		log_warn("server setup");
		goto out;
	}
	M.nls = 0; /* the server owns the sockets now */
	httpd_set_warn(M.srv, log_warnx);
	if (M.nals) {
		struct httpd_limits al = M.cfg.limits;

		al.max_body = M.cfg.admin_max_body;
		M.admin_srv = httpd_new(M.base, &al, M.als, M.nals, metrics_slot(M.metrics, 0),
					M.alog, origin_admin_handle, &M.api);
		if (!M.admin_srv) {
			log_warn("admin server setup");
			goto out;
		}
		M.nals = 0;
		httpd_set_warn(M.admin_srv, log_warnx);
	}
	if (!(M.tick = event_new(M.base, -1, EV_PERSIST, on_tick, NULL)) ||
	    event_add(M.tick, &(struct timeval){1, 0}) != 0) {
		log_warnx("cannot start the lease timer");
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		ev[i] = evsignal_new(M.base, sigs[i], handlers[i], NULL);
		if (!ev[i] || event_add(ev[i], NULL) != 0) {
			log_warnx("cannot install signal handlers");
			goto out;
		}
	}
	for (int i = 0; i < M.cfg.nlisten; i++)
		log_info("listening on http://%s", M.cfg.listen[i].text);
	for (int i = 0; i < M.cfg.nlisten_tls; i++)
		log_info("listening on https://%s", M.cfg.listen_tls[i].text);
	for (int i = 0; i < M.cfg.nadmin_listen; i++)
		log_info("admin API on http://%s (%zu admin%s)", M.cfg.admin_listen[i].text,
			 M.admins.n, M.admins.n == 1 ? "" : "s");
	log_info("data in %s", M.cfg.data_dir);
	event_base_dispatch(M.base);
	log_info("stopped");
	rc = 0;
out:
	for (int i = 0; i < 4; i++)
		if (ev[i])
			event_free(ev[i]);
	if (M.tick)
		event_free(M.tick);
	httpd_free(M.srv);
	httpd_free(M.admin_srv);
	pwhash_pool_free(M.pool); /* joins the threads; late answers find their connections gone */
	M.pool = M.api.pool = NULL;
	if (M.playback && playback_save(M.playback) != 0)
		log_warnx("saving leases failed");
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
	int rc;

	if (argc == 3 && strcmp(argv[1], "--admin-token") == 0)
		return admin_token_generate(argv[2]) == 0 ? 0 : 1;
	rc = daemon_args(argc, argv, "reel-origin", REEL_SYSCONFDIR "/origin.conf", usage, &path,
			 &test);
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
	if (open_store(err, sizeof(err)) != 0 || open_keys(err, sizeof(err)) != 0 ||
	    open_listeners(err, sizeof(err)) != 0)
		log_error("%s", err);
	else
		rc = serve();
	for (int i = 0; i < M.nls; i++)
		close(M.ls[i].fd);
	for (int i = 0; i < M.nals; i++)
		close(M.als[i].fd);
	if (M.tls)
		SSL_CTX_free(M.tls);
	playback_free(M.playback);
	downloads_free(M.api.downloads);
	catalog_free(M.api.catalog);
	plans_free(M.api.plans);
	keyset_free(&M.stream_keys);
	keyset_free(&M.license_keys);
	OPENSSL_cleanse(M.master_key, sizeof(M.master_key));
	accounts_free(M.accounts);
	store_free(M.store);
	return rc;
}
