/*
 * Entity-tag matching for If-Match, If-None-Match and If-Range (RFC 9110
 * sections 8.8.3 and 13.1): the whole list is validated before a match
 * counts.  Then the preconditions of a request, evaluated in the order of
 * section 13.2.2.
 *
 *   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
 *   etagc      = %x21 / %x23-7E / obs-text
 */
#include "http_cond.h"

#include "http_date.h"

struct etag_cursor {
	const unsigned char *p;
	const unsigned char *end;
};

struct etag {
	const unsigned char *opaque; /* between the quotes */
	size_t len;
	bool weak;
};

static bool is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

static void skip_ows(struct etag_cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Read one entity-tag at the cursor into *E; false if malformed. */
static bool parse_etag(struct etag_cursor *c, struct etag *e)
{
	e->weak = false;
	if (c->end - c->p >= 2 && c->p[0] == 'W' && c->p[1] == '/') {
		e->weak = true;
		c->p += 2;
	}
	if (c->p >= c->end || *c->p != '"')
		return false;
	e->opaque = ++c->p;
	while (c->p < c->end && is_etagc(*c->p))
		c->p++;
	if (c->p >= c->end || *c->p != '"')
		return false;
	e->len = (size_t)(c->p - e->opaque);
	c->p++;
	return true;
}

static bool etag_equal(const struct etag *a, const struct etag *b, bool weak)
{
	if (!weak && (a->weak || b->weak))
		return false;
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++)
		if (a->opaque[i] != b->opaque[i])
			return false;
	return true;
}

/*
 * Walk the comma-separated list, comparing each entity-tag with ETAG.  Returns
 * true only if the list is well formed, has at least one element, and one
 * element matches.
 */
static bool match_list(struct etag_cursor *c, const struct etag *etag, bool weak)
{
	bool matched = false, any = false;

	for (;;) {
		struct etag e;

		skip_ows(c);
		if (c->p >= c->end)
			return any && matched;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (!parse_etag(c, &e))
			return false;
		any = true;
		if (etag_equal(&e, etag, weak))
			matched = true;
		skip_ows(c);
		if (c->p < c->end && *c->p++ != ',')
			return false;
	}
}

/* "*" with optional surrounding whitespace. */
static bool is_star(struct etag_cursor c)
{
	skip_ows(&c);
	if (c.p >= c.end || *c.p != '*')
		return false;
	c.p++;
	skip_ows(&c);
	return c.p == c.end;
}

bool http_etag_match(const char *list, size_t len, const char *etag, size_t etlen, bool weak)
{
	struct etag_cursor lc, ec;
	struct etag ours;

	/* a zero length may come with a NULL pointer, and NULL + 0 is undefined */
	if (len == 0)
		return false;
	lc.p = (const unsigned char *)list;
	lc.end = lc.p + len;
	if (is_star(lc))
		return true;
	if (etlen == 0)
		return false;
	ec.p = (const unsigned char *)etag;
	ec.end = ec.p + etlen;
	if (!parse_etag(&ec, &ours) || ec.p != ec.end)
		return false;
	if (!weak && ours.weak)
		return false;
	return match_list(&lc, &ours, weak);
}

/* Does LIST name one of V's entity-tags?  The index of the first match in *AT. */
static bool match_any(struct http_str list, const struct http_validators *v, bool weak,
		      unsigned *at)
{
	for (unsigned i = 0; i < HTTP_VALIDATOR_ETAGS; i++) {
		if (v->etag[i] &&
		    http_etag_match(list.p, list.len, v->etag[i], v->etag_len[i], weak)) {
			*at = i;
			return true;
		}
	}
	return false;
}

/* The date in FIELD, when it is one and V has a modification date to compare. */
static bool date_field(struct http_str field, const struct http_validators *v, time_t *t)
{
	return field.p && v && v->last_modified >= 0 && http_date_parse(field.p, field.len, t) == 0;
}

/* The most bytes of one list field's lines joined (a field past it matches nothing). */
#define LIST_MAX 8192

static bool star(struct http_str field)
{
	/* an empty etag never parses, so this is true only for "*" itself */
	return http_etag_match(field.p, field.len, NULL, 0, true);
}

enum http_precondition http_preconditions(const struct http_request *req,
					  const struct http_validators *v, unsigned *etag_index)
{
	bool safe = req->method == HTTP_GET || req->method == HTTP_HEAD;
	char buf[LIST_MAX];
	struct http_str list;
	unsigned at = 0;
	time_t t;

	if (etag_index)
		*etag_index = 0;
	if (req->if_match.p) {
		list = http_field_list(req, "if-match", req->if_match, req->if_match_lines, buf,
				       sizeof(buf));
		if (!v || (!star(list) && !match_any(list, v, false, &at)))
			return HTTP_PRECOND_FAILED;
	} else if (date_field(req->if_unmodified_since, v, &t) && v->last_modified > t) {
		return HTTP_PRECOND_FAILED;
	}
	if (req->if_none_match.p) {
		at = 0;
		list = http_field_list(req, "if-none-match", req->if_none_match,
				       req->if_none_match_lines, buf, sizeof(buf));
		if (v && (star(list) || match_any(list, v, true, &at))) {
			if (etag_index)
				*etag_index = at;
			return safe ? HTTP_PRECOND_NOT_MODIFIED : HTTP_PRECOND_FAILED;
		}
	} else if (safe && date_field(req->if_modified_since, v, &t) && v->last_modified <= t) {
		return HTTP_PRECOND_NOT_MODIFIED;
	}
	return HTTP_PRECOND_PASS;
}

bool http_if_range(const struct http_request *req, const struct http_validators *v)
{
	struct http_str f = req->if_range;
	time_t t;

	if (!f.p)
		return true;
	if (f.len && (f.p[0] == '"' || f.p[0] == 'W'))
		return v->etag[0] && http_etag_match(f.p, f.len, v->etag[0], v->etag_len[0], false);
	return date_field(f, v, &t) && t == v->last_modified;
}
