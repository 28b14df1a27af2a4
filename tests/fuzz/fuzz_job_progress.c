/*
 * Fuzz target for what a reel-transcode child says (origin/jobs/progress.h):
 * every line of the input through job_progress_parse() into one state, as a
 * job's stdout goes, and through the log of its stderr.  The numbers must
 * stay in their ranges, the message and the log lines NUL-terminated,
 * within their bounds and free of control bytes; the JSON views must exist.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n >= cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void check_progress(const struct job_progress *p)
{
	if (!(p->percent >= 0 && p->percent <= 100) || !(p->time >= 0) || !(p->duration >= 0) ||
	    !isfinite(p->time) || !isfinite(p->duration) || !isfinite(p->speed) ||
	    !isfinite(p->eta) || !isfinite(p->fps) || !isfinite(p->elapsed))
		abort();
	check_text(p->message, sizeof(p->message));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job_progress p = {.eta = -1};
	struct job_log *log = calloc(1, sizeof(*log));
	size_t start = 0;
	json_t *j;

	while (start <= size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - data) - start : size - start;
		char *line = malloc(len ? len : 1); /* exactly sized: ASan catches over-reads */

		memcpy(line, data + start, len);
		job_progress_parse(line, len, &p);
		check_progress(&p);
		job_log_add(log, line, len);
		free(line);
		start += len + 1;
	}
	if (log->n > JOB_LOG_LINES)
		abort();
	for (unsigned i = 0; i < log->n; i++)
		check_text(log->lines[(log->first + i) % JOB_LOG_LINES], JOB_LINE_MAX);
	if (!(j = job_progress_json(&p)))
		abort();
	json_decref(j);
	if (!(j = job_log_json(log)) || json_array_size(j) != log->n)
		abort();
	json_decref(j);
	free(log);
	return 0;
}
