/*
 * Child processes under limits, their output read on the loop and their end
 * reaped from SIGCHLD (child.h).  Between fork and exec the child makes only
 * async-signal-safe calls: the origin has threads (the hashing pool).
 */
#include "jobs/child.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN_MAGIC 0x4a434853u /* "JCHS" */
#define CHILD_MAGIC    0x4a434844u /* "JCHD" */
#define LINE_CAP       4096
#define ARGV_MAX       64
#define SECRET_MAX     256

/* One of the child's output pipes, cut into lines. */
struct line_reader {
	int fd;
	struct event *ev;
	char buf[LINE_CAP];
	size_t len;
	bool cut; /* the rest of a line too long is being dropped */
	void (*line)(void *arg, const char *line, size_t len);
	void *arg;
};

struct job_child {
	uint32_t magic;
	struct job_children *cs;
	struct job_child *next;
	pid_t pid;
	bool detached; /* a helper: no output, no report */
	bool timed_out, killed;
	struct line_reader out, err;
	struct event *wall, *grace;
	struct timespec start;
	const struct job_child_ops *ops;
	void *arg;
};

struct job_children {
	uint32_t magic;
	struct event_base *base;
	struct event *sigchld;
	struct job_child *list;
};

static const char *const child_env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- reading the output ---- */

/* Hand the complete lines of R's buffer on; keep the rest (or cut a line too long). */
static void lines_out(struct line_reader *r, bool eof)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(r->buf + start, '\n', r->len - start))) {
		size_t n = (size_t)(nl - (r->buf + start));

		if (!r->cut)
			r->line(r->arg, r->buf + start, n);
		r->cut = false;
		start += n + 1;
	}
	memmove(r->buf, r->buf + start, r->len - start);
	r->len -= start;
	if (r->len == sizeof(r->buf) || (eof && r->len)) {
		if (!r->cut)
			r->line(r->arg, r->buf, r->len);
		r->cut = !eof;
		r->len = 0;
	}
}

/* Read what R's pipe holds now: false at its end (or an error), true when it is empty. */
static bool lines_read(struct line_reader *r)
{
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);

		if (n > 0) {
			r->len += (size_t)n;
			lines_out(r, false);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		lines_out(r, true);
		return false;
	}
}

/* The child is gone: what R's pipe still holds, then the last line without its newline. */
static void lines_drain(struct line_reader *r)
{
	if (r->fd >= 0 && lines_read(r))
		lines_out(r, true);
}

static void lines_close(struct line_reader *r)
{
	if (r->ev) {
		event_free(r->ev);
		r->ev = NULL;
	}
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
	struct line_reader *r = arg;

	if (!lines_read(r))
		lines_close(r); /* its end: the child's end is reported once it is reaped */
}

static int lines_open(struct job_children *cs, struct line_reader *r, int fd,
		      void (*line)(void *, const char *, size_t), void *arg)
{
	r->fd = fd;
	r->line = line;
	r->arg = arg;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    !(r->ev = event_new(cs->base, fd, EV_READ | EV_PERSIST, on_output, r)) ||
	    event_add(r->ev, NULL) != 0)
		return -ENOMEM;
	return 0;
}

/* ---- starting ---- */

/* The child's side, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(char *const *argv, const struct job_limits *lim, const int fds[4], pid_t parent)
{
	static const char failed[] = "reel-origin: cannot execute the program\n";
	struct sigaction dfl;
	sigset_t none;
	int hi[4] = {-1, -1, -1, -1};

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(126); /* the origin is gone already */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setpriority(PRIO_PROCESS, 0, lim->nice) != 0 ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}) != 0 ||
	    (lim->memory &&
	     setrlimit(RLIMIT_AS, &(struct rlimit){lim->memory, lim->memory}) != 0) ||
	    (lim->cpu_s &&
	     setrlimit(RLIMIT_CPU, &(struct rlimit){lim->cpu_s, lim->cpu_s + 5}) != 0))
		_exit(126);
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0 && (hi[i] = fcntl(fds[i], F_DUPFD, 10)) < 0)
			_exit(126);
	for (int i = 0; i < 4; i++)
		if (hi[i] >= 0 && dup2(hi[i], i) < 0)
			_exit(126);
	if (close_range(fds[3] >= 0 ? 4 : 3, ~0U, 0) != 0)
		for (int fd = fds[3] >= 0 ? 4 : 3; fd < 1024; fd++)
			close(fd);
	execve(argv[0], argv, (char *const *)child_env);
	if (write(2, failed, sizeof(failed) - 1) < 0)
		_exit(127);
	_exit(127);
}

