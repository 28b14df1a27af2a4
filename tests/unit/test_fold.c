/*
 * Unit tests of search folding (common/fold.c): case and accents in Latin,
 * Greek and Cyrillic, decomposed input, separators, limits, bad UTF-8.
 */
#include <string.h>

#include "fold.h"
#include "test.h"

static void check_fold(const char *in, const char *want)
{
	char out[256];
	size_t n = fold_phrase(in, strlen(in), out, sizeof(out));

	if (strcmp(out, want) != 0)
		printf("# fold_phrase(%s)\n", in);
	CHECK_STR(out, want);
	CHECK_INT(n, strlen(out));
}

static void test_latin(void)
{
	check_fold("Caf\xc3\xa9", "cafe");  /* Café */
	check_fold("CAF\xc3\x89", "cafe");  /* CAFÉ */
	check_fold("cafe\xcc\x81", "cafe"); /* cafe + COMBINING ACUTE */
	check_fold("Stra\xc3\x9f"
		   "e",
		   "strasse");					/* Straße */
	check_fold("\xc3\x86sir \xc5\x93uvre", "aesir oeuvre"); /* Æsir œuvre */
	check_fold("\xc5\x81\xc3\xb3"
		   "d\xc5\xba",
		   "lodz");					   /* Łódź */
	check_fold("Ng\xe1\xbb\xa5y\xe1\xbb\x85n", "nguyen");	   /* Nguyễn */
	check_fold("\xef\xac\x81nal", "final");			   /* ﬁnal */
	check_fold("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", "abc"); /* ＡＢＣ */
	check_fold("\xe2\x84\xab", "a");			   /* Å, the Angstrom sign */
}

static void test_other_scripts(void)
{
	check_fold("\xce\x86\xce\xb8\xce\xae\xce\xbd\xce\xb1",
		   "\xce\xb1\xce\xb8\xce\xb7\xce\xbd\xce\xb1"); /* Αθήνα -> αθηνα */
	check_fold("\xd0\x81\xd0\xbb\xd0\xba\xd0\xb0",
		   "\xd0\xb5\xd0\xbb\xd0\xba\xd0\xb0"); /* Ёлка -> елка */
	check_fold("\xd0\x99", "\xd0\xb9");		/* Й keeps its breve: й */
	check_fold("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"); /* 日本 as it is */
}

static void test_separators(void)
{
	check_fold("  The  Movie!! ", "the movie");
	check_fold("Spider-Man: Far\xe2\x80\x94"
		   "Away",
		   "spider man far away"); /* em dash */
	check_fold("L'\xc3\x89t\xc3\xa9 2024", "l ete 2024");
	check_fold("", "");
	check_fold("...", "");
	check_fold("a\xff"
		   "b\xc3",
		   "a b");		  /* a stray byte separates; a cut sequence is dropped */
	check_fold("\xed\xa0\x80x", "x"); /* a surrogate is not UTF-8 */
	check_fold("\xc0\xaf"
		   "a",
		   "a"); /* nor an overlong '/' */
}

static void test_limits(void)
{
	char in[200], out[8];
	size_t n;

	memset(in, 'a', 100);
	in[100] = '\0';
	check_fold(in, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); /* 48 */
	n = fold_phrase("abc def ghi", 11, out, sizeof(out));
	CHECK_STR(out, "abc def");
	CHECK_INT(n, 7);
	n = fold_phrase("\xc3\xa9\xc3\xa9\xc3\xa9", 6, out, 3); /* éé... into 3 bytes: "ee" */
	CHECK_STR(out, "ee");
	n = fold_phrase("abc", 3, out, 1);
	CHECK_STR(out, "");
	CHECK_INT(n, 0);
}

static void test_words(void)
{
	const char *p = "cafe de flore", *w;
	size_t n;

	CHECK(fold_next_word(&p, &w, &n) == 0 && n == 4 && strncmp(w, "cafe", 4) == 0);
	CHECK(fold_next_word(&p, &w, &n) == 0 && n == 2 && strncmp(w, "de", 2) == 0);
	CHECK(fold_next_word(&p, &w, &n) == 0 && n == 5 && strncmp(w, "flore", 5) == 0);
	CHECK(fold_next_word(&p, &w, &n) == -1);
}

int main(void)
{
	test_latin();
	test_other_scripts();
	test_separators();
	test_limits();
	test_words();
	return test_done();
}
