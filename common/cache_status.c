/* The Cache-Status field (RFC 9211), on the structured-field code (sfv.h). */
#include "cache_status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sfv.h"

static bool is_string(const struct sfv_bare *v)
{
	return v && (v->type == SFV_TOKEN || v->type == SFV_STRING) &&
	       v->len <= CACHE_STATUS_STR_MAX;
}

static void copy(char *dst, const struct sfv_bare *v)
{
	memcpy(dst, v->str, v->len);
	dst[v->len] = '\0';
}

static void read_member(const struct sfv_item *m, struct cache_status *cs)
{
	const struct sfv_bare *v;

	memset(cs, 0, sizeof(*cs));
	copy(cs->name, &m->value);
	cs->hit = (v = sfv_param_get(m, "hit")) && v->type == SFV_BOOLEAN && v->num;
	cs->stored = (v = sfv_param_get(m, "stored")) && v->type == SFV_BOOLEAN && v->num;
	cs->collapsed = (v = sfv_param_get(m, "collapsed")) && v->type == SFV_BOOLEAN && v->num;
	if ((v = sfv_param_get(m, "fwd")) && v->type == SFV_TOKEN && v->len <= CACHE_STATUS_STR_MAX)
		copy(cs->fwd, v);
	if ((v = sfv_param_get(m, "fwd-status")) && v->type == SFV_INTEGER && v->num >= 100 &&
	    v->num <= 999)
		cs->fwd_status = (int)v->num;
	if ((v = sfv_param_get(m, "ttl")) && v->type == SFV_INTEGER) {
		cs->ttl = v->num;
		cs->has_ttl = true;
	}
	if ((v = sfv_param_get(m, "key")) && v->type == SFV_STRING &&
	    v->len <= CACHE_STATUS_STR_MAX)
		copy(cs->key, v);
	if ((v = sfv_param_get(m, "detail")) && is_string(v))
		copy(cs->detail, v);
}

int cache_status_parse(const char *v, size_t len, struct cache_status *out, unsigned max,
		       unsigned *n)
{
	struct sfv f;
	int rc = sfv_parse(v, len, SFV_LIST, &f);

	*n = 0;
	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < f.n && *n < max; i++)
		if (is_string(&f.members[i].value) && f.members[i].value.len)
			read_member(&f.members[i], &out[(*n)++]);
	sfv_free(&f);
	return 0;
}

/* S as a token when it has the shape of one, else as a string. */
static struct sfv_bare token_or_string(const char *s)
{
	struct buf b = {0};
	struct sfv_bare t = sfv_token(s);
	int rc = sfv_write_bare(&b, &t);

	buf_free(&b);
	return rc == 0 ? t : sfv_str(s);
}

int cache_status_write(struct buf *out, const struct cache_status *cs)
{
	struct sfv_param p[8];
	unsigned n = 0;
	struct sfv_bare name = token_or_string(cs->name);
	int rc = 0;

	if (cs->hit)
		p[n++] = (struct sfv_param){"hit", sfv_bool(true)};
	if (cs->fwd[0])
		p[n++] = (struct sfv_param){"fwd", sfv_token(cs->fwd)};
	if (cs->fwd_status)
		p[n++] = (struct sfv_param){"fwd-status", sfv_int(cs->fwd_status)};
	if (cs->has_ttl)
		p[n++] = (struct sfv_param){"ttl", sfv_int(cs->ttl)};
	if (cs->stored)
		p[n++] = (struct sfv_param){"stored", sfv_bool(true)};
	if (cs->collapsed)
		p[n++] = (struct sfv_param){"collapsed", sfv_bool(true)};
	if (cs->key[0])
		p[n++] = (struct sfv_param){"key", sfv_str(cs->key)};
	if (cs->detail[0])
		p[n++] = (struct sfv_param){"detail", token_or_string(cs->detail)};
	if (out->len)
		rc = buf_puts(out, ", ");
	if (rc == 0)
		rc = sfv_write_bare(out, &name);
	return rc == 0 ? sfv_write_params(out, p, n) : rc;
}
