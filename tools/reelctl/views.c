/* The admin API's users, plans, titles and edges as tables and "key: value" lines. */
#include "views.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "format.h"
#include "table.h"

const char *ctl_json_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Member KEY of OBJ as a whole number in text, "-" if it is not one. */
static const char *num(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return "-";
	snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	return buf;
}

static const char *yes_no(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? (json_is_true(v) ? "yes" : "no") : "-";
}

static const char *size_of(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return "-";
	return ctl_fmt_size((uint64_t)json_integer_value(v), buf, len);
}

static const char *duration_of(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? ctl_fmt_duration(json_number_value(v), buf, len) : "-";
}

/* The values of member KEY of every object of array ARR, joined by commas, SUFFIX after each. */
static const char *join(const json_t *arr, const char *key, const char *suffix, char *buf,
			size_t len)
{
	const json_t *e;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach(arr, i, e)
	{
		const json_t *v = key ? json_object_get(e, key) : e;
		char one[64];
		int n;

		if (json_is_integer(v))
			snprintf(one, sizeof(one), "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v))
			snprintf(one, sizeof(one), "%s", json_string_value(v));
		else
			snprintf(one, sizeof(one), "?");
		n = snprintf(buf + o, len - o, "%s%s%s", o ? "," : "", one, suffix);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return o ? buf : "-";
}

/* Print and free T. */
static int finish(struct ctl_table *t, FILE *out)
{
	int rc;

	if (!t)
		return -ENOMEM;
	rc = ctl_table_print(t, out);
	ctl_table_free(t);
	return rc;
}

static struct ctl_table *kv_new(void)
{
	return ctl_table_new(NULL, 2);
}

static void kv(struct ctl_table *t, const char *key, const char *value)
{
	char k[64];

	snprintf(k, sizeof(k), "%s:", key);
	ctl_table_cell(t, k);
	ctl_table_cell(t, value);
}

/* The rows of array member KEY of LIST, each added by ROW. */
static int rows(FILE *out, const json_t *list, const char *key, const char *const *cols,
		size_t ncols, void (*row)(struct ctl_table *, const json_t *))
{
	struct ctl_table *t = ctl_table_new(cols, ncols);
	const json_t *arr = json_object_get(list, key);

	for (size_t i = 0; t && i < json_array_size(arr); i++)
		row(t, json_array_get(arr, i));
	return finish(t, out);
}

/* ---- users ---- */

static const char *account_state(const json_t *u)
{
	const json_t *d = json_object_get(u, "disabled");

	return !json_is_boolean(d) ? "-" : json_is_true(d) ? "disabled" : "enabled";
}

static void user_row(struct ctl_table *t, const json_t *u)
{
	const json_t *s = json_object_get(u, "subscription");

	ctl_table_cell(t, ctl_json_str(u, "id"));
	ctl_table_cell(t, ctl_json_str(u, "email"));
	ctl_table_cell(t, account_state(u));
	ctl_table_cell(t, ctl_json_str(s, "plan"));
	ctl_table_cell(t, ctl_json_str(s, "status"));
	ctl_table_cell(t, ctl_json_str(s, "period_end"));
	ctl_table_cell(t, ctl_json_str(u, "created"));
}

int ctl_view_users(FILE *out, const json_t *list)
{
	static const char *const cols[] = {"ID",	   "EMAIL", "ACCOUNT", "PLAN",
					   "SUBSCRIPTION", "UNTIL", "CREATED"};

	return rows(out, list, "users", cols, 7, user_row);
}

int ctl_view_user(FILE *out, const json_t *u)
{
	struct ctl_table *t = kv_new();
	const json_t *s = json_object_get(u, "subscription");

	if (!t)
		return -ENOMEM;
	kv(t, "id", ctl_json_str(u, "id"));
	kv(t, "email", ctl_json_str(u, "email"));
	kv(t, "account", account_state(u));
	kv(t, "created", ctl_json_str(u, "created"));
	if (json_is_object(s)) {
		kv(t, "plan", ctl_json_str(s, "plan"));
		kv(t, "subscription", ctl_json_str(s, "status"));
		kv(t, "source", ctl_json_str(s, "source"));
		kv(t, "started", ctl_json_str(s, "started"));
		kv(t, "period end", ctl_json_str(s, "period_end"));
		kv(t, "cancel at period end", yes_no(s, "cancel_at_period_end"));
	} else {
		kv(t, "plan", "none");
	}
	return finish(t, out);
}

/* ---- plans ---- */

static void plan_row(struct ctl_table *t, const json_t *p)
{
	char b[6][32];

	ctl_table_cell(t, ctl_json_str(p, "name"));
	ctl_table_cell(t, num(p, "max_streams", b[0], sizeof(b[0])));
	ctl_table_cell(t, num(p, "max_height", b[1], sizeof(b[1])));
	ctl_table_cell(t, yes_no(p, "downloads"));
	ctl_table_cell(t, num(p, "max_devices", b[2], sizeof(b[2])));
	ctl_table_cell(t, num(p, "max_downloads", b[3], sizeof(b[3])));
	ctl_table_cell(t, num(p, "downloads_per_title_year", b[4], sizeof(b[4])));
	ctl_table_cell(t, num(p, "period_days", b[5], sizeof(b[5])));
	ctl_table_cell(t, ctl_json_str(p, "title"));
}

int ctl_view_plans(FILE *out, const json_t *list)
{
	static const char *const cols[] = {"NAME",	    ">STREAMS",	    ">HEIGHT",
					   "DOWNLOADS",	    ">DEVICES",	    ">ACTIVE",
					   ">PER TITLE/YR", ">PERIOD DAYS", "TITLE"};

	return rows(out, list, "plans", cols, 9, plan_row);
}

int ctl_view_plan(FILE *out, const json_t *p)
{
	struct ctl_table *t = kv_new();
	char b[6][32];

	if (!t)
		return -ENOMEM;
	kv(t, "name", ctl_json_str(p, "name"));
	kv(t, "title", ctl_json_str(p, "title"));
	kv(t, "max streams", num(p, "max_streams", b[0], sizeof(b[0])));
	kv(t, "max height", num(p, "max_height", b[1], sizeof(b[1])));
	kv(t, "downloads", yes_no(p, "downloads"));
	kv(t, "max devices", num(p, "max_devices", b[2], sizeof(b[2])));
	kv(t, "max downloads", num(p, "max_downloads", b[3], sizeof(b[3])));
	kv(t, "downloads per title a year", num(p, "downloads_per_title_year", b[4], sizeof(b[4])));
	kv(t, "period days", num(p, "period_days", b[5], sizeof(b[5])));
	return finish(t, out);
}

/* ---- titles ---- */

static void title_row(struct ctl_table *t, const json_t *ti)
{
	char d[32], v[256], a[256], s[32];

	ctl_table_cell(t, ctl_json_str(ti, "id"));
	ctl_table_cell(t, ctl_json_str(ti, "name"));
	ctl_table_cell(t, duration_of(ti, "duration", d, sizeof(d)));
	ctl_table_cell(t, join(json_object_get(ti, "video"), "height", "p", v, sizeof(v)));
	ctl_table_cell(t, join(json_object_get(ti, "audio_languages"), NULL, "", a, sizeof(a)));
	ctl_table_cell(t, size_of(ti, "total_size", s, sizeof(s)));
	ctl_table_cell(t, yes_no(ti, "encrypted"));
	ctl_table_cell(t, ctl_json_str(ti, "version"));
	ctl_table_cell(t, ctl_json_str(ti, "registered"));
}

int ctl_view_titles(FILE *out, const json_t *list)
{
	static const char *const cols[] = {"ID",    "NAME",	 "DURATION", "VIDEO",	  "AUDIO",
					   ">SIZE", "ENCRYPTED", "VERSION",  "REGISTERED"};

	return rows(out, list, "titles", cols, 9, title_row);
}

/* One line per video rendition: "720p  1280x720  1.2 Mb/s  avc1.64001f  30 fps  720p/index.m3u8".
 */
static void renditions(struct ctl_table *t, const json_t *ti)
{
	const json_t *arr = json_object_get(ti, "video"), *r;
	char w[16], h[16], line[512];
	size_t i;

	json_array_foreach(arr, i, r)
	{
		const json_t *bw = json_object_get(r, "bandwidth"),
			     *fps = json_object_get(r, "frame_rate");

		snprintf(line, sizeof(line), "%sx%s, %.0f kb/s, %s, %.4g fps, %s",
			 num(r, "width", w, sizeof(w)), num(r, "height", h, sizeof(h)),
			 json_is_integer(bw) ? (double)json_integer_value(bw) / 1000 : 0.0,
			 ctl_json_str(r, "codecs") ? ctl_json_str(r, "codecs") : "-",
			 json_is_number(fps) ? json_number_value(fps) : 0.0,
			 ctl_json_str(r, "path") ? ctl_json_str(r, "path") : "-");
		kv(t, "video", line);
	}
	arr = json_object_get(ti, "audio");
	json_array_foreach(arr, i, r)
	{
		char ch[16];

		snprintf(line, sizeof(line), "%s, %s, %s channels, group %s",
			 ctl_json_str(r, "language") ? ctl_json_str(r, "language") : "-",
			 ctl_json_str(r, "name") ? ctl_json_str(r, "name") : "-",
			 num(r, "channels", ch, sizeof(ch)),
			 ctl_json_str(r, "group") && ctl_json_str(r, "group")[0]
			     ? ctl_json_str(r, "group")
			     : "-");
		kv(t, "audio", line);
	}
}

/* One line per source stream the package left out: "stream 2 (subtitle, ...): message". */
static void skipped_lines(struct ctl_table *t, const json_t *skipped)
{
	const json_t *r;
	char line[768], n[16];
	size_t i;

	json_array_foreach(skipped, i, r)
	{
		const char *msg = ctl_json_str(r, "message"), *reason = ctl_json_str(r, "reason");

		snprintf(line, sizeof(line), "stream %s: %s (%s)", num(r, "stream", n, sizeof(n)),
			 msg && msg[0] ? msg : "-", reason && reason[0] ? reason : "-");
		kv(t, "skipped", line);
	}
}

int ctl_view_title(FILE *out, const json_t *ti)
{
	struct ctl_table *t = kv_new();
	char d[32], s[32], l[256], st[32];
	const json_t *target = json_object_get(ti, "segment_target");

	if (!t)
		return -ENOMEM;
	kv(t, "id", ctl_json_str(ti, "id"));
	kv(t, "name", ctl_json_str(ti, "name"));
	kv(t, "version", ctl_json_str(ti, "version"));
	kv(t, "duration", duration_of(ti, "duration", d, sizeof(d)));
	kv(t, "container", ctl_json_str(ti, "container"));
	snprintf(st, sizeof(st), "%.3g s",
		 json_is_number(target) ? json_number_value(target) : 0.0);
	kv(t, "segment target", json_is_number(target) ? st : "-");
	kv(t, "encrypted", yes_no(ti, "encrypted"));
	kv(t, "size", size_of(ti, "total_size", s, sizeof(s)));
	kv(t, "registered", ctl_json_str(ti, "registered"));
	kv(t, "audio languages",
	   join(json_object_get(ti, "audio_languages"), NULL, "", l, sizeof(l)));
	kv(t, "subtitles", join(json_object_get(ti, "subtitle_languages"), NULL, "", l, sizeof(l)));
	renditions(t, ti);
	skipped_lines(t, json_object_get(ti, "skipped_streams"));
	return finish(t, out);
}

/* ---- jobs ---- */

const char *ctl_job_progress(const json_t *job, char *buf, size_t len)
{
	const json_t *p = json_object_get(job, "progress");
	const json_t *pct = json_object_get(p, "percent"), *t = json_object_get(p, "time"),
		     *d = json_object_get(p, "duration"), *sp = json_object_get(p, "speed"),
		     *eta = json_object_get(p, "eta");
	char done[32], total[32], left[32];

	if (!json_is_number(pct) || !json_is_number(t) || !json_is_number(d))
		return "-";
	snprintf(buf, len, "%.0f%%, %s of %s, %.2fx, ETA %s", json_number_value(pct),
		 ctl_fmt_duration(json_number_value(t), done, sizeof(done)),
		 ctl_fmt_duration(json_number_value(d), total, sizeof(total)),
		 json_is_number(sp) ? json_number_value(sp) : 0.0,
		 ctl_fmt_duration(json_is_number(eta) ? json_number_value(eta) : -1, left,
				  sizeof(left)));
	return buf;
}

/* A job's source: "upload ID (NAME)" or the path on the origin host. */
static const char *source_of(const json_t *job, char *buf, size_t len)
{
	const json_t *s = json_object_get(job, "source");

	if (ctl_json_str(s, "path"))
		return ctl_json_str(s, "path");
	snprintf(buf, len, "upload %s (%s)",
		 ctl_json_str(s, "upload") ? ctl_json_str(s, "upload") : "-",
		 ctl_json_str(s, "name") ? ctl_json_str(s, "name") : "-");
	return buf;
}

static const char *percent_of(const json_t *job, char *buf, size_t len)
{
	const json_t *pct = json_object_get(json_object_get(job, "progress"), "percent");
	const char *state = ctl_json_str(job, "state");

	if (state && strcmp(state, "done") == 0)
		return "100%";
	if (!json_is_number(pct) || !state || strcmp(state, "running") != 0)
		return "-";
	snprintf(buf, len, "%.0f%%", json_number_value(pct));
	return buf;
}

static void job_row(struct ctl_table *t, const json_t *j)
{
	char pct[16], n[16];

	ctl_table_cell(t, ctl_json_str(j, "id"));
	ctl_table_cell(t, ctl_json_str(j, "title"));
	ctl_table_cell(t, ctl_json_str(j, "state"));
	ctl_table_cell(t, percent_of(j, pct, sizeof(pct)));
	ctl_table_cell(t, num(j, "attempts", n, sizeof(n)));
	ctl_table_cell(t, ctl_json_str(j, "created"));
	ctl_table_cell(t, ctl_json_str(j, "error"));
}

int ctl_view_jobs(FILE *out, const json_t *list)
{
	static const char *const cols[] = {"ID",	"TITLE",   "STATE", ">DONE",
					   ">ATTEMPTS", "CREATED", "ERROR"};

	return rows(out, list, "jobs", cols, 7, job_row);
}

int ctl_view_job(FILE *out, const json_t *j)
{
	struct ctl_table *t = kv_new();
	const json_t *res = json_object_get(j, "result"), *fill = json_object_get(j, "fill");
	char src[512], n[2][16], p[160], d[32];

	if (!t)
		return -ENOMEM;
	kv(t, "id", ctl_json_str(j, "id"));
	kv(t, "title", ctl_json_str(j, "title"));
	kv(t, "name", ctl_json_str(j, "name"));
	kv(t, "state", ctl_json_str(j, "state"));
	kv(t, "source", source_of(j, src, sizeof(src)));
	kv(t, "ladder", ctl_json_str(j, "ladder"));
	kv(t, "format", ctl_json_str(j, "format"));
	kv(t, "encrypt", yes_no(j, "encrypt"));
	kv(t, "urgent", yes_no(j, "urgent"));
	kv(t, "created", ctl_json_str(j, "created"));
	kv(t, "started", ctl_json_str(j, "started"));
	kv(t, "ended", ctl_json_str(j, "ended"));
	kv(t, "attempts", num(j, "attempts", n[0], sizeof(n[0])));
	kv(t, "interrupted", num(j, "interrupted", n[1], sizeof(n[1])));
	if (json_is_integer(json_object_get(j, "pid")))
		kv(t, "pid", num(j, "pid", n[0], sizeof(n[0])));
	kv(t, "progress", ctl_job_progress(j, p, sizeof(p)));
	if (ctl_json_str(j, "error"))
		kv(t, "error", ctl_json_str(j, "error"));
	if (json_is_object(res)) {
		kv(t, "version", ctl_json_str(res, "version"));
		kv(t, "duration", duration_of(res, "duration", d, sizeof(d)));
		kv(t, "encrypted", yes_no(res, "encrypted"));
	}
	if (json_is_object(fill)) {
		snprintf(p, sizeof(p), "%.16s, on %s of %s edges",
			 ctl_json_str(fill, "state") ? ctl_json_str(fill, "state") : "-",
			 num(fill, "complete", n[0], sizeof(n[0])),
			 num(fill, "edges", n[1], sizeof(n[1])));
		kv(t, "fill", p);
	} else {
		kv(t, "fill", "not scheduled");
	}
	return finish(t, out);
}

/* ---- content keys, stream tokens ---- */

static void key_row(struct ctl_table *t, const json_t *k)
{
	ctl_table_cell(t, ctl_json_str(k, "kid"));
	ctl_table_cell(t, yes_no(k, "current"));
	ctl_table_cell(t, ctl_json_str(k, "added"));
}

int ctl_view_keys(FILE *out, const json_t *list)
{
	static const char *const cols[] = {"KID", "CURRENT", "ADDED"};

	return rows(out, list, "keys", cols, 3, key_row);
}

int ctl_view_stream_token(FILE *out, const json_t *g)
{
	struct ctl_table *t = kv_new();
	char b[32];

	if (!t)
		return -ENOMEM;
	kv(t, "token", ctl_json_str(g, "token"));
	kv(t, "url", ctl_json_str(g, "url"));
	kv(t, "lease", ctl_json_str(g, "lease"));
	kv(t, "expires", ctl_json_str(g, "expires"));
	kv(t, "max height", num(g, "max_height", b, sizeof(b)));
	return finish(t, out);
}

/* ---- edges ---- */

/* "N prefixes" of array member KEY of OBJ, or the prefixes themselves when few. */
static const char *prefix_count(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *arr = json_object_get(obj, key);

	if (!json_is_array(arr))
		return "-";
	if (json_array_size(arr) <= 2)
		return join(arr, NULL, "", buf, len);
	snprintf(buf, len, "%zu prefixes", json_array_size(arr));
	return buf;
}

static void edge_row(struct ctl_table *t, const json_t *e)
{
	const json_t *r = json_object_get(e, "report");
	char cap[32], pre[160], age[32], conns[32];

	ctl_table_cell(t, ctl_json_str(e, "id"));
	ctl_table_cell(t, ctl_json_str(e, "name"));
	ctl_table_cell(t, ctl_json_str(e, "state"));
	ctl_table_cell(t, ctl_json_str(e, "cluster"));
	ctl_table_cell(t, num(e, "capacity", cap, sizeof(cap)));
	ctl_table_cell(t, num(r, "connections", conns, sizeof(conns)));
	ctl_table_cell(t, json_is_object(r) ? num(r, "age", age, sizeof(age)) : "never");
	ctl_table_cell(t, prefix_count(e, "prefixes", pre, sizeof(pre)));
	ctl_table_cell(t, ctl_json_str(e, "url"));
}

int ctl_view_edges(FILE *out, const json_t *list)
{
	static const char *const cols[] = {"ID",	"NAME",	    "STATE",
					   "CLUSTER",	">MB/S",    ">CONNECTIONS",
					   ">REPORT S", "PREFIXES", "URL"};

	return rows(out, list, "edges", cols, 9, edge_row);
}

int ctl_view_edge(FILE *out, const json_t *e)
{
	struct ctl_table *t = kv_new();
	const json_t *r = json_object_get(e, "report"), *pre = json_object_get(e, "prefixes");
	char b[8][64], line[2048];
	size_t i;
	const json_t *p;

	if (!t)
		return -ENOMEM;
	kv(t, "id", ctl_json_str(e, "id"));
	kv(t, "name", ctl_json_str(e, "name"));
	kv(t, "url", ctl_json_str(e, "url"));
	kv(t, "cluster", ctl_json_str(e, "cluster"));
	snprintf(line, sizeof(line), "%s Mb/s", num(e, "capacity", b[0], sizeof(b[0])));
	kv(t, "capacity", line);
	kv(t, "state", ctl_json_str(e, "state"));
	kv(t, "draining (admin)", yes_no(e, "draining"));
	kv(t, "created", ctl_json_str(e, "created"));
	if (json_is_object(r)) {
		snprintf(line, sizeof(line), "%s (%s s ago)",
			 ctl_json_str(r, "at") ? ctl_json_str(r, "at") : "-",
			 num(r, "age", b[1], sizeof(b[1])));
		kv(t, "last report", line);
		kv(t, "health", ctl_json_str(r, "health"));
		kv(t, "draining (edge)", yes_no(r, "draining"));
		kv(t, "connections", num(r, "connections", b[2], sizeof(b[2])));
		snprintf(line, sizeof(line), "%s/s", size_of(r, "bytes_per_s", b[3], sizeof(b[3])));
		kv(t, "sending", line);
		kv(t, "disk used", size_of(r, "disk_used", b[4], sizeof(b[4])));
		kv(t, "disk free", size_of(r, "disk_free", b[5], sizeof(b[5])));
		kv(t, "titles complete", num(r, "titles", b[6], sizeof(b[6])));
		json_array_foreach(json_object_get(r, "learned_prefixes"), i, p)
		{
			kv(t, "learned prefix", json_is_string(p) ? json_string_value(p) : "?");
		}
	} else {
		kv(t, "last report", "never");
	}
	json_array_foreach(pre, i, p)
	{
		kv(t, "prefix", json_is_string(p) ? json_string_value(p) : "?");
	}
	return finish(t, out);
}

static void choice_row(struct ctl_table *t, const json_t *ch)
{
	char len[32];
	bool matched = json_object_get(ch, "prefix_len") != NULL;

	ctl_table_cell(t, ctl_json_str(ch, "why"));
	ctl_table_cell(t, ctl_json_str(ch, "edge"));
	ctl_table_cell(t, matched ? num(ch, "prefix_len", len, sizeof(len)) : "-");
	ctl_table_cell(t, ctl_json_str(ch, "url"));
}

int ctl_view_steer(FILE *out, const json_t *steer)
{
	static const char *const cols[] = {"WHY", "EDGE", ">PREFIX", "URL"};

	return rows(out, steer, "choices", cols, 4, choice_row);
}

/* ---- fill ---- */

/* Where a fill's files came from: "origin", "peer NAME" or "origin+peer NAME"; "-". */
static void fill_source(struct ctl_table *t, const json_t *x)
{
	const char *src = json_string_value(json_object_get(x, "source")),
		   *peer = json_string_value(json_object_get(x, "peer"));

	if (src && peer)
		ctl_table_cellf(t, "%s %s", src, peer);
	else
		ctl_table_cell(t, src ? src : "-");
}

/* One row per edge and title of the fill status (GET /admin/v1/fill). */
int ctl_view_fill(FILE *out, const json_t *status)
{
	static const char *const cols[] = {"EDGE", "TITLE", "STATE", "ACTION", "SOURCE", ">DONE",
					   ">ETA", ">RATE", "ERROR"};
	struct ctl_table *t = ctl_table_new(cols, 9);
	const json_t *edges = json_object_get(status, "edges");

	for (size_t i = 0; t && i < json_array_size(edges); i++) {
		const json_t *e = json_array_get(edges, i), *titles = json_object_get(e, "titles");
		double rate = (double)json_integer_value(json_object_get(e, "rate_bps")) / 1e6;

		if (!json_array_size(titles)) {
			ctl_table_cell(t, ctl_json_str(e, "name"));
			ctl_table_cell(t, "-");
			ctl_table_cell(t, json_is_true(json_object_get(e, "up")) ? "idle" : "down");
			ctl_table_cell(t, "-");
			ctl_table_cell(t, "-");
			ctl_table_cell(t, "-");
			ctl_table_cell(t, "-");
			ctl_table_cellf(t, "%.1f Mb/s", rate);
			ctl_table_cell(t, ctl_json_str(e, "error"));
		}
		for (size_t k = 0; k < json_array_size(titles); k++) {
			const json_t *x = json_array_get(titles, k), *eta = json_object_get(x, "eta_s");
			json_int_t b = json_integer_value(json_object_get(x, "bytes")),
				   d = json_integer_value(json_object_get(x, "bytes_done"));
			const char *st = ctl_json_str(x, "state");

			ctl_table_cell(t, ctl_json_str(e, "name"));
			ctl_table_cell(t, ctl_json_str(x, "title"));
			ctl_table_cell(t, st);
			ctl_table_cell(t, ctl_json_str(x, "action"));
			fill_source(t, x);
			if (strcmp(st, "done") == 0)
				ctl_table_cell(t, "100%");
			else if (b > 0)
				ctl_table_cellf(t, "%d%%", (int)(100.0 * (double)d / (double)b));
			else
				ctl_table_cell(t, "-");
			if (json_is_integer(eta))
				ctl_table_cellf(t, "%llds", (long long)json_integer_value(eta));
			else
				ctl_table_cell(t, "-");
			ctl_table_cellf(t, "%.1f Mb/s", rate);
			ctl_table_cell(t, ctl_json_str(x, "error"));
		}
	}
	return finish(t, out);
}
