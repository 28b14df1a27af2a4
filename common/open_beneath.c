/* Opening beneath a root with openat2(RESOLVE_BENEATH) (open_beneath.h). */
#include "open_beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

int open_beneath(int rootfd, const char *path, bool *atime_kept)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (*atime_kept ? 0 : O_NOATIME),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	if (fd < 0 && errno == EPERM && !*atime_kept) {
		*atime_kept = true;
		how.flags &= ~(uint64_t)O_NOATIME;
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	}
	if (fd >= 0)
		return fd;
	switch (errno) {
	case EXDEV: /* a symlink or ".." left the root */
	case ELOOP:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ENOENT:
		return -ENOENT;
	case EACCES:
	case EPERM:
		return -EACCES;
	case EMFILE:
	case ENFILE:
		return -EMFILE;
	default:
		return -EIO;
	}
}
