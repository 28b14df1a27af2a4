/*
 * Fuzz target for the origin's JSON bodies: catalog_from_manifest() (a
 * package's manifest.json registering a title), plan_parse() (a plan), and
 * the typed member reads (jsonfield.h) every other body goes through (play,
 * subscription, downloads, grants, keys).
 * A refusal must be a 400 or 422 with a code and message and no record; an
 * accepted manifest must give a record whose playback facts hold their
 * bounds; an accepted plan must hold every limit in its range and survive
 * its own JSON form unchanged.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/bodies.h"
#include "catalog/catalog.h"
#include "jsonfield.h"
#include "plans/plans.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fail(const struct origin_fail *f)
{
	if ((f->status != 400 && f->status != 422) || !f->code || !f->message)
		abort();
}

static void check_plan(const char *body, size_t size)
{
	json_t *obj = json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL), *again;
	struct origin_fail f = {0};
	struct plan p, q;

	if (!obj)
		return;
	if (plan_parse(obj, "fuzz", &p, &f) != 0) {
		check_fail(&f);
	} else {
		if (p.max_streams < 1 || p.max_streams > 100 || p.max_height < 144 ||
		    p.max_height > 8640 || p.period_days < 1 || p.period_days > 366)
			abort();
		again = plan_json(&p);
		if (!again || plan_parse(again, "fuzz", &q, &f) != 0 || memcmp(&p, &q, sizeof(p)))
			abort();
		json_decref(again);
	}
	json_decref(obj);
}

/* The member reads of the play, subscription, download and grant bodies. */
static void check_fields(const char *body, size_t size)
{
	static const char *const allowed[] = {"title", "device_id", "device_key", "plan", NULL};
	json_t *obj = json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL);
	char id[65], small[4];
	uint64_t v;
	bool b;

	if (!obj)
		return;
	jf_unknown(obj, allowed);
	/* a title id is a token id too: the stream token must be able to carry it */
	if (jf_str(obj, "title", id, sizeof(id)) == 0 &&
	    (strlen(id) >= sizeof(id) ||
	     (title_id_valid(id, strlen(id)) && !jf_id_valid(id, strlen(id), 64))))
		abort();
	if (jf_str(obj, "plan", small, sizeof(small)) == 0 && strlen(small) > 3)
		abort();
	if (jf_uint(obj, "days", 1, 3660, &v) == 0 && (v < 1 || v > 3660))
		abort();
	jf_bool(obj, "downloads", &b);
	json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size ? size : 1); /* exactly sized: ASan catches over-reads */
	struct origin_fail f = {0};
	json_t *rec = NULL;

	memcpy(body, data, size);
	if (catalog_from_manifest(body, size, "fuzz", NULL, 1700000000, &rec, &f) != 0) {
		check_fail(&f);
		if (rec)
			abort();
	} else {
		double d = json_number_value(json_object_get(rec, "duration"));

		if (!rec || !(d > 0) || d > 1e6 || !json_is_array(json_object_get(rec, "video")) ||
		    json_array_size(json_object_get(rec, "video")) > CATALOG_MAX_RUNGS)
			abort();
		json_decref(rec);
	}
	check_plan(body, size);
	check_fields(body, size);
	free(body);
	return 0;
}
