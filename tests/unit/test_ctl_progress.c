/* Unit tests for reelctl's progress report: the line, its rate and time left, when it draws. */
#include <stdlib.h>

#include "progress.h"
#include "test.h"

#define MiB (1ULL << 20)

static char out[65536];

static FILE *sink(void)
{
	memset(out, 0, sizeof(out));
	return fmemopen(out, sizeof(out) - 1, "w");
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void lines(void)
{
	struct ctl_progress p;
	FILE *null = fopen("/dev/null", "w");
	char b[512];

	ctl_progress_start(&p, null, true, 80, "upload", 100 * MiB, true, 0, 0);
	ctl_progress_set(&p, 50 * MiB, 5); /* one sample: 10 MiB/s */
	CHECK_STR(
	    ctl_progress_line(&p, 5, b, sizeof(b)),
	    "upload [############............]   50%  50.0 MiB/100 MiB  10.0 MiB/s  ETA 0:05");
	CHECK_INT(strlen(b), 79); /* never wraps an 80-column terminal */
	p.tty = false;
	CHECK_STR(ctl_progress_line(&p, 5, b, sizeof(b)),
		  "upload:  50%, 50.0 MiB of 100 MiB, 10.0 MiB/s, ETA 0:05");

	/* a narrow terminal: no bar */
	ctl_progress_start(&p, null, true, 40, "upload", 100 * MiB, true, 0, 0);
	ctl_progress_set(&p, 25 * MiB, 5);
	CHECK_STR(ctl_progress_line(&p, 5, b, sizeof(b)),
		  "upload   25%  25.0 MiB/100 MiB  5.00 MiB/s  ETA 0:15");

	/* unknown total: done, rate and time so far */
	ctl_progress_start(&p, null, false, 80, "download", 0, true, 0, 0);
	ctl_progress_set(&p, 3 * MiB, 2);
	CHECK_STR(ctl_progress_line(&p, 2, b, sizeof(b)), "download: 3.00 MiB, 1.50 MiB/s, 0:02");

	/* counts, before the first rate sample (the average so far), and no rate yet */
	ctl_progress_start(&p, null, false, 80, "transcode", 300, false, 0, 10);
	CHECK_STR(ctl_progress_line(&p, 10, b, sizeof(b)),
		  "transcode:   0%, 0 of 300, 0.0/s, ETA --:--");
	ctl_progress_set(&p, 30, 10.25);
	CHECK_STR(ctl_progress_line(&p, 10.25, b, sizeof(b)),
		  "transcode:  10%, 30 of 300, 120.0/s, ETA 0:02");
	/* more than the total is shown as the total */
	ctl_progress_set(&p, 400, 20);
	CHECK(strstr(ctl_progress_line(&p, 20, b, sizeof(b)), "100%, 300 of 300") != NULL);
	fclose(null);
}

static void rate(void)
{
	struct ctl_progress p;
	FILE *null = fopen("/dev/null", "w");

	/* a steady 1 MiB/s, then 4 MiB/s: the rate moves towards 4 without jumping */
	ctl_progress_start(&p, null, false, 80, "x", 1000 * MiB, true, 0, 0);
	for (int i = 1; i <= 10; i++)
		ctl_progress_set(&p, (uint64_t)i * MiB, i);
	CHECK(p.rate > 0.99 * MiB && p.rate < 1.01 * MiB);
	ctl_progress_set(&p, 14 * MiB, 11);
	CHECK(p.rate > 1.5 * MiB && p.rate < 2.5 * MiB);
	for (int i = 12; i <= 40; i++)
		ctl_progress_set(&p, (uint64_t)(14 + 4 * (i - 11)) * MiB, i);
	CHECK(p.rate > 3.9 * MiB && p.rate < 4.01 * MiB);
	/* starting over (a resumed transfer) neither breaks the rate nor underflows */
	ctl_progress_set(&p, 1 * MiB, 41);
	ctl_progress_set(&p, 5 * MiB, 42);
	CHECK(p.rate > 3.9 * MiB && p.rate < 4.01 * MiB);
	fclose(null);
}

static void drawing(void)
{
	struct ctl_progress p;
	FILE *f = sink();

	/* a terminal: redrawn in place at most ten times a second, then a newline */
	ctl_progress_start(&p, f, true, 80, "upload", 1000, true, 0, 0);
	for (int i = 1; i <= 100; i++)
		ctl_progress_set(&p, (uint64_t)i * 10, i * 0.01);
	ctl_progress_end(&p, true, 1.0);
	fclose(f);
	CHECK(count(out, "\r") >= 10 && count(out, "\r") <= 12);
	CHECK_INT(count(out, "\033[K"), count(out, "\r"));
	CHECK_INT(count(out, "\n"), 1);
	CHECK(strstr(out, "100%") != NULL && out[strlen(out) - 1] == '\n');

	/* not a terminal: a line per tenth, then a summary */
	f = sink();
	ctl_progress_start(&p, f, false, 80, "upload", 1000, true, 0, 0);
	for (int i = 1; i <= 100; i++)
		ctl_progress_set(&p, (uint64_t)i * 10, i * 0.01);
	ctl_progress_end(&p, true, 2.0);
	fclose(f);
	CHECK_INT(count(out, "\n"), 12); /* the first update, each tenth to 100%, the summary */
	CHECK_INT(count(out, "\r"), 0);
	CHECK(strstr(out, "upload: 1000 B in 0:02, 500 B/s\n") != NULL);

	/* not a terminal, slow work: a line at least every ten seconds */
	f = sink();
	ctl_progress_start(&p, f, false, 80, "job", 1000, false, 0, 0);
	for (int i = 1; i <= 60; i++)
		ctl_progress_set(&p, 1, i);
	ctl_progress_end(&p, false, 61);
	fclose(f);
	CHECK_INT(count(out, "\n"), 7);
	CHECK(strstr(out, "job: stopped after 1\n") != NULL);
}

static void media(void)
{
	struct ctl_progress p;
	FILE *null = fopen("/dev/null", "w");
	char b[512];

	/* a transcode: media time done of its duration, the job's own speed and time left */
	ctl_progress_start(&p, null, false, 80, "transcode", 60000, false, 0, 0);
	ctl_progress_media(&p);
	ctl_progress_given(&p, 2500, -1);
	ctl_progress_set(&p, 15000, 4);
	CHECK_STR(ctl_progress_line(&p, 4, b, sizeof(b)),
		  "transcode:  25%, 0:15 of 1:00, 2.50x, ETA --:--");
	ctl_progress_given(&p, 2500, 18);
	ctl_progress_set(&p, 15500, 5);
	CHECK_STR(ctl_progress_line(&p, 5, b, sizeof(b)),
		  "transcode:  25%, 0:15 of 1:00, 2.50x, ETA 0:18");
	/* a resumed upload: the rate counts only what this run sent */
	ctl_progress_start(&p, null, false, 80, "upload", 100 * MiB, true, 0, 0);
	ctl_progress_resume(&p, 60 * MiB);
	ctl_progress_set(&p, 70 * MiB, 0.25);
	CHECK_STR(ctl_progress_line(&p, 0.25, b, sizeof(b)),
		  "upload:  70%, 70.0 MiB of 100 MiB, 40.0 MiB/s, ETA 0:00");
	fclose(null);
}

static void delay(void)
{
	struct ctl_progress p;
	FILE *f = sink();

	/* quick work shows nothing at all */
	ctl_progress_start(&p, f, true, 80, "upload", 1000, true, 0.5, 100);
	ctl_progress_set(&p, 500, 100.2);
	ctl_progress_set(&p, 1000, 100.4);
	ctl_progress_end(&p, true, 100.45);
	fclose(f);
	CHECK_STR(out, "");

	/* slower work shows from the delay on */
	f = sink();
	ctl_progress_start(&p, f, true, 80, "upload", 1000, true, 0.5, 100);
	ctl_progress_set(&p, 100, 100.2);
	CHECK(!p.shown);
	ctl_progress_set(&p, 600, 100.6);
	CHECK(p.shown);
	ctl_progress_end(&p, true, 101);
	fclose(f);
	CHECK(strstr(out, "\rupload [") == out);
}

int main(void)
{
	lines();
	rate();
	drawing();
	media();
	delay();
	return test_done();
}
