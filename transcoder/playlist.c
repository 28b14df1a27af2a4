/*
 * HLS playlists (RFC 8216) for a finished package:
 *   <rendition>/index.m3u8    media playlist (VOD, EXT-X-MAP for fMP4, ENDLIST)
 *   <video>/iframes.m3u8      I-frame playlist (EXT-X-I-FRAMES-ONLY, byte ranges of moof+IDR,
 *                             or of the IDR's PES with the PAT/PMT as EXT-X-MAP for TS)
 *   master.m3u8               variants with measured BANDWIDTH/AVERAGE-BANDWIDTH (audio
 *                             included), exact CODECS, RESOLUTION, FRAME-RATE; the stereo
 *                             and multichannel audio groups, subtitles
 * Versions are the lowest each playlist needs (section 7): float EXTINF -> 3,
 * byte ranges / I-frames-only -> 4, EXT-X-MAP with I-frames-only -> 5, EXT-X-MAP -> 6;
 * the master states the highest of its media playlists.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define GROUP_AUDIO "aud"
#define GROUP_SUBS  "subs"

const struct tc_segment *tc_rend_segments(const struct tc_rendition *r, size_t *n)
{
	if (r->seg)
		return tc_seg_list(r->seg, n);
	*n = r->grid_len;
	return r->grid;
}

static int target_duration(const struct tc_segment *s, size_t n)
{
	double max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].dur_s > max)
			max = s[i].dur_s;
	return max < 1 ? 1 : (int)lround(max); /* EXTINF rounded must be <= target */
}

/*
 * Peak segment bit rate: the largest bit rate of any contiguous run of segments
 * lasting 0.5 to 1.5 target durations (RFC 8216 4.3.4.2 via the 4.1 definition).
 */
static double peak_bps(const struct tc_segment *s, size_t n, int target, int iframes)
{
	double peak = 0, all_b = 0, all_d = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		double b = 0, d = 0;
		for (j = i; j < n; j++) {
			b += 8.0 * (double)(iframes ? s[j].iframe_len : s[j].size);
			d += s[j].dur_s;
			if (d > 1.5 * target)
				break;
			if (d >= 0.5 * target && b / d > peak)
				peak = b / d;
		}
		all_b += 8.0 * (double)(iframes ? s[i].iframe_len : s[i].size);
		all_d += s[i].dur_s;
	}
	if (peak == 0 && all_d > 0)
		peak = all_b / all_d;
	return peak;
}

static double avg_bps(const struct tc_segment *s, size_t n, int iframes)
{
	double b = 0, d = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		b += 8.0 * (double)(iframes ? s[i].iframe_len : s[i].size);
		d += s[i].dur_s;
	}
	return d > 0 ? b / d : 0;
}

void tc_measure(struct tc_job *job)
{
	size_t i, n;

	for (i = 0; i < job->nrends; i++) {
		struct tc_rendition *r = &job->rends[i];
		const struct tc_segment *s;
		int t;

		if (!r->seg)
			continue;
		s = tc_seg_list(r->seg, &n);
		t = target_duration(s, n);
		r->peak_bps = peak_bps(s, n, t, 0);
		r->avg_bps = avg_bps(s, n, 0);
		r->iframe_peak_bps = r->iframe_avg_bps = 0; /* none once encrypted */
		if (r->kind == TC_VIDEO && n > 0 && s[0].iframe_off >= 0) {
			r->iframe_peak_bps = peak_bps(s, n, t, 1);
			r->iframe_avg_bps = avg_bps(s, n, 1);
		}
	}
}

static FILE *open_out(struct tc_job *job, const char *rel, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", job->tmpdir, rel);
	f = fopen(path, "w");
	if (!f)
		tc_fail(job, -errno, "%s: %s", path, strerror(errno));
	return f;
}

static int close_out(struct tc_job *job, FILE *f, const char *path)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad)
		return tc_fail(job, -EIO, "%s: write failed", path);
	return 0;
}

static void write_key(FILE *f, const struct transcoder_options *o, const uint8_t *iv)
{
	int i;

	fprintf(f, "#EXT-X-KEY:METHOD=AES-128,URI=\"%s\"", o->key_uri);
	if (iv) {
		fprintf(f, ",IV=0x");
		for (i = 0; i < 16; i++)
			fprintf(f, "%02x", iv[i]);
	}
	fprintf(f, "\n");
}

