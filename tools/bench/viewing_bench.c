/*
 * viewing_bench: the viewing service (origin/viewing/) on a real LMDB store
 * with synthetic history: USERS viewers, TITLES titles of long-tailed
 * popularity (Zipf, exponent 1), EVENTS position reports over 28 simulated
 * days, generated from a fixed seed.  It prints the events ingested per
 * second (plays, reports and the saves of a server's ticks), the latency of
 * recommendations and of search (p50, p99, max; search beside the
 * catalog's linear listing filter, its peer), and the size of the store.
 *
 *   viewing_bench [-u USERS] [-t TITLES] [-e EVENTS] [-s SEED] [-q QUERIES] [-d DIR] [-k]
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "schema.h"
#include "store.h"
#include "viewing/viewing.h"

#define DAY	  86400
#define SPAN_DAYS 28
#define T0	  1790000000LL /* the simulated clock's start */
#define WORDS	  2000	       /* the vocabulary of names and descriptions */
#define TICK_AT	  20000	       /* unsaved entries that make the bench save, as a tick would */
#define PEER_EVERY 20	       /* one search in this many is also run by the peer */

struct opts {
	long users, titles, events, queries;
	uint64_t seed;
	const char *dir;
	bool keep;
};

static uint64_t rng;

/* splitmix64: the one source of every random choice. */
static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

static long below(long n)
{
	return (long)(next() % (uint64_t)n);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* This thread's CPU time: what a query costs whatever else the machine runs. */
static double cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* The wall and CPU milliseconds of each query. */
struct times {
	double *wall, *cpu;
	long n;
	double w0, c0;
};

static struct times times_new(long n)
{
	struct times t = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double)), 0,
			  0, 0};

	if (!t.wall || !t.cpu)
		exit(1);
	return t;
}

static void times_start(struct times *t)
{
	t->w0 = now_s();
	t->c0 = cpu_s();
}

static void times_stop(struct times *t)
{
	t->cpu[t->n] = (cpu_s() - t->c0) * 1e3;
	t->wall[t->n++] = (now_s() - t->w0) * 1e3;
}

static void times_free(struct times *t)
{
	free(t->wall);
	free(t->cpu);
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "viewing_bench: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(1);
}

/* ---- the synthetic catalog ---- */

static char words[WORDS][24];
static double *zipf_cdf; /* title i's cumulative share of plays */
static double *durations;

/* A pronounceable word, some with accents (UTF-8), so search folds them. */
static void make_word(char *w, size_t cap)
{
	static const char *const syll[] = {"ka", "lo", "mi", "ne", "ra", "su", "to", "vi", "ze",
					   "bo", "da", "fe", "gu", "ha", "ji", "ku", "ly", "mo",
					   "caf\xc3\xa9", "\xc3\xbc" "ber", "ni\xc3\xb1" "o", "la"};
	size_t n = 2 + (size_t)below(2);

	w[0] = '\0';
	for (size_t i = 0; i < n; i++)
		strncat(w, syll[below(sizeof(syll) / sizeof(syll[0]))], cap - strlen(w) - 1);
}

