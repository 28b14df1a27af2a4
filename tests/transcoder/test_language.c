/*
 * Unit tests of libtranscode's languages and rendition names (language.c):
 * container tags to RFC 5646 tags, the ISO 639-2 table, menu names, folders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test.h"

static void check_tag(const char *in, const char *want)
{
	char out[TC_LANG_MAX + 1];

	tc_lang_tag(in, out);
	if (strcmp(out, want) != 0)
		printf("# tc_lang_tag(%s)\n", in ? in : "NULL");
	CHECK_STR(out, want);
}

static void test_tags(void)
{
	/* ISO 639-2/B (Matroska) and /T (MP4) to the 639-1 code */
	check_tag("ger", "de");
	check_tag("deu", "de");
	check_tag("eng", "en");
	check_tag("fre", "fr");
	check_tag("fra", "fr");
	check_tag("jpn", "ja");
	check_tag("ENG", "en");
	check_tag(" eng\n", "en");
	check_tag("de", "de");
	check_tag("DE", "de");
	/* no 639-1 code: the 639-2 code is the tag */
	check_tag("ace", "ace");
	check_tag("haw", "haw");
	/* well-formed but not in the table: kept */
	check_tag("yue", "yue");
	check_tag("qaa", "qaa");
	check_tag("xx", "xx");
	/* full tags: canonical case, the language subtag mapped */
	check_tag("pt_br", "pt-BR");
	check_tag("por-BR", "pt-BR");
	check_tag("zh-hant-tw", "zh-Hant-TW");
	check_tag("sr-latn", "sr-Latn");
	check_tag("es-419", "es-419");
	check_tag("de-CH-1996", "de-CH-1996");
	check_tag("en-x-foo", "en-x-foo");
	check_tag("x-klingon", "x-klingon");
	/* names people type into a tag */
	check_tag("English", "en");
	check_tag("german", "de");
	check_tag("Deutsch", "de");
	/* undetermined, missing or malformed */
	check_tag("und", "und");
	check_tag(NULL, "und");
	check_tag("", "und");
	check_tag("   ", "und");
	check_tag("e", "und");
	check_tag("12", "und");
	check_tag("en-", "und");
	check_tag("en--us", "und");
	check_tag("en-x", "und");
	check_tag("en-US-a", "und");
	check_tag("klingonese", "und");
	check_tag("de-DE-abcdefghij", "und");
	check_tag("zh-Hant-TW-abcdefgh-abcdefgh-abcdefgh", "und"); /* longer than 35 */
	check_tag("d\xc3\xa9", "und");
}

/* Every ISO 639-2/B code maps to the tag of its /T twin (the 20 pairs of the standard). */
static void test_bibliographic(void)
{
	static const char *const pairs[][3] = {
	    {"alb", "sqi", "sq"}, {"arm", "hye", "hy"}, {"baq", "eus", "eu"}, {"bur", "mya", "my"},
	    {"chi", "zho", "zh"}, {"cze", "ces", "cs"}, {"dut", "nld", "nl"}, {"fre", "fra", "fr"},
	    {"geo", "kat", "ka"}, {"ger", "deu", "de"}, {"gre", "ell", "el"}, {"ice", "isl", "is"},
	    {"mac", "mkd", "mk"}, {"mao", "mri", "mi"}, {"may", "msa", "ms"}, {"per", "fas", "fa"},
	    {"rum", "ron", "ro"}, {"slo", "slk", "sk"}, {"tib", "bod", "bo"}, {"wel", "cym", "cy"},
	};
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		check_tag(pairs[i][0], pairs[i][2]);
		check_tag(pairs[i][1], pairs[i][2]);
	}
}

static void test_names(void)
{
	CHECK_STR(tc_lang_name("de"), "Deutsch");
	CHECK_STR(tc_lang_name("en"), "English");
	CHECK_STR(tc_lang_name("fr"), "Fran\xc3\xa7"
				      "ais");
	CHECK_STR(tc_lang_name("pt-BR"), "Portugu\xc3\xaas");
	CHECK_STR(tc_lang_name("haw"), "Hawaiian"); /* no own name: English */
	CHECK(tc_lang_name("und") == NULL);
	CHECK(tc_lang_name("yue") == NULL);
}

static void check_label(enum tc_kind kind, int forced, const char *lang, const char *title,
			const char *want_lang, const char *want)
{
	struct tc_rendition r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.forced = forced;
	tc_rend_set_names(&r, lang, title);
	if (strcmp(r.label, want) != 0 || strcmp(r.lang, want_lang) != 0)
		printf("# tc_rend_set_names(%s, %s)\n", lang ? lang : "NULL",
		       title ? title : "NULL");
	CHECK_STR(r.lang, want_lang);
	CHECK_STR(r.label, want);
}

