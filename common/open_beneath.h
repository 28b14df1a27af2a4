/*
 * Opening a file to serve it from below a root folder: openat2(2) with
 * RESOLVE_BENEATH, so neither ".." nor a symbolic link can lead outside the
 * root, whatever the path says.
 */
#ifndef REEL_OPEN_BENEATH_H
#define REEL_OPEN_BENEATH_H

#include <stdbool.h>

/*
 * Open PATH (relative) beneath the folder ROOTFD (an O_PATH or O_DIRECTORY
 * descriptor) read-only, close-on-exec, non-blocking.  O_NOATIME spares
 * every sendfile(2) of the file an access-time update; the kernel allows it
 * only to the files' owner, so after a refusal *ATIME_KEPT (the caller's,
 * false at first) is set and files open without it from then on.  Returns
 * the descriptor (the caller closes it), or -ENOENT (missing, or the path
 * leaves the root through ".." or a symlink), -EACCES, -EMFILE (out of
 * descriptors), -EIO (anything else).
 */
int open_beneath(int rootfd, const char *path, bool *atime_kept);

#endif
