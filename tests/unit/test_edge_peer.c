/*
 * Unit tests for peer fill's copy orders (edge/peer.c): a well-formed order
 * gives the peer (its trailing slashes cut), size, digest and the origin's
 * signature fields; every malformed member is refused and leaves nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "peer.h"
#include "test.h"

#define SHA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* An order whose members are PEER, SIZE (JSON text), SHA256, SIG_INPUT and SIG. */
static int parse(const char *peer, const char *size, const char *sha256, const char *sig_input,
		 const char *sig, struct edge_peer_order *o)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "{\"peer\": \"%s\", \"size\": %s, \"sha256\": \"%s\", \"signature_input\": "
		 "\"%s\", \"signature\": \"%s\"}",
		 peer, size, sha256, sig_input, sig);
	return edge_peer_order_parse(body, strlen(body), o);
}

static void good(void)
{
	struct edge_peer_order o;

	CHECK_INT(parse("http://10.0.0.2:8081//", "8388608", SHA,
			"reel=(\\\"@method\\\");keyid=\\\"c1\\\"", "reel=:AAAA:", &o),
		  0);
	CHECK_STR(o.peer, "http://10.0.0.2:8081");
	CHECK(o.size == 8388608);
	CHECK(o.sha256[0] == 0x00 && o.sha256[1] == 0x11 && o.sha256[31] == 0xff);
	CHECK_STR(o.sig_input, "reel=(\"@method\");keyid=\"c1\"");
	CHECK_STR(o.sig, "reel=:AAAA:");
	CHECK_INT(parse("https://peer.example", "0", SHA, "a", "b", &o), 0);
	CHECK_STR(o.peer, "https://peer.example");
	CHECK_INT(parse("http://x", "1", SHA, "a", "b", &o), 0);
}

static void bad(void)
{
	struct edge_peer_order o;
	char longsig[EDGE_PEER_SIG_MAX + 8];

	memset(longsig, 'a', sizeof(longsig) - 1);
	longsig[sizeof(longsig) - 1] = '\0';
	CHECK_INT(parse("ftp://x", "1", SHA, "a", "b", &o), -EINVAL);
	CHECK_INT(parse("http://", "1", SHA, "a", "b", &o), -EINVAL);
	CHECK_INT(parse("https:///", "1", SHA, "a", "b", &o), -EINVAL);
	CHECK_INT(parse("http://x/?q", "1", SHA, "a", "b", &o), -EINVAL);
	CHECK_INT(parse("http://x", "-1", SHA, "a", "b", &o), -EINVAL);
	CHECK_INT(parse("http://x", "\"1\"", SHA, "a", "b", &o), -EINVAL);
	CHECK_INT(parse("http://x", "1", "00", "a", "b", &o), -EINVAL);
	CHECK_INT(parse("http://x", "1", SHA, "", "b", &o), -EINVAL);
	CHECK_INT(parse("http://x", "1", SHA, "a\\r\\nX: y", "b", &o), -EINVAL);
	CHECK_INT(parse("http://x", "1", SHA, "a", longsig, &o), -EINVAL);
	CHECK(o.peer[0] == '\0' && o.size == 0);
	CHECK_INT(edge_peer_order_parse("[1]", 3, &o), -EINVAL);
	CHECK_INT(edge_peer_order_parse("{\"peer\": ", 9, &o), -EINVAL);
}

int main(void)
{
	good();
	bad();
	return test_done();
}
