/*
 * Fuzz target for what the fill API parses: byte 0 picks the request path
 * parser, the purge body parser (bit 0 alone) or the copy order parser
 * (bits 0 and 1); the rest is the input.  A path that parses must name a valid title and
 * key; a purge body that parses must give a key of the store (or a title
 * prefix); an order that parses must name an http(s) peer and carry
 * printable signature fields.  Aborts otherwise.
 */
#include "fill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p, size_t n)
{
	struct edge_fill_path fp;
	int rc = edge_fill_parse_path(p, n, &fp);

	if (rc != 0 && rc != -EINVAL && rc != -ENOENT)
		abort();
	if (rc == 0 && fp.kind == EDGE_FILL_OBJECT &&
	    (!edge_index_key_ok(fp.key) || strncmp(fp.key, fp.title, strlen(fp.title)) != 0))
		abort();
	if (rc == 0 && fp.kind == EDGE_FILL_TITLE && !manifest_title_ok(fp.title, strlen(fp.title)))
		abort();
}

static void check_purge(const char *p, size_t n)
{
	char key[EDGE_KEY_MAX + 2];
	bool prefix;
	int rc = edge_fill_parse_purge(p, n, key, &prefix);

	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == 0 &&
	    (!strchr(key, '/') || key[0] == '/' || !manifest_title_ok(key, strcspn(key, "/")) ||
	     (!prefix && !edge_index_key_ok(key))))
		abort();
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void check_order(const char *p, size_t n)
{
	struct edge_peer_order o;
	int rc = edge_peer_order_parse(p, n, &o);

	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == 0 &&
	    ((strncmp(o.peer, "http://", 7) != 0 && strncmp(o.peer, "https://", 8) != 0) ||
	     !o.sig_input[0] || !o.sig[0] || !printable(o.sig_input) || !printable(o.sig) ||
	     !printable(o.peer)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p;

	if (size < 1)
		return 0;
	p = malloc(size);
	memcpy(p, data + 1, size - 1);
	if ((data[0] & 3) == 3)
		check_order(p, size - 1);
	else if (data[0] & 1)
		check_purge(p, size - 1);
	else
		check_path(p, size - 1);
	free(p);
	return 0;
}
