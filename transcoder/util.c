/*
 * Small shared helpers of libtranscode: the one FFmpeg error mapper, the
 * av_log hook that keeps FFmpeg's last error line for our one-line messages,
 * a clock, an all-or-nothing file writer and a folder remover.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "internal.h"

int tc_averr(int averr)
{
	if (averr >= 0)
		return 0;
	switch (averr) {
	case AVERROR_INVALIDDATA:
	case AVERROR_DECODER_NOT_FOUND:
	case AVERROR_DEMUXER_NOT_FOUND:
	case AVERROR_STREAM_NOT_FOUND:
	case AVERROR_PATCHWELCOME:
	case AVERROR_EOF:
		return -EINVAL;
	case AVERROR_EXIT:
		return -EINTR;
	case AVERROR_BUG:
	case AVERROR_BUG2:
	case AVERROR_UNKNOWN:
	case AVERROR_EXTERNAL:
	case AVERROR_ENCODER_NOT_FOUND:
	case AVERROR_MUXER_NOT_FOUND:
		return -EIO;
	default:
		/* AVERROR(e) is -e for the errno range */
		if (averr > -4096)
			return averr;
		return -EIO;
	}
}

const char *tc_averr_str(int averr, char *buf, size_t len)
{
	if (av_strerror(averr, buf, len) < 0)
		snprintf(buf, len, "error %d", averr);
	return buf;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_last[256];
static int log_verbose;

static void log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[256];
	size_t n;

	(void)avcl;
	if (level > AV_LOG_ERROR && !(log_verbose && level <= AV_LOG_WARNING))
		return;
	vsnprintf(line, sizeof(line), fmt, vl);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n == 0)
		return;
	if (log_verbose)
		fprintf(stderr, "ffmpeg: %s\n", line);
	if (level <= AV_LOG_ERROR) {
		pthread_mutex_lock(&log_lock);
		snprintf(log_last, sizeof(log_last), "%s", line);
		pthread_mutex_unlock(&log_lock);
	}
}

void tc_log_install(int verbose)
{
	log_verbose = verbose;
	av_log_set_callback(log_cb);
}

const char *tc_log_last(char *buf, size_t len)
{
	pthread_mutex_lock(&log_lock);
	snprintf(buf, len, "%s", log_last);
	pthread_mutex_unlock(&log_lock);
	return buf;
}

int64_t tc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int tc_write_file(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void tc_rm_tree(const char *path)
{
	if (path[0])
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
