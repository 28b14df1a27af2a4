/* The shared cache's rules (see http_cache_policy.h). */
#include "http_cache_policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_date.h"

#define HEURISTIC_MAX (24 * 3600) /* seconds a heuristic lifetime may reach */

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

bool hc_head_next(const char *h, size_t len, size_t *pos, struct http_str *name,
		  struct http_str *value)
{
	while (*pos < len) {
		const char *line = h + *pos, *end = memchr(line, '\n', len - *pos);
		const char *colon, *v, *ve;

		end = end ? end : h + len;
		*pos = (size_t)(end - h) + (end < h + len);
		colon = memchr(line, ':', (size_t)(end - line));
		if (!colon || colon == line)
			continue;
		v = colon + 1;
		ve = end;
		while (ve > v && (ve[-1] == '\r' || is_ows(ve[-1])))
			ve--;
		while (v < ve && is_ows(*v))
			v++;
		*name = (struct http_str){line, (uint32_t)(colon - line)};
		*value = (struct http_str){v, (uint32_t)(ve - v)};
		return true;
	}
	return false;
}

bool hc_head_get(const char *h, size_t len, const char *name, struct http_str *value)
{
	struct http_str n, v;
	size_t pos = 0;

	while (hc_head_next(h, len, &pos, &n, &v))
		if (http_str_ieq(n, name)) {
			*value = v;
			return true;
		}
	return false;
}

void hc_head_cache_control(const char *h, size_t len, struct cache_control *cc)
{
	struct http_str n, v;
	size_t pos = 0;

	cache_control_init(cc);
	while (hc_head_next(h, len, &pos, &n, &v))
		if (http_str_ieq(n, "Cache-Control"))
			cache_control_parse(cc, v.p, v.len);
}

/* One member of a Surrogate-Control line, P[0..N): parsed into SC when it is for us. */
static void surrogate_member(struct cache_control *sc, const char *p, size_t n)
{
	const char *semi = memchr(p, ';', n);
	size_t tl = strlen(HC_SURROGATE_TOKEN);

	if (semi) {
		const char *t = semi + 1, *end = p + n;

		while (t < end && is_ows(*t))
			t++;
		while (end > t && is_ows(end[-1]))
			end--;
		if ((size_t)(end - t) != tl || strncasecmp(t, HC_SURROGATE_TOKEN, tl) != 0)
			return; /* another surrogate's */
		n = (size_t)(semi - p);
	}
	cache_control_parse(sc, p, n);
}

void hc_head_surrogate(const char *h, size_t len, struct cache_control *sc)
{
	struct http_str n, v;
	size_t pos = 0;

	cache_control_init(sc);
	while (hc_head_next(h, len, &pos, &n, &v)) {
		size_t i = 0;

		if (!http_str_ieq(n, "Surrogate-Control"))
			continue;
		while (i < v.len) {
			const char *comma = memchr(v.p + i, ',', v.len - i);
			size_t end = comma ? (size_t)(comma - v.p) : v.len;

			surrogate_member(sc, v.p + i, end - i);
			i = end + 1;
		}
	}
}

static const char *const hop_by_hop[] = {
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authentication-Info",
    "Proxy-Authorization",
    "Proxy-Connection",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
};

static bool in_list(struct http_str name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (http_str_ieq(name, list[i]))
			return true;
	return false;
}

/* Is NAME hop-by-hop in H (a fixed one, or listed in H's Connection)? */
static bool hop(const char *h, size_t len, struct http_str name)
{
	struct http_str n, v;
	size_t pos = 0;
	char tok[64];

	if (in_list(name, hop_by_hop, sizeof(hop_by_hop) / sizeof(hop_by_hop[0])))
		return true;
	if (name.len >= sizeof(tok))
		return false;
	memcpy(tok, name.p, name.len);
	tok[name.len] = '\0';
	while (hc_head_next(h, len, &pos, &n, &v))
		if (http_str_ieq(n, "Connection") && http_list_has(v, tok))
			return true;
	return false;
}

static int append_line(struct buf *out, struct http_str n, struct http_str v)
{
	return buf_printf(out, "%.*s: %.*s\r\n", (int)n.len, n.p, (int)v.len, v.p);
}

