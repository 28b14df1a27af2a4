/*
 * Unit tests for the table of pulls in flight (edge/inflight.c) in memory
 * shared with a forked process: claims (fetch, join, done, a refetch past
 * a finished one), progress seen by a reader in the other process and its
 * wakeup through the eventfd, failure when the fetcher's process is gone,
 * reuse of finished slots, a full table, and a joiner that opens the
 * fetcher's unnamed file by its /proc path only after the fetcher closed it
 * and opened another object's file under the same number, and the check a
 * reader makes once its slot moved on (is its file the stored object?).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inflight.h"
#include "test.h"

static int claim(struct edge_inflight *t, const char *key, bool refetch, pid_t pid,
		 struct edge_inflight_ref *ref)
{
	char tmp[80];
	uint64_t size;

	return edge_inflight_claim(t, key, &(struct edge_inflight_file){".tmp/x", -1}, 100, refetch,
				   pid, ref, tmp, &size);
}

/* The child waits on its wake slot W for REF to reach 50 bytes, then exits 0. */
static int child_reader(struct edge_inflight *t, struct edge_inflight_ref ref, int w)
{
	struct edge_inflight_view v;
	struct pollfd pfd = {.fd = t->wake_fd[w], .events = POLLIN};
	uint64_t n;

	edge_inflight_watch(t, ref, w);
	for (;;) {
		if (edge_inflight_peek(t, ref, &v) != 0)
			return 2;
		if (v.avail >= 50)
			return v.state == EDGE_IF_FETCHING && v.size == 100 ? 0 : 3;
		if (poll(&pfd, 1, 5000) != 1)
			return 4;
		if (read(t->wake_fd[w], &n, sizeof(n)) != sizeof(n))
			return 5;
	}
}

static void test_claims(struct edge_inflight *t)
{
	struct edge_inflight_ref a, b, c;
	struct edge_inflight_view v;
	char tmp[80];
	uint64_t size = 0;
	int w0 = edge_inflight_wake_take(t, 100), w1 = edge_inflight_wake_take(t, 101), status;
	pid_t child;

	CHECK(w0 == 0 && w1 == 1);
	CHECK_INT(claim(t, "t/a.m4s", false, 100, &a), EDGE_CLAIM_FETCH);
	CHECK_INT(edge_inflight_claim(t, "t/a.m4s", &(struct edge_inflight_file){".tmp/y", -1}, 0,
				      false, 101, &b, tmp, &size),
		  EDGE_CLAIM_JOIN);
	CHECK(b.slot == a.slot && b.gen == a.gen && strcmp(tmp, ".tmp/x") == 0 && size == 100);
	CHECK_INT(edge_inflight_active(t), 1);
	fflush(stdout);
	if ((child = fork()) == 0)
		_exit(child_reader(t, b, w1));
	usleep(20000);
	edge_inflight_progress(t, a, 20, 0, w0);
	usleep(20000);
	edge_inflight_progress(t, a, 60, 100, w0);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	edge_inflight_finish(t, a, 0, w0);
	CHECK_INT(edge_inflight_peek(t, a, &v), 0);
	CHECK(v.state == EDGE_IF_DONE && v.avail == 100);
	CHECK_INT(claim(t, "t/a.m4s", false, 101, &c), EDGE_CLAIM_DONE);
	/* what the index has is not what this caller wants: a new fetch in the slot */
	CHECK_INT(claim(t, "t/a.m4s", true, 101, &c), EDGE_CLAIM_FETCH);
	CHECK(c.slot == a.slot && c.gen != a.gen);
	CHECK_INT(edge_inflight_peek(t, a, &v), -ESTALE);
	/* the fetcher's process died: its fetch fails, and the next claim fetches */
	edge_inflight_process_gone(t, 101);
	CHECK_INT(edge_inflight_peek(t, c, &v), 0);
	CHECK(v.state == EDGE_IF_FAILED && v.result == -EIO);
	CHECK_INT(claim(t, "t/a.m4s", false, 100, &c), EDGE_CLAIM_FETCH);
	edge_inflight_finish(t, c, -EBADMSG, w0);
	CHECK_INT(claim(t, "t/a.m4s", false, 100, &c), EDGE_CLAIM_FETCH);
	edge_inflight_finish(t, c, 0, w0);
	CHECK_INT(edge_inflight_active(t), 0);
	CHECK_INT(edge_inflight_wake_take(t, 102), 1); /* 101's wake slot is free again */
	CHECK_INT(claim(t, "t/a.m4s", false, 100, &c), EDGE_CLAIM_DONE); /* the slot kept it */
}

static void test_full(struct edge_inflight *t)
{
	struct edge_inflight_ref r[EDGE_INFLIGHT_SLOTS];
	char key[32];
	int fetching = 0;

	for (int i = 0; i < EDGE_INFLIGHT_SLOTS; i++) {
		snprintf(key, sizeof(key), "f/%d.m4s", i);
		fetching += claim(t, key, false, 100, &r[i]) == EDGE_CLAIM_FETCH;
	}
	CHECK_INT(fetching, EDGE_INFLIGHT_SLOTS); /* finished slots were taken over */
	CHECK_INT(claim(t, "f/one-more.m4s", false, 100, &r[0]), -EBUSY);
	edge_inflight_finish(t, r[7], 0, 0);
	CHECK_INT(claim(t, "f/one-more.m4s", false, 100, &r[0]), EDGE_CLAIM_FETCH);
	CHECK_INT(r[0].slot, r[7].slot);
}

