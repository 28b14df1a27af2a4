/*
 * The direct JSON writer (common/json_out.c): its text is byte for byte
 * what jansson's json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(15)) writes
 * for the same values, and it parses back to them.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "test.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Does O's text equal jansson's dump of J (consumed)?  Prints both when not. */
static int same_as_jansson(struct json_out *o, json_t *j)
{
	char *ours = NULL, *theirs = j ? json_dumps(j, DUMP_FLAGS) : NULL;
	size_t len = 0;
	int rc = json_out_end(o, &ours, &len), same;

	same = rc == 0 && theirs && strcmp(ours, theirs) == 0 && strlen(ours) == len;
	if (!same)
		printf("# ours   %s (%d)\n# jansson %s\n", ours ? ours : "-", rc,
		       theirs ? theirs : "-");
	free(ours);
	free(theirs);
	json_decref(j);
	return same;
}

static void strings(void)
{
	char all[128], utf8[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac / \x7f";
	struct json_out o = {0};
	json_t *j = json_object();

	/* every ASCII byte, controls included */
	for (int c = 1; c < 128; c++)
		all[c - 1] = (char)c;
	all[127] = '\0';
	json_out_open(&o, NULL, '{');
	json_out_str(&o, "ascii", all);
	json_object_set_new(j, "ascii", json_string(all));
	json_out_str(&o, "utf8", utf8);
	json_object_set_new(j, "utf8", json_string(utf8));
	json_out_str(&o, "", "");
	json_object_set_new(j, "", json_string(""));
	json_out_str(&o, "key \"quoted\"\n", "end\\");
	json_object_set_new(j, "key \"quoted\"\n", json_string("end\\"));
	json_out_close(&o, '}');
	CHECK(same_as_jansson(&o, j));
}

static void numbers(void)
{
	static const long long ints[] = {
	    0, 1, -1, 1080, 2147483647, -9223372036854775807LL - 1, 9223372036854775807LL};
	static const double reals[] = {0.0,
				       -0.0,
				       1.0,
				       17.7,
				       0.1 + 0.2,
				       596.5,
				       1e300,
				       -1e-7,
				       1e15,
				       1e16,
				       123456789012345678.0,
				       2.5e-300,
				       3.0e21,
				       1.0 / 3.0,
				       86400.25,
				       5e-324};
	struct json_out o = {0};
	json_t *j = json_array();

	json_out_open(&o, NULL, '[');
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_out_int(&o, NULL, ints[i]);
		json_array_append_new(j, json_integer(ints[i]));
	}
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		json_out_real(&o, NULL, reals[i]);
		json_array_append_new(j, json_real(reals[i]));
	}
	json_out_close(&o, ']');
	CHECK(same_as_jansson(&o, j));
}

static void nesting(void)
{
	struct json_out o = {0};
	json_t *j = json_pack("{s:s, s:{s:i, s:[]}, s:[{s:s}, {}, [i, i]], s:f}", "url",
			      "https://edge.example/s/v4.public.abc_-/t/master.m3u8", "steering",
			      "load", 3, "list", "alternates", "url", "b", 1, 2, "resume", 12.5);

	json_out_open(&o, NULL, '{');
	json_out_str(&o, "url", "https://edge.example/s/v4.public.abc_-/t/master.m3u8");
	json_out_open(&o, "steering", '{');
	json_out_int(&o, "load", 3);
	json_out_open(&o, "list", '[');
	json_out_close(&o, ']');
	json_out_close(&o, '}');
	json_out_open(&o, "alternates", '[');
	json_out_open(&o, NULL, '{');
	json_out_str(&o, "url", "b");
	json_out_close(&o, '}');
	json_out_open(&o, NULL, '{');
	json_out_close(&o, '}');
	json_out_open(&o, NULL, '[');
	json_out_int(&o, NULL, 1);
	json_out_int(&o, NULL, 2);
	json_out_close(&o, ']');
	json_out_close(&o, ']');
	json_out_real(&o, "resume", 12.5);
	json_out_close(&o, '}');
	CHECK(same_as_jansson(&o, j));
}

