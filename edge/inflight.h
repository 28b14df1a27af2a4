/*
 * Pulls in flight, shared by every worker process so that a miss is
 * fetched once however many workers see it.  A table in shared memory
 * holds, for each object being pulled, its key, its temporary file, the
 * size expected, how many bytes readers may send so far, and the outcome;
 * every process slot has an eventfd, made before the workers fork, through
 * which the fetching worker wakes the workers whose readers wait on its
 * fetch.  The fetcher's own readers are told directly, not through here.
 *
 * An entry is claimed under the table's mutex (robust and process-shared);
 * progress is published with atomic stores; a finished entry keeps its
 * outcome until its slot is needed again (the one finished longest ago goes
 * first), and readers that find the slot reused (another generation) look
 * the object up in the index instead.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_INFLIGHT_H
#define EDGE_INFLIGHT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "index.h"

#define EDGE_INFLIGHT_SLOTS 512
#define EDGE_WAKE_SLOTS	    128 /* worker processes at once (two generations while reloading) */
#define EDGE_INFLIGHT_NOTE  48	/* bytes a fetcher may tell its readers about the object */

enum edge_inflight_state {
	EDGE_IF_FREE,
	EDGE_IF_FETCHING,
	EDGE_IF_DONE,	/* complete, verified and indexed */
	EDGE_IF_FAILED, /* result holds why */
};

struct edge_inflight_entry {
	uint32_t state; /* enum edge_inflight_state */
	uint32_t gen;	/* changes at every claim */
	int32_t pid;	/* of the fetcher */
	int32_t result; /* when failed: a negative errno */
	uint64_t size;	/* expected; 0 when not known */
	uint64_t avail; /* bytes readers may send */
	uint64_t waiters[EDGE_WAKE_SLOTS / 64];
	uint64_t hash;
	uint64_t finished_ms;
	uint32_t note_len; /* bytes of NOTE the fetcher has published (0: none yet) */
	uint8_t note[EDGE_INFLIGHT_NOTE];
	char tmp[80]; /* the temporary file, as openat() on the content root finds it */
	uint64_t tmp_dev, tmp_ino; /* which file that is (0, 0: not known) */
	char key[EDGE_KEY_MAX + 1];
};

struct edge_inflight {
	pthread_mutex_t lock;
	int wake_fd[EDGE_WAKE_SLOTS]; /* eventfd of each process slot */
	int32_t wake_pid[EDGE_WAKE_SLOTS];
	struct edge_inflight_entry e[EDGE_INFLIGHT_SLOTS];
};

/* A reference to an entry: its slot and the generation it was claimed with. */
struct edge_inflight_ref {
	int slot;
	uint32_t gen;
};

/*
 * Initialize T in memory shared with processes forked later: the mutex and
 * EDGE_WAKE_SLOTS eventfds (non-blocking; inherited across fork).  0 or a
 * negative errno.
 */
int edge_inflight_init(struct edge_inflight *t);

/* The master: a free wake slot for the new process PID (or -1), and its release. */
int edge_inflight_wake_take(struct edge_inflight *t, pid_t pid);
/*
 * The process PID is gone: its wake slot is free again and the fetches it
 * had in flight fail (-EIO), waking their readers.
 */
void edge_inflight_process_gone(struct edge_inflight *t, pid_t pid);

enum edge_claim { EDGE_CLAIM_FETCH, EDGE_CLAIM_JOIN, EDGE_CLAIM_DONE };

/*
 * A claimer's temporary file: PATH, how another process opens it
 * (edge_inflight_open), and FD, the claimer's descriptor of it (-1: none),
 * which tells which file PATH must lead to.
 */
struct edge_inflight_file {
	const char *path;
	int fd;
};