/* Is systemd the init system here, with systemd-run at PATH? */
static bool systemd_here(const char *path)
{
	struct stat st;

	return stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/*
 * ARGV as run: itself, or behind `systemd-run --scope` (with the memory
 * limit as the scope's MemoryMax) when LIM asks and systemd runs.  The
 * strings are ARGV's or static, but for the property, in PROP.
 */
static int final_argv(const char *const *argv, const struct job_limits *lim, char prop[48],
		      char *out[ARGV_MAX])
{
	static const char run[] = "/usr/bin/systemd-run";
	size_t n = 0;

	if (lim->scope && systemd_here(run)) {
		out[n++] = (char *)run;
		out[n++] = "--scope";
		out[n++] = "--quiet";
		out[n++] = "--collect";
		if (geteuid() != 0)
			out[n++] = "--user";
		if (lim->memory) {
			snprintf(prop, 48, "MemoryMax=%llu", (unsigned long long)lim->memory);
			out[n++] = "-p";
			out[n++] = prop;
		}
		out[n++] = "--";
	}
	for (size_t i = 0; argv[i]; i++) {
		if (n + 1 >= ARGV_MAX)
			return -E2BIG;
		out[n++] = (char *)argv[i];
	}
	out[n] = NULL;
	return 0;
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct job_child *c = arg;

	killpg(c->pid, SIGKILL);
}

/* TV set to MS milliseconds. */
static const struct timeval *ms_tv(struct timeval *tv, uint64_t ms)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000 * 1000);
	return tv;
}

static void terminate(struct job_child *c)
{
	struct timeval tv;

	killpg(c->pid, SIGTERM);
	if (!c->grace)
		c->grace = evtimer_new(c->cs->base, on_grace, c);
	if (!c->grace || evtimer_add(c->grace, ms_tv(&tv, JOB_CHILD_GRACE_MS)) != 0)
		killpg(c->pid, SIGKILL);
}

static void on_wall(evutil_socket_t fd, short what, void *arg)
{
	struct job_child *c = arg;

	c->timed_out = true;
	terminate(c);
}

/* Fork and exec ARGV with FDS as stdin, stdout, stderr and the secret: 0 and *PID, or -errno. */
static int spawn(const char *const *argv, const struct job_limits *lim, const int fds[4],
		 pid_t *pid)
{
	char *args[ARGV_MAX], prop[48];
	pid_t parent = getpid();
	sigset_t all, old;
	int rc;

	if (access(argv[0], X_OK) != 0)
		return -errno;
	if ((rc = final_argv(argv, lim, prop, args)) != 0)
		return rc;
	/*
	 * Until the child has put its signal handlers back to the defaults, a
	 * signal to it would run the origin's: libevent's, which writes the
	 * signal into the pipe the child shares with the origin, so that a job
	 * cancelled at once (SIGTERM to its group) would drain the origin.
	 * Signals stay blocked across fork; child_exec() unblocks them once
	 * its handlers are the defaults.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	*pid = fork();
	if (*pid == 0)
		child_exec(args, lim, fds, parent);
	rc = *pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return rc;
	setpgid(*pid, *pid); /* as the child does: whichever runs first */
	return 0;
}

static struct job_child *child_new(struct job_children *cs)
{
	struct job_child *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->magic = CHILD_MAGIC;
	c->cs = cs;
	c->out.fd = c->err.fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	return c;
}

