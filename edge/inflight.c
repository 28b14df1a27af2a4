/* The shared table of pulls in flight (see inflight.h). */
#include "inflight.h"
#include "pmutex.h"
#include "strhash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DONE_MS 2000 /* a claim this soon after a finish is told it is done */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void lock(struct edge_inflight *t)
{
	edge_pmutex_lock(&t->lock);
}

static void unlock(struct edge_inflight *t)
{
	edge_pmutex_unlock(&t->lock);
}

int edge_inflight_init(struct edge_inflight *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < EDGE_WAKE_SLOTS; i++) {
		if ((t->wake_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
			rc = -errno;
			while (--i >= 0)
				close(t->wake_fd[i]);
			return rc;
		}
	}
	return edge_pmutex_init(&t->lock);
}

int edge_inflight_wake_take(struct edge_inflight *t, pid_t pid)
{
	int slot = -1;

	lock(t);
	for (int i = 0; i < EDGE_WAKE_SLOTS && slot < 0; i++) {
		if (t->wake_pid[i] == 0) {
			t->wake_pid[i] = pid;
			slot = i;
		}
	}
	unlock(t);
	return slot;
}

/* Wake every process with a waiter bit in E but EXCEPT (under the lock or not: benign). */
static void wake(struct edge_inflight *t, struct edge_inflight_entry *e, int except)
{
	uint64_t one = 1;

	for (int w = 0; w < EDGE_WAKE_SLOTS; w++) {
		if (w == except ||
		    !(__atomic_load_n(&e->waiters[w / 64], __ATOMIC_SEQ_CST) & (1ULL << (w % 64))))
			continue;
		if (write(t->wake_fd[w], &one, sizeof(one)) < 0 && errno != EAGAIN)
			continue;
	}
}

void edge_inflight_process_gone(struct edge_inflight *t, pid_t pid)
{
	lock(t);
	for (int i = 0; i < EDGE_WAKE_SLOTS; i++) {
		if (t->wake_pid[i] == pid) {
			t->wake_pid[i] = 0;
			for (int j = 0; j < EDGE_INFLIGHT_SLOTS; j++)
				__atomic_fetch_and(&t->e[j].waiters[i / 64], ~(1ULL << (i % 64)),
						   __ATOMIC_RELEASE);
		}
	}
	for (int j = 0; j < EDGE_INFLIGHT_SLOTS; j++) {
		struct edge_inflight_entry *e = &t->e[j];

		if (e->state == EDGE_IF_FETCHING && e->pid == pid) {
			e->result = -EIO;
			e->finished_ms = now_ms();
			__atomic_store_n(&e->state, EDGE_IF_FAILED, __ATOMIC_RELEASE);
			wake(t, e, -1);
		}
	}
	unlock(t);
}

/*
 * A slot for a new claim: a free one, else the one finished longest ago
 * (under the lock).  A reader that finds its slot reused looks in the index.
 */
static int pick_slot(struct edge_inflight *t)
{
	int best = -1;

	for (int i = 0; i < EDGE_INFLIGHT_SLOTS; i++) {
		struct edge_inflight_entry *e = &t->e[i];

		if (e->state == EDGE_IF_FREE)
			return i;
		if (e->state != EDGE_IF_FETCHING &&
		    (best < 0 || e->finished_ms < t->e[best].finished_ms))
			best = i;
	}
	return best;
}

int edge_inflight_claim(struct edge_inflight *t, const char *key,
			const struct edge_inflight_file *tmp, uint64_t size, bool refetch, pid_t pid,
			struct edge_inflight_ref *ref, char tmp_out[80], uint64_t *size_out)
{
	uint64_t h = str_hash(key), now = now_ms();
	struct edge_inflight_entry *e;
	struct stat st = {0};
	int slot, rc = -EBUSY;

	if (strlen(key) > EDGE_KEY_MAX)
		return -EINVAL;
	if (tmp->fd >= 0 && fstat(tmp->fd, &st) != 0)
		return -errno;
	lock(t);
	for (slot = 0; slot < EDGE_INFLIGHT_SLOTS; slot++) {
		e = &t->e[slot];
		if (e->state == EDGE_IF_FREE || e->hash != h || strcmp(e->key, key) != 0)
			continue;
		if (e->state == EDGE_IF_FETCHING) {
			*ref = (struct edge_inflight_ref){slot, e->gen};
			memcpy(tmp_out, e->tmp, sizeof(e->tmp));
			*size_out = e->size;
			rc = EDGE_CLAIM_JOIN;
			goto out;
		}
		if (e->state == EDGE_IF_DONE && now - e->finished_ms < DONE_MS && !refetch) {
			*ref = (struct edge_inflight_ref){slot, e->gen};
			rc = EDGE_CLAIM_DONE;
			goto out;
		}
		break; /* failed, or done long ago: fetch again in this slot */
	}
	if (slot == EDGE_INFLIGHT_SLOTS && (slot = pick_slot(t)) < 0)
		goto out;
	e = &t->e[slot];
	e->gen++;
	e->pid = pid;
	e->result = 0;
	e->size = size;
	e->avail = 0;
	e->note_len = 0;
	memset(e->waiters, 0, sizeof(e->waiters));
	e->hash = h;
	snprintf(e->tmp, sizeof(e->tmp), "%s", tmp->path);
	e->tmp_dev = tmp->fd >= 0 ? (uint64_t)st.st_dev : 0;
	e->tmp_ino = tmp->fd >= 0 ? (uint64_t)st.st_ino : 0;
	snprintf(e->key, sizeof(e->key), "%s", key);
	__atomic_store_n(&e->state, EDGE_IF_FETCHING, __ATOMIC_RELEASE);
	*ref = (struct edge_inflight_ref){slot, e->gen};
	rc = EDGE_CLAIM_FETCH;
out:
	unlock(t);
	return rc;
}