/*
 * For KEY: claim an entry to fetch it (EDGE_CLAIM_FETCH: the caller is the
 * fetcher, its temporary file TMP and SIZE recorded), or find the fetch in
 * flight (EDGE_CLAIM_JOIN: *TMP_OUT and *SIZE_OUT get its file's path and
 * the size; open the file with edge_inflight_open),
 * or find it just finished (EDGE_CLAIM_DONE: look in the index; never with
 * REFETCH, when what the index has is not what the caller wants, e.g. a
 * manifest of an older version).  *REF names the entry.  The process PID
 * uses wake slot WAKE.  Returns the claim, or -EBUSY when every slot is in
 * use.
 */
int edge_inflight_claim(struct edge_inflight *t, const char *key,
			const struct edge_inflight_file *tmp, uint64_t size, bool refetch, pid_t pid,
			struct edge_inflight_ref *ref, char tmp_out[80], uint64_t *size_out);

/*
 * A joiner: open (read-only, on ROOTFD) the temporary file TMP of REF's
 * fetch, as a claim gave it.  The path may lead elsewhere by now: an
 * unnamed file's path is "/proc/<pid>/fd/<n>", and once the fetcher has
 * closed <n> the number may be another file's, another object's.  So the
 * open counts only while the fetch is still running (a fetcher finishes
 * its entry right after it closes its file, and opens nothing in between)
 * and when the file is the one the fetcher claimed with (device and
 * inode).  Returns the descriptor (the caller's to close), -ESTALE when
 * the fetch has ended or the path leads to another file (look at the
 * outcome instead), or another negative errno (-ENOENT: the file is gone).
 */
int edge_inflight_open(const struct edge_inflight *t, struct edge_inflight_ref ref, int rootfd,
		       const char *tmp);

/* Wake the readers of REF's entry in other processes than WAKE, when they wait (set by watch). */
void edge_inflight_watch(struct edge_inflight *t, struct edge_inflight_ref ref, int wake);

/* The fetcher: AVAIL bytes may be sent now (SIZE, when it became known, too); wake the others. */
void edge_inflight_progress(struct edge_inflight *t, struct edge_inflight_ref ref, uint64_t avail,
			    uint64_t size, int wake);

/* The fetcher: the end, RESULT 0 (done and indexed) or a negative errno; wake the others. */
void edge_inflight_finish(struct edge_inflight *t, struct edge_inflight_ref ref, int result,
			  int wake);

/*
 * The fetcher: what readers need to read the temporary file besides its
 * bytes (the generic mode: the stored response's record, where its body
 * starts), P[0..N) with N <= EDGE_INFLIGHT_NOTE, published once, before
 * the progress that lets readers read.
 */
void edge_inflight_note(struct edge_inflight *t, struct edge_inflight_ref ref, const void *p,
			size_t n);

/* The note of REF into OUT (EDGE_INFLIGHT_NOTE bytes): its length, 0 when none yet, -ESTALE. */
int edge_inflight_note_get(const struct edge_inflight *t, struct edge_inflight_ref ref,
			   uint8_t out[EDGE_INFLIGHT_NOTE]);

/* What a reader sees of REF: 0 with the fields, or -ESTALE when the slot moved on. */
struct edge_inflight_view {
	enum edge_inflight_state state;
	int result;
	uint64_t size, avail;
};
int edge_inflight_peek(const struct edge_inflight *t, struct edge_inflight_ref ref,
		       struct edge_inflight_view *v);

/*
 * A reader whose REF moved on (peek gave -ESTALE: the slot was claimed
 * again, perhaps for the same key after the fetch failed) and that reads
 * the fetch's file through FD: is that very file the object KEY stored
 * under ROOTFD now (same device and inode), so that the fetch it followed
 * is the one that stored it?  True with *SIZE its size; false when it is
 * not (the fetch failed, or another one stored another file) or FD is -1.
 */
bool edge_inflight_stored(int rootfd, const char *key, int fd, uint64_t *size);

/* Entries fetching now, for metrics. */
unsigned edge_inflight_active(const struct edge_inflight *t);

#endif
