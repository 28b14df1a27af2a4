/* History records and the rules of plays and position reports (watch.h). */
#include "viewing/watch.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "jsonfield.h"

/* A number member of REC in 0..1e7 into *OUT: 0 or -EIO. */
static int number(json_t *rec, const char *key, double *out)
{
	json_t *v = json_object_get(rec, key);

	*out = json_number_value(v);
	return json_is_number(v) && *out >= 0 && *out <= 1e7 ? 0 : -EIO;
}

int watch_from_json(json_t *rec, struct watch *w)
{
	uint64_t first, last, finished, seq;
	json_t *days = json_object_get(rec, "days"), *d;
	size_t i;

	memset(w, 0, sizeof(*w));
	if (!json_is_object(rec) || number(rec, "position", &w->position) != 0 ||
	    number(rec, "at", &w->at) != 0 || number(rec, "duration", &w->duration) != 0 ||
	    number(rec, "watched", &w->watched) != 0 ||
	    jf_uint(rec, "first", 0, INT64_MAX, &first) != 0 ||
	    jf_uint(rec, "last", 0, INT64_MAX, &last) != 0 ||
	    jf_uint(rec, "finished", 0, INT64_MAX, &finished) != 0 ||
	    jf_uint(rec, "seq", 0, UINT32_MAX, &seq) != 0 || !json_is_array(days) ||
	    json_array_size(days) > WATCH_DAYS_MAX)
		return -EIO;
	json_array_foreach(days, i, d)
	{
		if (!json_is_integer(d) || json_integer_value(d) < 0 ||
		    json_integer_value(d) > UINT32_MAX)
			return -EIO;
		w->days[w->ndays++] = (uint32_t)json_integer_value(d);
	}
	w->first = (int64_t)first;
	w->last = (int64_t)last;
	w->finished = (int64_t)finished;
	w->seq = (uint32_t)seq;
	return 0;
}

json_t *watch_json(const struct watch *w)
{
	json_t *days = json_array();

	for (unsigned i = 0; days && i < w->ndays; i++)
		if (json_array_append_new(days, json_integer(w->days[i])) != 0) {
			json_decref(days);
			return NULL;
		}
	return days ? json_pack("{s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:o}", "position",
				w->position, "at", w->at, "duration", w->duration, "watched",
				w->watched, "first", (json_int_t)w->first, "last",
				(json_int_t)w->last, "finished", (json_int_t)w->finished, "seq",
				(json_int_t)w->seq, "days", days)
		    : NULL;
}

json_t *watch_entry(const struct watch *w, const char *title, const char *name, bool full)
{
	double progress = w->duration > 0 ? w->position / w->duration : 0;
	json_t *e = json_pack("{s:s, s:s?, s:f, s:f, s:f, s:o}", "title", title, "name", name,
			      "position", w->position, "duration", w->duration, "progress",
			      progress, "last_watched", jf_time(w->last));

	if (!e || !full)
		return e;
	if (json_object_set_new(e, "status",
				json_string(w->finished ? "finished" : "in_progress")) != 0 ||
	    json_object_set_new(e, "watched", json_real(round(w->watched))) != 0 ||
	    json_object_set_new(e, "first_watched", jf_time(w->first)) != 0 ||
	    json_object_set_new(e, "finished", w->finished ? jf_time(w->finished) : json_null()) !=
		0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

bool watch_play(struct watch *w, int64_t now, uint32_t day, uint32_t window)
{
	unsigned k = 0;
	bool counted = false;

	if (!w->first)
		w->first = now;
	w->last = now;
	for (unsigned i = 0; i < w->ndays; i++) /* keep the days still in the window */
		if (w->days[i] + window > day && w->days[i] <= day)
			w->days[k++] = w->days[i];
	w->ndays = k;
	for (unsigned i = 0; i < w->ndays; i++)
		if (w->days[i] == day)
			return false;
	if (w->ndays < WATCH_DAYS_MAX) {
		w->days[w->ndays++] = day;
		counted = true;
	}
	return counted;
}

void watch_report(struct watch *w, double position, double duration, double credits, int64_t now)
{
	double elapsed = now > w->last ? (double)(now - w->last) : 0, ahead = position - w->at;
	double end = credits > 0 && credits < duration ? credits : WATCH_FINISH * duration;

	if (ahead > 0)
		w->watched += ahead < elapsed ? ahead : elapsed;
	if (!w->first)
		w->first = now;
	w->last = now;
	w->at = position;
	w->duration = duration;
	if (position >= end) {
		if (!w->finished)
			w->finished = now;
		w->position = 0;
	} else {
		w->position = position;
	}
}
