/*
 * Unit tests for reelctl's text output: sizes, durations, terminal-safe
 * strings, aligned tables, the views of the admin API's answers, and the
 * exit status of an answer.
 */
#include <stdlib.h>

#include "ctl.h"
#include "format.h"
#include "table.h"
#include "test.h"
#include "views.h"

static char out[8192];

static FILE *sink(void)
{
	memset(out, 0, sizeof(out));
	return fmemopen(out, sizeof(out) - 1, "w");
}

static void formats(void)
{
	char b[64];

	CHECK_STR(ctl_fmt_size(0, b, sizeof(b)), "0 B");
	CHECK_STR(ctl_fmt_size(1023, b, sizeof(b)), "1023 B");
	CHECK_STR(ctl_fmt_size(1024, b, sizeof(b)), "1.00 KiB");
	CHECK_STR(ctl_fmt_size(1536, b, sizeof(b)), "1.50 KiB");
	CHECK_STR(ctl_fmt_size(12900000, b, sizeof(b)), "12.3 MiB");
	CHECK_STR(ctl_fmt_size(512ULL << 20, b, sizeof(b)), "512 MiB");
	CHECK_STR(ctl_fmt_size((1ULL << 20) - 1, b, sizeof(b)), "1.00 MiB");
	CHECK_STR(ctl_fmt_size(5ULL << 40, b, sizeof(b)), "5.00 TiB");
	CHECK_STR(ctl_fmt_size(UINT64_MAX, b, sizeof(b)), "16.0 EiB");
	CHECK_STR(ctl_fmt_duration(0, b, sizeof(b)), "0:00");
	CHECK_STR(ctl_fmt_duration(4.9, b, sizeof(b)), "0:04");
	CHECK_STR(ctl_fmt_duration(754, b, sizeof(b)), "12:34");
	CHECK_STR(ctl_fmt_duration(3723, b, sizeof(b)), "1:02:03");
	CHECK_STR(ctl_fmt_duration(-1, b, sizeof(b)), "--:--");
	CHECK_STR(ctl_fmt_duration(1.0 / 0.0, b, sizeof(b)), "--:--");
	CHECK_STR(ctl_clean("plain", b, sizeof(b)), "plain");
	CHECK_STR(ctl_clean(NULL, b, sizeof(b)), "-");
	CHECK_STR(ctl_clean("a\033]0;pwned\007b", b, sizeof(b)), "a?]0;pwned?b");
	CHECK_STR(ctl_clean("line\nbreak\ttab\x7f", b, sizeof(b)), "line?break?tab?");
	CHECK_STR(ctl_clean("C1 \xc2\x9b"
			    "31m",
			    b, sizeof(b)),
		  "C1 ?31m");
	CHECK_STR(ctl_clean("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xac", b, sizeof(b)),
		  "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xac");
	CHECK_STR(ctl_clean("bad \xff \xc3 \xed\xa0\x80 \xc0\xaf", b, sizeof(b)), "bad ? ? ??? ??");
	CHECK_STR(ctl_clean("truncated \xc3\xa9", b, 12), "truncated ");
	CHECK_INT(ctl_width("caf\xc3\xa9"), 4);
}

static void tables(void)
{
	static const char *const cols[] = {"NAME", ">SIZE", "NOTE"};
	struct ctl_table *t = ctl_table_new(cols, 3);
	FILE *f = sink();

	ctl_table_cell(t, "a");
	ctl_table_cellf(t, "%d", 5);
	ctl_table_cell(t, "first");
	ctl_table_cell(t, "longer-name");
	ctl_table_cell(t, "12345");
	ctl_table_cell(t, NULL);
	ctl_table_cell(t, "caf\xc3\xa9");
	ctl_table_cell(t, "7");
	ctl_table_cell(t, "");
	ctl_table_cell(t, "evil\033[2J");
	CHECK_INT(ctl_table_rows(t), 3);
	CHECK(ctl_table_print(t, f) == 0);
	fclose(f);
	CHECK_STR(out, "NAME           SIZE   NOTE\n"
		       "a                 5   first\n"
		       "longer-name   12345   -\n"
		       "caf\xc3\xa9              7\n"
		       "evil?[2J          -   -\n");
	ctl_table_free(t);

	t = ctl_table_new(NULL, 2);
	f = sink();
	ctl_table_cell(t, "id:");
	ctl_table_cell(t, "u1");
	ctl_table_cell(t, "email:");
	ctl_table_cell(t, "a@b");
	CHECK_INT(ctl_table_rows(t), 2);
	CHECK(ctl_table_print(t, f) == 0);
	fclose(f);
	CHECK_STR(out, "id:      u1\nemail:   a@b\n");
	ctl_table_free(t);
	ctl_table_free(NULL);
}

