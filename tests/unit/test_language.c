/*
 * Unit tests of the language tags (common/language.c): container tags to
 * RFC 5646 tags, the ISO 639-2 table and its aliases, menu names.
 */
#include <stdio.h>
#include <string.h>

#include "language.h"
#include "test.h"

static void check_tag(const char *in, const char *want)
{
	char out[LANG_TAG_MAX + 1];
	int rc = lang_tag(in, out);

	if (strcmp(out, want) != 0)
		printf("# lang_tag(%s)\n", in ? in : "NULL");
	CHECK_STR(out, want);
	/* "und" is a tag, given or not: only a failed reading says -1 */
	CHECK(rc == 0 || strcmp(want, "und") == 0);
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
	CHECK_STR(lang_name("de"), "Deutsch");
	CHECK_STR(lang_name("en"), "English");
	CHECK_STR(lang_name("fr"), "Fran\xc3\xa7"
				   "ais");
	CHECK_STR(lang_name("pt-BR"), "Portugu\xc3\xaas");
	CHECK_STR(lang_name("haw"), "Hawaiian"); /* no own name: English */
	CHECK(lang_name("und") == NULL);
	CHECK(lang_name("yue") == NULL);
}

static void test_aliases(void)
{
	char out[LANG_TAG_MAX + 1];

	/* what a language filter gets: 639-2 codes, any case, are the packages' tags */
	CHECK(lang_tag("deu", out) == 0 && strcmp(out, "de") == 0);
	CHECK(lang_tag("GER", out) == 0 && strcmp(out, "de") == 0);
	CHECK(lang_tag("eng", out) == 0 && strcmp(out, "en") == 0);
	CHECK(lang_tag("e", out) == -1 && strcmp(out, "und") == 0);
	CHECK(lang_tag("en-", out) == -1);
	CHECK(lang_find("deu") == lang_find("de") && lang_find("ger") != NULL);
	CHECK_STR(lang_find("ger")->tag, "de");
	CHECK(lang_find("zzz") == NULL);
	CHECK_STR(lang_find_name("GERMAN")->tag, "de");
}

int main(void)
{
	test_tags();
	test_bibliographic();
	test_names();
	test_aliases();
	return test_done();
}
