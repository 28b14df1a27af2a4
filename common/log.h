/*
 * Error log for the daemons: one line per event, to stderr or a file, with a
 * level filter.  Library code in common/ reports errors to its caller instead.
 *
 *   log_warn*   append ": strerror(errno)";  log_warnx*  do not.
 *   fatal/fatalx log at "crit" and exit(1).
 */
#ifndef REEL_LOG_H
#define REEL_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/*
 * Start logging as PROGNAME at LEVEL to PATH ("stderr" or NULL for standard
 * error).  Returns 0, or -errno when PATH cannot be opened (the previous
 * destination stays in use).  Safe to call again to reopen after rotation.
 */
int log_init(const char *progname, enum log_level level, const char *path);

/* Parse "error", "warn", "info" or "debug".  Returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

/* Tag every following line with "[TAG]", e.g. the worker number; NULL clears. */
void log_set_tag(const char *tag);

enum log_level log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
