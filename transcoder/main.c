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
		"  --audio-bitrate=KBPS AAC bit rate per audio rendition (default 128)\n"
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

static void progress_json(const struct transcoder_progress *p, void *arg)
{
	(void)arg;
	printf("{\"event\":\"%s\",\"percent\":%.1f,\"time\":%.3f,\"duration\":%.3f,"
	       "\"elapsed\":%.2f,\"speed\":%.3f,\"eta\":%.1f,\"frames\":%lld}\n",
	       p->finished ? "done" : "progress",
	       p->total_s > 0
		   ? 100.0 * (p->done_s < p->total_s ? p->done_s : p->total_s) / p->total_s
		   : 0,
	       p->done_s, p->total_s, p->elapsed_s, p->speed, p->eta_s, (long long)p->frames);
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"preset", required_argument, NULL, 'p'},
	    {"segment", required_argument, NULL, 's'},
	    {"ladder", required_argument, NULL, 'l'},
	    {"threads", required_argument, NULL, 't'},
	    {"audio-bitrate", required_argument, NULL, 'a'},
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
	struct transcoder_rung ladder[16];
	struct transcoder_options o;
	enum progress_mode mode = PROGRESS_AUTO;
	struct sigaction sa;
	char err[512];
	double num;
	int c, n, have_key = 0;

	transcoder_options_init(&o);
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.preset = optarg;
			break;
		case 's':
			if (parse_num("segment", optarg, 1, 60, &o.segment_s) < 0)
				return 2;
			break;
		case 'l':
			n = transcoder_ladder_parse(optarg, ladder, 16);
			if (n < 0) {
				fprintf(stderr, PROG ": --ladder=%s: expected WxH@KBPS,...\n",
					optarg);
				return 2;
			}
			o.ladder = ladder;
			o.ladder_len = (size_t)n;
			break;
		case 't':
			if (parse_num("threads", optarg, 0, 256, &num) < 0)
				return 2;
			o.threads = (int)num;
			break;
		case 'a':
			if (parse_num("audio-bitrate", optarg, 16, 512, &num) < 0)
				return 2;
			o.audio_kbps = (int)num;
			break;
		case 'f':
			if (strcmp(optarg, "fmp4") == 0) {
				o.container = TRANSCODER_FMP4;
			} else if (strcmp(optarg, "ts") == 0) {
				o.container = TRANSCODER_TS;
			} else {
				fprintf(stderr, PROG ": --format=%s: expected fmp4 or ts\n",
					optarg);
				return 2;
			}
			break;
		case 'T':
			o.title = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "json") == 0) {
				mode = PROGRESS_JSON;
			} else if (strcmp(optarg, "bar") == 0) {
				mode = PROGRESS_BAR;
			} else if (strcmp(optarg, "none") == 0) {
				mode = PROGRESS_NONE;
			} else {
				fprintf(stderr,
					PROG ": --progress=%s: expected json, bar or none\n",
					optarg);
				return 2;
			}
			break;
		case 'S':
			if (parse_num("stall-timeout", optarg, 1, 86400, &o.stall_timeout) < 0)
				return 2;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'k':
			if (read_key(optarg, o.key) < 0)
				return 2;
			have_key = 1;
			break;
		case 'K':
			o.key_uri = optarg;
			break;
		case 'i':
			if (strcmp(optarg, "sequence") == 0) {
				o.iv_mode = TRANSCODER_IV_SEQUENCE;
			} else if (strcmp(optarg, "random") == 0) {
				o.iv_mode = TRANSCODER_IV_RANDOM;
			} else if (parse_hex16(optarg, strlen(optarg), o.iv) == 0) {
				o.iv_mode = TRANSCODER_IV_FIXED;
			} else {
				fprintf(stderr,
					PROG ": --iv=%s: expected sequence, random or 32 hex "
					     "digits\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (have_key != (o.key_uri != NULL)) {
		fprintf(stderr, PROG ": --key-file and --key-uri go together\n");
		return 2;
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	o.source = argv[optind];
	o.outdir = argv[optind + 1];
	if (mode == PROGRESS_AUTO)
		mode = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_NONE;
	o.warn = warn;
	if (mode == PROGRESS_JSON)
		o.progress = progress_json;
	else if (mode == PROGRESS_BAR)
		o.progress = progress_bar;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	n = transcoder_run(&o, err, sizeof(err));
	memset(o.key, 0, sizeof(o.key));
	if (n < 0) {
		if (mode == PROGRESS_BAR)
			fprintf(stderr, "\n");
		fprintf(stderr, PROG ": %s\n", err);
		if (mode == PROGRESS_JSON) {
			printf("{\"event\":\"error\",\"message\":\"");
			json_escaped(stdout, err);
			printf("\"}\n");
		}
		return 1;
	}
	return 0;
}
