/* The catalog: titles from their manifests, and the service over them (catalog.h). */
#include "catalog/catalog.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog_int.h"
#include "hex.h"
#include "jsonfield.h"
#include "record_cache.h"
#include "records.h"
#include "schema.h"
#include "store.h"

#define TITLE_SLOTS 1024 /* the cache's; a power of two */

bool title_id_valid(const char *s, size_t len)
{
	if (len == 0 || len > TITLE_ID_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Refuse with -EINVAL: the manifest breaks the rule MSG. */
static int invalid(struct origin_reason *why, const char *msg)
{
	return reason_set(why, -EINVAL, NULL, msg);
}

static bool short_string(json_t *v, size_t max)
{
	return json_is_string(v) && json_string_length(v) <= max &&
	       !memchr(json_string_value(v), '\0', json_string_length(v));
}

/* Is V an array of at most CATALOG_MAX_RUNGS renditions? */
static bool renditions(json_t *v)
{
	return json_is_array(v) && json_array_size(v) <= CATALOG_MAX_RUNGS;
}

/* The video rungs, checked and reduced to what the catalog keeps. */
static int video_rungs(json_t *video, json_t *out, uint32_t *min_h, struct origin_reason *why)
{
	size_t i;
	json_t *r;

	if (!renditions(video))
		return invalid(why, "video must be an array of at most 32 renditions");
	json_array_foreach(video, i, r)
	{
		uint64_t w, h, bw;
		json_t *codecs = json_object_get(r, "codecs"), *path = json_object_get(r, "path");
		json_t *fps = json_object_get(r, "frame_rate");

		if (!json_is_object(r) || jf_uint(r, "width", 1, 16384, &w) != 0 ||
		    jf_uint(r, "height", 1, 8640, &h) != 0 ||
		    jf_uint(r, "bandwidth", 0, 1ULL << 40, &bw) != 0 ||
		    !short_string(codecs, 128) || !short_string(path, 128) ||
		    (fps && !json_is_number(fps)))
			return invalid(why,
				       "a video rendition needs path, width, height (<= 8640), "
				       "bandwidth and codecs");
		if (!*min_h || h < *min_h)
			*min_h = (uint32_t)h;
		if (json_array_append_new(out, json_pack("{s:O, s:I, s:I, s:I, s:O, s:f}", "path",
							 path, "width", (json_int_t)w, "height",
							 (json_int_t)h, "bandwidth", (json_int_t)bw,
							 "codecs", codecs, "frame_rate",
							 fps ? json_number_value(fps) : 0.0)) != 0)
			return -ENOMEM;
	}
	return 0;
}

static int audio_tracks(json_t *audio, json_t *out, struct origin_reason *why)
{
	size_t i;
	json_t *r;

	if (!renditions(audio))
		return invalid(why, "audio must be an array of at most 32 renditions");
	json_array_foreach(audio, i, r)
	{
		json_t *lang = json_object_get(r, "language"), *name = json_object_get(r, "name");
		json_t *group = json_object_get(r, "group");
		uint64_t ch;

		if (!json_is_object(r) || !short_string(lang, 35) ||
		    (name && !short_string(name, 128)) || (group && !short_string(group, 64)) ||
		    jf_uint(r, "channels", 1, 64, &ch) != 0)
			return invalid(why, "an audio rendition needs language and channels");
		if (json_array_append_new(out,
					  json_pack("{s:O, s:s, s:I, s:s}", "language", lang,
						    "name", name ? json_string_value(name) : "",
						    "channels", (json_int_t)ch, "group",
						    group ? json_string_value(group) : "")) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* The members of a skipped stream the catalog keeps, each a string of at most the length given. */
static const struct {
	const char *name;
	size_t max;
} skip_members[] = {{"type", 16},   {"codec", 64},  {"language", 35},
		    {"title", 256}, {"reason", 32}, {"message", 512}};

/*
 * The source streams the package left out (manifest "skipped_streams",
 * docs/transcoder.md), checked and copied into OUT; absent is none.
 */
static int skipped_streams(json_t *skipped, json_t *out, struct origin_reason *why)
{
	size_t i;
	json_t *s;

	if (!skipped)
		return 0;
	if (!json_is_array(skipped) || json_array_size(skipped) > 64)
		return invalid(why, "skipped_streams must be an array of at most 64 streams");
	json_array_foreach(skipped, i, s)
	{
		json_t *kept;
		uint64_t stream;

		if (!json_is_object(s) || jf_uint(s, "stream", 0, 65535, &stream) != 0 ||
		    !(kept = json_pack("{s:I}", "stream", (json_int_t)stream)))
			return invalid(why, "a skipped stream needs its stream index");
		for (size_t k = 0; k < sizeof(skip_members) / sizeof(skip_members[0]); k++) {
			json_t *v = json_object_get(s, skip_members[k].name);

			if (v && !short_string(v, skip_members[k].max)) {
				json_decref(kept);
				return invalid(why, "a skipped stream's type, codec, language, "
						    "title, reason and message are short strings");
			}
			json_object_set_new(kept, skip_members[k].name,
					    json_string(v ? json_string_value(v) : ""));
		}
		if (json_array_append_new(out, kept) != 0)
			return -ENOMEM;
	}
	return 0;
}

static bool language_list(json_t *v)
{
	size_t i;
	json_t *s;

	if (!v)
		return true;
	if (!json_is_array(v) || json_array_size(v) > 64)
		return false;
	json_array_foreach(v, i, s) if (!short_string(s, 35)) return false;
	return true;
}

/* The first 16 hex digits of SHA-256(BODY). */
static void version_of(const char *body, size_t len, char out[17])
{
	uint8_t md[32];
	unsigned int n = sizeof(md);

	EVP_Digest(body, len, md, &n, EVP_sha256(), NULL);
	hex_encode(md, 8, out);
}

/*
 * The optional members of manifest M into REC: the description (META's, or
 * the manifest's) and the end credits (within DURATION).  0, -EINVAL with
 * *WHY, or -ENOMEM.
 */
static int optional_members(json_t *m, const struct title_meta *meta, double duration, json_t *rec,
			    struct origin_reason *why)
{
	json_t *desc = json_object_get(m, "description"),
	       *credits = json_object_get(m, "end_credits");

	if (meta && meta->description) {
		if (strlen(meta->description) > TITLE_DESC_MAX)
			return invalid(why, "description is at most 4096 bytes");
		if (json_object_set_new(rec, "description", json_string(meta->description)) != 0)
			return -ENOMEM;
	} else if (desc) {
		if (!short_string(desc, TITLE_DESC_MAX))
			return invalid(why, "description must be a string of at most 4096 bytes");
		if (json_object_set(rec, "description", desc) != 0)
			return -ENOMEM;
	}
	if (!credits)
		return 0;
	if (!json_is_number(credits) || !(json_number_value(credits) > 0) ||
	    !(json_number_value(credits) < duration))
		return invalid(why, "end_credits must be a number of seconds within the duration");
	return json_object_set(rec, "end_credits", credits) == 0 ? 0 : -ENOMEM;
}

int catalog_record(const char *body, size_t len, const char *id, const struct title_meta *meta,
		   int64_t now, json_t **out, struct origin_reason *why)
{
	const char *name = meta ? meta->name : NULL;
	json_t *m = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *rec = NULL;
	json_t *video = json_array(), *audio = json_array(), *skipped = json_array();
	json_t *dur, *enc, *title, *alang, *slang, *container, *target;
	char version[17];
	uint32_t min_h = 0;
	uint64_t mv, total = 0;
	int rc;

	*out = NULL;
	if (!m || !json_is_object(m)) {
		rc = reason_set(why, -EBADMSG, NULL, "the body is not a JSON object");
		goto out;
	}
	if (!video || !audio || !skipped) {
		rc = -ENOMEM;
		goto out;
	}
	dur = json_object_get(m, "duration");
	enc = json_object_get(m, "encryption");
	title = json_object_get(m, "title");
	alang = json_object_get(m, "audio_languages");
	slang = json_object_get(m, "subtitle_languages");
	container = json_object_get(m, "container");
	target = json_object_get(m, "segment_target");
	if (!title_id_valid(id, strlen(id))) {
		rc = reason_set(
		    why, -EINVAL, NULL,
		    "a title id is 1..64 of A-Z, a-z, 0-9, '.', '_' and '-', not starting "
		    "with '.'");
		goto out;
	}
	if (jf_uint(m, "manifest_version", 1, 1, &mv) != 0) {
		rc = invalid(why, "not a reel package manifest (manifest_version 1)");
		goto out;
	}
	if (!json_is_number(dur) || !(json_number_value(dur) > 0) || json_number_value(dur) > 1e6) {
		rc = invalid(why, "duration must be a number of seconds, more than 0");
		goto out;
	}
	if (!short_string(container, 16) || !json_is_number(target) ||
	    (name == NULL && !short_string(title, TITLE_NAME_MAX)) ||
	    (name && strlen(name) > TITLE_NAME_MAX)) {
		rc = invalid(why, "the manifest needs title, container and segment_target");
		goto out;
	}
	if (enc && !json_is_null(enc) &&
	    (!json_is_object(enc) || !json_is_string(json_object_get(enc, "method")) ||
	     strcmp(json_string_value(json_object_get(enc, "method")), "AES-128") != 0)) {
		rc = invalid(why, "encryption must be null or an AES-128 description");
		goto out;
	}
	if ((rc = video_rungs(json_object_get(m, "video"), video, &min_h, why)) != 0 ||
	    (rc = audio_tracks(json_object_get(m, "audio"), audio, why)) != 0 ||
	    (rc = skipped_streams(json_object_get(m, "skipped_streams"), skipped, why)) != 0)
		goto out;
	if (!json_array_size(video) && !json_array_size(audio)) {
		rc = invalid(why, "the package has neither video nor audio");
		goto out;
	}
	if (!language_list(alang) || !language_list(slang)) {
		rc = reason_set(
		    why, -EINVAL, NULL,
		    "audio_languages and subtitle_languages must be arrays of language tags");
		goto out;
	}
	if (jf_uint(m, "total_size", 0, 1ULL << 50, &total) == -EINVAL) {
		rc = invalid(why, "total_size must be a whole number of bytes");
		goto out;
	}
	version_of(body, len, version);
	/* "o" takes the reference made here; the manifest keeps its own members */
	rec = json_pack("{s:s, s:s, s:s, s:f, s:O, s:f, s:O, s:O, s:o, s:o, s:O, s:b, s:I, s:o}",
			"id", id, "name", name ? name : json_string_value(title), "version",
			version, "duration", json_number_value(dur), "container", container,
			"segment_target", json_number_value(target), "video", video, "audio", audio,
			"audio_languages", alang ? json_incref(alang) : json_array(),
			"subtitle_languages", slang ? json_incref(slang) : json_array(),
			"skipped_streams", skipped, "encrypted", enc && !json_is_null(enc),
			"total_size", (json_int_t)total, "registered", jf_time(now));
	if (!rec) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = optional_members(m, meta, json_number_value(dur), rec, why)) != 0) {
		json_decref(rec);
		goto out;
	}
	*out = rec;
out:
	json_decref(video);
	json_decref(audio);
	json_decref(skipped);
	json_decref(m);
	return rc;
}

static int catalog_get(struct store_txn *t, const char *id, json_t **out)
{
	return records_get(t, ORIGIN_DB_TITLES, id, strlen(id), out);
}

static int catalog_info(struct store_txn *t, const char *id, struct title_info *out)
{
	json_t *rec, *video;
	size_t i;
	json_t *r;
	int rc = catalog_get(t, id, &rec);

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return rc;
	snprintf(out->id, sizeof(out->id), "%s", id);
	if (jf_str(rec, "version", out->version, sizeof(out->version)) != 0 ||
	    jf_str(rec, "name", out->name, sizeof(out->name)) != 0)
		rc = -EIO;
	out->duration = json_number_value(json_object_get(rec, "duration"));
	out->end_credits = json_number_value(json_object_get(rec, "end_credits"));
	out->encrypted = json_is_true(json_object_get(rec, "encrypted"));
	video = json_object_get(rec, "video");
	json_array_foreach(video, i, r)
	{
		uint32_t h = (uint32_t)json_integer_value(json_object_get(r, "height"));

		if (!out->min_height || h < out->min_height)
			out->min_height = h;
	}
	json_decref(rec);
	return rc;
}

static int catalog_put(struct store_txn *t, json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));

	if (!id) {
		json_decref(rec);
		return -EINVAL;
	}
	return records_put(t, ORIGIN_DB_TITLES, id, strlen(id), rec, false);
}

static int catalog_delete(struct store_txn *t, const char *id)
{
	json_t *old;
	int rc = catalog_get(t, id, &old);

	if (rc == 0)
		rc = search_index_del_in(t, old);
	json_decref(old);
	if (rc == 0)
		rc = store_del(t, ORIGIN_DB_TITLES, id, strlen(id));
	if (rc == 0 && (rc = store_del(t, ORIGIN_DB_KEYS, id, strlen(id))) == -ENOENT)
		rc = 0;
	return rc;
}

struct list_ctx {
	const char *q, *lang;
	size_t offset, limit, total;
	json_t *arr;
};

/* Has REC's list KEY the language LANG (a canonical tag), written as any alias of it? */
static bool has_lang(json_t *rec, const char *key, const char *lang)
{
	char tag[LANG_TAG_MAX + 1];
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(rec, key), i, s)
	{
		if (json_is_string(s) && lang_tag(json_string_value(s), tag) == 0 &&
		    strcmp(tag, lang) == 0)
			return true;
	}
	return false;
}

