/* reel-transcode's progress lines and the last lines of its stderr (progress.h). */
#include "jobs/progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The length of the UTF-8 sequence at S[0..N) (1..4), or 0 when it is not a valid one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;

	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0; /* overlong, a surrogate, or past U+10FFFF */
	return len;
}

/*
 * Copy LINE[0..LEN) into OUT (CAP bytes with the NUL) as valid UTF-8, cut
 * to fit: control bytes become spaces, bytes of no valid sequence '?'.
 */
static void clean_copy(char *out, size_t cap, const char *line, size_t len)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t i = 0, o = 0;

	while (i < len && o + 1 < cap) {
		size_t n = s[i] < 0x80 ? 1 : utf8_len(s + i, len - i);

		if (n > 1 && o + n < cap) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		if (n > 1)
			break; /* a sequence that does not fit */
		out[o++] = n == 0 ? '?' : s[i] < 0x20 || s[i] == 0x7f ? ' ' : (char)s[i];
		i++;
	}
	out[o] = '\0';
}

/* Member KEY of OBJ as a number in LO..HI into *OUT; anything else leaves *OUT alone. */
static void number(json_t *obj, const char *key, double lo, double hi, double *out)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (!json_is_number(v) || !isfinite(d = json_number_value(v)))
		return;
	*out = d < lo ? lo : d > hi ? hi : d;
}

static void numbers(json_t *obj, struct job_progress *p)
{
	double frames = (double)p->frames;

	number(obj, "percent", 0, 100, &p->percent);
	number(obj, "time", 0, 1e7, &p->time);
	number(obj, "duration", 0, 1e7, &p->duration);
	number(obj, "elapsed", 0, 1e9, &p->elapsed);
	number(obj, "speed", 0, 1e6, &p->speed);
	number(obj, "eta", -1, 1e9, &p->eta);
	number(obj, "frames", 0, 1e12, &frames);
	p->frames = (uint64_t)frames;
	p->fps = p->elapsed > 0 ? (double)p->frames / p->elapsed : 0;
}

enum job_event job_progress_parse(const char *line, size_t len, struct job_progress *p)
{
	json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *ev = json_object_get(obj, "event"), *msg;
	enum job_event e = JOB_EVENT_NONE;

	if (!json_is_string(ev))
		goto out;
	if (strcmp(json_string_value(ev), "progress") == 0 ||
	    strcmp(json_string_value(ev), "done") == 0) {
		e = strcmp(json_string_value(ev), "done") == 0 ? JOB_EVENT_DONE
							       : JOB_EVENT_PROGRESS;
		numbers(obj, p);
	} else if (strcmp(json_string_value(ev), "error") == 0) {
		e = JOB_EVENT_ERROR;
		msg = json_object_get(obj, "message");
		if (json_is_string(msg))
			clean_copy(p->message, sizeof(p->message), json_string_value(msg),
				   json_string_length(msg));
		else
			snprintf(p->message, sizeof(p->message), "failed (no message)");
	}
out:
	json_decref(obj);
	return e;
}

/* V (within +-1e12) rounded to 3 decimals, so the JSON stays short. */
static double r3(double v)
{
	return (double)(int64_t)(v * 1000 + (v < 0 ? -0.5 : 0.5)) / 1000;
}

json_t *job_progress_json(const struct job_progress *p)
{
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I}", "percent", r3(p->percent), "time",
			 r3(p->time), "duration", r3(p->duration), "speed", r3(p->speed), "fps",
			 r3(p->fps), "eta", r3(p->eta), "frames", (json_int_t)p->frames);
}

void job_log_add(struct job_log *l, const char *line, size_t len)
{
	unsigned slot = (l->first + l->n) % JOB_LOG_LINES;

	if (l->n == JOB_LOG_LINES) {
		slot = l->first;
		l->first = (l->first + 1) % JOB_LOG_LINES;
	} else {
		l->n++;
	}
	clean_copy(l->lines[slot], JOB_LINE_MAX, line, len);
}

const char *job_log_last(const struct job_log *l, bool (*keep)(const char *line))
{
	for (unsigned i = l->n; i-- > 0;) {
		const char *s = l->lines[(l->first + i) % JOB_LOG_LINES];

		if (keep(s))
			return s;
	}
	return NULL;
}

json_t *job_log_json(const struct job_log *l)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && i < l->n; i++)
		if (json_array_append_new(
			arr, json_string(l->lines[(l->first + i) % JOB_LOG_LINES])) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}