int hc_head_storable(const char *h, size_t len, struct buf *out)
{
	struct http_str n, v;
	size_t pos = 0;
	int rc = 0;

	while (rc == 0 && hc_head_next(h, len, &pos, &n, &v))
		if (!hop(h, len, n) && !http_str_ieq(n, "Content-Length"))
			rc = append_line(out, n, v);
	return rc;
}

static const char *const body_fields[] = {
    "Content-Length", "Content-Encoding", "Content-Range", "Content-MD5", "ETag",
};

static bool kept_on_update(const char *fresh, size_t flen, struct http_str name)
{
	return hop(fresh, flen, name) ||
	       in_list(name, body_fields, sizeof(body_fields) / sizeof(body_fields[0]));
}

/* Does the block H have a line named NAME? */
static bool has(const char *h, size_t len, struct http_str name)
{
	struct http_str n, v;
	size_t pos = 0;

	while (hc_head_next(h, len, &pos, &n, &v))
		if (n.len == name.len && strncasecmp(n.p, name.p, n.len) == 0)
			return true;
	return false;
}

int hc_head_update(const char *stored, size_t slen, const char *fresh, size_t flen, struct buf *out)
{
	struct http_str n, v;
	size_t pos = 0;
	int rc = 0;

	while (rc == 0 && hc_head_next(stored, slen, &pos, &n, &v))
		if (!http_str_ieq(n, "Age") &&
		    (kept_on_update(fresh, flen, n) || !has(fresh, flen, n)))
			rc = append_line(out, n, v);
	pos = 0;
	while (rc == 0 && hc_head_next(fresh, flen, &pos, &n, &v))
		if (!kept_on_update(fresh, flen, n))
			rc = append_line(out, n, v);
	return rc;
}

bool hc_status_understood(int status)
{
	static const int known[] = {200, 203, 204, 206, 300, 301, 302, 303, 307, 308, 400,
				    403, 404, 405, 410, 414, 500, 501, 502, 503, 504};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == status)
			return true;
	return false;
}

bool hc_status_heuristic(int status)
{
	static const int codes[] = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == status)
			return true;
	return false;
}

bool hc_storable(int status, const char *h, size_t len, const struct cache_control *req_cc,
		 bool authorized)
{
	struct cache_control cc;
	struct http_str v;

	if (status < 200 || status == 304 || status > 599)
		return false;
	hc_head_surrogate(h, len, &cc);
	if (cc.flags & CC_NO_STORE)
		return false;
	if (cc.max_age != CC_UNSET)
		return !(req_cc->flags & CC_NO_STORE); /* the origin's word for surrogates */
	hc_head_cache_control(h, len, &cc);
	if (cc.flags & CC_MUST_UNDERSTAND) {
		if (!hc_status_understood(status))
			return false;
	} else if (cc.flags & CC_NO_STORE) {
		return false;
	}
	if ((req_cc->flags & CC_NO_STORE) || (cc.flags & CC_PRIVATE))
		return false;
	if (authorized && !(cc.flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) && cc.s_maxage == CC_UNSET)
		return false;
	return (cc.flags & CC_PUBLIC) || cc.max_age != CC_UNSET || cc.s_maxage != CC_UNSET ||
	       hc_head_get(h, len, "Expires", &v) || hc_status_heuristic(status);
}

/* The date of field NAME in H: true and *T, or false (absent or not a date). */
static bool head_date(const char *h, size_t len, const char *name, int64_t *t)
{
	struct http_str v;
	time_t tt;

	if (!hc_head_get(h, len, name, &v) || http_date_parse(v.p, v.len, &tt) != 0)
		return false;
	*t = (int64_t)tt;
	return true;
}

/* Date, or when the response arrived if it has none (or a bad one). */
static int64_t date_value(const char *h, size_t len, const struct hc_times *t)
{
	int64_t d;

	return head_date(h, len, "Date", &d) ? d : t->response_time;
}

int64_t hc_freshness_lifetime(const char *h, size_t len, const struct hc_times *t, bool *heuristic)
{
	struct cache_control cc;
	struct http_str v;
	int64_t expires, lm, date = date_value(h, len, t);

	if (heuristic)
		*heuristic = false;
	hc_head_surrogate(h, len, &cc);
	if (cc.max_age != CC_UNSET)
		return cc.max_age;
	hc_head_cache_control(h, len, &cc);
	if (cc.s_maxage != CC_UNSET)
		return cc.s_maxage;
	if (cc.max_age != CC_UNSET)
		return cc.max_age;
	if (hc_head_get(h, len, "Expires", &v))
		return head_date(h, len, "Expires", &expires) && expires > date ? expires - date
										: 0;
	if ((hc_status_heuristic(t->status) || (cc.flags & CC_PUBLIC)) &&
	    head_date(h, len, "Last-Modified", &lm) && lm < date) {
		if (heuristic)
			*heuristic = true;
		return (date - lm) / 10 < HEURISTIC_MAX ? (date - lm) / 10 : HEURISTIC_MAX;
	}
	return 0;
}

