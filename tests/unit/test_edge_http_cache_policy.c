/*
 * Unit tests for edge/http_cache_policy.c and the record parts of
 * edge/http_cache_store.c: RFC 9111's rules for a shared cache.
 */
#include "http_cache_policy.h"
#include "http_cache_store.h"
#include "index_record.h"
#include "test.h"

#include <errno.h>

#define DATE "Date: Tue, 01 Dec 2026 12:00:00 GMT\r\n"
#define T0   1796126400 /* that Date */

static const struct hc_times at_t0 = {200, T0, T0};

static bool storable(int status, const char *h, const char *req_cc, bool auth)
{
	struct cache_control rcc;

	cache_control_init(&rcc);
	cache_control_parse(&rcc, req_cc, strlen(req_cc));
	return hc_storable(status, h, strlen(h), &rcc, auth);
}

static int64_t lifetime(const char *h, int status)
{
	struct hc_times t = at_t0;

	t.status = status;
	return hc_freshness_lifetime(h, strlen(h), &t, NULL);
}

static enum hc_use usable(const char *h, const char *req_cc, int64_t now)
{
	struct cache_control rcc;

	cache_control_init(&rcc);
	cache_control_parse(&rcc, req_cc, strlen(req_cc));
	return hc_usable(h, strlen(h), &at_t0, &rcc, now);
}

static void test_storable(void)
{
	CHECK(storable(200, "Cache-Control: max-age=60\r\n", "", false));
	CHECK(!storable(200, "Cache-Control: max-age=60, no-store\r\n", "", false));
	CHECK(!storable(200, "Cache-Control: max-age=60, private\r\n", "", false));
	CHECK(!storable(200, "Cache-Control: max-age=60\r\n", "no-store", false));
	CHECK(!storable(304, "Cache-Control: max-age=60\r\n", "", false));
	CHECK(storable(404, "X: y\r\n", "", false)); /* heuristically cacheable */
	CHECK(!storable(201, "X: y\r\n", "", false));
	CHECK(storable(201, "Expires: Wed, 02 Dec 2026 12:00:00 GMT\r\n", "", false));
	CHECK(storable(599, "Cache-Control: public\r\n", "", false));
	/* Authorization: only with public, must-revalidate or s-maxage */
	CHECK(!storable(200, "Cache-Control: max-age=60\r\n", "", true));
	CHECK(storable(200, "Cache-Control: max-age=60, public\r\n", "", true));
	CHECK(storable(200, "Cache-Control: s-maxage=60\r\n", "", true));
	/* must-understand: no-store gives way for statuses understood */
	CHECK(storable(200, "Cache-Control: max-age=60, no-store, must-understand\r\n", "", false));
	CHECK(!storable(599, "Cache-Control: max-age=60, no-store, must-understand\r\n", "", false));
	/* Surrogate-Control for this cache wins over Cache-Control */
	CHECK(storable(200, "Cache-Control: no-store\r\nSurrogate-Control: max-age=60;reel-edge\r\n",
		       "", false));
	CHECK(!storable(200, "Cache-Control: max-age=60\r\nSurrogate-Control: no-store\r\n", "",
			false));
	CHECK(!storable(200, "Cache-Control: no-store\r\nSurrogate-Control: max-age=60;other\r\n",
			"", false));
}

static void test_lifetime(void)
{
	CHECK_INT(lifetime("Cache-Control: max-age=60, s-maxage=120\r\n", 200), 120);
	CHECK_INT(lifetime("Cache-Control: max-age=60\r\nExpires: Wed, 02 Dec 2026 12:00:00 GMT\r\n",
			   200),
		  60);
	CHECK_INT(lifetime(DATE "Expires: Tue, 01 Dec 2026 13:00:00 GMT\r\n", 200), 3600);
	CHECK_INT(lifetime(DATE "Expires: 0\r\n", 200), 0);
	CHECK_INT(lifetime(DATE "Expires: Tue, 01 Dec 2026 11:00:00 GMT\r\n", 200), 0);
	/* a tenth of the time since Last-Modified, for statuses that allow it */
	CHECK_INT(lifetime(DATE "Last-Modified: Mon, 30 Nov 2026 12:00:00 GMT\r\n", 200), 8640);
	CHECK_INT(lifetime(DATE "Last-Modified: Mon, 30 Nov 2026 12:00:00 GMT\r\n", 201), 0);
	CHECK_INT(lifetime(DATE "Last-Modified: Mon, 01 Dec 2025 12:00:00 GMT\r\n", 200), 86400);
	CHECK_INT(lifetime("Surrogate-Control: max-age=5\r\nCache-Control: max-age=60\r\n", 200), 5);
}

