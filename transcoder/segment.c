/*
 * Segmenter: one rendition's packets into init.mp4 + seg_NNNNN.m4s (fragmented
 * MP4, one moof+mdat per segment) or seg_NNNNN.ts, noting where each
 * segment's IDR lies for the I-frame playlists.  One libavformat muxer per
 * rendition writes into an in-memory buffer that is swapped at every segment
 * boundary, so tfdt/sequence numbers run on across segments as in one file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/opt.h>

#include "array.h"
#include "internal.h"

struct tc_segmenter {
	AVFormatContext *oc;
	enum transcoder_container container;
	int is_video;
	AVRational tb;	   /* time base of the incoming packets (encoder) */
	int64_t target_ms; /* segment target */
	int64_t next_cut;  /* pts (tb): a key packet at or past it opens a new segment */
	int open;	   /* a segment buffer is being filled */
	int64_t seg_start; /* pts of the open segment's first packet */
	int64_t end_pts;   /* largest pts + duration seen */
	int init_written;
	AVPacket *pending; /* held until the next packet gives its exact duration */
	int has_pending;
	int64_t *starts; /* pts of each segment's first packet */
	struct tc_segment *segs;
	size_t nsegs, cap, starts_cap; /* the room of SEGS and of STARTS */
	char dir[PATH_MAX];
};