static int write_media(struct tc_job *job, const struct tc_rendition *r, int iframes)
{
	const struct transcoder_options *o = job->opts;
	int crypt = o->key_uri && r->kind != TC_SUBS;
	int fmp4 = job->opts->container == TRANSCODER_FMP4 && r->kind != TC_SUBS;
	const char *ext = r->kind == TC_SUBS ? "vtt" : fmp4 ? "m4s" : "ts";
	char rel[128], path[PATH_MAX + 160];
	const struct tc_segment *s;
	size_t i, n;
	int version;
	FILE *f;

	s = tc_rend_segments(r, &n);
	version = iframes ? 5 : fmp4 ? 6 : 3;
	snprintf(rel, sizeof(rel), "%s/%s", r->name, iframes ? "iframes.m3u8" : "index.m3u8");
	if (!(f = open_out(job, rel, path, sizeof(path))))
		return -EIO;
	fprintf(f, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%d\n", version,
		target_duration(s, n));
	fprintf(f, "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n");
	fprintf(f, "#EXT-X-INDEPENDENT-SEGMENTS\n");
	if (iframes)
		fprintf(f, "#EXT-X-I-FRAMES-ONLY\n");
	if (fmp4) /* before any EXT-X-KEY: the init section stays in clear */
		fprintf(f, "#EXT-X-MAP:URI=\"init.mp4\"\n");
	else if (iframes) /* the PAT and PMT ahead of the first IDR (RFC 8216 3.2) */
		fprintf(f, "#EXT-X-MAP:URI=\"seg_00001.ts\",BYTERANGE=\"%lld@0\"\n",
			(long long)s[0].iframe_off);
	if (crypt && o->iv_mode != TRANSCODER_IV_RANDOM)
		write_key(f, o, o->iv_mode == TRANSCODER_IV_FIXED ? o->iv : NULL);
	for (i = 0; i < n; i++) {
		if (crypt && o->iv_mode == TRANSCODER_IV_RANDOM)
			write_key(f, o, s[i].iv);
		fprintf(f, "#EXTINF:%.5f,\n", s[i].dur_s);
		if (iframes)
			fprintf(f, "#EXT-X-BYTERANGE:%lld@%lld\n", (long long)s[i].iframe_len,
				(long long)s[i].iframe_off);
		fprintf(f, "seg_%05zu.%s\n", i + 1, ext);
	}
	fprintf(f, "#EXT-X-ENDLIST\n");
	return close_out(job, f, path);
}

/* The groups of the master playlist; "multichannel" holds a rendition of every track. */
enum group { G_STEREO, G_SURROUND, G_SUBS, G_NONE };

static int has_surround_sibling(const struct tc_job *job, const struct tc_rendition *r)
{
	size_t i;

	for (i = 0; i < job->nrends; i++)
		if (job->rends[i].kind == TC_AUDIO && job->rends[i].surround &&
		    job->rends[i].stream == r->stream && &job->rends[i] != r)
			return 1;
	return 0;
}

/*
 * R is in group G: the stereo group has every AAC rendition; the multichannel
 * one every multichannel rendition and, for a track that has none, its stereo
 * one (so every track can be chosen in either); subtitles theirs.
 */
static int in_group(const struct tc_job *job, const struct tc_rendition *r, enum group g)
{
	switch (g) {
	case G_STEREO:
		return r->kind == TC_AUDIO && !r->surround;
	case G_SURROUND:
		return r->kind == TC_AUDIO && (r->surround || !has_surround_sibling(job, r));
	case G_SUBS:
		return r->kind == TC_SUBS && r->grid;
	default:
		return 0;
	}
}

static const char *group_id(const struct tc_job *job, enum group g)
{
	if (g == G_SUBS)
		return GROUP_SUBS;
	if (g == G_STEREO)
		return GROUP_AUDIO;
	return job->opts->surround == TRANSCODER_SURROUND_EAC3 ? GROUP_AUDIO "-ec3"
							       : GROUP_AUDIO "-ac3";
}

const char *tc_rend_group(const struct tc_job *job, const struct tc_rendition *r)
{
	return group_id(job, r->kind == TC_SUBS ? G_SUBS : r->surround ? G_SURROUND : G_STEREO);
}

