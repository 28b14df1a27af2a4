/* The edges' request bodies: an admin's edge, an edge's heartbeat (edge_bodies.h). */
#include "api/edge_bodies.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "jsonfield.h"
#include "playback/leases.h"

#define CAPACITY_MAX 10000000ULL /* Mb/s: 10 Pb/s */
#define LIST_MAX     1000000     /* titles or leases in one report */

static int refuse(struct origin_fail *f, int status, const char *code, const char *message)
{
	*f = (struct origin_fail){.status = status, .code = code, .message = message};
	return -1;
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	return n && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
			n;
}

static bool url_valid(char *u)
{
	size_t n = strlen(u);

	while (n && u[n - 1] == '/')
		u[--n] = '\0';
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f || u[i] == '?' || u[i] == '#')
			return false;
	return n > 8;
}

/* The CIDR strings of array A into a new *OUT and *N; false when one is not. */
static bool prefixes_parse(json_t *a, struct prefix **out, size_t *n)
{
	json_t *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_array_size(a))
		return true;
	if (json_array_size(a) > EDGE_PREFIXES_MAX ||
	    !(*out = calloc(json_array_size(a), sizeof(**out))))
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) ||
		    prefix_parse(json_string_value(v), json_string_length(v), &(*out)[i]) != 0)
			return false;
		(*n)++;
	}
	return true;
}

int edge_spec_parse(json_t *obj, struct edge_spec *out, struct origin_fail *fail)
{
	static const char *const allowed[] = {"name", "url", "cluster", "capacity", "prefixes",
					      "fill_url", NULL};
	json_t *pre = json_object_get(obj, "prefixes");

	memset(out, 0, sizeof(*out));
	if (jf_unknown(obj, allowed))
		return refuse(fail, 400, "invalid_request", "unknown member in the edge");
	if (jf_str(obj, "name", out->name, sizeof(out->name)) != 0 || !name_valid(out->name))
		return refuse(fail, 422, "invalid_edge",
			      "name must be 1 to 64 of A-Z a-z 0-9 . _ -");
	if (jf_str(obj, "cluster", out->cluster, sizeof(out->cluster)) != 0 ||
	    !name_valid(out->cluster))
		return refuse(fail, 422, "invalid_edge",
			      "cluster must be 1 to 64 of A-Z a-z 0-9 . _ -");
	if (jf_str(obj, "url", out->url, sizeof(out->url)) != 0 || !url_valid(out->url))
		return refuse(fail, 422, "invalid_edge",
			      "url must be an http:// or https:// URL of at most 256 bytes, "
			      "without query");
	if (json_object_get(obj, "fill_url") &&
	    (jf_str(obj, "fill_url", out->fill_url, sizeof(out->fill_url)) != 0 ||
	     !url_valid(out->fill_url)))
		return refuse(fail, 422, "invalid_edge",
			      "fill_url must be an http:// or https:// URL of at most 256 bytes, "
			      "without query");
	if (jf_uint(obj, "capacity", 1, CAPACITY_MAX, &out->capacity_mbps) != 0)
		return refuse(fail, 422, "invalid_edge",
			      "capacity must be a whole number of Mb/s, 1 to 10000000");
	if (pre && !json_is_array(pre))
		return refuse(fail, 400, "invalid_request", "prefixes must be an array");
	if (!prefixes_parse(pre, &out->prefixes, &out->nprefixes))
		return refuse(fail, 422, "invalid_edge",
			      "prefixes must be at most 65536 CIDR prefixes such as 192.0.2.0/24 "
			      "or 2001:db8::/32, with no bits set past the length");
	return 0;
}

/* ---- heartbeats ---- */

static bool lease_valid(const char *s, size_t n)
{
	return n == LEASE_ID_LEN && jf_id_valid(s, n, LEASE_ID_LEN);
}

/*
 * The array member KEY of OBJ (absent: empty) of strings VALID holds, each
 * at most CAP - 1 bytes, into a new *OUT of CAP-byte slots and *N.
 */
static bool ids_parse(json_t *obj, const char *key, size_t cap,
		      bool (*valid)(const char *s, size_t n), void **out, size_t *n)
{
	json_t *a = json_object_get(obj, key), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!a)
		return true;
	if (!json_is_array(a) || json_array_size(a) > LIST_MAX)
		return false;
	if (!json_array_size(a))
		return true;
	if (!(*out = malloc(json_array_size(a) * cap)))
		return false;
	json_array_foreach(a, i, v) {
		size_t len = json_string_length(v);

		if (!json_is_string(v) || len >= cap || !valid(json_string_value(v), len))
			return false;
		memcpy((char *)*out + i * cap, json_string_value(v), len + 1);
		(*n)++;
	}
	return true;
}

static int health_parse(json_t *obj, enum edge_health *h)
{
	static const char *const names[] = {"ok", "degraded", "failing"};
	const char *s = json_string_value(json_object_get(obj, "health"));

	for (int i = 0; s && i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*h = (enum edge_health)i;
			return 0;
		}
	return -1;
}

/* The numbers and flags of OBJ into *R: NULL, or what is wrong. */
static const char *numbers_parse(json_t *obj, struct edge_report *r)
{
	static const char *const names[] = {"connections", "bytes_per_s", "disk_used", "disk_free"};
	uint64_t *fields[] = {&r->connections, &r->bytes_per_s, &r->disk_used, &r->disk_free};
	int rc;

	for (int i = 0; i < 4; i++)
		if ((rc = jf_uint(obj, names[i], 0, INT64_MAX, fields[i])) != 0 && rc != -ENOENT)
			return "connections, bytes_per_s, disk_used and disk_free must be whole "
			       "numbers";
	if ((rc = jf_bool(obj, "draining", &r->draining)) != 0 && rc != -ENOENT)
		return "draining must be true or false";
	if ((rc = jf_str(obj, "cursor", r->cursor, sizeof(r->cursor))) != 0 && rc != -ENOENT)
		return "cursor must be the last answer's cursor";
	return NULL;
}

static const char *report_members(json_t *obj, struct edge_report *r)
{
	json_t *pre = json_object_get(obj, "prefixes");
	const char *bad;

	if (health_parse(obj, &r->health) != 0)
		return "health must be \"ok\", \"degraded\" or \"failing\"";
	if ((bad = numbers_parse(obj, r)))
		return bad;
	if (!ids_parse(obj, "titles", sizeof(*r->titles), title_id_valid, (void **)&r->titles,
		       &r->ntitles))
		return "titles must be an array of title ids";
	if (!ids_parse(obj, "leases", sizeof(*r->leases), lease_valid, (void **)&r->leases,
		       &r->nleases))
		return "leases must be an array of lease ids";
	r->has_prefixes = pre != NULL;
	if (pre && (!json_is_array(pre) || !prefixes_parse(pre, &r->prefixes, &r->nprefixes)))
		return "prefixes must be an array of at most 65536 CIDR prefixes";
	return NULL;
}

int edge_report_parse(const char *body, size_t len, struct edge_report *out,
		      struct origin_fail *fail)
{
	json_t *obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *bad;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj)) {
		json_decref(obj);
		return refuse(fail, 400, "invalid_json", "the body must be a JSON object");
	}
	bad = report_members(obj, out);
	json_decref(obj);
	if (bad)
		return refuse(fail, 422, "invalid_report", bad);
	return 0;
}
