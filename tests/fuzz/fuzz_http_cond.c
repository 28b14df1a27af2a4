/*
 * Fuzz target for http_etag_match().  Input layout:
 *
 *   byte 0      ETLEN, clipped to what follows
 *   ETLEN bytes our entity-tag
 *   the rest    the If-Match / If-None-Match list
 *
 * Checked: a strong match implies a weak one; an entity-tag matches itself
 * exactly when an independent validator accepts it (strongly only if not W/);
 * wrapping a non-"*" list in empty elements (", " LIST " ,") changes nothing;
 * and http_preconditions() agrees with the matches: the list as If-Match
 * passes exactly when it matches strongly, as If-None-Match it is 304
 * exactly when it matches weakly, and as a date field it never fails to
 * parse into a crash.
 */
#include "http_cond.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A second, deliberately naive reading of entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE. */
static int etag_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	if (n >= 2 && s[0] == 'W' && s[1] == '/')
		i = 2;
	if (n < i + 2 || s[i] != '"' || s[n - 1] != '"')
		return 0;
	for (i++; i < n - 1; i++)
		if (!(s[i] == 0x21 || (s[i] >= 0x23 && s[i] <= 0x7e) || s[i] >= 0x80))
			return 0;
	return 1;
}

static int is_star(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return n - i == 1 && s[i] == '*';
}

/* Copy into an exactly-sized heap buffer so ASan catches over-reads. */
static char *dup_exact(const uint8_t *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	memcpy(p, s, n);
	return p;
}

static void check_self(const char *etag, size_t etlen)
{
	int valid = etag_valid((const uint8_t *)etag, etlen);
	int weak_tag = etlen >= 2 && etag[0] == 'W' && etag[1] == '/';

	if (is_star((const uint8_t *)etag, etlen)) /* as a list, "*" matches anything */
		return;
	if (http_etag_match(etag, etlen, etag, etlen, true) != valid)
		abort();
	if (http_etag_match(etag, etlen, etag, etlen, false) != (valid && !weak_tag))
		abort();
}

static void check_wrapped(const uint8_t *list, size_t len, const char *etag, size_t etlen,
			  bool want)
{
	char *w = malloc(len + 4);

	memcpy(w, ", ", 2);
	memcpy(w + 2, list, len);
	memcpy(w + 2 + len, " ,", 2);
	if (http_etag_match(w, len + 4, etag, etlen, true) != want)
		abort();
	free(w);
}

/* The list as If-Match, If-None-Match and both date fields of a GET for ETAG. */
static void check_preconditions(const char *list, size_t len, const char *etag, size_t etlen,
				bool strong, bool weak)
{
	struct http_validators v = {.etag = {etag}, .etag_len = {etlen}, .last_modified = 0};
	struct http_str f = {list, (uint32_t)len};
	struct http_request r = {.method = HTTP_GET, .if_match = f};
	bool valid_tag = etlen > 0 && etag_valid((const uint8_t *)etag, etlen);

	if (!len || !valid_tag)
		return;
	if ((http_preconditions(&r, &v, NULL) == HTTP_PRECOND_PASS) != strong)
		abort();
	r = (struct http_request){.method = HTTP_GET, .if_none_match = f};
	if ((http_preconditions(&r, &v, NULL) == HTTP_PRECOND_NOT_MODIFIED) != weak)
		abort();
	r = (struct http_request){
	    .method = HTTP_HEAD, .if_unmodified_since = f, .if_modified_since = f, .if_range = f};
	http_preconditions(&r, &v, NULL);
	http_if_range(&r, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t etlen, len;
	char *etag, *list;
	bool strong, weak;

	if (size < 1)
		return 0;
	etlen = data[0] < size - 1 ? data[0] : size - 1;
	len = size - 1 - etlen;
	etag = dup_exact(data + 1, etlen);
	list = dup_exact(data + 1 + etlen, len);

	strong = http_etag_match(list, len, etag, etlen, false);
	weak = http_etag_match(list, len, etag, etlen, true);
	if (strong && !weak)
		abort();
	check_self(etag, etlen);
	if (!is_star(data + 1 + etlen, len))
		check_wrapped(data + 1 + etlen, len, etag, etlen, weak);
	check_preconditions(list, len, etag, etlen, strong, weak);

	free(list);
	free(etag);
	return 0;
}