static void register_titles(struct catalog *cat, long ntitles)
{
	static const char *const langs[] = {"en", "en", "en", "de", "fr", "es", "ja", "pt-BR"};
	double sum = 0;

	zipf_cdf = calloc((size_t)ntitles, sizeof(double));
	durations = calloc((size_t)ntitles, sizeof(double));
	for (long i = 0; i < WORDS; i++)
		make_word(words[i], sizeof(words[i]));
	for (long i = 0; i < ntitles; i++)
		zipf_cdf[i] = (sum += 1.0 / (double)(i + 1));
	for (long i = 0; i < ntitles; i++) {
		char id[32], name[128] = "", desc[512] = "", body[1024];
		const char *lang = langs[below(8)];
		struct title_meta meta = {name, desc};
		json_t *rec;
		bool created;
		int rc;

		zipf_cdf[i] /= sum;
		durations[i] = 600 + (double)below(6600);
		snprintf(id, sizeof(id), "t%04ld", i);
		for (long w = 0, n = 1 + below(4); w < n; w++)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s%s", w ? " " : "",
				 words[below(WORDS)]);
		for (long w = 0; w < 12; w++)
			snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "%s%s", w ? " " : "",
				 words[below(WORDS)]);
		snprintf(body, sizeof(body),
			 "{\"manifest_version\":1,\"duration\":%.0f,\"container\":\"fmp4\","
			 "\"segment_target\":4,\"video\":[{\"path\":\"1080p/index.m3u8\",\"width\":"
			 "1920,\"height\":1080,\"bandwidth\":5000000,\"codecs\":\"avc1.640028\"}],"
			 "\"audio\":[{\"language\":\"%s\",\"channels\":2}],\"audio_languages\":[\"%s\"],"
			 "\"subtitle_languages\":[\"en\"]}",
			 durations[i], lang, lang);
		if ((rc = catalog_record(body, strlen(body), id, &meta, T0, &rec, NULL)) != 0 ||
		    (rc = catalog_save(cat, rec, &created)) != 0)
			die("registering a title", rc);
		json_decref(rec);
	}
}