static void test_age(void)
{
	struct hc_times t = {200, T0 - 2, T0};
	const char *h = DATE "Age: 10\r\n";

	/* corrected initial age: Age plus the response delay (2 s), then time resident */
	CHECK_INT(hc_current_age(h, strlen(h), &t, T0 + 5), 17);
	h = "Date: Tue, 01 Dec 2026 11:59:00 GMT\r\n"; /* apparent age 60 */
	CHECK_INT(hc_current_age(h, strlen(h), &t, T0), 60);
	/* an Age that is not one delta-seconds makes the response stale */
	h = DATE "Age: 0, 0\r\n";
	CHECK_INT(hc_current_age(h, strlen(h), &t, T0), CC_DELTA_MAX);
	h = DATE "Age: 1\r\nAge: 1\r\n";
	CHECK_INT(hc_current_age(h, strlen(h), &t, T0), CC_DELTA_MAX);
	h = DATE "Age: -5\r\n";
	CHECK_INT(hc_current_age(h, strlen(h), &t, T0), CC_DELTA_MAX);
}

static void test_usable(void)
{
	const char *fresh = DATE "Cache-Control: max-age=60\r\n";
	const char *stale_etag = DATE "Cache-Control: max-age=60\r\nETag: \"a\"\r\n";
	const char *mr = DATE "Cache-Control: max-age=60, must-revalidate\r\n";

	CHECK_INT(usable(fresh, "", T0 + 10), HC_USE_FRESH);
	CHECK_INT(usable(fresh, "", T0 + 100), HC_USE_REFETCH);
	CHECK_INT(usable(stale_etag, "", T0 + 100), HC_USE_VALIDATE);
	CHECK_INT(usable(stale_etag, "no-cache", T0 + 10), HC_USE_VALIDATE);
	CHECK_INT(usable(fresh, "max-age=5", T0 + 10), HC_USE_REFETCH);
	CHECK_INT(usable(fresh, "min-fresh=55", T0 + 10), HC_USE_REFETCH);
	CHECK_INT(usable(fresh, "max-stale=60", T0 + 100), HC_USE_STALE);
	CHECK_INT(usable(fresh, "max-stale=10", T0 + 100), HC_USE_REFETCH);
	CHECK_INT(usable(fresh, "max-stale", T0 + 100000), HC_USE_STALE);
	CHECK_INT(usable(mr, "max-stale", T0 + 100), HC_USE_REFETCH);
	CHECK_INT(usable(DATE "Cache-Control: max-age=60, no-cache\r\nETag: \"a\"\r\n", "", T0),
		  HC_USE_VALIDATE);
}

static void test_heads(void)
{
	const char *raw = "Connection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
			  "Transfer-Encoding: chunked\r\nContent-Length: 3\r\nAge: 4\r\nX-Keep:  v \r\n";
	const char *stored = "ETag: \"a\"\r\nContent-Length: 3\r\nX-A: old\r\nCache-Control: max-age=1\r\n"
			     "Age: 9\r\n";
	const char *fresh = "ETag: \"b\"\r\nX-A: new\r\nCache-Control: max-age=60\r\nConnection: x\r\n";
	struct buf out = {0};
	struct http_str v;

	CHECK_INT(hc_head_storable(raw, strlen(raw), &out), 0);
	CHECK_STR(out.p, "Age: 4\r\nX-Keep: v\r\n");
	out.len = 0;
	CHECK_INT(hc_head_update(stored, strlen(stored), fresh, strlen(fresh), &out), 0);
	CHECK(hc_head_get(out.p, out.len, "ETag", &v) && http_str_ieq(v, "\"a\""));
	CHECK(hc_head_get(out.p, out.len, "X-A", &v) && http_str_ieq(v, "new"));
	CHECK(hc_head_get(out.p, out.len, "Cache-Control", &v) && http_str_ieq(v, "max-age=60"));
	CHECK(hc_head_get(out.p, out.len, "Content-Length", &v));
	CHECK(!hc_head_get(out.p, out.len, "Age", &v) && !hc_head_get(out.p, out.len, "Connection", &v));
	buf_free(&out);
}

static void test_vary(void)
{
	struct http_request a = {.nheaders = 2}, b = {.nheaders = 1};
	const char *h = "Vary: Accept-Language,  foo\r\n";
	struct buf cap = {0};

	a.headers[0] = (struct http_header){{"accept-language", 15}, {"en", 2}};
	a.headers[1] = (struct http_header){{"Foo", 3}, {"1", 1}};
	b.headers[0] = (struct http_header){{"Accept-Language", 15}, {"en", 2}};
	CHECK_INT(hc_vary_capture(h, strlen(h), &a, &cap), 0);
	CHECK_STR(cap.p, "Accept-Language: en\r\nfoo: 1\r\n");
	CHECK(hc_vary_match(h, strlen(h), &a, cap.p, cap.len));
	CHECK(!hc_vary_match(h, strlen(h), &b, cap.p, cap.len)); /* Foo absent now */
	CHECK(!hc_vary_match("Vary: *\r\n", 9, &a, "", 0));
	CHECK(hc_vary_match("X: 1\r\n", 6, &b, "", 0));
	buf_free(&cap);
}