/* An unnamed file in the folder DIR holding TEXT: its descriptor. */
static int unnamed_file(const char *dir, const char *text)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	return fd;
}

/* What the descriptor FD reads from its start (up to 15 bytes). */
static const char *contents(int fd, char buf[16])
{
	ssize_t n = pread(fd, buf, 15, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * The window between a join and its open: the claim gives the joiner the
 * fetcher's "/proc/<pid>/fd/<n>"; before the joiner opens it, the fetch
 * ends (its descriptor closed) and the fetcher starts the next object's
 * file, which gets the same number.  The joiner must not read that file
 * as if it were the object it joined.
 */
static void test_reused_path(struct edge_inflight *t)
{
	char dir[] = "/tmp/inflight-XXXXXX", path[80], tmp[80], tmp2[80], buf[16];
	struct edge_inflight_ref a, b;
	struct edge_inflight_file file;
	uint64_t size;
	int fd, fd2, rfd;

	CHECK(mkdtemp(dir) != NULL);
	fd = unnamed_file(dir, "object one");
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), fd);
	file = (struct edge_inflight_file){path, fd};
	CHECK_INT(edge_inflight_claim(t, "r/one.m4s", &file, 10, false, 100, &a, tmp, &size),
		  EDGE_CLAIM_FETCH);
	CHECK_INT(edge_inflight_claim(t, "r/one.m4s", &(struct edge_inflight_file){".tmp/j", -1}, 0,
				      false, 101, &b, tmp, &size),
		  EDGE_CLAIM_JOIN);
	CHECK_STR(tmp, path);
	/* opened while the fetch runs: its file */
	CHECK((rfd = edge_inflight_open(t, b, AT_FDCWD, tmp)) >= 0);
	CHECK_STR(contents(rfd, buf), "object one");
	close(rfd);
	/* the fetch ends; the fetcher's next object's file takes the number */
	close(fd);
	edge_inflight_finish(t, a, 0, 0);
	fd2 = unnamed_file(dir, "object two");
	CHECK_INT(fd2, fd);
	file = (struct edge_inflight_file){path, fd2};
	CHECK_INT(edge_inflight_claim(t, "r/two.m4s", &file, 10, false, 100, &a, tmp2, &size),
		  EDGE_CLAIM_FETCH);
	/* the path the late joiner of "r/one.m4s" holds leads to object two's file now ... */
	CHECK((rfd = open(tmp, O_RDONLY | O_CLOEXEC)) >= 0);
	CHECK_STR(contents(rfd, buf), "object two");
	close(rfd);
	/* ... which its open refuses: the joiner looks at the outcome instead */
	CHECK_INT(edge_inflight_open(t, b, AT_FDCWD, tmp), -ESTALE);
	/* and once the number is free, nothing at all */
	close(fd2);
	edge_inflight_finish(t, a, 0, 0);
	CHECK_INT(edge_inflight_open(t, b, AT_FDCWD, tmp), -ENOENT);
	/* a fetch still running whose path leads to another file than the one claimed with */
	fd = unnamed_file(dir, "object three");
	fd2 = unnamed_file(dir, "something else");
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), fd2);
	file = (struct edge_inflight_file){path, fd};
	CHECK_INT(edge_inflight_claim(t, "r/three.m4s", &file, 12, false, 100, &a, tmp2, &size),
		  EDGE_CLAIM_FETCH);
	CHECK_INT(edge_inflight_open(t, a, AT_FDCWD, path), -ESTALE);
	edge_inflight_finish(t, a, 0, 0);
	close(fd);
	close(fd2);
	CHECK(rmdir(dir) == 0);
}

/* After a slot moved on: is the file a reader reads the object stored at its key? */
static void test_stored(void)
{
	char dir[] = "/tmp/inflight-XXXXXX", self[64];
	int root, fd, other;
	uint64_t size = 0;

	CHECK(mkdtemp(dir) != NULL);
	CHECK((root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	fd = unnamed_file(dir, "the object");
	other = unnamed_file(dir, "a refused fetch");
	CHECK(!edge_inflight_stored(root, "t/a.m4s", fd, &size)); /* nothing stored yet */
	CHECK(mkdirat(root, "t", 0755) == 0);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	CHECK(linkat(AT_FDCWD, self, root, "t/a.m4s", AT_SYMLINK_FOLLOW) == 0);
	CHECK(edge_inflight_stored(root, "t/a.m4s", fd, &size));
	CHECK_INT(size, 10);
	CHECK(!edge_inflight_stored(root, "t/a.m4s", other, &size)); /* another file stored there */
	CHECK(!edge_inflight_stored(root, "t/a.m4s", -1, &size));
	CHECK(unlinkat(root, "t/a.m4s", 0) == 0 && unlinkat(root, "t", AT_REMOVEDIR) == 0);
	close(fd);
	close(other);
	close(root);
	CHECK(rmdir(dir) == 0);
}

int main(void)
{
	struct edge_inflight *t =
	    mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(t != MAP_FAILED);
	CHECK_INT(edge_inflight_init(t), 0);
	test_claims(t);
	test_reused_path(t);
	test_stored();
	test_full(t);
	return test_done();
}
