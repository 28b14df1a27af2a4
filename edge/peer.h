/*
 * Peer fill (docs/fill.md, "Peer fill"): the origin orders this edge to
 * copy an object from a peer of its cluster instead of sending it.  The
 * order is a signed POST /fill/<title>/<path> whose JSON body names the
 * peer's fill API and the object's size and SHA-256, and carries the
 * origin's signature of a GET of that same path for the peer:
 *
 *   {"peer": "http://10.0.0.2:8081", "size": 8388608, "sha256": "<64 hex>",
 *    "signature_input": "reel=(...);...;tag=\"<the peer's id>\";...",
 *    "signature": "reel=:...:"}
 *
 * The copy is one GET <peer>/fill/<title>/<path> with those two fields as
 * Signature-Input and Signature (and the empty body's Content-Digest): the
 * peer checks it as any request of the origin.  The body goes to the
 * caller as it comes; fill.c verifies it against the order's digest.
 *
 * Ownership: every output is the caller's storage, written by the call; a
 * call that allocates says so and who frees what it returns.
 */
#ifndef EDGE_PEER_H
#define EDGE_PEER_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#define EDGE_PEER_URL_MAX 512
#define EDGE_PEER_SIG_MAX 1024

struct edge_peer_order {
	char peer[EDGE_PEER_URL_MAX + 1]; /* the peer's fill API base, no trailing slash */
	uint64_t size;
	uint8_t sha256[32];
	char sig_input[EDGE_PEER_SIG_MAX + 1]; /* the origin's, for the peer */
	char sig[EDGE_PEER_SIG_MAX + 1];
};

/*
 * Parse an order's body (LEN bytes of JSON at BODY) into O: 0, or -EINVAL
 * (not the shape above: a peer that is no http(s) URL, a size that is no
 * integer, a digest that is no 64 hex digits, signature fields that are
 * empty, too long or not printable ASCII).
 */
int edge_peer_order_parse(const char *body, size_t len, struct edge_peer_order *o);

/* What a copy reports: data in order, then done once. */
struct edge_peer_ops {
	/* Body bytes P[0..N): 0 to go on, or a negative errno that ends the copy with it. */
	int (*on_data)(void *arg, const void *p, size_t n);
	/*
	 * The end: 0 when the peer answered 200 with exactly the order's size;
	 * else -EHOSTUNREACH (no connection), -ETIMEDOUT, -ENOENT (404),
	 * -EPROTO (another status, or another length), -ECANCELED
	 * (edge_peers_free), or on_data's error.  STATUS is the peer's HTTP
	 * status (0 when none).
	 */
	void (*on_done)(void *arg, int result, long status);
};

struct edge_peers;

/*
 * The copies of one worker, on BASE.  The caller frees it with
 * edge_peers_free(); NULL with errno set.
 */
struct edge_peers *edge_peers_new(struct event_base *base);

/* End every copy (each on_done runs with -ECANCELED) and free P.  NULL does nothing. */
void edge_peers_free(struct edge_peers *p);

/*
 * Start copying the object at request path PATH ("/fill/<title>/<path>",
 * as the origin signed it) from O's peer; OPS and ARG must live until
 * on_done, which runs later, from the loop.  0, or -ENOMEM, -EINVAL (an
 * URL libcurl refuses), -EIO.
 */
int edge_peers_copy(struct edge_peers *p, const struct edge_peer_order *o, const char *path,
		    const struct edge_peer_ops *ops, void *arg);

#endif
