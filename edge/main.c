/*
 * reel-edge: the master process reads the configuration, opens one
 * SO_REUSEPORT listening socket per worker and address, forks the workers and
 * supervises them.  SIGHUP re-reads the configuration and replaces the workers
 * (the new ones inherit the same sockets, so no queued connection is lost);
 * SIGTERM or SIGINT drains and exits; SIGUSR1 reopens the log files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon_args.h"
#include "edge.h"
#include "heartbeat.h"
#include "master_store.h"
#include "token_keyring.h"
#include "reel_config.h"
#include "tls.h"

#define MAX_SOCKETS (EDGE_MAX_WORKERS * EDGE_MAX_LISTEN * 2 * EDGE_ROLE_COUNT)

struct lsock {
	struct conf_addr addr;
	enum edge_role role;
	bool tls;
	unsigned worker;
	int fd;
	bool used;
};

struct worker {
	pid_t pid;
	unsigned gen, index;
	time_t started;
	bool signalled; /* told to drain already */
};

static struct {
	struct edge_config cfg;
	struct lsock socks[MAX_SOCKETS];
	int nsocks;
	struct worker workers[EDGE_MAX_WORKERS * 4];
	unsigned gen, nworkers;
	struct edge_shared *shared;  /* the store's, NULL when it is off */
	struct edge_store_keys keys; /* control keys and this edge's secret */
	pid_t manager;		     /* the store manager, 0 when none */
	time_t manager_started;
	struct metrics *metrics;
	SSL_CTX *tls;
	bool ktls;		     /* the kernel offers the tls ULP */
	struct paseto_keyring *ring; /* stream-token keys, NULL when none configured */
	struct edge_rev *rev;	     /* revocations and served leases, NULL without heartbeat */
	pid_t heartbeat;	     /* the heartbeat process, 0 when none */
	time_t heartbeat_started;
} M;

static volatile sig_atomic_t sig_hup, sig_term, sig_chld, sig_usr1, sig_alrm;

static void on_signal(int sig)
{
	switch (sig) {
	case SIGHUP:
		sig_hup = 1;
		break;
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		sig_term = 1;
		break;
	case SIGCHLD:
		sig_chld = 1;
		break;
	case SIGUSR1:
		sig_usr1 = 1;
		break;
	case SIGALRM:
		sig_alrm = 1;
		break;
	}
}

static const int master_signals[] = {SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGUSR1, SIGALRM};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: reel-edge [-c FILE] [-t] [-h] [-v]\n"
		"\n"
		"Serve HLS packages to players over HTTP/1.1 and HTTPS.\n"
		"\n"
		"  -c, --config FILE  configuration file (INI; default %s/edge.conf if it\n"
		"                     exists, else built-in defaults)\n"
		"  -t, --test         check the configuration and exit\n"
		"  -h, --help         show this help\n"
		"  -v, --version      show the version\n"
		"\n"
		"Signals: HUP reloads the configuration, TERM or INT drains and exits,\n"
		"USR1 reopens the log files.\n",
		REEL_SYSCONFDIR);
}

static unsigned worker_count(const struct edge_config *cfg)
{
	long n = cfg->workers ? (long)cfg->workers : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > EDGE_MAX_WORKERS ? EDGE_MAX_WORKERS : (unsigned)n;
}

static struct lsock *find_sock(const struct lsock *want)
{
	for (int i = 0; i < M.nsocks; i++) {
		struct lsock *s = &M.socks[i];

		if (s->fd >= 0 && s->role == want->role && s->tls == want->tls &&
		    s->worker == want->worker && s->addr.len == want->addr.len &&
		    memcmp(&s->addr.ss, &want->addr.ss, want->addr.len) == 0)
			return s;
	}
	return NULL;
}

/* Mark the socket WANT describes, opening it unless the master holds it already. */
static int plan_socket(const struct lsock *want, char *err, size_t errlen)
{
	struct lsock *s = find_sock(want);

	if (!s) {
		int fd = conf_addr_listen(&want->addr, true, 4096, err, errlen);

		if (fd < 0)
			return -1;
		if (M.nsocks == MAX_SOCKETS) {
			close(fd);
			snprintf(err, errlen, "too many listening sockets");
			return -1;
		}
		s = &M.socks[M.nsocks++];
		*s = *want;
		s->fd = fd;
	}
	s->used = true;
	return 0;
}