static int list_one(void *arg, const void *key, size_t klen, json_t *rec)
{
	struct list_ctx *c = arg;
	const char *id, *name;
	bool hit;

	if (!rec)
		return -EIO;
	id = json_string_value(json_object_get(rec, "id"));
	name = json_string_value(json_object_get(rec, "name"));
	hit = !c->q || !c->q[0] || (id && strcasestr(id, c->q)) || (name && strcasestr(name, c->q));
	if (hit && c->lang)
		hit = has_lang(rec, "audio_languages", c->lang) ||
		      has_lang(rec, "subtitle_languages", c->lang);
	if (hit && c->total++ >= c->offset && json_array_size(c->arr) < c->limit)
		return json_array_append(c->arr, rec) == 0 ? 0 : -ENOMEM;
	return 0;
}

static int catalog_list(struct store_txn *t, const char *q, const char *lang, size_t offset,
			size_t limit, json_t **out)
{
	char tag[LANG_TAG_MAX + 1];
	struct list_ctx c = {q, lang, offset, limit, 0, json_array()};
	int rc;

	*out = NULL;
	if (!c.arr)
		return -ENOMEM;
	if (lang && lang_tag(lang, tag) == 0)
		c.lang = tag; /* "eng" finds "en"; a malformed filter is matched as it is */
	if ((rc = records_scan(t, ORIGIN_DB_TITLES, NULL, 0, list_one, &c)) != 0) {
		json_decref(c.arr);
		return rc;
	}
	*out = json_pack("{s:o, s:I}", "titles", c.arr, "total", (json_int_t)c.total);
	return *out ? 0 : -ENOMEM;
}