/* Group G is in the master playlist (the multichannel one only with a multichannel track). */
static int group_used(const struct tc_job *job, enum group g)
{
	size_t i;

	for (i = 0; i < job->nrends; i++)
		if (in_group(job, &job->rends[i], g) && (g != G_SURROUND || job->rends[i].surround))
			return 1;
	return 0;
}

/* The member of G with the largest peak (AVG: average) bit rate, the variant's worst case. */
static const struct tc_rendition *worst(const struct tc_job *job, enum group g, int avg)
{
	const struct tc_rendition *w = NULL;
	size_t i;

	for (i = 0; i < job->nrends; i++) {
		const struct tc_rendition *r = &job->rends[i];
		if (in_group(job, r, g) &&
		    (!w || (avg ? r->avg_bps > w->avg_bps : r->peak_bps > w->peak_bps)))
			w = r;
	}
	return w;
}

/* ",ac-3,mp4a.40.2": every codec in group G, once each. */
static void group_codecs(const struct tc_job *job, enum group g, char *out, size_t len)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < job->nrends; i++) {
		const char *c = job->rends[i].codecs, *hit = strstr(out, c);
		size_t n = strlen(c);
		if (!in_group(job, &job->rends[i], g) ||
		    (hit && hit[-1] == ',' && (hit[n] == ',' || hit[n] == '\0')))
			continue;
		o += (size_t)snprintf(out + o, len - o, ",%s", c);
		if (o >= len)
			return;
	}
}

/*
 * AUTOSELECT=YES for one rendition per language and forced flag in group G:
 * the default one, else the first (RFC 8216 4.3.4.1.1 asks for distinct
 * combinations among the AUTOSELECT=YES members of a group).
 */
static int autoselect(const struct tc_job *job, const struct tc_rendition *r, enum group g)
{
	size_t i;

	for (i = 0; i < job->nrends; i++) {
		const struct tc_rendition *o = &job->rends[i];
		if (o == r || !in_group(job, o, g) || o->forced != r->forced ||
		    strcmp(o->lang, r->lang) != 0)
			continue;
		if (o->is_default || (o < r && !r->is_default))
			return 0;
	}
	return 1;
}

/* One EXT-X-MEDIA tag: rendition R as a member of group G. */
static void write_media_tag(FILE *f, const struct tc_job *job, const struct tc_rendition *r,
			    enum group g)
{
	fprintf(f, "#EXT-X-MEDIA:TYPE=%s,GROUP-ID=\"%s\",LANGUAGE=\"%s\",NAME=\"%s\",",
		r->kind == TC_SUBS ? "SUBTITLES" : "AUDIO", group_id(job, g), r->lang, r->label);
	fprintf(f, "DEFAULT=%s,AUTOSELECT=%s,", r->is_default ? "YES" : "NO",
		autoselect(job, r, g) ? "YES" : "NO");
	if (r->kind == TC_SUBS)
		fprintf(f, "FORCED=%s,", r->forced ? "YES" : "NO");
	else
		fprintf(f, "CHANNELS=\"%d\",", r->channels);
	fprintf(f, "URI=\"%s/index.m3u8\"\n", r->name);
}

static void write_groups(FILE *f, const struct tc_job *job)
{
	enum group g;
	size_t i;

	for (g = G_STEREO; g < G_NONE; g++)
		for (i = 0; group_used(job, g) && i < job->nrends; i++)
			if (in_group(job, &job->rends[i], g))
				write_media_tag(f, job, &job->rends[i], g);
}

static int cmp_bw(const void *a, const void *b)
{
	const struct tc_rendition *x = *(const struct tc_rendition *const *)a;
	const struct tc_rendition *y = *(const struct tc_rendition *const *)b;

	if (x->peak_bps != y->peak_bps)
		return x->peak_bps < y->peak_bps ? -1 : 1;
	return x->height - y->height;
}

/* The default member of audio group G (an audio-only title plays it), or NULL. */
static const struct tc_rendition *default_member(const struct tc_job *job, enum group g)
{
	const struct tc_rendition *d = NULL;
	size_t i;

	for (i = 0; i < job->nrends; i++)
		if (in_group(job, &job->rends[i], g) && (!d || job->rends[i].is_default))
			d = &job->rends[i];
	return d;
}

