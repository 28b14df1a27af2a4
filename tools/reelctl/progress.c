/* Progress lines with rate and time left, for a terminal or a log. */
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "format.h"

#define REDRAW	    0.1	 /* seconds between redraws on a terminal */
#define SAMPLE	    0.5	 /* seconds between rate samples */
#define SMOOTH	    3.0	 /* time constant of the rate's smoothing, seconds */
#define PLAIN_EVERY 10.0 /* seconds between plain lines at most */

double ctl_progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void ctl_progress_sleep(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int ctl_progress_columns(int fd)
{
	struct winsize ws;

	return ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

void ctl_progress_start(struct ctl_progress *p, FILE *out, bool tty, int width, const char *label,
			uint64_t total, bool bytes, double delay, double now)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = tty;
	p->width = width > 20 ? width : 80;
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	p->bytes = bytes;
	p->start = p->sample_t = now;
	p->delay = delay;
	p->given_rate = p->given_eta = -1;
}

void ctl_progress_media(struct ctl_progress *p)
{
	p->media = true;
}

void ctl_progress_given(struct ctl_progress *p, double rate, double eta)
{
	p->given_rate = rate >= 0 ? rate : 0;
	p->given_eta = eta >= 0 ? eta : -1;
}

void ctl_progress_resume(struct ctl_progress *p, uint64_t done)
{
	p->base = p->done = p->sample_done = done;
}

/* Units per second: the smoothed samples, or the average until the first sample. */
static double rate(const struct ctl_progress *p, double now)
{
	if (p->given_rate >= 0)
		return p->given_rate;
	if (p->rate > 0 || p->sample_t > p->start)
		return p->rate;
	return now > p->start && p->done > p->base ? (double)(p->done - p->base) / (now - p->start)
						   : 0;
}

static void sample(struct ctl_progress *p, double now)
{
	double dt = now - p->sample_t, inst;

	if (p->done < p->sample_done) { /* started over (a resumed transfer) */
		p->sample_done = p->done;
		p->sample_t = now;
		return;
	}
	if (dt < SAMPLE)
		return;
	inst = (double)(p->done - p->sample_done) / dt;
	if (p->sample_t == p->start)
		p->rate = inst;
	else
		p->rate += (inst - p->rate) * (1 - exp(-dt / SMOOTH));
	p->sample_t = now;
	p->sample_done = p->done;
}

static const char *amount(const struct ctl_progress *p, uint64_t v, char *buf, size_t len)
{
	if (p->bytes)
		return ctl_fmt_size(v, buf, len);
	if (p->media)
		return ctl_fmt_duration((double)v / 1000, buf, len);
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

static const char *per_second(const struct ctl_progress *p, double r, char *buf, size_t len)
{
	if (p->media) {
		snprintf(buf, len, "%.2fx", r / 1000);
		return buf;
	}
	if (p->bytes)
		ctl_fmt_size((uint64_t)r, buf, len);
	else
		snprintf(buf, len, "%.1f", r);
	strncat(buf, "/s", len - strlen(buf) - 1);
	return buf;
}

/* "42%  12.3 MiB/29.0 MiB  3.10 MiB/s  ETA 0:05" (SEP "  "), or its plain form (SEP ", "). */
static void stats(const struct ctl_progress *p, double now, const char *sep, char *buf, size_t len)
{
	char d[32], t[32], r[32], e[32];
	double rt = rate(p, now);
	uint64_t done = p->total && p->done > p->total ? p->total : p->done;

	amount(p, done, d, sizeof(d));
	per_second(p, rt, r, sizeof(r));
	if (!p->total) {
		snprintf(buf, len, "%s%s%s%s%s", d, sep, r, sep,
			 ctl_fmt_duration(now - p->start, e, sizeof(e)));
		return;
	}
	amount(p, p->total, t, sizeof(t));
	if (p->given_rate >= 0)
		ctl_fmt_duration(p->given_eta, e, sizeof(e));
	else
		ctl_fmt_duration(rt > 0 ? (double)(p->total - done) / rt : -1, e, sizeof(e));
	snprintf(buf, len, "%3d%%%s%s%s%s%s%s%sETA %s",
		 (int)((double)done * 100 / (double)p->total), sep, d, p->tty ? "/" : " of ", t,
		 sep, r, sep, e);
}

const char *ctl_progress_line(const struct ctl_progress *p, double now, char *buf, size_t len)
{
	char st[160], bar[256];
	int room, fill;

	if (!p->tty) {
		stats(p, now, ", ", st, sizeof(st));
		snprintf(buf, len, "%s: %s", p->label, st);
		return buf;
	}
	stats(p, now, "  ", st, sizeof(st));
	room = p->width - 1 - (int)ctl_width(p->label) - 1 - (int)strlen(st) - 4;
	if (!p->total || room < 10) {
		snprintf(buf, len, "%s  %s", p->label, st);
		return buf;
	}
	if (room > (int)sizeof(bar) - 1)
		room = (int)sizeof(bar) - 1;
	fill = (int)((double)(p->done > p->total ? p->total : p->done) * room / (double)p->total);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(room - fill));
	bar[room] = '\0';
	snprintf(buf, len, "%s [%s]  %s", p->label, bar, st);
	return buf;
}

static void draw(struct ctl_progress *p, double now)
{
	char line[512];

	ctl_progress_line(p, now, line, sizeof(line));
	if (p->tty)
		fprintf(p->out, "\r%s\033[K", line);
	else
		fprintf(p->out, "%s\n", line);
	fflush(p->out);
	p->drawn_t = now;
	p->shown = true;
}

void ctl_progress_set(struct ctl_progress *p, uint64_t done, double now)
{
	int step = p->total
		       ? (int)((double)(done > p->total ? p->total : done) * 10 / (double)p->total)
		       : 0;

	p->done = done;
	sample(p, now);
	if (now - p->start < p->delay)
		return;
	if (p->tty) {
		if (!p->shown || now - p->drawn_t >= REDRAW)
			draw(p, now);
	} else if (!p->shown || step > p->step || now - p->drawn_t >= PLAIN_EVERY) {
		p->step = step;
		draw(p, now);
	}
}

void ctl_progress_end(struct ctl_progress *p, bool ok, double now)
{
	char d[32], e[32], r[32];

	if (!p->shown)
		return;
	if (p->tty) {
		draw(p, now);
		fputc('\n', p->out);
	} else if (ok) {
		fprintf(p->out, "%s: %s in %s, %s\n", p->label, amount(p, p->done, d, sizeof(d)),
			ctl_fmt_duration(now - p->start, e, sizeof(e)),
			per_second(p,
				   now > p->start && p->done > p->base
				       ? (double)(p->done - p->base) / (now - p->start)
				       : 0,
				   r, sizeof(r)));
	} else {
		fprintf(p->out, "%s: stopped after %s\n", p->label,
			amount(p, p->done, d, sizeof(d)));
	}
	fflush(p->out);
}