/* Mark (opening where needed) the sockets CFG asks for; unmarked ones are closed later. */
static int plan_sockets(const struct edge_config *cfg, char *err, size_t errlen)
{
	unsigned nw = worker_count(cfg);

	for (int i = 0; i < M.nsocks; i++)
		M.socks[i].used = false;
	for (unsigned w = 0; w < nw; w++) {
		for (int r = 0; r < EDGE_ROLE_COUNT; r++) {
			const struct edge_listen *l = &cfg->listen[r];
			struct lsock want = {.role = (enum edge_role)r, .worker = w, .fd = -1};

			for (int i = 0; i < l->nplain + l->ntls; i++) {
				want.tls = i >= l->nplain;
				want.addr = want.tls ? l->tls[i - l->nplain] : l->plain[i];
				if (plan_socket(&want, err, errlen) != 0)
					return -1;
			}
		}
	}
	return 0;
}

static void close_unused_sockets(void)
{
	int j = 0;

	for (int i = 0; i < M.nsocks; i++) {
		if (!M.socks[i].used)
			close(M.socks[i].fd);
		else
			M.socks[j++] = M.socks[i];
	}
	M.nsocks = j;
}

/* In a child (worker or store manager): default signals, none of the master's sockets but MINE. */
static void child_setup_for(int mine)
{
	/*
	 * default dispositions, but the signals stay blocked until the child's
	 * event loop has its handlers, so an early SIGTERM drains instead of
	 * killing it.
	 */
	for (size_t i = 0; i < sizeof(master_signals) / sizeof(master_signals[0]); i++)
		signal(master_signals[i], SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (int i = 0; i < M.nsocks; i++)
		if (!(M.socks[i].used && (int)M.socks[i].worker == mine))
			close(M.socks[i].fd);
}

static void helper_child_setup(void)
{
	child_setup_for(-1);
}

static void spawn_manager(void)
{
	if (!M.shared)
		return;
	M.manager = edge_store_manager_spawn(&M.cfg, M.shared, helper_child_setup);
	M.manager_started = time(NULL);
	if (M.manager < 0)
		M.manager = 0;
}

/*
 * The shared revocations, made once the configuration asks for a heartbeat
 * (before the workers that use them fork); their sizes are the first
 * configuration's.  0, or -1 (logged).
 */
static int make_rev(void)
{
	if (M.rev || !M.cfg.heartbeat_url[0])
		return 0;
	if (!(M.rev = edge_rev_new(M.cfg.heartbeat_revocations, M.cfg.heartbeat_leases))) {
		log_warn("shared memory of the revocations");
		return -1;
	}
	return 0;
}

static void spawn_heartbeat(void)
{
	static struct edge_heartbeat_ctx ctx;

	if (!M.cfg.heartbeat_url[0] || !M.rev)
		return;
	ctx = (struct edge_heartbeat_ctx){&M.cfg, M.rev, M.metrics, M.keys.secret,
					  M.keys.secret_len};
	M.heartbeat = edge_heartbeat_spawn(&ctx, helper_child_setup);
	M.heartbeat_started = time(NULL);
	if (M.heartbeat < 0)
		M.heartbeat = 0;
}

static void spawn(unsigned index)
{
	struct edge_listeners ls = {0};
	struct edge_store_ctx ctx;
	int wake = M.shared ? edge_inflight_wake_take(&M.shared->inflight, getpid()) : -1;
	pid_t pid;

	for (int i = 0; i < M.nsocks; i++) {
		const struct lsock *s = &M.socks[i];

		if (s->used && s->worker == index) {
			ls.l[ls.n].fd = s->fd;
			ls.l[ls.n].tls = s->tls ? M.tls : NULL;
			snprintf(ls.l[ls.n].name, sizeof(ls.l[ls.n].name), "%s (%s%s)",
				 s->addr.text, edge_role_name(s->role), s->tls ? ", tls" : "");
			ls.role[ls.n] = s->role;
			ls.n++;
		}
	}
	ctx = edge_store_ctx(&M.keys, M.shared, wake);
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		if (M.shared)
			edge_inflight_process_gone(&M.shared->inflight, getpid());
		return;
	}
	if (pid > 0) {
		if (wake >= 0)
			M.shared->inflight.wake_pid[wake] = pid;
		for (unsigned i = 0; i < sizeof(M.workers) / sizeof(M.workers[0]); i++) {
			if (M.workers[i].pid == 0) {
				M.workers[i] =
				    (struct worker){pid, M.gen, index, time(NULL), false};
				break;
			}
		}
		return;
	}
	child_setup_for((int)index);
	exit(edge_worker_run(&M.cfg, index, &ls, M.metrics, M.ring, M.rev, &ctx));
}