static void child_free(struct job_child *c)
{
	lines_close(&c->out);
	lines_close(&c->err);
	if (c->wall)
		event_free(c->wall);
	if (c->grace)
		event_free(c->grace);
	c->magic = 0;
	free(c);
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The pipes: stdout, stderr and the secret's, each [read, write]; 0 or -errno. */
static int make_pipes(int p[3][2], const void *secret, size_t secret_len)
{
	for (int i = 0; i < 3; i++)
		p[i][0] = p[i][1] = -1;
	for (int i = 0; i < (secret ? 3 : 2); i++)
		if (pipe2(p[i], O_CLOEXEC) != 0)
			return -errno;
	if (secret && write(p[2][1], secret, secret_len) != (ssize_t)secret_len)
		return -EIO;
	if (secret) {
		close(p[2][1]); /* the child reads the secret, then the end */
		p[2][1] = -1;
	}
	return 0;
}

static int arm(struct job_children *cs, struct job_child *c, const struct job_limits *lim,
	       int out_r, int err_r)
{
	struct timeval tv;
	int rc;

	if ((rc = lines_open(cs, &c->out, out_r, c->ops->out_line, c->arg)) != 0 ||
	    (rc = lines_open(cs, &c->err, err_r, c->ops->err_line, c->arg)) != 0)
		return rc;
	if (lim->wall_ms && (!(c->wall = evtimer_new(cs->base, on_wall, c)) ||
			     evtimer_add(c->wall, ms_tv(&tv, lim->wall_ms)) != 0))
		return -ENOMEM;
	return 0;
}

int job_child_start(struct job_children *cs, const char *const *argv, const struct job_limits *lim,
		    const void *secret, size_t secret_len, const struct job_child_ops *ops,
		    void *arg, struct job_child **out)
{
	struct job_child *c = NULL;
	int p[3][2], null = -1, rc;

	*out = NULL;
	if (cs->magic != CHILDREN_MAGIC || secret_len > SECRET_MAX)
		return -EINVAL;
	if ((rc = make_pipes(p, secret, secret_len)) != 0)
		goto fail;
	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || !(c = child_new(cs))) {
		rc = null < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	c->ops = ops;
	c->arg = arg;
	if ((rc = spawn(argv, lim, (int[4]){null, p[0][1], p[1][1], p[2][0]}, &c->pid)) != 0)
		goto fail;
	close_all((int[]){null, p[0][1], p[1][1], p[2][0]}, 4);
	c->next = cs->list;
	cs->list = c;
	if ((rc = arm(cs, c, lim, p[0][0], p[1][0])) != 0) {
		if (c->out.fd < 0)
			close(p[0][0]);
		if (c->err.fd < 0)
			close(p[1][0]);
		job_child_kill(c); /* reaped later; ENDED reports it */
	}
	*out = c;
	return 0;
fail:
	close_all((int *)p, 6);
	if (null >= 0)
		close(null);
	free(c);
	return rc;
}

pid_t job_child_pid(const struct job_child *c)
{
	return c->pid;
}

void job_child_kill(struct job_child *c)
{
	if (c->magic != CHILD_MAGIC)
		abort();
	c->killed = true;
	terminate(c);
}

int job_children_spawn(struct job_children *cs, const char *const *argv)
{
	static const struct job_limits helper = {.nice = 19};
	struct job_child *c = child_new(cs);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), rc;

	if (!c || null < 0) {
		rc = !c ? -ENOMEM : -errno;
	} else if ((rc = spawn(argv, &helper, (int[4]){null, null, null, -1}, &c->pid)) == 0) {
		c->detached = true;
		c->next = cs->list;
		cs->list = c;
		c = NULL;
	}
	if (null >= 0)
		close(null);
	free(c);
	return rc;
}

/* ---- reaping ---- */

static void unlink_child(struct job_children *cs, struct job_child *c)
{
	for (struct job_child **pp = &cs->list; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

/* C was reaped with STATUS and RU: read what its pipes still hold, report, free. */
static void finished(struct job_child *c, int status, const struct rusage *ru)
{
	struct job_end e = {
	    .status = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    .signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	    .timed_out = c->timed_out,
	    .killed = c->killed,
	    .wall_s = since(&c->start),
	    .cpu_s = (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
		     (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6,
	    .maxrss_k = (uint64_t)ru->ru_maxrss,
	};

	unlink_child(c->cs, c);
	if (!c->detached) {
		lines_drain(&c->out);
		lines_drain(&c->err);
		c->ops->ended(c->arg, &e);
	}
	child_free(c);
}

static struct job_child *find(struct job_children *cs, pid_t pid)
{
	for (struct job_child *c = cs->list; c; c = c->next)
		if (c->pid == pid)
			return c;
	return NULL;
}

/* Reap PID, which has ended: first SIGKILL what is left of its process group. */
static void reap(struct job_children *cs, pid_t pid)
{
	struct job_child *c = find(cs, pid);
	struct rusage ru;
	int status;

	if (c)
		killpg(pid, SIGKILL); /* the leader, a zombie, still holds the group's id */
	if (wait4(pid, &status, 0, &ru) == pid && c)
		finished(c, status, &ru);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct job_children *cs = arg;

	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
			return;
		reap(cs, si.si_pid);
	}
}

struct job_children *job_children_new(struct event_base *base)
{
	struct job_children *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->magic = CHILDREN_MAGIC;
	cs->base = base;
	if (!(cs->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, cs)) ||
	    event_add(cs->sigchld, NULL) != 0) {
		if (cs->sigchld)
			event_free(cs->sigchld);
		free(cs);
		errno = ENOMEM;
		return NULL;
	}
	return cs;
}

void job_children_free(struct job_children *cs)
{
	if (!cs)
		return;
	while (cs->list) {
		struct job_child *c = cs->list;

		cs->list = c->next;
		killpg(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		child_free(c);
	}
	event_free(cs->sigchld);
	cs->magic = 0;
	free(cs);
}
