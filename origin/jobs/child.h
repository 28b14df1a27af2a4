/*
 * Child processes on the libevent loop, for work that must never run inside
 * the origin (a transcode of a hostile file): each started with fork and
 * exec in a process group of its own, at a lowered priority, under memory
 * and CPU-time limits (setrlimit) and a wall-time limit, optionally inside a
 * transient systemd scope, killed with the origin (PR_SET_PDEATHSIG).  Its
 * stdout and stderr are read line by line as they come, from non-blocking
 * pipes; it is reaped from SIGCHLD, never waited for, so nothing here blocks
 * the loop.  A secret (a content key) reaches it on file descriptor 3, a
 * pipe, never on its command line.
 *
 * Ownership: every output (OUT and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef ORIGIN_JOBS_CHILD_H
#define ORIGIN_JOBS_CHILD_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JOB_CHILD_SECRET_FD 3	 /* where the secret is readable (/dev/fd/3) */
#define JOB_CHILD_GRACE_MS  5000 /* SIGTERM, then SIGKILL this much later */

/* The reaper of one loop and the children it watches. */
struct job_children;

/* One child process, from its start to the report of its end. */
struct job_child;

struct job_limits {
	int nice;	  /* 0..19, added to the origin's own */
	uint64_t memory;  /* RLIMIT_AS in bytes; 0: none */
	uint64_t cpu_s;	  /* RLIMIT_CPU in seconds (SIGXCPU, then SIGKILL 5 s later); 0: none */
	uint64_t wall_ms; /* killed (SIGTERM, then SIGKILL) this long after the start; 0: none */
	bool scope;	  /* under `systemd-run --scope` when systemd runs (else without) */
};

/* How a child ended. */
struct job_end {
	int status;	   /* its exit status, or -1 when a signal ended it */
	int signal;	   /* the signal that ended it, or 0 */
	bool timed_out;	   /* it was killed at the wall-time limit */
	bool killed;	   /* it was killed by job_child_kill() */
	double wall_s;	   /* seconds from the start to the end */
	double cpu_s;	   /* user and system CPU seconds it used */
	uint64_t maxrss_k; /* its largest resident size, KiB */
};

struct job_child_ops {
	/* One line of its stdout or stderr (without the newline; LEN < 4096, longer lines cut). */
	void (*out_line)(void *arg, const char *line, size_t len);
	void (*err_line)(void *arg, const char *line, size_t len);
	/* It was reaped and its output read: called once; the child is freed when it returns. */
	void (*ended)(void *arg, const struct job_end *e);
};

/*
 * The reaper for BASE: a SIGCHLD event (the process must have no other
 * child-reaping code).  NULL with errno set on failure.  Free with
 * job_children_free().
 */
struct job_children *job_children_new(struct event_base *base);

/*
 * Kill every live child's process group with SIGKILL, reap them (without
 * calling their ENDED), and free CS.  NULL is a no-op.
 */
void job_children_free(struct job_children *cs);

/*
 * Start ARGV (ARGV[0] the program's path; NULL-terminated) with an empty
 * environment but PATH, stdin from /dev/null, under LIM, and SECRET[0..LEN)
 * (at most 256 bytes; NULL: none) readable on JOB_CHILD_SECRET_FD.  OPS and
 * ARG report its output and its end.  Returns 0 with *OUT (the reaper's:
 * valid until ENDED returns), or a negative errno (-ENOENT or -EACCES: the
 * program cannot be run).
 */
int job_child_start(struct job_children *cs, const char *const *argv, const struct job_limits *lim,
		    const void *secret, size_t secret_len, const struct job_child_ops *ops,
		    void *arg, struct job_child **out);

/* C's process id (and process group). */
pid_t job_child_pid(const struct job_child *c);

/*
 * End C: SIGTERM to its process group, SIGKILL JOB_CHILD_GRACE_MS later
 * if it still runs.  Its ENDED comes once it is reaped, with KILLED set.
 */
void job_child_kill(struct job_child *c);

/*
 * Run ARGV (a helper, such as rm -rf on a folder) with no output read and
 * nothing reported; CS reaps it.  0 or a negative errno.
 */
int job_children_spawn(struct job_children *cs, const char *const *argv);

#endif