/* RFC 9111 section 4.1: whitespace, case of case-insensitive values, lines combined. */
static void test_vary_normalized(void)
{
	struct http_request a = {.nheaders = 1}, b = {.nheaders = 2}, c = {.nheaders = 1};
	const char *h = "Vary: Accept-Encoding, X-Token\r\n";
	struct buf cap = {0}, cap2 = {0};
	char base[HC_KEY_MAX], k1[HC_KEY_MAX], k2[HC_KEY_MAX], list[128];
	struct hc_entry none = {.head = "Vary: Accept-Encoding\r\n", .m = {.head_len = 23}};
	struct hc_entry listed = {0};

	a.headers[0] = (struct http_header){{"Accept-Encoding", 15}, {"GZIP , br", 9}};
	b.headers[0] = (struct http_header){{"accept-encoding", 15}, {"gzip", 4}};
	b.headers[1] = (struct http_header){{"Accept-Encoding", 15}, {"br", 2}};
	c.headers[0] = (struct http_header){{"X-Token", 7}, {"AbC", 3}};
	CHECK_INT(hc_vary_capture(h, strlen(h), &a, &cap), 0);
	CHECK_STR(cap.p, "Accept-Encoding: br,gzip\r\n"); /* order carries no meaning here */
	CHECK(hc_vary_match(h, strlen(h), &b, cap.p, cap.len));
	CHECK_INT(hc_vary_capture(h, strlen(h), &b, &cap2), 0);
	hc_key("/a", 2, base);
	CHECK_INT(hc_variant_find(&none, base, cap.p, cap.len, k1), -ENOENT);
	snprintf(list, sizeof(list), "Vary: Accept-Encoding\r\nVariant-3: %s\r\n",
		 k1 + strlen(base) + 1);
	listed.head = list;
	listed.m.head_len = 23;
	listed.m.vary_len = (uint32_t)(strlen(list) - 23);
	CHECK_INT(hc_variant_find(&listed, base, cap2.p, cap2.len, k2), 0); /* the same variant */
	CHECK(strcmp(k2 + strlen(base), "-3") == 0 && edge_index_key_ok(k2));
	CHECK(edge_index_key_ok(k1) && strncmp(k1, base, strlen(base)) == 0);
	buf_free(&cap2);
	CHECK_INT(hc_vary_capture(h, strlen(h), &c, &cap2), 0);
	CHECK_STR(cap2.p, "X-Token: AbC\r\n"); /* other fields keep their case */
	CHECK(!hc_vary_match(h, strlen(h), &c, cap.p, cap.len));
	buf_free(&cap);
	buf_free(&cap2);
}

static void test_records(void)
{
	struct hc_meta m = {206, true, false, T0 - 1, T0, 100, 20, 4, 10}, back;
	uint8_t raw[HC_META_LEN];
	struct edge_object o = {0};
	const uint8_t *p;
	uint16_t n;
	char key[HC_KEY_MAX];

	hc_meta_encode(&m, raw);
	CHECK_INT(hc_meta_decode(raw, sizeof(raw), &back), 0);
	CHECK(back.status == 206 && back.partial && back.request_time == T0 - 1 &&
	      back.head_len == 100 && back.vary_len == 20 && back.range_first == 4 &&
	      back.complete_len == 10);
	m.variants = true;
	hc_meta_encode(&m, raw);
	CHECK(hc_meta_decode(raw, sizeof(raw), &back) == 0 && back.variants && back.partial);
	CHECK_INT(hc_meta_decode(raw, sizeof(raw) - 1, &back), -EINVAL);
	raw[0] = 5;
	raw[1] = 0;
	CHECK_INT(hc_meta_decode(raw, sizeof(raw), &back), -EINVAL);
	hc_key("/a?b", 4, key);
	CHECK(strncmp(key, HC_TITLE "/", strlen(HC_TITLE) + 1) == 0 && strlen(key) == 11 + 3 + 64);
	CHECK(edge_index_key_ok(key));
	CHECK_INT(edge_ext_put(&o, EDGE_EXT_HTTP, "abc", 3), 0);
	CHECK_INT(edge_ext_put(&o, 7, "xy", 2), 0);
	CHECK_INT(edge_ext_put(&o, EDGE_EXT_HTTP, "defg", 4), 0); /* replaces */
	CHECK_INT(o.ext_len, 4 + 2 + 4 + 4);
	CHECK(edge_ext_get(&o, EDGE_EXT_HTTP, &p, &n) == 0 && n == 4 && memcmp(p, "defg", 4) == 0);
	CHECK_INT(edge_ext_get(&o, 9, &p, &n), -ENOENT);
	CHECK_INT(edge_ext_put(&o, 8, raw, EDGE_EXT_MAX), -E2BIG);
}

int main(void)
{
	test_storable();
	test_lifetime();
	test_age();
	test_usable();
	test_heads();
	test_vary();
	test_vary_normalized();
	test_records();
	return test_done();
}