static void test_labels(void)
{
	char longer[300];

	check_label(TC_AUDIO, 0, "ger", NULL, "de", "Deutsch");
	check_label(TC_AUDIO, 0, "eng", "", "en", "English");
	/* titles that only describe the format or repeat the language add nothing */
	check_label(TC_AUDIO, 0, "ger", "Stereo", "de", "Deutsch");
	check_label(TC_AUDIO, 0, "ger", "German 5.1", "de", "Deutsch");
	check_label(TC_AUDIO, 0, "ger", "Deutsch - Dolby Digital 5.1", "de", "Deutsch");
	check_label(TC_AUDIO, 0, "eng", "Track 2", "en", "English");
	check_label(TC_AUDIO, 0, "eng", "SoundHandler", "en", "English");
	/* a meaningful title qualifies the language, or stands alone when it names it */
	check_label(TC_AUDIO, 0, "eng", "Director's commentary", "en",
		    "English (Director's commentary)");
	check_label(TC_SUBS, 0, "eng", "English SDH", "en", "English SDH");
	check_label(TC_SUBS, 1, "eng", NULL, "en", "English (forced)");
	check_label(TC_SUBS, 1, "fre", "Signs", "fr",
		    "Fran\xc3\xa7"
		    "ais (Signs, forced)");
	check_label(TC_AUDIO, 0, "pt_BR", NULL, "pt-BR", "Portugu\xc3\xaas (BR)");
	/* undetermined or unknown languages */
	check_label(TC_AUDIO, 0, NULL, NULL, "und", "Audio");
	check_label(TC_SUBS, 0, "und", "Subtitles", "und", "Subtitles");
	check_label(TC_AUDIO, 0, "und", "Commentary", "und", "Commentary");
	check_label(TC_AUDIO, 0, "yue", NULL, "yue", "yue");
	check_label(TC_AUDIO, 0, "yue", "Cantonese", "yue", "Cantonese");
	/* what goes into a quoted attribute: no quotes, controls or broken UTF-8 */
	check_label(TC_AUDIO, 0, "eng", "The \"best\"\ncut \xff\xfe", "en",
		    "English (The 'best''cut ?"
		    "?)");
	/* a long title is cut at a character boundary */
	memset(longer, 0, sizeof(longer));
	for (size_t i = 0; i + 2 < sizeof(longer) - 1; i += 2)
		memcpy(longer + i, "\xc3\xa9", 2);
	{
		struct tc_rendition r;
		memset(&r, 0, sizeof(r));
		r.kind = TC_AUDIO;
		tc_rend_set_names(&r, "eng", longer);
		CHECK(strlen(r.label) < sizeof(r.label));
		CHECK(strncmp(r.label, "English (\xc3\xa9", 11) == 0);
		CHECK(((unsigned char)r.label[strlen(r.label) - 1] & 0xc0) == 0x80);
		CHECK((unsigned char)r.label[strlen(r.label) - 2] == 0xc3);
	}
}

static struct tc_rendition *add(struct tc_job *job, enum tc_kind kind, const char *lang,
				const char *title, const char *prefix)
{
	struct tc_rendition *r = &job->rends[job->nrends++];

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	tc_rend_set_names(r, lang, title);
	tc_rend_set_folder(job, r, prefix);
	return r;
}

static void test_folders(void)
{
	struct tc_job *job = calloc(1, sizeof(*job));
	struct tc_rendition *a, *b, *c, *d, *s;

	if (!job)
		abort();
	a = add(job, TC_AUDIO, "eng", NULL, "audio");
	b = add(job, TC_AUDIO, "en", "Stereo", "audio");
	c = add(job, TC_AUDIO, "eng", NULL, "audio");
	d = add(job, TC_AUDIO, "pt_br", NULL, "audio");
	s = add(job, TC_SUBS, "eng", NULL, "subs");
	CHECK(strcmp(a->name, "audio_en") == 0 && strcmp(a->label, "English") == 0);
	CHECK(strcmp(b->name, "audio_en_2") == 0 && strcmp(b->label, "English 2") == 0);
	CHECK(strcmp(c->name, "audio_en_3") == 0 && strcmp(c->label, "English 3") == 0);
	CHECK(strcmp(d->name, "audio_pt-br") == 0);
	CHECK(strcmp(s->name, "subs_en") == 0 && strcmp(s->label, "English") == 0);
	free(job);
}

int main(void)
{
	test_tags();
	test_bibliographic();
	test_names();
	test_labels();
	test_folders();
	return test_done();
}
