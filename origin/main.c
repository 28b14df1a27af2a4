/*
 * reel-origin: the control plane.  One process, one libevent loop serving the
 * JSON APIs on the common HTTP core, all state in one LMDB environment.
 * SIGTERM or SIGINT drains and exits; SIGUSR1 reopens the log files; SIGHUP
 * re-reads the signing key sets and the admin tokens (so keys rotate without
 * a restart) and the web player's files.
 *
 * main() is arguments, setup, loop, teardown.  The setup opens the parts
 * (the table below) in order; the teardown closes them in reverse.
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
#include "accounts/throttle.h"
#include "accounts/pwhash_pool.h"
#include "admin/admin_tokens.h"
#include "api/api.h"
#include "api/commit_batch.h"
#include "catalog/catalog.h"
#include "content/content.h"
#include "daemon_args.h"
#include "downloads/downloads.h"
#include "jobs/jobs.h"
#include "edges/edges.h"
#include "edges/revocations.h"
#include "fill/fill.h"
#include "keyfiles.h"
#include "origin_config.h"
#include "plans/plans.h"
#include "playback/playback.h"
#include "reel_config.h"
#include "schema.h"
#include "store.h"
#include "tls.h"
#include "viewing/viewing.h"
#include "web/web.h"

#define NSIGNALS 4

/* The content endpoint's bad stream tokens per address: 20 free, then waits up to a minute. */
#define CONTENT_THROTTLE_SLOTS 4096
#define CONTENT_THROTTLE_FREE  20
#define CONTENT_THROTTLE_WAIT  60

static struct {
	struct origin_config cfg;
	struct store *store;
	struct keyset stream_keys, license_keys;
	struct keyset control_keys; /* sign fill requests to the edges */
	uint8_t master_key[32];
	struct admin_tokens admins;
	struct origin_api api; /* every domain's service, for the handlers */
	SSL_CTX *tls;
	struct httpd_listener ls[2 * ORIGIN_MAX_LISTEN], als[2 * ORIGIN_MAX_LISTEN];
	int nls, nals; /* listeners not yet handed to a server */
	struct httpd_listener els[2 * ORIGIN_MAX_LISTEN]; /* the edge API's */
	int nels;
	struct httpd *edge_srv;
	struct httpd_listener cls[2 * ORIGIN_MAX_LISTEN]; /* the content endpoint's */
	int ncls;
	struct httpd *content_srv;
	struct event_base *base;
	struct metrics *metrics;
	struct accesslog *alog;
	struct httpd *srv, *admin_srv;
	struct event *tick, *signals[NSIGNALS];
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
		"keys and offline licenses; the web player's files beside them; the\n"
		"admin API, the edge API and the content endpoint (packages for edges\n"
		"and players) on their own listeners.\n"
		"\n"
		"  -c, --config FILE  configuration file (INI; default %s/origin.conf if it\n"
		"                     exists, else built-in defaults)\n"
		"  -t, --test         check the configuration and exit\n"
		"  -h, --help         show this help\n"
		"  -v, --version      show the version\n"
		"  --admin-token NAME print a new admin token and its line for [admin] tokens\n"
		"\n"
		"Signals: TERM or INT drains and exits, USR1 reopens the log files, HUP\n"
		"re-reads the key sets and admin tokens (keys rotate without a restart)\n"
		"and the web player's files.\n",
		REEL_SYSCONFDIR);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* Fill ERR with "WHAT: strerror(errno)" and return -1. */
