/*
 * The client prefixes a local BIRD 2 learned from the ISP's router, as an
 * Open Connect appliance takes them: the heartbeat process asks BIRD's
 * control socket (the one birdc uses) for
 *
 *   show route table <T>     show route protocol <P>     or   show route
 *
 * (the last: every table BIRD shows by default, master4 and master6)
 * and reports every prefix of the answer (docs/distribution.md,
 * "prefixes").  The answer is BIRD's reply format: lines "CCCC-text" and
 * "CCCC text" (CCCC a four-digit code, '-' when more lines of it follow)
 * and " text" continuing the last code; route lines (code 1007) start with
 * the prefix, "192.0.2.0/24   unicast [isp 12:00:00.000] * (100) [AS65001i]",
 * the lines of further routes to the same prefix and their "via" lines with
 * blanks; the reply ends with "0000" (done) or an 8xxx/9xxx code (an error,
 * its text the reason).
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef EDGE_BGP_H
#define EDGE_BGP_H

#include <stddef.h>

#define EDGE_BGP_PREFIX_LEN 50	  /* INET6_ADDRSTRLEN, "/128" */
#define EDGE_BGP_MAX	    65536 /* prefixes kept, at most (the origin's limit) */
#define EDGE_BGP_REPLY_MAX  (64 << 20)

struct edge_bgp_prefixes {
	char (*p)[EDGE_BGP_PREFIX_LEN]; /* malloc'd, each canonical CIDR text, no duplicates */
	size_t n, cap;
};

/* Free what P holds (P itself is the caller's) and zero it. */
void edge_bgp_prefixes_free(struct edge_bgp_prefixes *p);

/*
 * Parse the reply TEXT (LEN bytes, not NUL-terminated) into *OUT (zeroed
 * first; free it with edge_bgp_prefixes_free() whatever the result).
 * Returns 0 for a reply that ended with "0000"; -EPROTO for an error reply
 * (BIRD's message in ERR); -EINVAL for text that is not a BIRD reply, or
 * one cut short (ERR says where); -E2BIG past EDGE_BGP_MAX prefixes;
 * -ENOMEM.
 */
int edge_bgp_parse(const char *text, size_t len, struct edge_bgp_prefixes *out, char *err,
		   size_t errlen);

/*
 * Ask the BIRD at the control socket SOCKET_PATH for the routes of TABLE,
 * or of PROTOCOL when TABLE is "", or of its default tables when both are
 * "" (names checked by the config), waiting
 * at most TIMEOUT_MS for each read and write; results as edge_bgp_parse(),
 * plus -errno of the socket calls (ERR names the socket).
 */
int edge_bgp_query(const char *socket_path, const char *table, const char *protocol,
		   unsigned timeout_ms, struct edge_bgp_prefixes *out, char *err, size_t errlen);

#endif
