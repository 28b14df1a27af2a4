/*
 * Languages and names of audio and subtitle renditions: the container's tag
 * (ISO 639-2/B in Matroska, 639-2/T in MP4, sometimes 639-1 or a full tag)
 * becomes an RFC 5646 tag with the shortest language subtag ("ger" -> "de"),
 * and every rendition gets a NAME a viewer reads in a menu ("Deutsch",
 * "English (Commentary)") and a folder name ("audio_de", "subs_en_2").
 * The tags and the ISO 639-2 table are common/language.h's.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "language.h"
#include "utf8.h"

_Static_assert(TC_LANG_MAX == LANG_TAG_MAX, "a rendition holds any tag of common/language.h");

/* ---- names ---- */

/* Words of a track title that describe the format, not the content. */
static const char *const generic_words[] = {
    "audio",	"sound",   "soundhandler", "videohandler", "subtitle", "subtitles", "subs",
    "sub",	"track",   "stream",	   "stereo",	   "mono",     "surround",  "dolby",
    "digital",	"ac3",	   "eac3",	   "aac",	   "dts",      "mp3",	    "opus",
    "flac",	"pcm",	   "lpcm",	   "truehd",	   "atmos",    "ch",	    "channel",
    "channels", "default", "forced",	   "text",	   "srt",      "ass",	    "webvtt",
    "vtt",	"pgs",	   "und",	   "undetermined", "unknown",  "language",
};

/* W (N bytes) is one of the words of NAME ("Modern Greek"), compared without ASCII case. */
static int word_in(const char *w, size_t n, const char *name)
{
	while (name && *name) {
		size_t m = strcspn(name, " ,");
		if (m == n && strncasecmp(w, name, n) == 0)
			return 1;
		name += m;
		name += strspn(name, " ,");
	}
	return 0;
}

static int is_generic(const char *w, size_t n)
{
	size_t i;

	if (strspn(w, "0123456789") >= n)
		return 1;
	for (i = 0; i < sizeof(generic_words) / sizeof(generic_words[0]); i++)
		if (strlen(generic_words[i]) == n && strncasecmp(w, generic_words[i], n) == 0)
			return 1;
	return 0;
}

static int word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/*
 * What TITLE says beyond the language of TAG: *NAMES_LANG is set when it names
 * the language itself ("English Commentary").  Returns 1 when some word of it is
 * neither the language nor the format ("Stereo", "5.1", "Track 2" say nothing).
 */
static int meaningful(const char *title, const char *tag, int *names_lang)
{
	char primary[16];
	const struct lang_row *l;
	int any = 0;

	snprintf(primary, sizeof(primary), "%.*s", (int)strcspn(tag, "-"), tag);
	l = lang_find(primary);
	*names_lang = 0;
	while (title && *title) {
		size_t n = 0;
		while (title[n] && word_byte((unsigned char)title[n]))
			n++;
		if (n > 0) {
			int lw =
			    word_in(title, n, primary) ||
			    (l && (word_in(title, n, l->code) || word_in(title, n, l->english) ||
				   word_in(title, n, l->own)));
			*names_lang |= lw;
			any |= !lw && !is_generic(title, n);
			title += n;
		} else {
			title++;
		}
	}
	return any;
}

void tc_attr_text(char *out, size_t len, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s) {
		size_t n = utf8_decode(s, 4, NULL);
		if (n <= 1) {
			char c = n == 0					  ? '?'
				 : (*s == '"' || *s < 0x20 || *s == 0x7f) ? '\''
									  : (char)*s;
			if (o + 1 >= len)
				break;
			out[o++] = c;
			s += n ? n : 1;
			continue;
		}
		if (o + n >= len)
			break;
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
}

/*
 * The menu name of a rendition in TAG with the source TITLE (may be NULL):
 * the language ("Deutsch"), qualified by the rest of the tag, the title when
 * it says something, and "forced"; for "und", the title or WHAT ("Audio").
 */
static void menu_name(char *out, size_t len, const char *tag, const char *title, const char *what,
		      int forced)
{
	const char *lang = lang_name(tag), *rest = strchr(tag, '-');
	char quals[256] = "";
	int names_lang, says = meaningful(title, tag, &names_lang);
	size_t q = 0;

	if (rest && lang) /* "pt-BR": Português (BR); an unknown tag is shown whole */
		q = (size_t)snprintf(quals, sizeof(quals), "%s", rest + 1);
	if (says && lang && !names_lang)
		q += (size_t)snprintf(quals + q, sizeof(quals) - q, "%s%s", q ? ", " : "", title);
	if (forced && q < sizeof(quals))
		snprintf(quals + q, sizeof(quals) - q, "%sforced", q ? ", " : "");
	if (says && (names_lang || !lang))
		lang = title; /* "English Commentary"; a title for an unknown language */
	else if (!lang)
		lang = strcmp(tag, "und") == 0 ? what : tag;
	if (quals[0])
		snprintf(out, len, "%s (%s)", lang, quals);
	else
		snprintf(out, len, "%s", lang);
}

void tc_rend_set_names(struct tc_rendition *r, const char *lang, const char *title)
{
	char name[512];

	lang_tag(lang, r->lang);
	menu_name(name, sizeof(name), r->lang, title, r->kind == TC_SUBS ? "Subtitles" : "Audio",
		  r->forced);
	tc_attr_text(r->label, sizeof(r->label), name);
}

/* Another rendition of R's kind and audio group than R already has LABEL. */
static int label_taken(const struct tc_job *job, const struct tc_rendition *r, const char *label)
{
	size_t i;

	for (i = 0; i < job->nrends; i++) {
		const struct tc_rendition *o = &job->rends[i];
		if (o != r && o->kind == r->kind && o->surround == r->surround &&
		    strcmp(o->label, label) == 0)
			return 1;
	}
	return 0;
}

void tc_rend_set_folder(const struct tc_job *job, struct tc_rendition *r, const char *prefix)
{
	char base[sizeof(r->label)], lower[TC_LANG_MAX + 1];
	size_t i;
	int n = 1;

	for (i = 0; r->lang[i]; i++)
		lower[i] = (char)tolower((unsigned char)r->lang[i]);
	lower[i] = '\0';
	for (i = 0; i < job->nrends; i++)
		if (&job->rends[i] != r && job->rends[i].kind == r->kind &&
		    !job->rends[i].surround && strcasecmp(job->rends[i].lang, r->lang) == 0)
			n++;
	if (n == 1)
		snprintf(r->name, sizeof(r->name), "%s_%s", prefix, lower);
	else
		snprintf(r->name, sizeof(r->name), "%s_%s_%d", prefix, lower, n);
	/* NAME is unique in its group (RFC 8216 4.3.4.1.1): "English", "English 2" */
	snprintf(base, sizeof(base), "%s", r->label);
	for (n = 2; label_taken(job, r, r->label); n++) {
		char num[16];
		int k = snprintf(num, sizeof(num), " %d", n);
		size_t cut = strlen(base);
		while (cut + (size_t)k >= sizeof(r->label) ||
		       (cut > 0 && ((unsigned char)base[cut] & 0xc0) == 0x80))
			cut--; /* room for the number, at a character boundary */
		snprintf(r->label, sizeof(r->label), "%.*s%s", (int)cut, base, num);
	}
}
