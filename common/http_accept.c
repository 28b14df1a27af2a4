/* Accept-Encoding: does it take gzip?  A list of codings, each with an optional q. */
#include "http_accept.h"

#include <string.h>
#include <strings.h>

/* Parse one Accept-Encoding element's parameters [P, END); false for q=0. */
static bool q_nonzero(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			p += 2;
			while (p < end && (*p == '0' || *p == '.'))
				p++;
			return p < end && *p >= '1' && *p <= '9';
		}
		while (p < end && *p != ';')
			p++;
	}
	return true;
}

bool http_accepts_gzip(const char *v, size_t len)
{
	const char *p = v, *end = v + len;
	int gzip = -1, star = -1;

	while (p < end) {
		const char *e, *tok;
		size_t tlen;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		tok = p;
		e = memchr(p, ',', (size_t)(end - p));
		e = e ? e : end;
		while (p < e && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		tlen = (size_t)(p - tok);
		if ((tlen == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
		    (tlen == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
			gzip = q_nonzero(p, e);
		else if (tlen == 1 && *tok == '*')
			star = q_nonzero(p, e);
		p = e;
	}
	return gzip == 1 || (gzip == -1 && star == 1);
}