static void failures(void)
{
	static const char *const bad[] = {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80",
					  "\xf4\x90\x80\x80"};
	struct json_out o = {0};
	char *text = (char *)"x";
	size_t len = 1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(json_string(bad[i]) == NULL); /* jansson refuses it too */
		json_out_open(&o, NULL, '{');
		json_out_str(&o, "s", bad[i]);
		json_out_int(&o, "n", 1); /* after a failure: nothing */
		json_out_close(&o, '}');
		CHECK_INT(json_out_end(&o, &text, &len), -EILSEQ);
		CHECK(text == NULL && len == 0);
	}
	json_out_open(&o, NULL, '[');
	json_out_real(&o, NULL, NAN);
	json_out_close(&o, ']');
	CHECK_INT(json_out_end(&o, &text, &len), -EDOM);
	json_out_open(&o, NULL, '[');
	json_out_real(&o, NULL, -INFINITY);
	json_out_close(&o, ']');
	CHECK_INT(json_out_end(&o, &text, &len), -EDOM);

	/* the writer is empty again after a failure */
	json_out_open(&o, NULL, '[');
	json_out_close(&o, ']');
	CHECK_INT(json_out_end(&o, &text, &len), 0);
	CHECK_STR(text, "[]");
	CHECK_INT(len, 2);
	free(text);
}

/* Random strings of every byte value: the same text as jansson's whenever jansson takes them. */
static void random_strings(void)
{
	unsigned seed = 12345, taken = 0;

	for (int round = 0; round < 2000; round++) {
		struct json_out o = {0};
		char s[24];
		json_t *j;
		size_t n = (size_t)(round % 23);

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (char)(round % 2 ? (seed >> 16) % 256 : (seed >> 16) % 128 + 1);
			if (!s[i])
				s[i] = 'z';
		}
		s[n] = '\0';
		json_out_open(&o, NULL, '[');
		json_out_str(&o, NULL, s);
		json_out_close(&o, ']');
		if ((j = json_pack("[s]", s))) {
			taken++;
			if (!same_as_jansson(&o, j)) {
				CHECK(!"the same text as jansson's");
				return;
			}
		} else {
			char *text;
			size_t len;

			if (json_out_end(&o, &text, &len) != -EILSEQ) {
				CHECK(!"refused as jansson refuses it");
				return;
			}
		}
	}
	CHECK(taken > 1000);
}

/*
 * Plain runs of every length up to 40 with one special piece at every
 * position (a quote, a backslash, controls, DEL, UTF-8 of 2, 3 and 4 bytes,
 * a stray continuation byte): the runs are scanned a word at a time, so
 * each piece must be found whichever byte of a word it falls on.
 */
static void runs(void)
{
	static const char *const pieces[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9",
					     "\xe2\x82\xac", "\xf0\x9f\x8e\xac", "\x80", " "};
	int wrong = 0;

	for (size_t n = 0; n <= 40; n++)
		for (size_t at = 0; at <= n; at++)
			for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
				struct json_out o = {0};
				char s[64], *text = NULL;
				size_t len;
				json_t *j;

				memset(s, 'a', n);
				snprintf(s + at, sizeof(s) - at, "%s%.*s", pieces[k], (int)(n - at),
					 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
				json_out_open(&o, NULL, '[');
				json_out_str(&o, NULL, s);
				json_out_close(&o, ']');
				if ((j = json_pack("[s]", s))) {
					wrong += !same_as_jansson(&o, j);
				} else {
					wrong += json_out_end(&o, &text, &len) != -EILSEQ;
					free(text);
				}
			}
	CHECK_INT(wrong, 0);
}

int main(void)
{
	strings();
	numbers();
	nesting();
	failures();
	random_strings();
	runs();
	return test_done();
}
