/*
 * Signed requests between the origin and its edges (docs/fill.md): HTTP
 * Message Signatures (RFC 9421) over the method, path, query and the body's
 * Content-Digest (RFC 9530, sha-256), in one fixed profile:
 *
 *   Content-Digest: sha-256=:<base64 SHA-256 of the body, also of an empty one>:
 *   Signature-Input: reel=("@method" "@path" "@query" "content-digest");created=<unix time>;
 *     nonce="<16..64 of [A-Za-z0-9_-]>";keyid="<key id>";tag="<edge id>";alg="<alg>"
 *   Signature: reel=:<base64 signature>:
 *
 * Origin to edge: alg "ed25519", keyid a kid of the origin's control key (the
 * edge holds the public keys), tag the id of the edge addressed.  Edge to
 * origin: alg "hmac-sha256" with the edge's own secret, keyid and tag both
 * the edge's id.  A receiver accepts created within HTTPSIG_WINDOW seconds
 * of its clock, each nonce once (its own nonce cache), and nothing else.
 * Library code: no logging; 0 or a negative errno.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HTTPSIG_H
#define REEL_HTTPSIG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http_parser.h"
#include "paseto.h"

#define HTTPSIG_LABEL	   "reel"
#define HTTPSIG_WINDOW	   300 /* seconds either side of the receiver's clock */
#define HTTPSIG_ID_MAX	   64  /* longest keyid or tag */
#define HTTPSIG_NONCE_MIN  16
#define HTTPSIG_NONCE_MAX  64
#define HTTPSIG_PARAMS_MAX 512 /* longest serialized @signature-params value */

/* "sha-256=:" 44 base64 characters ":" */
#define CONTENT_DIGEST_LEN 54

/* The Content-Digest of no bytes, which a request without a body carries. */
#define HTTPSIG_EMPTY_DIGEST "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"

enum httpsig_alg { HTTPSIG_ED25519, HTTPSIG_HMAC_SHA256 };

/* The parts of a request a signature covers. */
struct httpsig_msg {
	const char *method; /* "PUT" */
	size_t method_len;
	const char *path; /* as sent, still percent-encoded */
	size_t path_len;
	const char *query; /* after '?', without it; NULL when there is none */
	size_t query_len;
	const char *digest; /* the Content-Digest field value as sent */
	size_t digest_len;
};

/* A parsed signature of the profile. */
struct httpsig_params {
	int64_t created;
	enum httpsig_alg alg;
	char nonce[HTTPSIG_NONCE_MAX + 1];
	char keyid[HTTPSIG_ID_MAX + 1];
	char tag[HTTPSIG_ID_MAX + 1];
	uint8_t sig[PASETO_SIG_LEN]; /* Ed25519: 64 bytes; HMAC-SHA256: the first 32 */
	size_t siglen;
	char params[HTTPSIG_PARAMS_MAX + 1]; /* the @signature-params value, canonical */
};

/* Who signs: an Ed25519 secret key, or an HMAC secret. */
struct httpsig_signer {
	enum httpsig_alg alg;
	const char *keyid;
	const struct paseto_key *ed25519; /* HTTPSIG_ED25519: a secret key */
	const uint8_t *secret;		  /* HTTPSIG_HMAC_SHA256 */
	size_t secret_len;
};

/*
 * Parse the Signature-Input (INPUT) and Signature (SIG) field values into
 * *OUT, taking the member labelled "reel" of each.  Returns 0, -EINVAL (not
 * structured-field syntax, no "reel" member in either, a signature of the
 * wrong length), or -EPROTO (a member that breaks the profile: other
 * covered components, a parameter missing, of the wrong type or shape, an
 * unknown alg, any other parameter).  -ENOMEM.
 */
int httpsig_parse(const char *input, size_t ilen, const char *sig, size_t slen,
		  struct httpsig_params *out);

/*
 * The signature base (RFC 9421 section 2.5) of M under the serialized
 * parameters PARAMS into OUT.  -EINVAL when a component holds a byte a
 * field value cannot (CR, LF, NUL), -ENOMEM.
 */
int httpsig_base(const struct httpsig_msg *m, const char *params, struct buf *out);

/*
 * Check P against M: created within HTTPSIG_WINDOW of NOW (-ETIMEDOUT),
 * the algorithm the key supports (-EPROTO), then the signature (-EBADMSG).
 * Exactly one of ED25519 (a public or secret key) and SECRET is given; the
 * nonce is the caller's to check.  -ENOMEM, -EIO.
 */
int httpsig_verify(const struct httpsig_params *p, const struct httpsig_msg *m, int64_t now,
		   const struct paseto_key *ed25519, const uint8_t *secret, size_t secret_len);

/*
 * Sign M as S at time CREATED for the edge TAG with NONCE (NULL: 16 fresh
 * random bytes, base64url), appending the Signature-Input and Signature
 * field values (without the names) to INPUT and SIG.  -EINVAL (a keyid, tag
 * or nonce out of the profile's shape, a key that cannot sign), -ENOMEM,
 * -EIO.
 */
int httpsig_sign(const struct httpsig_signer *s, const struct httpsig_msg *m, int64_t created,
		 const char *tag, const char *nonce, struct buf *input, struct buf *sig);

/*
 * The signed parts of request R (http_parser.h): *M for httpsig_verify(),
 * the Signature-Input and Signature field values into *INPUT and *SIG.
 * Returns 0, or -ENOKEY when R is not signed (one of the three fields
 * missing), -EINVAL when a field comes more than once.  *M points into R.
 */
int httpsig_request(const struct http_request *r, struct httpsig_msg *m, struct http_str *input,
		    struct http_str *sig);

/* Content-Digest of a body whose SHA-256 is SHA, NUL-terminated into OUT. */
void content_digest_format(const uint8_t sha[32], char out[CONTENT_DIGEST_LEN + 1]);

/*
 * The sha-256 member of the Content-Digest field value V (LEN bytes) into
 * OUT.  -EINVAL (not a structured dictionary, a sha-256 member that is no
 * 32-byte byte sequence), -ENOENT (no sha-256 member: other algorithms
 * only), -ENOMEM.
 */
int content_digest_sha256(const char *v, size_t len, uint8_t out[32]);

#endif