/* A title by its long-tailed popularity. */
static long pick_title(long ntitles)
{
	double u = uniform();
	long lo = 0, hi = ntitles - 1;

	while (lo < hi) {
		long mid = (lo + hi) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- ingestion ---- */

struct ingest {
	long plays, events, saves;
	double seconds, cpu_seconds, save_seconds;
	int64_t clock; /* the simulated time at the end */
};

static void save(struct viewing *v, int64_t now, struct ingest *in)
{
	double t = now_s();
	int rc = viewing_tick(v, now);

	if (rc != 0)
		die("saving", rc);
	in->save_seconds += now_s() - t;
	in->saves++;
}

/*
 * Sessions until OPT's events: a viewer picks a title, starts it where they
 * stopped, and reports 1..9 positions; 60% of sessions watch to 97% (a
 * finish), the others stop somewhere before 90%.
 */
static void ingest(struct viewing *v, const struct opts *o, struct ingest *in)
{
	double start = now_s(), cpu = cpu_s(), per_event = (double)SPAN_DAYS * DAY / (double)o->events;
	int rc;

	memset(in, 0, sizeof(*in));
	while (in->events < o->events) {
		char uid[24], id[24];
		long u = below(o->users), ti = pick_title(o->titles), k = 1 + below(9);
		int64_t now = T0 + (int64_t)((double)in->events * per_event);
		double resume, dur = durations[ti],
			       end = uniform() < 0.6 ? 0.97 * dur : (0.05 + 0.85 * uniform()) * dur;

		snprintf(uid, sizeof(uid), "u%07ld", u);
		snprintf(id, sizeof(id), "t%04ld", ti);
		if ((rc = viewing_started(v, uid, id, now, &resume)) != 0)
			die("a play", rc);
		in->plays++;
		for (long i = 1; i <= k && in->events < o->events; i++, in->events++) {
			double pos = resume + (end - resume) * (double)i / (double)k;

			if ((rc = viewing_report(v, uid, id, pos < 0 ? 0 : pos, now + i * 10)) != 0)
				die("a position", rc);
		}
		if (viewing_unsaved(v) >= TICK_AT)
			save(v, now, in);
	}
	in->clock = T0 + (int64_t)SPAN_DAYS * DAY;
	save(v, in->clock, in);
	in->seconds = now_s() - start;
	in->cpu_seconds = cpu_s() - cpu;
}

/* ---- latency ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, long n, double p)
{
	long i = (long)ceil(p * (double)n) - 1;

	return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* A row of T's percentiles, wall and CPU, with the bar TARGET (ms of p99; 0: none). */
static void print_row(const char *name, struct times *t, double target)
{
	long n = t->n;

	qsort(t->wall, (size_t)n, sizeof(double), cmp_double);
	qsort(t->cpu, (size_t)n, sizeof(double), cmp_double);
	printf("%-32s %8.3f %8.3f %8.3f %8.3f %8.3f", name, pct(t->wall, n, 0.5),
	       pct(t->wall, n, 0.99), t->wall[n - 1], pct(t->cpu, n, 0.5), pct(t->cpu, n, 0.99));
	if (target > 0)
		printf("  p99 < %.0f ms: wall %s, cpu %s", target,
		       pct(t->wall, n, 0.99) < target ? "PASS" : "FAIL",
		       pct(t->cpu, n, 0.99) < target ? "PASS" : "FAIL");
	printf("\n");
}

struct rec_stats {
	long co, lang, pop, items;
};

static void count_reasons(json_t *out, struct rec_stats *s)
{
	size_t i;
	json_t *item;

	json_array_foreach(json_object_get(out, "recommendations"), i, item)
	{
		const char *r = json_string_value(json_object_get(item, "reason"));

		s->items++;
		s->co += r && strcmp(r, "co_watched") == 0;
		s->lang += r && strcmp(r, "language") == 0;
		s->pop += r && strcmp(r, "popular") == 0;
	}
}

static void bench_recommend(struct viewing *v, const struct opts *o, int64_t now)
{
	struct times ms = times_new(o->queries);
	struct rec_stats s = {0};

	for (long i = 0; i < o->queries; i++) {
		char uid[24];
		json_t *out;
		int rc;

		/* a tenth are users with no history yet: popularity alone */
		snprintf(uid, sizeof(uid), i % 10 == 9 ? "n%07ld" : "u%07ld", below(o->users));
		times_start(&ms);
		if ((rc = viewing_recommend(v, uid, 20, now, &out)) != 0)
			die("recommending", rc);
		times_stop(&ms);
		count_reasons(out, &s);
		json_decref(out);
	}
	print_row("recommendations (20 each)", &ms, 20);
	printf("    items per answer %.1f: co_watched %.1f%%, language %.1f%%, popular %.1f%%\n",
	       (double)s.items / (double)o->queries, 100.0 * (double)s.co / (double)s.items,
	       100.0 * (double)s.lang / (double)s.items, 100.0 * (double)s.pop / (double)s.items);
	times_free(&ms);
}

/* What a user types: a title's word cut to 3 letters or more, after up to one whole word. */
static void make_query(char *q, size_t cap)
{
	const char *w = words[below(WORDS)];
	size_t n = strlen(w), cut = 3 + (size_t)below((long)(n > 3 ? n - 2 : 1));

	if (cut > n)
		cut = n;
	while (cut < n && ((unsigned char)w[cut] & 0xc0) == 0x80)
		cut++; /* not inside a UTF-8 sequence */
	if (below(3) == 0)
		snprintf(q, cap, "%s %.*s", words[below(WORDS)], (int)cut, w);
	else
		snprintf(q, cap, "%.*s", (int)cut, w);
}

static void bench_search(struct viewing *v, struct catalog *cat, const struct opts *o)
{
	struct times ms = times_new(o->queries), peer = times_new(o->queries / PEER_EVERY + 1);
	long hits = 0;

	for (long i = 0; i < o->queries; i++) {
		char q[64];
		json_t *out;
		int rc;

		make_query(q, sizeof(q));
		times_start(&ms);
		if ((rc = viewing_search(v, q, i % 4 == 3 ? "en" : NULL, 20, &out)) != 0)
			die("searching", rc);
		times_stop(&ms);
		hits += (long)json_array_size(json_object_get(out, "results"));
		json_decref(out);
		if (i % PEER_EVERY)
			continue;
		times_start(&peer);
		if ((rc = catalog_titles(cat, q, i % 4 == 3 ? "en" : NULL, 0, 20, &out)) != 0)
			die("listing", rc);
		times_stop(&peer);
		json_decref(out);
	}
	printf("    %.1f results per query\n", (double)hits / (double)o->queries);
	print_row("search (index, ranked, 20)", &ms, 5);
	print_row("peer: titles?q= scan (1 in 20)", &peer, 0);
	printf("    p50 cpu peer/search %.1fx\n", pct(peer.cpu, peer.n, 0.5) / pct(ms.cpu, ms.n, 0.5));
	times_free(&ms);
	times_free(&peer);
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: viewing_bench [-u USERS] [-t TITLES] [-e EVENTS] [-s SEED] "
			"[-q QUERIES] [-d DIR] [-k]\n"
			"  defaults: 100000 users, 1000 titles, 5000000 events, seed 42, "
			"10000 queries,\n  a new folder under $TMPDIR (removed unless -k)\n");
}

static bool parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){100000, 1000, 5000000, 10000, 42, NULL, false};
	while ((c = getopt(argc, argv, "u:t:e:s:q:d:kh")) != -1) {
		switch (c) {
		case 'u': o->users = atol(optarg); break;
		case 't': o->titles = atol(optarg); break;
		case 'e': o->events = atol(optarg); break;
		case 's': o->seed = strtoull(optarg, NULL, 10); break;
		case 'q': o->queries = atol(optarg); break;
		case 'd': o->dir = optarg; break;
		case 'k': o->keep = true; break;
		default: return false;
		}
	}
	return optind == argc && o->users > 0 && o->titles > 0 && o->titles <= 9999 &&
	       o->events > 0 && o->queries > 0;
}