struct catalog *catalog_new(struct store *st, const uint8_t *master)
{
	struct catalog *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return NULL;
	c->st = st;
	c->master = master;
	if (!(c->cache = record_cache_new(TITLE_SLOTS, sizeof(struct title_info)))) {
		free(c);
		return NULL;
	}
	if ((rc = search_index_check(st)) != 0) {
		catalog_free(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	record_cache_free(c->cache);
	free(c);
}

int catalog_title(struct catalog *c, const char *id, json_t **out)
{
	struct store_txn *t;
	int rc = store_begin(c->st, false, &t);

	*out = NULL;
	if (rc != 0)
		return rc;
	rc = catalog_get(t, id, out);
	store_abort(t);
	return rc;
}

int catalog_titles(struct catalog *c, const char *q, const char *lang, size_t offset, size_t limit,
		   json_t **out)
{
	struct store_txn *t;
	int rc = store_begin(c->st, false, &t);

	*out = NULL;
	if (rc != 0)
		return rc;
	rc = catalog_list(t, q, lang, offset, limit, out);
	store_abort(t);
	return rc;
}

int catalog_save_in(struct store_txn *t, json_t *rec, bool *created)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *old = NULL;
	int rc;

	if (!id)
		return -EINVAL;
	rc = catalog_get(t, id, &old);
	*created = rc == -ENOENT;
	if (rc == 0)
		rc = search_index_del_in(t, old);
	if (rc == 0 || rc == -ENOENT)
		rc = search_index_put_in(t, rec);
	if (rc == 0)
		rc = catalog_put(t, json_incref(rec));
	json_decref(old);
	return rc;
}

int catalog_save(struct catalog *c, json_t *rec, bool *created)
{
	struct store_txn *t;
	int rc;

	if (!json_is_string(json_object_get(rec, "id")))
		return -EINVAL;
	if ((rc = store_begin(c->st, true, &t)) != 0)
		return rc;
	rc = store_finish(t, catalog_save_in(t, rec, created));
	record_cache_clear(c->cache);
	return rc;
}

int catalog_remove(struct catalog *c, const char *id)
{
	struct store_txn *t;
	int rc = store_begin(c->st, true, &t);

	if (rc != 0)
		return rc;
	rc = store_finish(t, catalog_delete(t, id));
	record_cache_clear(c->cache);
	return rc;
}

int catalog_info_in(struct catalog *c, struct store_txn *t, const char *id, struct title_info *out)
{
	int rc;

	if (record_cache_get(c->cache, id, out))
		return 0;
	if ((rc = catalog_info(t, id, out)) == 0)
		record_cache_put(c->cache, id, out);
	return rc;
}