/*
 * The Age of H: true and *AGE for one line of delta-seconds; false for
 * anything else (a list, two lines, a sign, a fraction, parameters), which
 * makes the response stale: its age cannot be known.  No line: 0.
 */
static bool age_value(const char *h, size_t len, int64_t *age)
{
	struct http_str n, v;
	size_t pos = 0;
	unsigned lines = 0;

	*age = 0;
	while (hc_head_next(h, len, &pos, &n, &v)) {
		if (!http_str_ieq(n, "Age"))
			continue;
		if (++lines > 1 || v.len == 0)
			return false;
		for (uint32_t i = 0; i < v.len; i++) {
			if (v.p[i] < '0' || v.p[i] > '9')
				return false;
			if (*age < CC_DELTA_MAX)
				*age = *age * 10 + (v.p[i] - '0');
		}
	}
	if (*age > CC_DELTA_MAX)
		*age = CC_DELTA_MAX;
	return true;
}

int64_t hc_current_age(const char *h, size_t len, const struct hc_times *t, int64_t now)
{
	int64_t age, apparent, corrected, initial;

	if (!age_value(h, len, &age))
		return CC_DELTA_MAX;
	apparent = t->response_time - date_value(h, len, t);
	apparent = apparent > 0 ? apparent : 0;
	corrected = age + (t->response_time - t->request_time);
	initial = apparent > corrected ? apparent : corrected;
	return initial + (now > t->response_time ? now - t->response_time : 0);
}

/* May a stale response be served at all (no directive forbids it)? */
static bool stale_allowed(const struct cache_control *cc)
{
	return !(cc->flags & (CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE | CC_NO_CACHE)) &&
	       cc->s_maxage == CC_UNSET;
}

enum hc_use hc_usable(const char *h, size_t len, const struct hc_times *t,
		      const struct cache_control *req_cc, int64_t now)
{
	struct cache_control cc;
	struct http_str v;
	int64_t lifetime = hc_freshness_lifetime(h, len, t, NULL);
	int64_t age = hc_current_age(h, len, t, now);
	bool validators =
	    hc_head_get(h, len, "ETag", &v) || hc_head_get(h, len, "Last-Modified", &v);
	bool fresh = lifetime > age;
	enum hc_use refuse = validators ? HC_USE_VALIDATE : HC_USE_REFETCH;

	hc_head_cache_control(h, len, &cc);
	if ((cc.flags & CC_NO_CACHE) || (req_cc->flags & CC_NO_CACHE))
		return refuse;
	if (req_cc->max_age != CC_UNSET && age > req_cc->max_age)
		return refuse;
	if (fresh && req_cc->min_fresh != CC_UNSET && lifetime - age < req_cc->min_fresh)
		return refuse;
	if (fresh)
		return HC_USE_FRESH;
	if (req_cc->max_stale != CC_UNSET && stale_allowed(&cc) &&
	    (req_cc->max_stale == CC_ANY || age - lifetime <= req_cc->max_stale))
		return HC_USE_STALE;
	return refuse;
}

/* Fields whose values are case-insensitive (RFC 9110 section 12.5): compared lowercased. */
static bool value_caseless(struct http_str name)
{
	return name.len >= 6 && strncasecmp(name.p, "Accept", 6) == 0;
}