/* What FN prints for JSON, or "(failed)" (no CHECK here: views are called inside checks). */
static const char *view(int (*fn)(FILE *, const json_t *), const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	FILE *f = sink();
	int rc = fn(f, j);

	fclose(f);
	json_decref(j);
	return rc == 0 ? out : "(failed)";
}

static void views(void)
{
	CHECK_STR(
	    view(ctl_view_plans,
		 "{\"plans\": [{\"name\": \"gold\", \"title\": \"Gold\", \"max_streams\": 4, "
		 "\"max_height\": 2160, \"downloads\": true, \"max_devices\": 2, "
		 "\"max_downloads\": 25, \"downloads_per_title_year\": 3, \"period_days\": 30}, "
		 "{\"name\": \"basic\", \"title\": \"\", \"max_streams\": 1, \"max_height\": 720, "
		 "\"downloads\": false, \"max_devices\": 0, \"max_downloads\": 0, "
		 "\"downloads_per_title_year\": 0, \"period_days\": 7}]}"),
	    "NAME    STREAMS   HEIGHT   DOWNLOADS   DEVICES   ACTIVE   PER TITLE/YR   PERIOD DAYS  "
	    " "
	    "TITLE\n"
	    "gold          4     2160   yes               2       25              3            30  "
	    " "
	    "Gold\n"
	    "basic         1      720   no                0        0              0             "
	    "7\n");
	CHECK_STR(
	    view(ctl_view_users,
		 "{\"users\": [{\"id\": \"u0123456789abcdef\", \"email\": \"a@example.com\", "
		 "\"created\": \"2025-01-02T03:04:05Z\", \"disabled\": true, \"subscription\": "
		 "{\"plan\": \"gold\", \"status\": \"active\", \"period_end\": "
		 "\"2025-02-01T00:00:00Z\"}}], \"total\": 1}"),
	    "ID                  EMAIL           ACCOUNT    PLAN   SUBSCRIPTION   UNTIL         "
	    "         CREATED\n"
	    "u0123456789abcdef   a@example.com   disabled   gold   active         "
	    "2025-02-01T00:00:00Z   2025-01-02T03:04:05Z\n");
	CHECK_STR(
	    view(ctl_view_titles,
		 "{\"titles\": [{\"id\": \"t1\", \"name\": \"Big Buck\", \"duration\": 596.4, "
		 "\"video\": [{\"height\": 360}, {\"height\": 1080}], \"audio_languages\": "
		 "[\"en\", \"fr\"], \"total_size\": 123456789, \"encrypted\": false, "
		 "\"version\": \"0123456789abcdef\", \"registered\": \"2025-01-01T00:00:00Z\"}], "
		 "\"total\": 1}"),
	    "ID   NAME       DURATION   VIDEO        AUDIO      SIZE   ENCRYPTED   VERSION      "
	    "      REGISTERED\n"
	    "t1   Big Buck   9:56       360p,1080p   en,fr   118 MiB   no          "
	    "0123456789abcdef   2025-01-01T00:00:00Z\n");
	CHECK_STR(view(ctl_view_plan, "{\"name\": \"gold\", \"max_streams\": 4}"),
		  "name:                         gold\n"
		  "title:                        -\n"
		  "max streams:                  4\n"
		  "max height:                   -\n"
		  "downloads:                    -\n"
		  "max devices:                  -\n"
		  "max downloads:                -\n"
		  "downloads per title a year:   -\n"
		  "period days:                  -\n");
	CHECK(strstr(view(ctl_view_user, "{\"id\": \"u1\", \"subscription\": null}"),
		     "plan:      none\n") != NULL);
	CHECK(strstr(view(ctl_view_title,
			  "{\"id\": \"t\", \"video\": [{\"path\": \"720p\", \"width\": 1280, "
			  "\"height\": 720, \"bandwidth\": 1200000, \"codecs\": \"avc1.64001f\", "
			  "\"frame_rate\": 29.97}], \"audio\": [{\"language\": \"en\", \"name\": "
			  "\"English\", \"channels\": 2}]}"),
		     "video:             1280x720, 1200 kb/s, avc1.64001f, 29.97 fps, 720p\n"
		     "audio:             en, English, 2 channels, group -\n") != NULL);
	CHECK(strstr(view(ctl_view_title,
			  "{\"id\": \"t\", \"audio\": [{\"language\": \"de\", \"name\": "
			  "\"Deutsch\", \"channels\": 6, \"group\": \"aud-ac3\"}], "
			  "\"skipped_streams\": [{\"stream\": 2, \"reason\": \"bitmap_subtitle\", "
			  "\"message\": \"subtitle stream 2: bitmap\"}, {\"stream\": \"x\"}]}"),
		     "audio:             de, Deutsch, 6 channels, group aud-ac3\n"
		     "skipped:           stream 2: subtitle stream 2: bitmap (bitmap_subtitle)\n"
		     "skipped:           stream -: - (-)\n") != NULL);
	/* answers of another shape do not break a view */
	CHECK(strcmp(view(ctl_view_titles, "{\"titles\": [1, \"x\", null, {\"video\": 3, "
					   "\"audio_languages\": {}}], \"total\": \"many\"}"),
		     "(failed)") != 0);
	CHECK_STR(view(ctl_view_users, "{\"users\": {\"id\": 1}}"),
		  "ID   EMAIL   ACCOUNT   PLAN   SUBSCRIPTION   UNTIL   CREATED\n");
	CHECK(strstr(view(ctl_view_title, "[]"), "id:   ") == out);
	CHECK_STR(
	    view(ctl_view_plans, "null"),
	    "NAME   STREAMS   HEIGHT   DOWNLOADS   DEVICES   ACTIVE   PER TITLE/YR   PERIOD DAYS"
	    "   TITLE\n");
	CHECK(strstr(view(ctl_view_titles, "{\"titles\": [{\"id\": \"t\"}]}"),
		     "t    -      -          -       -          -   -           -         -\n") !=
	      NULL);
}