int edge_inflight_open(const struct edge_inflight *t, struct edge_inflight_ref ref, int rootfd,
		       const char *tmp)
{
	const struct edge_inflight_entry *e = &t->e[ref.slot];
	int fd = openat(rootfd, tmp, O_RDONLY | O_CLOEXEC);
	uint64_t dev, ino;
	struct stat st;
	bool same;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -EIO;
	}
	/*
	 * Still fetching after the open: the fetcher had not closed its file
	 * before it (it finishes the entry right after closing, opening
	 * nothing in between), so the path led to that file.  The device and
	 * inode, when known, must agree too; the generation last, as in peek.
	 */
	dev = __atomic_load_n(&e->tmp_dev, __ATOMIC_ACQUIRE);
	ino = __atomic_load_n(&e->tmp_ino, __ATOMIC_ACQUIRE);
	same = __atomic_load_n(&e->state, __ATOMIC_SEQ_CST) == EDGE_IF_FETCHING &&
	       (!ino || (dev == (uint64_t)st.st_dev && ino == (uint64_t)st.st_ino)) &&
	       __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == ref.gen;
	if (!same) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

void edge_inflight_watch(struct edge_inflight *t, struct edge_inflight_ref ref, int wake_slot)
{
	struct edge_inflight_entry *e = &t->e[ref.slot];

	if (wake_slot >= 0 && wake_slot < EDGE_WAKE_SLOTS)
		__atomic_fetch_or(&e->waiters[wake_slot / 64], 1ULL << (wake_slot % 64),
				  __ATOMIC_SEQ_CST);
}

void edge_inflight_progress(struct edge_inflight *t, struct edge_inflight_ref ref, uint64_t avail,
			    uint64_t size, int wake_slot)
{
	struct edge_inflight_entry *e = &t->e[ref.slot];

	if (__atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) != ref.gen)
		return;
	if (size)
		__atomic_store_n(&e->size, size, __ATOMIC_RELEASE);
	/* sequentially consistent with watch and peek: no wakeup is lost between them */
	__atomic_store_n(&e->avail, avail, __ATOMIC_SEQ_CST);
	wake(t, e, wake_slot);
}

void edge_inflight_finish(struct edge_inflight *t, struct edge_inflight_ref ref, int result,
			  int wake_slot)
{
	struct edge_inflight_entry *e = &t->e[ref.slot];

	lock(t);
	if (e->gen == ref.gen && e->state == EDGE_IF_FETCHING) {
		e->result = result;
		e->finished_ms = now_ms();
		if (result == 0)
			e->avail = e->size;
		__atomic_store_n(&e->state, result == 0 ? EDGE_IF_DONE : EDGE_IF_FAILED,
				 __ATOMIC_SEQ_CST);
		wake(t, e, wake_slot);
	}
	unlock(t);
}

void edge_inflight_note(struct edge_inflight *t, struct edge_inflight_ref ref, const void *p,
			size_t n)
{
	struct edge_inflight_entry *e = &t->e[ref.slot];

	if (n > EDGE_INFLIGHT_NOTE || __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) != ref.gen)
		return;
	memcpy(e->note, p, n);
	__atomic_store_n(&e->note_len, (uint32_t)n, __ATOMIC_RELEASE);
}

int edge_inflight_note_get(const struct edge_inflight *t, struct edge_inflight_ref ref,
			   uint8_t out[EDGE_INFLIGHT_NOTE])
{
	const struct edge_inflight_entry *e = &t->e[ref.slot];
	uint32_t n = __atomic_load_n(&e->note_len, __ATOMIC_ACQUIRE);

	if (n > EDGE_INFLIGHT_NOTE)
		n = 0;
	memcpy(out, e->note, n);
	/* the generation last, as in peek */
	return __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == ref.gen ? (int)n : -ESTALE;
}

int edge_inflight_peek(const struct edge_inflight *t, struct edge_inflight_ref ref,
		       struct edge_inflight_view *v)
{
	const struct edge_inflight_entry *e = &t->e[ref.slot];

	v->state = (enum edge_inflight_state)__atomic_load_n(&e->state, __ATOMIC_SEQ_CST);
	v->avail = __atomic_load_n(&e->avail, __ATOMIC_SEQ_CST);
	v->size = __atomic_load_n(&e->size, __ATOMIC_ACQUIRE);
	v->result = __atomic_load_n(&e->result, __ATOMIC_ACQUIRE);
	/* the generation last: a reuse during the reads above shows here */
	return __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == ref.gen ? 0 : -ESTALE;
}

bool edge_inflight_stored(int rootfd, const char *key, int fd, uint64_t *size)
{
	struct stat mine, stored;

	if (fd < 0 || fstat(fd, &mine) != 0 ||
	    fstatat(rootfd, key, &stored, AT_SYMLINK_NOFOLLOW) != 0 ||
	    mine.st_dev != stored.st_dev || mine.st_ino != stored.st_ino)
		return false;
	*size = (uint64_t)mine.st_size;
	return true;
}

unsigned edge_inflight_active(const struct edge_inflight *t)
{
	unsigned n = 0;

	for (int i = 0; i < EDGE_INFLIGHT_SLOTS; i++)
		n += __atomic_load_n(&t->e[i].state, __ATOMIC_RELAXED) == EDGE_IF_FETCHING;
	return n;
}
