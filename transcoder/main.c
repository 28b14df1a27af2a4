/*
 * reel-transcode SOURCE OUTDIR [options]: the origin's job runner starts this
 * once per title; it reads --progress=json lines from stdout.  Errors are one
 * line on stderr ("reel-transcode: FILE: problem") and a non-zero exit.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transcoder.h"

#define PROG "reel-transcode"

enum progress_mode { PROGRESS_AUTO, PROGRESS_JSON, PROGRESS_BAR, PROGRESS_NONE };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " SOURCE OUTDIR [options]\n"
		"Transcode one media file into an HLS package (fMP4 by default) in OUTDIR.\n"
		"\n"
		"  --preset=NAME        libx264 preset (default veryfast)\n"
		"  --segment=SECONDS    segment target duration (default 6)\n"
		"  --ladder=LIST        rungs WxH@KBPS,... (default: Apple's 8-rung ladder;\n"
		"                       rungs larger than the source are dropped)\n"
		"  --threads=N          encoder threads in total (default: CPUs)\n"
		"  --audio-bitrate=KBPS AAC bit rate per stereo audio rendition (default 128)\n"
		"  --surround=CODEC     ac3 (default), eac3 or none: the 5.1 rendition of audio\n"
		"                       tracks with 6 or more channels, beside the stereo one\n"
		"  --surround-bitrate=KBPS  its bit rate (default 384)\n"
		"  --format=fmp4|ts     segment container (default fmp4)\n"
		"  --title=NAME         title in manifest.json (default: OUTDIR's name)\n"
		"  --progress=MODE      json (lines on stdout), bar (stderr), none;\n"
		"                       default: bar on a terminal, else none\n"
		"  --key-file=PATH      encrypt segments with HLS AES-128; PATH holds the 16-byte\n"
		"                       key (raw, or 32 hex digits); it is never copied\n"
		"  --key-uri=URI        key URI written into the playlists (with --key-file)\n"
		"  --iv=POLICY          sequence (default), random (per segment) or 32 hex digits\n"
		"  --stall-timeout=S    give up after S seconds without progress (default 120)\n"
		"  --verbose            show FFmpeg's warnings\n"
		"  --help               this text\n"
		"\n"
		"Exit status: 0 done, 1 bad input or failure, 2 usage, 124 wedged decoder.\n");
}

/* MSG as a JSON string body: quotes, backslashes and control bytes escaped. */
static void json_escaped(FILE *f, const char *msg)
{
	for (; *msg; msg++) {
		unsigned char c = (unsigned char)*msg;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

/* ,"skipped_streams":[{...},...]: the streams left out, as in manifest.json. */
static void skipped_json(const struct transcoder_progress *p)
{
	size_t i;

	printf(",\"skipped_streams\":[");
	for (i = 0; i < p->nskipped; i++) {
		const struct transcoder_skipped *k = &p->skipped[i];
		printf("%s{\"stream\":%d,\"type\":\"%s\",\"codec\":\"%s\",\"language\":\"%s\","
		       "\"title\":\"",
		       i ? "," : "", k->stream, k->type, k->codec, k->language);
		json_escaped(stdout, k->title);
		printf("\",\"reason\":\"%s\",\"message\":\"",
		       transcoder_skip_reason_code(k->reason));
		json_escaped(stdout, k->message);
		printf("\"}");
	}
	printf("]");
}

static void progress_json(const struct transcoder_progress *p, void *arg)
{
	(void)arg;
	printf("{\"event\":\"%s\",\"percent\":%.1f,\"time\":%.3f,\"duration\":%.3f,"
	       "\"elapsed\":%.2f,\"speed\":%.3f,\"eta\":%.1f,\"frames\":%lld",
	       p->finished ? "done" : "progress",
	       p->total_s > 0
		   ? 100.0 * (p->done_s < p->total_s ? p->done_s : p->total_s) / p->total_s
		   : 0,
	       p->done_s, p->total_s, p->elapsed_s, p->speed, p->eta_s, (long long)p->frames);
	if (p->finished)
		skipped_json(p);
	printf("}\n");
	fflush(stdout);
}

static void progress_bar(const struct transcoder_progress *p, void *arg)
{
	double frac = p->total_s > 0 ? p->done_s / p->total_s : 0;
	char bar[41];
	int i, fill;

	(void)arg;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * 40);
	for (i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[40] = '\0';
	if (p->eta_s >= 0)
		fprintf(stderr, "\r[%s] %5.1f%%  %.2fx  ETA %d:%02d ", bar, frac * 100, p->speed,
			(int)p->eta_s / 60, (int)p->eta_s % 60);
	else
		fprintf(stderr, "\r[%s] %5.1f%%  %.2fx  ETA --:-- ", bar, frac * 100, p->speed);
	if (p->finished)
		fprintf(stderr, "\n");
}

static void warn(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, PROG ": warning: %s\n", msg);
}

static void on_signal(int sig)
{
	(void)sig;
	transcoder_cancel();
}

static int parse_hex16(const char *s, size_t len, uint8_t out[16])
{
	size_t i;

	if (len == 34 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* The key file: exactly 16 raw bytes, or 32 hex digits (optionally 0x, newline). */
static int read_key(const char *path, uint8_t key[16])
{
	char buf[80];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == 16) {
		memcpy(key, buf, 16);
		return 0;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	if (parse_hex16(buf, n, key) == 0)
		return 0;
	fprintf(stderr, PROG ": %s: expected a 16-byte key (raw or 32 hex digits)\n", path);
	return -1;
}

static int parse_num(const char *name, const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < lo || *out > hi) {
		fprintf(stderr, PROG ": --%s=%s: expected a number in %g..%g\n", name, s, lo, hi);
		return -1;
	}
	return 0;
}

/* Everything the command line decides, filled by parse_args. */
struct cli {
	struct transcoder_options o;
	struct transcoder_rung ladder[16];
	enum progress_mode mode;
	int have_key;
};

/* The index of ARG in NAMES (N of them), or -1 after "--NAME=ARG: expected a, b or c". */
static int choose(const char *name, const char *arg, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	fprintf(stderr, PROG ": --%s=%s: expected ", name, arg);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", names[i], i + 2 < n ? ", " : i + 1 < n ? " or " : "\n");
	return -1;
}

static int parse_ladder(struct cli *c, const char *arg)
{
	int n = transcoder_ladder_parse(arg, c->ladder, 16);

	if (n < 0) {
		fprintf(stderr, PROG ": --ladder=%s: expected WxH@KBPS,...\n", arg);
		return -1;
	}
	c->o.ladder = c->ladder;
	c->o.ladder_len = (size_t)n;
	return 0;
}

static int parse_iv(struct cli *c, const char *arg)
{
	if (strcmp(arg, "sequence") == 0) {
		c->o.iv_mode = TRANSCODER_IV_SEQUENCE;
	} else if (strcmp(arg, "random") == 0) {
		c->o.iv_mode = TRANSCODER_IV_RANDOM;
	} else if (parse_hex16(arg, strlen(arg), c->o.iv) == 0) {
		c->o.iv_mode = TRANSCODER_IV_FIXED;
	} else {
		fprintf(stderr, PROG ": --iv=%s: expected sequence, random or 32 hex digits\n",
			arg);
		return -1;
	}
	return 0;
}

/* An int option (threads, audio bit rate) in LO..HI. */
static int parse_int(const char *name, const char *arg, double lo, double hi, int *out)
{
	double num;

	if (parse_num(name, arg, lo, hi, &num) < 0)
		return -1;
	*out = (int)num;
	return 0;
}

/* Apply option OPT (getopt_long's value) with argument ARG.  Returns 0 or -1 (message printed). */
static int parse_option(struct cli *c, int opt, const char *arg)
{
	static const char *const formats[] = {"fmp4", "ts"};
	static const char *const modes[] = {"json", "bar", "none"};
	static const enum progress_mode mode_of[] = {PROGRESS_JSON, PROGRESS_BAR, PROGRESS_NONE};
	static const char *const surrounds[] = {"ac3", "eac3", "none"};
	static const enum transcoder_surround surround_of[] = {
	    TRANSCODER_SURROUND_AC3, TRANSCODER_SURROUND_EAC3, TRANSCODER_SURROUND_NONE};
	int i;

	switch (opt) {
	case 'p':
		c->o.preset = arg;
		return 0;
	case 's':
		return parse_num("segment", arg, 1, 60, &c->o.segment_s);
	case 'l':
		return parse_ladder(c, arg);
	case 't':
		return parse_int("threads", arg, 0, 256, &c->o.threads);
	case 'a':
		return parse_int("audio-bitrate", arg, 16, 512, &c->o.audio_kbps);
	case 'u':
		if ((i = choose("surround", arg, surrounds, 3)) < 0)
			return -1;
		c->o.surround = surround_of[i];
		return 0;
	case 'U':
		return parse_int("surround-bitrate", arg, 96, 640, &c->o.surround_kbps);
	case 'f':
		if ((i = choose("format", arg, formats, 2)) < 0)
			return -1;
		c->o.container = i == 0 ? TRANSCODER_FMP4 : TRANSCODER_TS;
		return 0;
	case 'T':
		c->o.title = arg;
		return 0;
	case 'P':
		if ((i = choose("progress", arg, modes, 3)) < 0)
			return -1;
		c->mode = mode_of[i];
		return 0;
	case 'S':
		return parse_num("stall-timeout", arg, 1, 86400, &c->o.stall_timeout);
	case 'v':
		c->o.verbose = 1;
		return 0;
	case 'k':
		c->have_key = 1;
		return read_key(arg, c->o.key);
	case 'K':
		c->o.key_uri = arg;
		return 0;
	case 'i':
		return parse_iv(c, arg);
	}
	return -1;
}

/*
 * Fill C from the command line.  Returns -1 to go on, or the exit status to
 * end with: 0 after --help, 2 on a usage error (message printed).
 */
static int parse_args(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"preset", required_argument, NULL, 'p'},
	    {"segment", required_argument, NULL, 's'},
	    {"ladder", required_argument, NULL, 'l'},
	    {"threads", required_argument, NULL, 't'},
	    {"audio-bitrate", required_argument, NULL, 'a'},
	    {"surround", required_argument, NULL, 'u'},
	    {"surround-bitrate", required_argument, NULL, 'U'},
	    {"format", required_argument, NULL, 'f'},
	    {"title", required_argument, NULL, 'T'},
	    {"progress", required_argument, NULL, 'P'},
	    {"stall-timeout", required_argument, NULL, 'S'},
	    {"key-file", required_argument, NULL, 'k'},
	    {"key-uri", required_argument, NULL, 'K'},
	    {"iv", required_argument, NULL, 'i'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	memset(c, 0, sizeof(*c));
	transcoder_options_init(&c->o);
	c->mode = PROGRESS_AUTO;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?' || opt == ':') {
			usage(stderr);
			return 2;
		}
		if (parse_option(c, opt, optarg) < 0)
			return 2;
	}
	if (c->have_key != (c->o.key_uri != NULL)) {
		fprintf(stderr, PROG ": --key-file and --key-uri go together\n");
		return 2;
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	c->o.source = argv[optind];
	c->o.outdir = argv[optind + 1];
	return -1;
}

/* Progress reporting, warnings and the signals that cancel the job. */
static void setup(struct cli *c)
{
	struct sigaction sa;

	if (c->mode == PROGRESS_AUTO)
		c->mode = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_NONE;
	c->o.warn = warn;
	if (c->mode == PROGRESS_JSON)
		c->o.progress = progress_json;
	else if (c->mode == PROGRESS_BAR)
		c->o.progress = progress_bar;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Run the job; on failure print its one line (and the JSON error event).  Returns the exit status.
 */
static int run(struct cli *c)
{
	char err[512];

	if (transcoder_run(&c->o, err, sizeof(err)) == 0)
		return 0;
	if (c->mode == PROGRESS_BAR)
		fprintf(stderr, "\n");
	fprintf(stderr, PROG ": %s\n", err);
	if (c->mode == PROGRESS_JSON) {
		printf("{\"event\":\"error\",\"message\":\"");
		json_escaped(stdout, err);
		printf("\"}\n");
	}
	return 1;
}

/* The key leaves memory before the process does. */
static void teardown(struct cli *c)
{
	explicit_bzero(c->o.key, sizeof(c->o.key));
}

int main(int argc, char **argv)
{
	struct cli c;
	int status = parse_args(&c, argc, argv);

	if (status < 0) {
		setup(&c);
		status = run(&c);
	}
	teardown(&c);
	return status;
}
