/*
 * Error log: timestamped lines written with one write(2) each, so lines from
 * several worker processes sharing the file never interleave.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_name = "reel";
static char log_tag[32];
static enum log_level log_lvl = LOG_LVL_INFO;
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_init(const char *progname, enum log_level level, const char *path)
{
	int fd = STDERR_FILENO;

	if (path != NULL && strcmp(path, "stderr") != 0) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
	}
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	log_name = progname;
	log_lvl = level;
	return 0;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_tag(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag ? tag : "");
}

enum log_level log_get_level(void)
{
	return log_lvl;
}

static void vlog(enum log_level lvl, const char *label, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	if (lvl > log_lvl)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s[%ld]%s%s%s %s: ", ts.tv_nsec / 1000000,
		     log_name, (long)getpid(), log_tag[0] ? " [" : "", log_tag,
		     log_tag[0] ? "]" : "", label);
	n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = r < 0 ? n : n + (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (errnum)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd, line, n) < 0) {
		/* nowhere left to report it */
	}
}

#define LOG_FN(name, lvl, label, with_errno)                                                       \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(lvl, label, with_errno ? saved : 0, fmt, ap);                                 \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_warn, LOG_LVL_WARN, "warn", 1)
LOG_FN(log_warnx, LOG_LVL_WARN, "warn", 0)
LOG_FN(log_info, LOG_LVL_INFO, "info", 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, "debug", 0)
LOG_FN(log_error, LOG_LVL_ERROR, "error", 0)

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, "crit", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, "crit", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
