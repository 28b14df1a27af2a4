/*
 * Unit tests of libtranscode's rendition names (language.c): menu names and
 * folders (the tags themselves: tests/unit/test_language.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test.h"

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
	test_labels();
	test_folders();
	return test_done();
}
