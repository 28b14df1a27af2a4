/*
 * Fuzz target for the origin's INI configuration (origin_config_parse),
 * [web] edge_origins and [playback] edge_url among its keys, and the web
 * player's Content-Security-Policy built from them (web_csp).  A refusal
 * must come with a message.  An accepted configuration must give a policy
 * (or -ENAMETOOLONG for one that does not fit) whose directives are the
 * page's eleven, in order, each source an origin or one of the page's own
 * keywords: no text of the file can add a directive, a wildcard or an
 * 'unsafe-' keyword.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "origin_config.h"
#include "web/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const directives[] = {
    "default-src", "script-src", "style-src",	 "img-src",  "connect-src", "media-src",
    "worker-src",  "manifest-src", "form-action", "base-uri", "frame-ancestors",
};

/* A source of the policy: a keyword the page uses, or an http(s) origin. */
static int source_ok(const char *s, size_t len)
{
	static const char *const words[] = {"'none'", "'self'", "blob:", "data:"};
	char one[WEB_CSP_MAX];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (len == strlen(words[i]) && memcmp(s, words[i], len) == 0)
			return 1;
	memcpy(one, s, len);
	one[len] = '\0';
	return origin_url_origin(one, one, sizeof(one)) == (int)len && !strchr(one, '*');
}

static void check_csp(const char *csp)
{
	size_t n = 0;

	for (const char *d = csp; *d; n++) {
		size_t len = strcspn(d, ";");
		const char *end = d + len, *p;

		if (n >= sizeof(directives) / sizeof(directives[0]) ||
		    strncmp(d, directives[n], strlen(directives[n])) != 0)
			abort();
		p = d + strlen(directives[n]);
		while (p < end) {
			size_t w;

			if (*p++ != ' ')
				abort();
			w = strcspn(p, " ;");
			if (w == 0 || !source_ok(p, w))
				abort();
			p += w;
		}
		if (*end && end[1] != ' ')
			abort(); /* "; " between directives */
		d = *end ? end + 2 : end;
	}
	if (n != sizeof(directives) / sizeof(directives[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct origin_config cfg;
	char err[1024], csp[WEB_CSP_MAX];
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	origin_config_defaults(&cfg);
	err[0] = '\0';
	if (origin_config_parse(&cfg, text, "fuzz.conf", err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
	} else {
		struct web_params p = {.root = cfg.web_root, .edge_url = cfg.edge_url,
				       .edge_origins = cfg.web_origins};

		rc = web_csp(&p, csp, sizeof(csp));
		if (rc == 0)
			check_csp(csp);
		else if (rc != -ENAMETOOLONG)
			abort(); /* the configuration's check let an edge URL without an origin by */
	}
	free(text);
	return 0;
}
