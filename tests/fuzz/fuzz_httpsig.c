/*
 * Fuzz target for common/httpsig.c: the input is a Signature-Input field
 * value, a NUL, and a Signature field value (no NUL: the whole input is
 * both).  What parses is verified against a fixed message with a fixed
 * Ed25519 key and HMAC secret; the parameters it carries, signed again,
 * must parse to the same values and verify.  Aborts on an
 * undocumented result.
 */
#include "httpsig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

static struct paseto_key *key;

static const struct httpsig_msg msg = {
    "PUT", 3, "/fill/t/a.m4s", 13, NULL, 0, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
    54};

static void check_resign(const struct httpsig_params *p)
{
	static const uint8_t secret[] = "fuzz secret";
	struct httpsig_signer s = {p->alg, p->keyid, key, secret, sizeof(secret) - 1};
	struct buf in = {0}, sig = {0};
	struct httpsig_params q;

	if (httpsig_sign(&s, &msg, p->created, p->tag, p->nonce, &in, &sig) != 0 ||
	    httpsig_parse(in.p, in.len, sig.p, sig.len, &q) != 0 ||
	    httpsig_verify(&q, &msg, p->created, p->alg == HTTPSIG_ED25519 ? key : NULL,
			   p->alg == HTTPSIG_ED25519 ? NULL : secret, sizeof(secret) - 1) != 0 ||
	    strcmp(q.nonce, p->nonce) != 0 || strcmp(q.keyid, p->keyid) != 0 ||
	    strcmp(q.tag, p->tag) != 0)
		abort();
	buf_free(&in);
	buf_free(&sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t ilen = nul ? (size_t)(nul - data) : size;
	const char *sig = nul ? (const char *)nul + 1 : (const char *)data;
	size_t slen = nul ? size - ilen - 1 : size;
	char *input = malloc(ilen ? ilen : 1), *sigcopy = malloc(slen ? slen : 1);
	struct httpsig_params p;
	int rc;

	if (!key && paseto_key_from_seed_hex("k", SEED, &key, NULL, 0) != 0)
		abort();
	memcpy(input, data, ilen);
	memcpy(sigcopy, sig, slen);
	rc = httpsig_parse(input, ilen, sigcopy, slen, &p);
	if (rc != 0 && rc != -EINVAL && rc != -EPROTO)
		abort();
	if (rc == 0) {
		rc = httpsig_verify(&p, &msg, p.created, p.alg == HTTPSIG_ED25519 ? key : NULL,
				    p.alg == HTTPSIG_ED25519 ? NULL : (const uint8_t *)"s", 1);
		if (rc != 0 && rc != -EBADMSG)
			abort();
		check_resign(&p);
	}
	free(input);
	free(sigcopy);
	return 0;
}