static void spawn_all(void)
{
	M.nworkers = worker_count(&M.cfg);
	for (unsigned i = 0; i < M.nworkers; i++)
		spawn(i);
}

static void signal_generation(unsigned gen, int sig, bool older)
{
	for (unsigned i = 0; i < sizeof(M.workers) / sizeof(M.workers[0]); i++) {
		struct worker *w = &M.workers[i];

		if (w->pid <= 0 || !(older ? w->gen < gen : w->gen == gen))
			continue;
		if (sig == SIGTERM && w->signalled)
			continue;
		w->signalled = w->signalled || sig == SIGTERM;
		kill(w->pid, sig);
	}
}

static unsigned alive(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(M.workers) / sizeof(M.workers[0]); i++)
		n += M.workers[i].pid > 0;
	return n + (M.manager > 0) + (M.heartbeat > 0);
}

static SSL_CTX *make_tls(const struct edge_config *cfg, char *err, size_t errlen)
{
	if (!edge_config_has_tls(cfg))
		return NULL;
	return tls_server_ctx(cfg->tls_cert, cfg->tls_key, cfg->tls_ciphers,
			      cfg->ktls == EDGE_KTLS_AUTO && M.ktls, err, errlen);
}

/* The keyring CFG names (*OUT NULL when none).  0, or -1 with ERR. */
static int load_keys(const struct edge_config *cfg, struct paseto_keyring **out, char *err,
		     size_t errlen)
{
	*out = NULL;
	return cfg->token_keys[0] ? edge_token_keyring_load(cfg->token_keys, out, err, errlen) : 0;
}