static double file_mb(const char *dir, const char *name)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (double)sb.st_size / 1048576.0 : 0;
}

static void remove_store(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	static const uint8_t master[32];
	char tmpl[4096], err[256];
	struct viewing_params p = {7, 32, 30 * DAY};
	struct opts o;
	struct store *st;
	struct catalog *cat;
	struct viewing *v;
	struct ingest in;
	double loads[3] = {0};
	const char *tmp = getenv("TMPDIR");
	int rc;

	if (!parse(argc, argv, &o)) {
		usage();
		return 2;
	}
	rng = o.seed;
	snprintf(tmpl, sizeof(tmpl), "%s/viewing_bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!o.dir && !(o.dir = mkdtemp(tmpl)))
		die("making a folder", errno);
	if ((rc = store_open(&st, o.dir, 16ULL << 30, origin_db_names, ORIGIN_DB_COUNT, err,
			     sizeof(err))) != 0) {
		fprintf(stderr, "viewing_bench: %s\n", err);
		return 1;
	}
	if (!(cat = catalog_new(st, master)))
		die("the catalog", errno);
	register_titles(cat, o.titles);
	if ((rc = viewing_new(st, cat, NULL, &p, T0, &v)) != 0)
		die("the viewing service", rc);
	getloadavg(loads, 3);
	printf("viewing_bench: %ld users x %ld titles (Zipf 1), %ld events over %d days, seed "
	       "%llu; load %.1f %.1f %.1f; store %s\n",
	       o.users, o.titles, o.events, SPAN_DAYS, (unsigned long long)o.seed, loads[0],
	       loads[1], loads[2], o.dir);
	ingest(v, &o, &in);
	printf("ingest: %ld events (%ld plays) in %.1f s: %.0f events/s; %.0f per CPU-second "
	       "(%.1f s CPU); %ld saves took %.1f s\n",
	       in.events, in.plays, in.seconds, (double)in.events / in.seconds,
	       (double)in.events / in.cpu_seconds, in.cpu_seconds, in.saves, in.save_seconds);
	printf("%-32s %8s %8s %8s %8s %8s   (ms, %ld queries each)\n", "latency", "p50", "p99",
	       "max", "cpu p50", "cpu p99", o.queries);
	bench_recommend(v, &o, in.clock);
	bench_search(v, cat, &o);
	printf("store: data.mdb %.1f MB\n", file_mb(o.dir, "data.mdb"));
	viewing_free(v);
	catalog_free(cat);
	store_free(st);
	if (!o.keep)
		remove_store(o.dir);
	return 0;
}