int64_t tc_boundary(int64_t k, int64_t target_ms, AVRational tb)
{
	return av_rescale_q(k * target_ms, (AVRational){1, 1000}, tb);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Find box TYPE among the boxes in [P, P+LEN); returns its offset or -1. */
static int64_t find_box(const uint8_t *p, int64_t len, const char *type, uint32_t *size)
{
	int64_t off = 0;

	while (off + 8 <= len) {
		uint32_t sz = rd32(p + off);
		if (sz < 8 || off + sz > len)
			return -1;
		if (memcmp(p + off + 4, type, 4) == 0) {
			*size = sz;
			return off;
		}
		off += sz;
	}
	return -1;
}

/*
 * The byte range of the first sample of a fragment (the IDR) together with its
 * moof, as an I-frame playlist needs it: moof..end of sample 1.  Returns 0 or -1.
 */
static int iframe_range(const uint8_t *buf, int64_t len, int64_t *off, int64_t *n)
{
	uint32_t moof_sz, traf_sz, trun_sz, tfhd_sz, flags, tfflags, sample;
	int64_t moof, traf, trun, tfhd;
	const uint8_t *t, *h;
	int32_t data_off = 0;
	size_t pos;

	moof = find_box(buf, len, "moof", &moof_sz);
	if (moof < 0)
		return -1;
	traf = find_box(buf + moof + 8, moof_sz - 8, "traf", &traf_sz);
	if (traf < 0)
		return -1;
	traf += moof + 8;
	trun = find_box(buf + traf + 8, traf_sz - 8, "trun", &trun_sz);
	tfhd = find_box(buf + traf + 8, traf_sz - 8, "tfhd", &tfhd_sz);
	if (trun < 0 || tfhd < 0 || trun_sz < 16)
		return -1;
	t = buf + traf + 8 + trun;
	h = buf + traf + 8 + tfhd;
	flags = rd32(t + 8) & 0xffffff;
	pos = 16;
	if (flags & 0x1) {
		data_off = (int32_t)rd32(t + pos);
		pos += 4;
	}
	if (flags & 0x4)
		pos += 4;
	if (flags & 0x100)
		pos += 4;
	if (flags & 0x200) {
		if (pos + 4 > trun_sz)
			return -1;
		sample = rd32(t + pos);
	} else {
		/* default-sample-size in tfhd: after track_ID and the optional fields */
		size_t hp = 16;
		tfflags = rd32(h + 8) & 0xffffff;
		if (!(tfflags & 0x10))
			return -1;
		hp += (tfflags & 0x1) ? 8 : 0;
		hp += (tfflags & 0x2) ? 4 : 0;
		hp += (tfflags & 0x8) ? 4 : 0;
		if (hp + 4 > tfhd_sz)
			return -1;
		sample = rd32(h + hp);
	}
	if (!(flags & 0x1) || data_off <= 0 || moof + data_off + (int64_t)sample > len)
		return -1;
	*off = moof;
	*n = data_off + (int64_t)sample;
	return 0;
}

#define TS_PACKET 188

/*
 * The byte range of the IDR in an MPEG-TS segment (it starts with its key
 * frame, after the PAT and PMT): from the first TS packet of the first video
 * PES to the next packet that starts a PES on the same PID, or the end.
 * Returns 0 or -1.
 */
static int ts_iframe_range(const uint8_t *buf, int64_t len, int64_t *off, int64_t *n)
{
	int64_t p, start = -1;
	int pid = -1;

	for (p = 0; p + TS_PACKET <= len; p += TS_PACKET) {
		const uint8_t *t = buf + p;
		int this_pid = (t[1] & 0x1f) << 8 | t[2], pusi = t[1] & 0x40;
		int afc = t[3] >> 4 & 3, at = 4 + (afc & 2 ? 1 + t[4] : 0);
		int pes = pusi && (afc & 1) && at + 4 <= TS_PACKET && t[at] == 0 &&
			  t[at + 1] == 0 && t[at + 2] == 1 && (t[at + 3] & 0xf0) == 0xe0;

		if (t[0] != 0x47)
			return -1;
		if (pid < 0 && pes) {
			pid = this_pid;
			start = p;
		} else if (pid >= 0 && this_pid == pid && pusi) {
			break;
		}
	}
	if (pid < 0)
		return -1;
	*off = start;
	*n = (p < len ? p : len) - start;
	return 0;
}

static int open_buffer(struct tc_segmenter *s)
{
	int ret = avio_open_dyn_buf(&s->oc->pb);

	return ret < 0 ? tc_averr(ret) : 0;
}

/* Take the buffered bytes; returns their length or a negative errno. */
static int64_t take_buffer(struct tc_segmenter *s, uint8_t **buf)
{
	int n;

	avio_flush(s->oc->pb);
	n = avio_close_dyn_buf(s->oc->pb, buf);
	s->oc->pb = NULL;
	if (n < 0 || !*buf)
		return -ENOMEM;
	return n;
}

static int add_segment(struct tc_segmenter *s)
{
	if (array_reserve((void **)&s->segs, &s->cap, s->nsegs, sizeof(*s->segs), 64) ||
	    array_reserve((void **)&s->starts, &s->starts_cap, s->nsegs, sizeof(*s->starts), 64))
		return -ENOMEM;
	memset(&s->segs[s->nsegs], 0, sizeof(s->segs[0]));
	s->starts[s->nsegs] = s->seg_start;
	s->nsegs++;
	return 0;
}

/*
 * With delay_moov the moov (and its edit list, which hides the encoder delay)
 * is written with the first fragment: split it off into init.mp4.  Returns the
 * offset of the first segment byte in BUF, or a negative errno.
 */
static int64_t split_init(struct tc_segmenter *s, const uint8_t *buf, int64_t n, char *err,
			  size_t errlen)
{
	char path[PATH_MAX + 16];
	uint32_t sz;
	int64_t moov = find_box(buf, n, "moov", &sz);
	int ret;

	if (moov < 0) {
		snprintf(err, errlen, "%s: muxer wrote no moov box", s->dir);
		return -EIO;
	}
	snprintf(path, sizeof(path), "%s/init.mp4", s->dir);
	ret = tc_write_file(path, buf, (size_t)(moov + sz));
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	s->init_written = 1;
	return moov + sz;
}

/* Flush the open segment to seg_NNNNN.* */
static int close_segment(struct tc_segmenter *s, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	struct tc_segment *seg;
	uint8_t *buf = NULL;
	int64_t n, skip = 0;
	int ret;

	ret = av_write_frame(s->oc, NULL); /* flush the fragment / pending PES */
	if (ret >= 0 && s->container == TRANSCODER_FMP4 && !s->init_written)
		ret = av_write_frame(s->oc, NULL); /* the first flush only wrote the moov */
	if (ret < 0) {
		snprintf(err, errlen, "%s: muxer flush failed", s->dir);
		return tc_averr(ret);
	}
	n = take_buffer(s, &buf);
	if (n < 0)
		return (int)n;
	if (s->container == TRANSCODER_FMP4 && !s->init_written &&
	    (skip = split_init(s, buf, n, err, errlen)) < 0) {
		ret = (int)skip;
		goto end;
	}
	ret = add_segment(s);
	if (ret < 0)
		goto end;
	seg = &s->segs[s->nsegs - 1];
	seg->size = n - skip;
	seg->iframe_off = -1;
	if (s->is_video && s->container == TRANSCODER_FMP4)
		iframe_range(buf + skip, n - skip, &seg->iframe_off, &seg->iframe_len);
	else if (s->is_video && ts_iframe_range(buf, n, &seg->iframe_off, &seg->iframe_len) < 0)
		seg->iframe_off = -1;
	snprintf(path, sizeof(path), "%s/seg_%05zu.%s", s->dir, s->nsegs,
		 s->container == TRANSCODER_TS ? "ts" : "m4s");
	ret = tc_write_file(path, buf + skip, (size_t)(n - skip));
	if (ret < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
end:
	av_free(buf);
	s->open = 0;
	return ret;
}

static int open_muxer(struct tc_segmenter *s, const AVCodecContext *enc, char *err, size_t errlen)
{
	const char *fmt = s->container == TRANSCODER_TS ? "mpegts" : "mp4";
	AVDictionary *o = NULL;
	AVStream *st;
	int ret;

	ret = avformat_alloc_output_context2(&s->oc, NULL, fmt, NULL);
	if (ret < 0 || !(st = avformat_new_stream(s->oc, NULL))) {
		snprintf(err, errlen, "%s: cannot create %s muxer", s->dir, fmt);
		return ret < 0 ? tc_averr(ret) : -ENOMEM;
	}
	ret = avcodec_parameters_from_context(st->codecpar, enc);
	if (ret < 0)
		return tc_averr(ret);
	st->time_base = s->tb;
	st->avg_frame_rate = enc->framerate;
	if (s->container == TRANSCODER_TS)
		s->oc->output_ts_offset = TC_TS_OFFSET_US; /* the same for every rendition */
	if (s->container == TRANSCODER_FMP4)
		av_dict_set(&o, "movflags",
			    "frag_custom+delay_moov+default_base_moof+skip_trailer+dash", 0);
	ret = open_buffer(s);
	if (ret == 0)
		ret = avformat_write_header(s->oc, &o);
	av_dict_free(&o);
	if (ret < 0) {
		snprintf(err, errlen, "%s: muxer header failed", s->dir);
		return tc_averr(ret);
	}
	return 0; /* the header bytes stay buffered, ahead of segment 1 */
}

struct tc_segmenter *tc_seg_new(const char *dir, const AVCodecContext *enc, int64_t target_ms,
				enum transcoder_container c, char *err, size_t errlen)
{
	struct tc_segmenter *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->container = c;
	s->is_video = enc->codec_type == AVMEDIA_TYPE_VIDEO;
	s->tb = enc->time_base;
	s->target_ms = target_ms;
	s->end_pts = AV_NOPTS_VALUE;
	if (!(s->pending = av_packet_alloc())) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (open_muxer(s, enc, err, errlen) < 0)
		goto fail;
	return s; /* TS: the header bytes stay in the buffer, at the head of segment 1 */
fail:
	tc_seg_free(&s);
	return NULL;
}

static int start_segment(struct tc_segmenter *s, int64_t pts)
{
	int64_t k;
	int ret;

	if (!s->oc->pb) {
		ret = open_buffer(s);
		if (ret < 0)
			return ret;
		if (s->container == TRANSCODER_TS)
			av_opt_set(s->oc->priv_data, "mpegts_flags", "+resend_headers", 0);
	}
	s->open = 1;
	s->seg_start = pts;
	k = av_rescale_q(pts, s->tb, (AVRational){1, 1000}) / s->target_ms + 1;
	if (k < 1)
		k = 1;
	while (tc_boundary(k, s->target_ms, s->tb) <= pts)
		k++;
	s->next_cut = tc_boundary(k, s->target_ms, s->tb);
	return 0;
}

/*
 * Write the held packet.  Its duration is made exact from the next packet's
 * dts (NEXT_DTS; AV_NOPTS_VALUE at the end keeps the nominal one), so the last
 * sample of every fragment, hence the next tfdt, is right for VFR sources too.
 */
static int write_pending(struct tc_segmenter *s, int64_t next_dts, char *err, size_t errlen)
{
	AVPacket *p = s->pending;
	int64_t pts;
	int ret;

	if (!s->has_pending)
		return 0;
	s->has_pending = 0;
	if (next_dts != AV_NOPTS_VALUE && p->dts != AV_NOPTS_VALUE && next_dts > p->dts)
		p->duration = next_dts - p->dts;
	pts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
	if (s->end_pts == AV_NOPTS_VALUE || pts + p->duration > s->end_pts)
		s->end_pts = pts + p->duration;
	p->stream_index = 0;
	av_packet_rescale_ts(p, s->tb, s->oc->streams[0]->time_base);
	ret = av_write_frame(s->oc, p);
	av_packet_unref(p);
	if (ret < 0) {
		snprintf(err, errlen, "%s: writing a packet failed", s->dir);
		return tc_averr(ret);
	}
	return 0;
}

int tc_seg_write(struct tc_segmenter *s, AVPacket *pkt, char *err, size_t errlen)
{
	int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
	int ret = 0;

	if (pts == AV_NOPTS_VALUE)
		goto end; /* nothing to place it by: dropped */
	ret = write_pending(s, pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pts, err, errlen);
	if (ret < 0)
		goto end;
	if (s->open && (pkt->flags & AV_PKT_FLAG_KEY) && pts >= s->next_cut) {
		ret = close_segment(s, err, errlen);
		if (ret < 0)
			goto end;
	}
	if (!s->open) {
		ret = start_segment(s, pts);
		if (ret < 0)
			goto end;
	}
	av_packet_move_ref(s->pending, pkt);
	s->has_pending = 1;
end:
	av_packet_unref(pkt);
	return ret;
}

int tc_seg_finish(struct tc_segmenter *s, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t i;
	int ret;

	if ((ret = write_pending(s, AV_NOPTS_VALUE, err, errlen)) < 0)
		return ret;
	if (s->open) {
		ret = close_segment(s, err, errlen);
		if (ret < 0)
			return ret;
	}
	/* the trailer is skipped (skip_trailer); let the muxer free its state */
	if (open_buffer(s) == 0) {
		av_write_trailer(s->oc);
		if (take_buffer(s, &buf) >= 0)
			av_free(buf);
	}
	for (i = 0; i < s->nsegs; i++) {
		int64_t end = i + 1 < s->nsegs ? s->starts[i + 1] : s->end_pts;
		s->segs[i].start_s = s->starts[i] * av_q2d(s->tb);
		s->segs[i].dur_s = (end - s->starts[i]) * av_q2d(s->tb);
	}
	return ret;
}

int tc_seg_encrypt(struct tc_segmenter *s, const struct transcoder_options *o, char *err,
		   size_t errlen)
{
	char path[PATH_MAX + 32];
	size_t i;
	int ret;

	for (i = 0; i < s->nsegs; i++) {
		snprintf(path, sizeof(path), "%s/seg_%05zu.%s", s->dir, i + 1,
			 s->container == TRANSCODER_TS ? "ts" : "m4s");
		ret = tc_encrypt_file(o, path, i, s->segs[i].iv, &s->segs[i].size);
		if (ret < 0) {
			snprintf(err, errlen, "%s: encryption failed: %s", path, strerror(-ret));
			return ret;
		}
		s->segs[i].iframe_off = -1; /* byte ranges of ciphertext are useless */
	}
	return 0;
}

int tc_seg_rename(struct tc_segmenter *s, const char *dir)
{
	if (strlen(dir) >= sizeof(s->dir))
		return -ENAMETOOLONG;
	if (rename(s->dir, dir) < 0)
		return -errno;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	return 0;
}

const struct tc_segment *tc_seg_list(const struct tc_segmenter *s, size_t *n)
{
	*n = s->nsegs;
	return s->segs;
}

double tc_seg_duration(const struct tc_segmenter *s)
{
	double d = 0;
	size_t i;

	for (i = 0; i < s->nsegs; i++)
		d += s->segs[i].dur_s;
	return d;
}

void tc_seg_free(struct tc_segmenter **sp)
{
	struct tc_segmenter *s = *sp;
	uint8_t *buf = NULL;

	if (!s)
		return;
	if (s->oc) {
		if (s->oc->pb) {
			avio_close_dyn_buf(s->oc->pb, &buf);
			av_free(buf);
		}
		avformat_free_context(s->oc);
	}
	av_packet_free(&s->pending);
	free(s->segs);
	free(s->starts);
	free(s);
	*sp = NULL;
}
