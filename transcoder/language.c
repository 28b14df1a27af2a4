/*
 * Languages and names of audio and subtitle renditions: the container's tag
 * (ISO 639-2/B in Matroska, 639-2/T in MP4, sometimes 639-1 or a full tag)
 * becomes an RFC 5646 tag with the shortest language subtag ("ger" -> "de"),
 * and every rendition gets a NAME a viewer reads in a menu ("Deutsch",
 * "English (Commentary)") and a folder name ("audio_de", "subs_en_2").
 * The 639-2 table is languages.inc, generated from Debian's iso-codes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

struct lang {
	const char *code; /* ISO 639-2, T or B */
	const char *tag;  /* RFC 5646 language subtag */
	const char *english;
	const char *own; /* "" when unknown */
};

static const struct lang langs[] = {
#define TC_LANG(code, tag, english, own) {code, tag, english, own},
#include "languages.inc"
#undef TC_LANG
};

#define NLANGS (sizeof(langs) / sizeof(langs[0]))

/* The table row whose 639-2 code or tag is CODE (lowercase), or NULL. */
static const struct lang *find(const char *code)
{
	size_t i;

	for (i = 0; i < NLANGS; i++)
		if (strcmp(langs[i].code, code) == 0 || strcmp(langs[i].tag, code) == 0)
			return &langs[i];
	return NULL;
}

/* The row whose English or own name is NAME ("german", "Deutsch"), or NULL. */
static const struct lang *find_name(const char *name)
{
	size_t i;

	for (i = 0; i < NLANGS; i++)
		if (strcasecmp(langs[i].english, name) == 0 ||
		    (langs[i].own[0] && strcasecmp(langs[i].own, name) == 0))
			return &langs[i];
	return NULL;
}

static int all(const char *s, size_t n, int (*is)(int))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/*
 * The kind of subtag S (N bytes) at position POS of a tag, after one of kind
 * PREV, per RFC 5646 section 2.1: 'l' language, 'e' extlang, 's' script,
 * 'r' region, 'v' variant, 'x' singleton or what follows it; 0 if not allowed.
 */
static int subtag_kind(const char *s, size_t n, int prev)
{
	if (prev == 'x' || prev == 'X')
		return n >= 1 && n <= 8 && all(s, n, isalnum) ? 'X' : 0;
	if (prev == 0 && n == 1 && (s[0] == 'x' || s[0] == 'X'))
		return 'x'; /* a private-use tag, "x-..." */
	if (prev == 0)	    /* 5 to 8 letters are allowed, but none is registered */
		return n >= 2 && n <= 3 && all(s, n, isalpha) ? 'l' : 0;
	if (n == 1 && isalnum((unsigned char)s[0]))
		return 'x';
	if (n == 3 && all(s, n, isalpha) && (prev == 'l' || prev == 'e'))
		return 'e';
	if (n == 4 && all(s, n, isalpha) && (prev == 'l' || prev == 'e'))
		return 's';
	if (((n == 2 && all(s, n, isalpha)) || (n == 3 && all(s, n, isdigit))) &&
	    (prev == 'l' || prev == 'e' || prev == 's'))
		return 'r';
	if (((n >= 5 && n <= 8) || (n == 4 && isdigit((unsigned char)s[0]))) && all(s, n, isalnum))
		return 'v';
	return 0;
}

/* Write subtag S (N bytes) of kind K in its canonical case (RFC 5646 2.1.1). */
static void put_subtag(char *out, size_t *o, const char *s, size_t n, int k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (k == 'r' || (k == 's' && i == 0))
			out[(*o)++] = (char)toupper(c);
		else
			out[(*o)++] = (char)tolower(c);
	}
}

/*
 * IN as a well-formed RFC 5646 tag in canonical case ('_' taken for '-') into
 * OUT (TC_LANG_MAX + 1 bytes), the language subtag mapped through the table.
 * Returns 0, or -1 when IN is not a tag or too long.
 */
static int canonical(const char *in, char *out)
{
	char sub[16];
	size_t o = 0;
	int prev = 0;

	while (*in) {
		size_t n = strcspn(in, "-_");
		const struct lang *l;
		int k = n < sizeof(sub) ? subtag_kind(in, n, prev) : 0;

		if (!k || o + n + 1 > TC_LANG_MAX)
			return -1;
		if (prev)
			out[o++] = '-';
		put_subtag(out, &o, in, n, k);
		out[o] = '\0';
		if (k == 'l' && (l = find(out)) != NULL)
			o = (size_t)snprintf(out, TC_LANG_MAX + 1, "%s", l->tag);
		prev = k;
		in += n;
		if (*in && !*++in)
			return -1; /* a trailing '-' */
	}
	return prev == 'x' ? -1 : 0;
}

void tc_lang_tag(const char *in, char *out)
{
	const struct lang *l;
	char trimmed[64];
	size_t n;

	while (in && isspace((unsigned char)*in))
		in++;
	n = in ? strlen(in) : 0;
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	snprintf(trimmed, sizeof(trimmed), "%.*s", (int)n, in ? in : "");
	if (n > 0 && n < sizeof(trimmed) && canonical(trimmed, out) == 0)
		return;
	if (n > 0 && n < sizeof(trimmed) && (l = find_name(trimmed)) != NULL)
		snprintf(out, TC_LANG_MAX + 1, "%s", l->tag);
	else
		snprintf(out, TC_LANG_MAX + 1, "und");
}

const char *tc_lang_name(const char *tag)
{
	char primary[16];
	const struct lang *l;
	size_t n = strcspn(tag, "-");

	if (n >= sizeof(primary) || strcmp(tag, "und") == 0)
		return NULL;
	snprintf(primary, sizeof(primary), "%.*s", (int)n, tag);
	if (!(l = find(primary)))
		return NULL;
	return l->own[0] ? l->own : l->english;
}

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

	if (all(w, n, isdigit))
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
	const struct lang *l;
	int any = 0;

	snprintf(primary, sizeof(primary), "%.*s", (int)strcspn(tag, "-"), tag);
	l = find(primary);
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

/* The length of the valid UTF-8 sequence at S (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0; /* overlong, surrogate or past U+10FFFF */
	return n;
}

void tc_attr_text(char *out, size_t len, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s) {
		size_t n = utf8_len(s);
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
	const char *lang = tc_lang_name(tag), *rest = strchr(tag, '-');
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

	tc_lang_tag(lang, r->lang);
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