/* Append V, normalized, to OUT[*N..CAP): no OWS around "," and ";" or at the ends. */
static void append_normalized(struct http_str v, bool caseless, char *out, size_t *n, size_t cap)
{
	bool quoted = false;

	for (size_t i = 0; i < v.len && *n + 1 < cap; i++) {
		char c = v.p[i];

		if (!quoted && is_ows(c)) {
			size_t j = i;

			while (j < v.len && is_ows(v.p[j]))
				j++;
			if (*n == 0 || out[*n - 1] == ',' || out[*n - 1] == ';' || j == v.len ||
			    v.p[j] == ',' || v.p[j] == ';') {
				i = j - 1;
				continue;
			}
		}
		if (c == '"')
			quoted = !quoted;
		out[(*n)++] = caseless && !quoted ? (char)tolower((unsigned char)c) : c;
	}
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ","-separated members of S (no quotes in them) in order, in place. */
static void sort_members(char *s)
{
	char *member[64], copy[1024], *p = copy;
	size_t n = 0, len = strlen(s);

	if (len >= sizeof(copy) || !strchr(s, ','))
		return;
	memcpy(copy, s, len + 1);
	while (p && n < sizeof(member) / sizeof(member[0])) {
		member[n++] = p;
		if ((p = strchr(p, ',')) != NULL)
			*p++ = '\0';
	}
	if (p)
		return; /* more members than sorted here: left as they came */
	qsort(member, n, sizeof(member[0]), member_cmp);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, member[i]);
	}
}

/*
 * The request's value of field NAME into OUT (empty when none), normalized
 * as RFC 9111 section 4.1 allows: lines combined with ",", the whitespace
 * the list syntax allows dropped, and for the Accept fields, whose values
 * are case-insensitive and whose order carries no meaning (the weights
 * do), case folded and members sorted.
 */
static void request_field(const struct http_request *req, struct http_str name, char *out,
			  size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < req->nheaders; i++) {
		const struct http_header *hd = &req->headers[i];

		if (hd->name.len != name.len || strncasecmp(hd->name.p, name.p, name.len) != 0)
			continue;
		if (n && n + 1 < cap)
			out[n++] = ',';
		append_normalized(hd->value, value_caseless(name), out, &n, cap);
	}
	out[n < cap ? n : cap - 1] = '\0';
	if (value_caseless(name) && !strchr(out, '"'))
		sort_members(out);
}

/* Call FN for each name in H's Vary lines; stops at a false. False when FN did (or "*"). */
static bool each_vary(const char *h, size_t len, bool (*fn)(struct http_str name, void *arg),
		      void *arg)
{
	struct http_str n, v;
	size_t pos = 0;

	while (hc_head_next(h, len, &pos, &n, &v)) {
		size_t i = 0;

		if (!http_str_ieq(n, "Vary"))
			continue;
		while (i < v.len) {
			size_t s;

			while (i < v.len && (v.p[i] == ',' || is_ows(v.p[i])))
				i++;
			s = i;
			while (i < v.len && v.p[i] != ',' && !is_ows(v.p[i]))
				i++;
			if (i > s && !fn((struct http_str){v.p + s, (uint32_t)(i - s)}, arg))
				return false;
		}
	}
	return true;
}

struct vary_ctx {
	const struct http_request *req;
	const char *stored;
	size_t slen;
	struct buf *out;
	int rc;
};

static bool vary_one_matches(struct http_str name, void *arg)
{
	struct vary_ctx *c = arg;
	char now[1024], then[1024];
	struct http_str n, v;
	size_t pos = 0;

	if (name.len == 1 && name.p[0] == '*')
		return false;
	request_field(c->req, name, now, sizeof(now));
	then[0] = '\0';
	while (hc_head_next(c->stored, c->slen, &pos, &n, &v))
		if (n.len == name.len && strncasecmp(n.p, name.p, n.len) == 0) {
			snprintf(then, sizeof(then), "%.*s", (int)v.len, v.p);
			break;
		}
	return strcmp(now, then) == 0;
}

bool hc_vary_match(const char *h, size_t len, const struct http_request *req,
		   const char *stored_req, size_t srlen)
{
	struct vary_ctx c = {req, stored_req, srlen, NULL, 0};

	return each_vary(h, len, vary_one_matches, &c);
}

static bool vary_one_capture(struct http_str name, void *arg)
{
	struct vary_ctx *c = arg;
	char now[1024];

	request_field(c->req, name, now, sizeof(now));
	if (now[0])
		c->rc = buf_printf(c->out, "%.*s: %s\r\n", (int)name.len, name.p, now);
	return c->rc == 0;
}

int hc_vary_capture(const char *h, size_t len, const struct http_request *req, struct buf *out)
{
	struct vary_ctx c = {req, NULL, 0, out, 0};

	each_vary(h, len, vary_one_capture, &c);
	return c.rc;
}