static void statuses(void)
{
	CHECK_INT(ctl_exit_status(200, ""), CTL_OK);
	CHECK_INT(ctl_exit_status(201, ""), CTL_OK);
	CHECK_INT(ctl_exit_status(204, ""), CTL_OK);
	CHECK_INT(ctl_exit_status(404, "unknown_plan"), CTL_NOT_FOUND);
	CHECK_INT(ctl_exit_status(404, ""), CTL_NOT_FOUND);
	CHECK_INT(ctl_exit_status(404, "not_found"), CTL_FAILED); /* no such endpoint */
	CHECK_INT(ctl_exit_status(422, "unknown_user"), CTL_NOT_FOUND);
	CHECK_INT(ctl_exit_status(401, "unauthorized"), CTL_REFUSED);
	CHECK_INT(ctl_exit_status(403, ""), CTL_REFUSED);
	CHECK_INT(ctl_exit_status(409, "plan_in_use"), CTL_REFUSED);
	CHECK_INT(ctl_exit_status(400, "invalid_request"), CTL_USAGE);
	CHECK_INT(ctl_exit_status(413, ""), CTL_USAGE);
	CHECK_INT(ctl_exit_status(422, "invalid_plan"), CTL_USAGE);
	CHECK_INT(ctl_exit_status(415, "unsupported_media_type"), CTL_FAILED);
	CHECK_INT(ctl_exit_status(500, "internal"), CTL_FAILED);
	CHECK_INT(ctl_exit_status(503, "storage_full"), CTL_FAILED);
	CHECK_INT(ctl_exit_status(302, ""), CTL_FAILED);
}

int main(void)
{
	formats();
	tables();
	views();
	statuses();
	return test_done();
}
