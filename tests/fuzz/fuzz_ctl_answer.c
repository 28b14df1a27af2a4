/*
 * Fuzz target for what reelctl does with an admin API answer: the JSON goes
 * through every view (views.h), which must cope with any shape and write
 * nothing a terminal acts on (no control characters but the newlines that
 * end lines); an error answer's code maps to an exit status in 1..4.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "views.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n && (unsigned char)p[i + 1] < 0xa0 &&
		     (unsigned char)p[i + 1] >= 0x80))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int (*const views[])(FILE *, const json_t *) = {
	    ctl_view_users,  ctl_view_user,  ctl_view_plans, ctl_view_plan, ctl_view_titles,
	    ctl_view_title,  ctl_view_jobs,  ctl_view_job,   ctl_view_edges, ctl_view_edge,
	    ctl_view_steer,
	};
	char progress[160];
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	const char *code;
	char *text = NULL;
	size_t len = 0;

	if (!j)
		return 0;
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		FILE *f = open_memstream(&text, &len);

		if (!f)
			break;
		views[i](f, j);
		fclose(f);
		check_text(text, len);
		free(text);
		text = NULL;
	}
	check_text(ctl_job_progress(j, progress, sizeof(progress)),
		   strlen(ctl_job_progress(j, progress, sizeof(progress))));
	code = ctl_json_str(j, "error");
	for (long status = 400; status < 600 && code; status += 13) {
		int e = ctl_exit_status(status, code);

		if (e < CTL_FAILED || e > CTL_REFUSED)
			abort();
	}
	json_decref(j);
	return 0;
}