static int check_root(const struct edge_config *cfg, char *err, size_t errlen)
{
	int fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "content root %.900s: %s", cfg->root, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static void reload(void)
{
	struct edge_config *next = malloc(sizeof(*next));
	char err[1024];
	SSL_CTX *tls = NULL;
	struct paseto_keyring *ring = NULL;
	struct edge_store_keys keys = {0};

	if (!next) {
		log_warnx("reload: out of memory");
		return;
	}
	edge_config_defaults(next);
	if (M.cfg.path[0] && edge_config_load(next, M.cfg.path, err, sizeof(err)) != 0) {
		log_warnx("reload failed, keeping the running configuration: %s", err);
		goto out;
	}
	if (next->store != M.cfg.store || strcmp(next->store_index, M.cfg.store_index) != 0) {
		log_warnx("reload: [store] enabled and index take effect at the next start");
		next->store = M.cfg.store;
		memcpy(next->store_index, M.cfg.store_index, sizeof(next->store_index));
	}
	if (check_root(next, err, sizeof(err)) != 0 ||
	    load_keys(next, &ring, err, sizeof(err)) != 0 ||
	    edge_store_keys_load(next, &keys, err, sizeof(err)) != 0 ||
	    (edge_config_has_tls(next) && !(tls = make_tls(next, err, sizeof(err))))) {
		log_warnx("reload failed, keeping the running configuration: %s", err);
		paseto_keyring_free(ring);
		edge_store_keys_free(&keys);
		goto out;
	}
	if (plan_sockets(next, err, sizeof(err)) != 0) {
		log_warnx("reload failed, keeping the running configuration: %s", err);
		plan_sockets(&M.cfg, err, sizeof(err));
		SSL_CTX_free(tls);
		paseto_keyring_free(ring);
		edge_store_keys_free(&keys);
		goto out;
	}
	M.cfg = *next;
	SSL_CTX_free(M.tls);
	M.tls = tls;
	paseto_keyring_free(M.ring);
	M.ring = ring;
	edge_store_keys_free(&M.keys);
	M.keys = keys;
	log_set_tag(NULL);
	if (log_init("reel-edge", M.cfg.level, M.cfg.error_log) != 0)
		log_warn("reopening %s", M.cfg.error_log);
	if (make_rev() != 0)
		M.cfg.heartbeat_url[0] = '\0';
	M.gen++;
	spawn_all();
	signal_generation(M.gen, SIGTERM, true);
	if (M.manager)
		kill(M.manager, SIGTERM); /* the new one starts when the old one is reaped */
	if (M.heartbeat)
		kill(M.heartbeat, SIGTERM); /* likewise */
	else
		spawn_heartbeat();
	close_unused_sockets();
	log_info("configuration reloaded: %u workers, generation %u", M.nworkers, M.gen);
out:
	free(next);
}

/*
 * A helper process (NAME: the store manager, the heartbeat) exited: *PID
 * is cleared and SPAWN starts another unless the edge is stopping.
 */
static void reap_helper(const char *name, pid_t *pid, time_t started, int status, bool stopping,
			void (*spawn_fn)(void))
{
	*pid = 0;
	if (stopping)
		return;
	if (WIFSIGNALED(status))
		log_warnx("%s killed by signal %d", name, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("%s exited with status %d", name, WEXITSTATUS(status));
	if (time(NULL) - started < 1)
		sleep(1);
	spawn_fn();
}

static void reap(bool stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (M.shared)
			edge_shared_process_gone(M.shared, pid);
		if (pid == M.manager) {
			reap_helper("store manager", &M.manager, M.manager_started, status,
				    stopping, spawn_manager);
			continue;
		}
		if (pid == M.heartbeat) {
			reap_helper("heartbeat", &M.heartbeat, M.heartbeat_started, status,
				    stopping, spawn_heartbeat);
			continue;
		}
		for (unsigned i = 0; i < sizeof(M.workers) / sizeof(M.workers[0]); i++) {
			struct worker *w = &M.workers[i];

			if (w->pid != pid)
				continue;
			w->pid = 0;
			if (!stopping && w->gen == M.gen)
				log_info("worker %u (pid %d) exited", w->index, pid);
			if (WIFSIGNALED(status))
				log_warnx("worker %d killed by signal %d", pid, WTERMSIG(status));
			else if (WEXITSTATUS(status) != 0)
				log_warnx("worker %d exited with status %d", pid,
					  WEXITSTATUS(status));
			if (!stopping && w->gen == M.gen &&
			    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)) {
				if (time(NULL) - w->started < 1)
					sleep(1); /* do not spin on a worker that cannot start */
				spawn(w->index);
			}
		}
	}
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void master_loop(void)
{
	sigset_t empty;
	bool stopping = false;

	sigemptyset(&empty);
	for (;;) {
		sigsuspend(&empty);
		if (sig_chld) {
			sig_chld = 0;
			reap(stopping);
			if (stopping && alive() == 0)
				return;
		}
		if (sig_term && !stopping) {
			stopping = true;
			log_info("shutting down: draining connections");
			for (unsigned g = 0; g <= M.gen; g++)
				signal_generation(g, SIGTERM, false);
			if (M.manager)
				kill(M.manager, SIGTERM);
			if (M.heartbeat)
				kill(M.heartbeat, SIGTERM);
			/* new connections get refused, not queued behind draining workers */
			for (int i = 0; i < M.nsocks; i++)
				close(M.socks[i].fd);
			M.nsocks = 0;
			alarm((unsigned)(M.cfg.limits.shutdown_timeout_ms / 1000) + 2);
			if (alive() == 0)
				return;
		}
		if (sig_alrm && stopping) {
			log_warnx("workers did not drain in time: killing them");
			for (unsigned g = 0; g <= M.gen; g++)
				signal_generation(g, SIGKILL, false);
			if (M.manager)
				kill(M.manager, SIGKILL);
			if (M.heartbeat)
				kill(M.heartbeat, SIGKILL);
		}
		sig_alrm = 0;
		if (sig_hup && !stopping) {
			sig_hup = 0;
			reload();
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			log_init("reel-edge", M.cfg.level, M.cfg.error_log);
			signal_generation(M.gen, SIGUSR1, false);
		}
	}
}

static int master_setup(void)
{
	char err[1024];
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block;

	if (check_root(&M.cfg, err, sizeof(err)) != 0 ||
	    load_keys(&M.cfg, &M.ring, err, sizeof(err)) != 0 ||
	    edge_store_keys_load(&M.cfg, &M.keys, err, sizeof(err)) != 0 ||
	    edge_store_check(&M.cfg, err, sizeof(err)) != 0 ||
	    (edge_config_has_tls(&M.cfg) && !(M.tls = make_tls(&M.cfg, err, sizeof(err)))) ||
	    plan_sockets(&M.cfg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	if (!(M.metrics = metrics_new(EDGE_MAX_WORKERS))) {
		log_warn("metrics");
		return -1;
	}
	if (M.cfg.store && !(M.shared = edge_shared_new())) {
		log_warn("shared memory of the store");
		return -1;
	}
	if (make_rev() != 0)
		return -1;
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(master_signals) / sizeof(master_signals[0]); i++) {
		sigaddset(&block, master_signals[i]);
		sigaction(master_signals[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void log_startup(void)
{
	for (int i = 0; i < M.nsocks; i++)
		if (M.socks[i].worker == 0)
			log_info("listening on %s://%s (%s)", M.socks[i].tls ? "https" : "http",
				 M.socks[i].addr.text, edge_role_name(M.socks[i].role));
	if (edge_config_has_tls(&M.cfg))
		log_info(
		    "TLS body path: %s",
		    M.cfg.ktls == EDGE_KTLS_OFF ? "SSL_write from a bounded buffer (ktls = off)"
		    : M.ktls ? "kernel TLS with SSL_sendfile where the cipher allows it"
			     : "SSL_write from a bounded buffer (the kernel offers no tls ULP)");
	if (M.ring)
		log_info("stream tokens: %zu keys from %s%s", paseto_keyring_count(M.ring),
			 M.cfg.token_keys, M.cfg.require_token ? ", required" : "");
	if (M.cfg.store)
		log_info("store: %s, index %s, max_size %llu, min_free %llu%s%s", M.cfg.root,
			 M.cfg.store_index, (unsigned long long)M.cfg.store_max_size,
			 (unsigned long long)M.cfg.store_min_free,
			 M.cfg.upstream_url[0] ? ", pull-through from " : "", M.cfg.upstream_url);
	if (M.cfg.heartbeat_url[0])
		log_info("heartbeat to %s as %s%s%s", M.cfg.heartbeat_url, M.cfg.edge_id,
			 M.cfg.bgp_socket[0] ? ", prefixes from BIRD at " : "", M.cfg.bgp_socket);
	log_info("serving %s with %u workers", M.cfg.root, M.nworkers);
}

int main(int argc, char **argv)
{
	const char *path;
	bool test;
	char err[1024];
	int rc =
	    daemon_args(argc, argv, "reel-edge", REEL_SYSCONFDIR "/edge.conf", usage, &path, &test);

	if (rc >= 0)
		return rc;
	edge_config_defaults(&M.cfg);
	if (path && edge_config_load(&M.cfg, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "reel-edge: %s\n", err);
		return 1;
	}
	if (test) {
		SSL_CTX *tls = NULL;

		if (check_root(&M.cfg, err, sizeof(err)) != 0 ||
		    load_keys(&M.cfg, &M.ring, err, sizeof(err)) != 0 ||
		    edge_store_keys_load(&M.cfg, &M.keys, err, sizeof(err)) != 0 ||
		    edge_store_check(&M.cfg, err, sizeof(err)) != 0 ||
		    (edge_config_has_tls(&M.cfg) && !(tls = make_tls(&M.cfg, err, sizeof(err))))) {
			fprintf(stderr, "reel-edge: %s\n", err);
			return 1;
		}
		SSL_CTX_free(tls);
		printf("reel-edge: configuration %s is valid\n", path ? path : "(built-in)");
		return 0;
	}
	if (log_init("reel-edge", M.cfg.level, M.cfg.error_log) != 0) {
		fprintf(stderr, "reel-edge: cannot open error log %s: %s\n", M.cfg.error_log,
			strerror(errno));
		return 1;
	}
	raise_fd_limit();
	M.ktls = tls_kernel_has_ktls();
	if (master_setup() != 0)
		return 1;
	spawn_all();
	spawn_manager();
	spawn_heartbeat();
	log_startup();
	master_loop();
	log_info("stopped");
	return 0;
}