/* One EXT-X-STREAM-INF: video rendition V (NULL for an audio-only title) with audio group G. */
static void write_variant(FILE *f, const struct tc_job *job, const struct tc_rendition *v,
			  enum group g)
{
	const struct tc_rendition *ap = worst(job, g, 0), *aa = worst(job, g, 1);
	char codecs[160];

	group_codecs(job, g, codecs, sizeof(codecs));
	fprintf(f, "#EXT-X-STREAM-INF:BANDWIDTH=%.0f,AVERAGE-BANDWIDTH=%.0f,",
		ceil((v ? v->peak_bps : 0) + (ap ? ap->peak_bps : 0)),
		ceil((v ? v->avg_bps : 0) + (aa ? aa->avg_bps : 0)));
	fprintf(f, "CODECS=\"%s%s\"", v ? v->codecs : "", v ? codecs : codecs + 1);
	if (v)
		fprintf(f, ",RESOLUTION=%dx%d,FRAME-RATE=%.3f", v->width, v->height, v->fps);
	if (ap)
		fprintf(f, ",AUDIO=\"%s\"", group_id(job, g));
	if (group_used(job, G_SUBS))
		fprintf(f, ",SUBTITLES=\"" GROUP_SUBS "\"");
	fprintf(f, "\n%s/index.m3u8\n", v ? v->name : default_member(job, g)->name);
}

/*
 * Every video rendition once per audio group (stereo first: players that
 * cannot decode the multichannel codec skip those variants), then the
 * I-frame playlists; an audio-only title has one variant per audio group.
 */
static void write_variants(FILE *f, const struct tc_job *job)
{
	const struct tc_rendition *v[TC_MAX_RUNGS];
	enum group groups[2], g;
	size_t i, k, n = 0, ng = 0;

	for (i = 0; i < job->nrends; i++)
		if (job->rends[i].kind == TC_VIDEO && n < TC_MAX_RUNGS)
			v[n++] = &job->rends[i];
	qsort(v, n, sizeof(v[0]), cmp_bw);
	for (g = G_STEREO; g <= G_SURROUND; g++)
		if (group_used(job, g))
			groups[ng++] = g;
	for (k = 0; k < (ng ? ng : 1); k++)
		for (i = 0; i < n; i++)
			write_variant(f, job, v[i], ng ? groups[k] : G_NONE);
	for (i = 0; i < n; i++) {
		const struct tc_rendition *r = v[i];
		if (r->iframe_peak_bps <= 0)
			continue;
		fprintf(f,
			"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%.0f,AVERAGE-BANDWIDTH=%.0f,"
			"CODECS=\"%s\",RESOLUTION=%dx%d,URI=\"%s/iframes.m3u8\"\n",
			ceil(r->iframe_peak_bps), ceil(r->iframe_avg_bps), r->codecs, r->width,
			r->height, r->name);
	}
	for (k = 0; n == 0 && k < ng; k++)
		write_variant(f, job, NULL, groups[k]);
}

static int has_iframes(const struct tc_job *job)
{
	size_t i;

	for (i = 0; i < job->nrends; i++)
		if (job->rends[i].kind == TC_VIDEO && job->rends[i].iframe_peak_bps > 0)
			return 1;
	return 0;
}

static int write_master(struct tc_job *job)
{
	char path[PATH_MAX + 32];
	FILE *f = open_out(job, "master.m3u8", path, sizeof(path));

	if (!f)
		return -EIO;
	/* the highest version among the media playlists it lists */
	fprintf(f, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n",
		job->opts->container == TRANSCODER_FMP4 ? 6
		: has_iframes(job)			? 5
							: 3);
	write_groups(f, job);
	write_variants(f, job);
	return close_out(job, f, path);
}

int tc_playlists_write(struct tc_job *job)
{
	size_t i;
	int ret;

	for (i = 0; i < job->nrends; i++) {
		const struct tc_rendition *r = &job->rends[i];
		if (!r->seg && !r->grid)
			continue;
		if ((ret = write_media(job, r, 0)) < 0)
			return ret;
		if (r->kind == TC_VIDEO && r->iframe_peak_bps > 0 &&
		    (ret = write_media(job, r, 1)) < 0)
			return ret;
	}
	return write_master(job);
}