static int failed(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

/* ---- the parts, from the store to the signals ---- */

static int open_store(char *err, size_t errlen)
{
	if (store_open(&M.store, M.cfg.data_dir, M.cfg.map_size, origin_db_names, ORIGIN_DB_COUNT,
		       err, errlen) != 0)
		return -1;
	M.api = (struct origin_api){.magic = ORIGIN_API_MAGIC, .now = now_s};
	return 0;
}

static void close_store(void)
{
	store_free(M.store);
}

/* A file or folder's path: PATH as configured, else NAME in the data folder. */
static const char *data_path(const char *path, const char *name, char *buf, size_t len)
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

	if (keyset_load(&M.stream_keys, data_path(M.cfg.stream_keys, "stream.keys", p, sizeof(p)),
			!M.cfg.stream_keys[0], "s1", err, errlen) != 0 ||
	    keyset_load(&M.license_keys,
			data_path(M.cfg.license_keys, "license.keys", p, sizeof(p)),
			!M.cfg.license_keys[0], "l1", err, errlen) != 0 ||
	    master_key_load(data_path(M.cfg.master_key, "master.key", p, sizeof(p)),
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

/*
 * SIGHUP: re-read the stream and license key sets and the admin tokens (the
 * configuration file itself is not re-read).  All or nothing: a file with a
 * problem keeps every old key in use.
 */
static void reload_keys(void)
{
	struct keyset stream, license;
	struct admin_tokens admins = {0};
	char p[PATH_MAX + 32], err[1024];

	if (keyset_load(&stream, data_path(M.cfg.stream_keys, "stream.keys", p, sizeof(p)), false,
			"s1", err, sizeof(err)) != 0) {
		log_error("reload: %s; keeping the old keys", err);
		return;
	}
	if (keyset_load(&license, data_path(M.cfg.license_keys, "license.keys", p, sizeof(p)),
			false, "l1", err, sizeof(err)) != 0) {
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

static void close_keys(void)
{
	keyset_free(&M.stream_keys);
	keyset_free(&M.license_keys);
	OPENSSL_cleanse(M.master_key, sizeof(M.master_key));
}

/* The control key set that signs fill requests (docs/fill.md). */
static int open_control_keys(char *err, size_t errlen)
{
	char p[PATH_MAX + 32];

	if (keyset_load(&M.control_keys, data_path(M.cfg.control_keys, "control.keys", p, sizeof(p)),
			!M.cfg.control_keys[0], "c1", err, errlen) != 0)
		return -1;
	M.api.control_keys = &M.control_keys;
	return 0;
}

/* SIGHUP: the control key set again; a file with a problem keeps the old keys. */
static void reload_control_keys(void)
{
	struct keyset ks;
	char p[PATH_MAX + 32], err[1024];

	if (keyset_load(&ks, data_path(M.cfg.control_keys, "control.keys", p, sizeof(p)), false,
			"c1", err, sizeof(err)) != 0) {
		log_error("reload: %s; keeping the old control keys", err);
		return;
	}
	keyset_free(&M.control_keys);
	M.control_keys = ks;
	log_info("reload: %zu control keys (signing: %s)", ks.n,
		 paseto_key_kid(keyset_signer(&ks)));
}

static void close_control_keys(void)
{
	keyset_free(&M.control_keys);
}

static int open_accounts(char *err, size_t errlen)
{
	struct accounts_params p = {
	    .m_kib = (uint32_t)(M.cfg.argon2_memory >> 10),
	    .t = M.cfg.argon2_time,
	    .p = M.cfg.argon2_lanes,
	    .ttl_s = (int64_t)(M.cfg.session_ttl_ms / 1000),
	    .idle_s = (int64_t)(M.cfg.session_idle_ms / 1000),
	    .password_strength = M.cfg.password_strength,
	    .signups_per_address = M.cfg.signups_per_address,
	    .master = M.master_key,
	};

	if (!(M.api.accounts = accounts_new(M.store, &p)))
		return failed(err, errlen, "password hashing setup");
	return 0;
}

static void close_accounts(void)
{
	accounts_free(M.api.accounts);
}

static int open_plans(char *err, size_t errlen)
{
	return (M.api.plans = plans_new(M.store)) ? 0 : failed(err, errlen, "plans");
}

static void close_plans(void)
{
	plans_free(M.api.plans);
}

static int open_catalog(char *err, size_t errlen)
{
	M.api.catalog = catalog_new(M.store, M.master_key);
	return M.api.catalog ? 0 : failed(err, errlen, "catalog");
}

static void close_catalog(void)
{
	catalog_free(M.api.catalog);
}

static int open_playback(char *err, size_t errlen)
{
	struct playback_params p = {
	    .lease_timeout_s = (uint32_t)(M.cfg.lease_timeout_ms / 1000),
	    .token_margin_s = (uint32_t)(M.cfg.token_margin_ms / 1000),
	    .token_max_s = (uint32_t)(M.cfg.token_max_ms / 1000),
	};
	int rc;

	snprintf(p.edge_url, sizeof(p.edge_url), "%s", M.cfg.edge_url);
	if ((rc = playback_new(M.store, M.api.plans, M.api.catalog, &M.stream_keys, &p, now_s(),
			       &M.api.playback)) != 0) {
		snprintf(err, errlen, "loading leases: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* Once a second: end leases without heartbeat and have the lease changes saved. */
static void tick_playback(int64_t now)
{
	playback_sweep(M.api.playback, now);
	if (M.api.plays)
		commit_batch_kick(M.api.plays);
}

static void close_playback(void)
{
	if (M.api.playback && playback_save(M.api.playback) != 0)
		log_warnx("saving leases failed");
	playback_free(M.api.playback);
}

static int open_viewing(char *err, size_t errlen)
{
	struct viewing_params p = {
	    .window_days = (uint32_t)(M.cfg.popular_window_ms / (86400 * 1000)),
	    .fanout = M.cfg.pair_fanout,
	    .half_life_s = (int64_t)(M.cfg.half_life_ms / 1000),
	};
	int rc = viewing_new(M.store, M.api.catalog, M.api.playback, &p, now_s(), &M.api.viewing);

	if (rc != 0) {
		snprintf(err, errlen, "counting plays: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* Once a second: save the history's changes (and, once a minute, count the plays again). */
static void tick_viewing(int64_t now)
{
	int rc;

	if ((rc = viewing_tick(M.api.viewing, now)) != 0)
		log_warnx("saving history: %s", strerror(-rc));
}

static void close_viewing(void)
{
	if (M.api.viewing && viewing_save(M.api.viewing) != 0)
		log_warnx("saving history failed");
	viewing_free(M.api.viewing);
}

static int open_downloads(char *err, size_t errlen)
{
	struct downloads_params p = {
	    .license_ttl_s = (uint32_t)(M.cfg.license_ttl_ms / 1000),
	    .license_window_s = (uint32_t)(M.cfg.license_window_ms / 1000),
	};

	M.api.downloads = downloads_new(M.store, M.api.plans, M.api.catalog, &M.license_keys, &p);
	return M.api.downloads ? 0 : failed(err, errlen, "downloads");
}

static void close_downloads(void)
{
	downloads_free(M.api.downloads);
}

/* The edge registry; its hook hears every lease that ends. */
static int open_edges(char *err, size_t errlen)
{
	struct edges_params p = {
	    .down_after_s = (uint32_t)(M.cfg.edge_down_after_ms / 1000),
	    .interval_s = (uint32_t)(M.cfg.edge_interval_ms / 1000),
	    .keep_s = (uint32_t)(M.cfg.token_max_ms / 1000),
	};
	int rc;

	snprintf(p.fallback_url, sizeof(p.fallback_url), "%s",
		 M.cfg.edge_fallback_url[0] ? M.cfg.edge_fallback_url
		 : M.cfg.content_url[0]	    ? M.cfg.content_url
					    : M.cfg.edge_url);
	if ((rc = edges_new(M.store, M.master_key, &M.stream_keys, M.api.playback, &p, now_s(),
			    &M.api.edges)) != 0) {
		snprintf(err, errlen, "loading edges: %s", strerror(-rc));
		return -1;
	}
	playback_on_end(M.api.playback, edges_lease_ended, M.api.edges);
	return 0;
}

/* Once a second: revoke retired stream key ids, forget old revocations. */
static void tick_edges(int64_t now)
{
	edges_tick(M.api.edges, now);
}

static void close_edges(void)
{
	int rc;

	if (M.api.playback)
		playback_on_end(M.api.playback, NULL, NULL);
	if (M.api.edges && (rc = edges_revocations_save(M.api.edges)) != 0)
		log_warnx("saving revocations: %s", strerror(-rc));
	edges_free(M.api.edges);
}

/* The fill scheduler, on the loop, over the registry and the catalog. */
static int open_fill(char *err, size_t errlen)
{
	static char content[PATH_MAX + 16];
	char dir[PATH_MAX + 16];
	struct fill_params p = {
	    .content_dir = content,
	    .keys = &M.control_keys,
	    .copies = M.cfg.fill_copies,
	    .parallel = M.cfg.fill_parallel,
	    .rate = M.cfg.fill_rate,
	    .window_start = M.cfg.fill_window_start,
	    .window_end = M.cfg.fill_window_end,
	    .rescan_s = (uint32_t)(M.cfg.fill_rescan_ms / 1000),
	    .backoff_s = (uint32_t)(M.cfg.fill_backoff_ms / 1000),
	    .backoff_max_s = (uint32_t)(M.cfg.fill_backoff_max_ms / 1000),
	    .timeout_ms = (uint32_t)M.cfg.fill_timeout_ms,
	    .viewing = M.api.viewing,
	    .peer = M.cfg.fill_peer,
	};

	snprintf(content, sizeof(content), "%s",
		 data_path(M.cfg.content_dir, "content", dir, sizeof(dir)));
	if (!(M.api.fill = fill_new(M.base, M.api.edges, M.api.catalog, &p)))
		return failed(err, errlen, "fill scheduler");
	return 0;
}

static void tick_fill(int64_t now)
{
	fill_tick(M.api.fill, now);
}

static void close_fill(void)
{
	fill_free(M.api.fill);
	M.api.fill = NULL;
}

/* The content endpoint's store ([jobs] content_dir), when [content] has listeners. */
static int open_content(char *err, size_t errlen)
{
	char dir[PATH_MAX + 32];

	if (!M.cfg.content_url[0])
		return 0;
	if (!(M.api.content =
		  content_new(data_path(M.cfg.content_dir, "content", dir, sizeof(dir)))) ||
	    !(M.api.bad_tokens = throttle_new(CONTENT_THROTTLE_SLOTS, CONTENT_THROTTLE_FREE,
					      CONTENT_THROTTLE_WAIT)))
		return failed(err, errlen, "content endpoint");
	return 0;
}

static void close_content(void)
{
	throttle_free(M.api.bad_tokens);
	content_free(M.api.content);
	M.api.content = NULL;
	M.api.bad_tokens = NULL;
}

/*
 * The web player's files, from [web] root.  The built-in root missing is no
 * web player (logged); a configured one missing, or any root with a
 * problem, is an error.  The player may fetch media from the content
 * endpoint too (steering's last resort).
 */
static int open_web(char *err, size_t errlen)
{
	static char origins[sizeof(M.cfg.web_origins) + sizeof(M.cfg.content_url) + 1];
	char content[sizeof(M.cfg.content_url)];
	struct web_params p = {
	    .root = M.cfg.web_root, .edge_url = M.cfg.edge_url, .edge_origins = origins};

	snprintf(origins, sizeof(origins), "%s", M.cfg.web_origins);
	if (M.cfg.content_url[0] &&
	    origin_url_origin(M.cfg.content_url, content, sizeof(content)) > 0)
		snprintf(origins + strlen(origins), sizeof(origins) - strlen(origins), "%s%s",
			 origins[0] ? " " : "", content);
	if (!M.cfg.web_root[0])
		return 0;
	if (strcmp(M.cfg.web_root, REEL_DATADIR "/web") == 0 && access(M.cfg.web_root, F_OK) != 0) {
		log_info("no web player: %s does not exist", M.cfg.web_root);
		return 0;
	}
	if (web_new(&p, &M.api.web, err, errlen) != 0)
		return -1;
	log_info("web player: %zu files from %s", web_count(M.api.web), M.cfg.web_root);
	return 0;
}

/* SIGHUP: read the web player's files again (a new build); a problem keeps the old ones. */
static void reload_web(void)
{
	char err[1024];

	if (!M.api.web)
		return;
	if (web_reload(M.api.web, err, sizeof(err)) != 0)
		log_error("reload: %s; keeping the web player's files in use", err);
	else
		log_info("reload: %zu web player files", web_count(M.api.web));
}

static void close_web(void)
{
	web_free(M.api.web);
}

/*
 * Header lines on every answer of a listener, the HTTP core's own included:
 * no content sniffing anywhere; over HTTPS also HSTS (two years, the
 * origin's API has no plain-HTTP use in a browser).
 */
#define PLAIN_HEADERS "X-Content-Type-Options: nosniff\r\n"
#define TLS_HEADERS   PLAIN_HEADERS "Strict-Transport-Security: max-age=63072000\r\n"

static int add_listeners(struct httpd_listener *ls, int *n, const struct conf_addr *addrs,
			 int count, SSL_CTX *tls, char *err, size_t errlen)
{
	for (int i = 0; i < count; i++) {
		int fd = conf_addr_listen(&addrs[i], false, 1024, err, errlen);

		if (fd < 0)
			return -1;
		ls[*n].fd = fd;
		ls[*n].tls = tls;
		ls[*n].headers = tls ? TLS_HEADERS : PLAIN_HEADERS;
		snprintf(ls[*n].name, sizeof(ls[*n].name), "%s", addrs[i].text);
		(*n)++;
	}
	return 0;
}

static int open_listeners(char *err, size_t errlen)
{
	if ((M.cfg.nlisten_tls || M.cfg.nadmin_listen_tls) &&
	    !(M.tls = tls_server_ctx(M.cfg.tls_cert, M.cfg.tls_key, NULL, false, err, errlen)))
		return -1;
	if (add_listeners(M.ls, &M.nls, M.cfg.listen, M.cfg.nlisten, NULL, err, errlen) != 0 ||
	    add_listeners(M.ls, &M.nls, M.cfg.listen_tls, M.cfg.nlisten_tls, M.tls, err, errlen) !=
		0 ||
	    add_listeners(M.als, &M.nals, M.cfg.admin_listen, M.cfg.nadmin_listen, NULL, err,
			  errlen) != 0 ||
	    add_listeners(M.als, &M.nals, M.cfg.admin_listen_tls, M.cfg.nadmin_listen_tls, M.tls,
			  err, errlen) != 0)
		return -1;
	if (M.cfg.nedge_listen_tls && !M.tls &&
	    !(M.tls = tls_server_ctx(M.cfg.tls_cert, M.cfg.tls_key, NULL, false, err, errlen)))
		return -1;
	if (add_listeners(M.els, &M.nels, M.cfg.edge_listen, M.cfg.nedge_listen, NULL, err,
			  errlen) != 0 ||
	    add_listeners(M.els, &M.nels, M.cfg.edge_listen_tls, M.cfg.nedge_listen_tls, M.tls, err,
			  errlen) != 0)
		return -1;
	if (M.cfg.ncontent_listen_tls && !M.tls &&
	    !(M.tls = tls_server_ctx(M.cfg.tls_cert, M.cfg.tls_key, NULL, false, err, errlen)))
		return -1;
	if (add_listeners(M.cls, &M.ncls, M.cfg.content_listen, M.cfg.ncontent_listen, NULL, err,
			  errlen) != 0 ||
	    add_listeners(M.cls, &M.ncls, M.cfg.content_listen_tls, M.cfg.ncontent_listen_tls,
			  M.tls, err, errlen) != 0)
		return -1;
	return 0;
}

static void close_listeners(void)
{
	for (int i = 0; i < M.nls; i++)
		close(M.ls[i].fd);
	for (int i = 0; i < M.nals; i++)
		close(M.als[i].fd);
	for (int i = 0; i < M.nels; i++)
		close(M.els[i].fd);
	for (int i = 0; i < M.ncls; i++)
		close(M.cls[i].fd);
	if (M.tls)
		SSL_CTX_free(M.tls);
}

/* The event loop, with the metrics its servers count in and the access log they write. */
static int open_loop(char *err, size_t errlen)
{
	if (!(M.base = event_base_new()) || !(M.api.metrics = M.metrics = metrics_new(1)))
		return failed(err, errlen, "cannot create the event loop");
	if (M.cfg.access_log[0] && !(M.alog = accesslog_open(M.cfg.access_log))) {
		snprintf(err, errlen, "access log %s: %s", M.cfg.access_log, strerror(errno));
		return -1;
	}
	return 0;
}

static void close_loop(void)
{
	accesslog_free(M.alog);
	metrics_free(M.metrics);
	if (M.base)
		event_base_free(M.base);
}

/* A job registered its title: queue it for fill to the edges (at once when the job is urgent). */
static void title_ready_for_fill(void *arg, const char *title, const char *version,
				 const char *job, bool urgent)
{
	if (M.api.fill)
		fill_title_added(M.api.fill, title, urgent);
}

/* A done job's title: where its fill to the edges stands. */
static json_t *title_fill_state(void *arg, const char *title, const char *version)
{
	return M.api.fill ? fill_title_state(M.api.fill, title, version, now_s()) : NULL;
}

/* Uploads and the job queue; a job's reel-transcode runs on the loop's SIGCHLD. */
static int open_jobs(char *err, size_t errlen)
{
	struct jobs_params p = {
	    .max_running = M.cfg.jobs_max_running,
	    .restarts = M.cfg.jobs_restarts,
	    .limits = {.nice = (int)M.cfg.jobs_nice,
		       .memory = M.cfg.jobs_memory,
		       .cpu_s = M.cfg.jobs_cpu_ms / 1000,
		       .wall_ms = M.cfg.jobs_time_ms,
		       .scope = M.cfg.jobs_scope},
	    .segment_s = M.cfg.jobs_segment,
	    .threads = M.cfg.jobs_threads,
	    .now = now_s,
	    .title_ready = title_ready_for_fill,
	    .title_fill = title_fill_state,
	    .note = log_info,
	};
	char dir[PATH_MAX + 32];

	snprintf(p.transcoder, sizeof(p.transcoder), "%s", M.cfg.transcoder);
	snprintf(p.content_dir, sizeof(p.content_dir), "%.4000s",
		 data_path(M.cfg.content_dir, "content", dir, sizeof(dir)));
	snprintf(p.import_dir, sizeof(p.import_dir), "%s", M.cfg.import_dir);
	snprintf(p.preset, sizeof(p.preset), "%s", M.cfg.jobs_preset);
	snprintf(p.ladder, sizeof(p.ladder), "%s", M.cfg.jobs_ladder);
	M.api.uploads =
	    uploads_new(M.store, M.base, data_path(M.cfg.upload_dir, "uploads", dir, sizeof(dir)),
			M.cfg.max_upload, err, errlen);
	if (!M.api.uploads || !(M.api.jobs = jobs_new(M.store, M.base, M.api.catalog, M.api.uploads,
						      &p, err, errlen)))
		return -1;
	M.api.upload_chunk = M.cfg.admin_max_body;
	return 0;
}

static void close_jobs(void)
{
	jobs_free(M.api.jobs); /* running transcodes are killed and queued again */
	uploads_free(M.api.uploads);
}

static int open_pool(char *err, size_t errlen)
{
	unsigned threads =
	    M.cfg.hash_threads ? M.cfg.hash_threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);

	if (!(M.api.pool = pwhash_pool_new(M.base, threads, M.cfg.hash_queue)))
		return failed(err, errlen, "password hashing threads");
	return 0;
}

/*
 * The group commit of lease changes: the new leases of the loop's turns (and
 * the tick's changes) in one transaction, written off the loop, with the
 * revocations they (and the stops, disables and key retirements of those
 * turns) caused and the sessions' last uses they touched.
 */
struct play_commit {
	struct lease_batch *leases;
	struct revocation_batch *rev;
	struct session_touches *touches;
	int rev_rc; /* the revocations' own result when the leases committed without them */
};

static void play_commit_free(struct play_commit *c)
{
	accounts_touches_free(c->touches);
	free(c);
}

static int take_leases(void *arg, void **job)
{
	struct play_commit *c = calloc(1, sizeof(*c));
	int rc = c ? playback_take(M.api.playback, &c->leases) : -ENOMEM;

	if (rc == 0 && M.api.edges)
		rc = edges_revocations_take(M.api.edges, &c->rev);
	if (rc == 0)
		rc = accounts_touches_take(M.api.accounts, &c->touches);
	if (c && !c->leases && !c->rev && !c->touches) {
		free(c); /* nothing to write */
		c = NULL;
	}
	*job = c;
	return rc;
}

/* C's leases and, unless LEASES_ONLY, its revocations and touches in one transaction. */
static int write_commit(struct play_commit *c, bool leases_only)
{
	struct store_txn *t = NULL;
	int rc = store_begin(M.store, true, &t);

	if (rc == 0 && (rc = lease_batch_put(c->leases, t)) == 0 && !leases_only &&
	    (rc = revocations_put(c->rev, t)) == 0)
		rc = accounts_touches_put(c->touches, t);
	return t ? store_finish(t, rc) : rc;
}

/* A full map refuses the revocations without failing the plays: the leases commit alone. */
static int write_leases(void *arg, void *job)
{
	struct play_commit *c = job;
	int rc = write_commit(c, false);

	if (rc == -ENOSPC && (c->rev || c->touches) && c->leases && (rc = write_commit(c, true)) == 0)
		c->rev_rc = -ENOSPC;
	return rc;
}

static void leases_written(void *arg, void *job, int rc)
{
	static bool rev_failing; /* logged once until they commit again */
	struct play_commit *c = job;

	if (rc != 0)
		log_warnx("committing leases: %s", strerror(-rc));
	else if (c && c->leases)
		M.api.count[ORIGIN_COUNT_LEASE_COMMITS]++;
	if (!c)
		return;
	if (rc == 0 && c->rev_rc != 0 && !rev_failing)
		log_warnx("committing revocations: %s (edges hear of them from memory until "
			  "they commit)",
			  strerror(-c->rev_rc));
	if (rc == 0 && c->rev)
		rev_failing = c->rev_rc != 0;
	playback_taken(M.api.playback, c->leases, rc);
	if (M.api.edges)
		edges_revocations_taken(M.api.edges, c->rev, rc ? rc : c->rev_rc);
	play_commit_free(c);
}

static int open_commits(char *err, size_t errlen)
{
	static const struct commit_ops ops = {take_leases, write_leases, leases_written};

	if (!(M.api.plays = commit_batch_new(M.base, &ops, NULL)))
		return failed(err, errlen, "lease commits");
	return 0;
}

static void close_commits(void)
{
	commit_batch_free(M.api.plays); /* the last leases, their connections gone */
	M.api.plays = NULL;
}

static void close_pool(void)
{
	pwhash_pool_free(
	    M.api.pool); /* joins the threads; late answers find their connections gone */
	M.api.pool = NULL;
}

/*
 * A server on the *N listeners LS (handed over: *N becomes 0) with the user
 * API's limits but MAX_BODY, answering with HANDLER: 0 with *SRV, or -1
 * with "WHAT: strerror" in ERR.
 */
static int open_server(struct httpd **srv, struct httpd_listener *ls, int *n, uint64_t max_body,
		       httpd_handler_fn handler, const char *what, char *err, size_t errlen)
{
	struct httpd_limits l = M.cfg.limits;

	l.max_body = max_body;
	*srv = httpd_new(M.base, &l, ls, *n, metrics_slot(M.metrics, 0), M.alog, handler, &M.api);
	if (!*srv)
		return failed(err, errlen, what);
	*n = 0; /* the server owns the sockets now */
	httpd_set_warn(*srv, log_warnx);
	return 0;
}

/*
 * The user API's server on its listeners; the edge API's, the content
 * endpoint's (no request bodies) and the admin API's on their own, if any.
 */
static int open_servers(char *err, size_t errlen)
{
	if (open_server(&M.srv, M.ls, &M.nls, M.cfg.limits.max_body, origin_api_handle,
			"server setup", err, errlen) != 0)
		return -1;
	if (M.nels && open_server(&M.edge_srv, M.els, &M.nels, M.cfg.edge_max_body,
				  origin_edge_handle, "edge API server setup", err, errlen) != 0)
		return -1;
	if (M.ncls && open_server(&M.content_srv, M.cls, &M.ncls, 0, origin_content_handle,
				  "content endpoint server setup", err, errlen) != 0)
		return -1;
	if (M.nals && open_server(&M.admin_srv, M.als, &M.nals, M.cfg.admin_max_body,
				  origin_admin_handle, "admin server setup", err, errlen) != 0)
		return -1;
	return 0;
}

static void close_servers(void)
{
	httpd_free(M.srv);
	httpd_free(M.admin_srv);
	httpd_free(M.edge_srv);
	httpd_free(M.content_srv);
}

static int open_timer(char *err, size_t errlen);
static void close_timer(void);
static int open_signals(char *err, size_t errlen);
static void close_signals(void);

/*
 * The origin's parts in the order they open; they close in reverse, each
 * close coping with a part that did not open.  OPEN fills its members of M
 * and M.api from M.cfg and returns 0, or -1 with a message in ERR; TICK, if
 * any, runs once a second on the loop with the time; RELOAD, if any, on
 * SIGHUP.  A new domain adds its line (and its open and close) here.
 */
static const struct part {
	int (*open)(char *err, size_t errlen);
	void (*close)(void);
	void (*tick)(int64_t now);
	void (*reload)(void);
} parts[] = {
    /* the state: the store, the key files */
    {.open = open_store, .close = close_store},
    {.open = open_keys, .close = close_keys, .reload = reload_keys},
    {.open = open_control_keys, .close = close_control_keys, .reload = reload_control_keys},
    /* the domains, each over the store: a new one adds its line here */
    {.open = open_accounts, .close = close_accounts},
    {.open = open_plans, .close = close_plans},
    {.open = open_catalog, .close = close_catalog},
    {.open = open_playback, .close = close_playback, .tick = tick_playback},
    {.open = open_downloads, .close = close_downloads},
    {.open = open_viewing, .close = close_viewing, .tick = tick_viewing},
    {.open = open_edges, .close = close_edges, .tick = tick_edges},
    {.open = open_content, .close = close_content},
    /* the web player's files, beside the API on the user listeners */
    {.open = open_web, .close = close_web, .reload = reload_web},
    /* serving them: sockets, the loop, the hashing threads, the servers, the timer, signals */
    {.open = open_listeners, .close = close_listeners},
    {.open = open_loop, .close = close_loop},
    /* the domains that need the loop */
    {.open = open_jobs, .close = close_jobs},
    {.open = open_pool, .close = close_pool},
    {.open = open_fill, .close = close_fill, .tick = tick_fill},
    {.open = open_commits, .close = close_commits},
    {.open = open_servers, .close = close_servers},
    {.open = open_timer, .close = close_timer},
    {.open = open_signals, .close = close_signals},
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = now_s();

	for (size_t i = 0; i < NPARTS; i++)
		if (parts[i].tick)
			parts[i].tick(now);
}

static int open_timer(char *err, size_t errlen)
{
	if (!(M.tick = event_new(M.base, -1, EV_PERSIST, on_tick, NULL)) ||
	    event_add(M.tick, &(struct timeval){1, 0}) != 0) {
		snprintf(err, errlen, "cannot start the timer");
		return -1;
	}
	return 0;
}

static void close_timer(void)
{
	if (M.tick)
		event_free(M.tick);
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

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	for (size_t i = 0; i < NPARTS; i++)
		if (parts[i].reload)
			parts[i].reload();
}

static int open_signals(char *err, size_t errlen)
{
	static const int sigs[NSIGNALS] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
	static void (*const handlers[NSIGNALS])(evutil_socket_t, short, void *) = {on_term, on_term,
										   on_usr1, on_hup};

	for (int i = 0; i < NSIGNALS; i++) {
		M.signals[i] = evsignal_new(M.base, sigs[i], handlers[i], NULL);
		if (!M.signals[i] || event_add(M.signals[i], NULL) != 0) {
			snprintf(err, errlen, "cannot install signal handlers");
			return -1;
		}
	}
	return 0;
}

static void close_signals(void)
{
	for (int i = 0; i < NSIGNALS; i++)
		if (M.signals[i])
			event_free(M.signals[i]);
}

/* ---- main ---- */

/*
 * The command line and the configuration: -1 to go on and serve, else the
 * exit status (--help, --version, -t, --admin-token, or a bad argument,
 * configuration or error log).
 */
static int arguments(int argc, char **argv)
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
	return -1;
}

/* Open every part in order: 0, or -1 after logging why one failed. */
static int setup(void)
{
	char err[1024];

	for (size_t i = 0; i < NPARTS; i++) {
		if (parts[i].open(err, sizeof(err)) != 0) {
			log_error("%s", err);
			return -1;
		}
	}
	for (int i = 0; i < M.cfg.nlisten; i++)
		log_info("listening on http://%s", M.cfg.listen[i].text);
	for (int i = 0; i < M.cfg.nlisten_tls; i++)
		log_info("listening on https://%s", M.cfg.listen_tls[i].text);
	for (int i = 0; i < M.cfg.nedge_listen; i++)
		log_info("edge API on http://%s (%zu edges)", M.cfg.edge_listen[i].text,
			 edges_count(M.api.edges));
	for (int i = 0; i < M.cfg.nedge_listen_tls; i++)
		log_info("edge API on https://%s", M.cfg.edge_listen_tls[i].text);
	for (int i = 0; i < M.cfg.ncontent_listen + M.cfg.ncontent_listen_tls; i++)
		log_info("content endpoint on %s://%s (players reach it at %s)",
			 i < M.cfg.ncontent_listen ? "http" : "https",
			 i < M.cfg.ncontent_listen
			     ? M.cfg.content_listen[i].text
			     : M.cfg.content_listen_tls[i - M.cfg.ncontent_listen].text,
			 M.cfg.content_url);
	for (int i = 0; i < M.cfg.nadmin_listen; i++)
		log_info("admin API on http://%s (%zu admin%s)", M.cfg.admin_listen[i].text,
			 M.admins.n, M.admins.n == 1 ? "" : "s");
	for (int i = 0; i < M.cfg.nadmin_listen_tls; i++)
		log_info("admin API on https://%s", M.cfg.admin_listen_tls[i].text);
	log_info("data in %s", M.cfg.data_dir);
	return 0;
}

/* Serve until drained after SIGTERM or SIGINT. */
static int loop(void)
{
	event_base_dispatch(M.base);
	log_info("stopped");
	return 0;
}

/* Close every part, in reverse. */
static void teardown(void)
{
	for (size_t i = NPARTS; i-- > 0;)
		parts[i].close();
}

int main(int argc, char **argv)
{
	int rc = arguments(argc, argv);

	if (rc >= 0)
		return rc;
	rc = setup() == 0 ? loop() : 1;
	teardown();
	return rc;
}
