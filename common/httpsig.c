/*
 * The reel profile of HTTP Message Signatures (RFC 9421) and Content-Digest
 * (RFC 9530); see httpsig.h for the wire format.
 */
#include "httpsig.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "sfv.h"

/* The covered components, in the order the profile fixes. */
static const char *const components[] = {"@method", "@path", "@query", "content-digest"};
#define NCOMPONENTS (sizeof(components) / sizeof(components[0]))

static const char *const alg_names[] = {
    [HTTPSIG_ED25519] = "ed25519", [HTTPSIG_HMAC_SHA256] = "hmac-sha256"};

/* Key ids, tags and nonces: ids as the claims have them, within the bounds. */
static bool id_ok(const char *s, size_t len, size_t min, size_t max)
{
	return len >= min && len <= max && claims_id_valid(s, len, false);
}

/* A string parameter KEY of IT into OUT (SIZE bytes) when it fits the id shape. */
static int string_param(const struct sfv_item *it, const char *key, char *out, size_t size,
			size_t min)
{
	const struct sfv_bare *v = sfv_param_get(it, key);

	if (!v || v->type != SFV_STRING || !id_ok(v->str, v->len, min, size - 1))
		return -EPROTO;
	memcpy(out, v->str, v->len + 1);
	return 0;
}

static int check_components(const struct sfv_item *it)
{
	if (it->value.type != SFV_INNER_LIST || it->nitems != NCOMPONENTS)
		return -EPROTO;
	for (unsigned i = 0; i < NCOMPONENTS; i++) {
		const struct sfv_item *c = &it->items[i];

		if (c->value.type != SFV_STRING || c->nparams ||
		    strcmp(c->value.str, components[i]) != 0)
			return -EPROTO;
	}
	return 0;
}

/* The parameters of the "reel" Signature-Input member into P. */
static int read_params(const struct sfv_item *it, struct httpsig_params *p)
{
	const struct sfv_bare *created = sfv_param_get(it, "created");
	const struct sfv_bare *alg = sfv_param_get(it, "alg");
	struct buf b = {0};
	int rc;

	if ((rc = check_components(it)) != 0)
		return rc;
	if (it->nparams != 5 || !created || created->type != SFV_INTEGER || created->num < 0 ||
	    !alg || alg->type != SFV_STRING)
		return -EPROTO;
	p->created = created->num;
	if (strcmp(alg->str, alg_names[HTTPSIG_ED25519]) == 0)
		p->alg = HTTPSIG_ED25519;
	else if (strcmp(alg->str, alg_names[HTTPSIG_HMAC_SHA256]) == 0)
		p->alg = HTTPSIG_HMAC_SHA256;
	else
		return -EPROTO;
	if ((rc = string_param(it, "nonce", p->nonce, sizeof(p->nonce), HTTPSIG_NONCE_MIN)) ||
	    (rc = string_param(it, "keyid", p->keyid, sizeof(p->keyid), 1)) ||
	    (rc = string_param(it, "tag", p->tag, sizeof(p->tag), 1)))
		return rc;
	/* the signature base carries the parameters as received, re-serialized */
	if ((rc = sfv_write_item(&b, it)) != 0 || b.len > HTTPSIG_PARAMS_MAX) {
		buf_free(&b);
		return rc == -ENOMEM ? rc : -EPROTO;
	}
	memcpy(p->params, b.p, b.len);
	p->params[b.len] = '\0';
	buf_free(&b);
	return 0;
}

int httpsig_parse(const char *input, size_t ilen, const char *sig, size_t slen,
		  struct httpsig_params *out)
{
	struct sfv in = {0}, sg = {0};
	const struct sfv_item *mi, *ms;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sfv_parse(input, ilen, SFV_DICT, &in)) != 0 ||
	    (rc = sfv_parse(sig, slen, SFV_DICT, &sg)) != 0)
		goto out;
	mi = sfv_dict_get(&in, HTTPSIG_LABEL);
	ms = sfv_dict_get(&sg, HTTPSIG_LABEL);
	rc = -EINVAL;
	if (!mi || !ms || ms->value.type != SFV_BYTES || ms->nparams)
		goto out;
	if ((rc = read_params(mi, out)) != 0)
		goto out;
	rc = -EINVAL;
	if (ms->value.len != (out->alg == HTTPSIG_ED25519 ? 64u : 32u))
		goto out;
	memcpy(out->sig, ms->value.str, ms->value.len);
	out->siglen = ms->value.len;
	rc = 0;
out:
	sfv_free(&in);
	sfv_free(&sg);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static bool field_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

int httpsig_base(const struct httpsig_msg *m, const char *params, struct buf *out)
{
	size_t qlen = m->query ? m->query_len : 0;

	if (!field_ok(m->method, m->method_len) || !field_ok(m->path, m->path_len) ||
	    (m->query && !field_ok(m->query, qlen)) || !field_ok(m->digest, m->digest_len) ||
	    !field_ok(params, strlen(params)))
		return -EINVAL;
	/* RFC 9421 2.2.7: an absent query is "?" alone, as is an empty one */
	return buf_printf(out,
			  "\"@method\": %.*s\n\"@path\": %.*s\n\"@query\": ?%.*s\n"
			  "\"content-digest\": %.*s\n\"@signature-params\": %s",
			  (int)m->method_len, m->method, (int)m->path_len, m->path, (int)qlen,
			  m->query ? m->query : "", (int)m->digest_len, m->digest, params);
}

static int hmac_sha256(const uint8_t *key, size_t klen, const struct buf *data, uint8_t mac[32])
{
	unsigned int len = 32;

	if (!HMAC(EVP_sha256(), key, (int)klen, (const uint8_t *)data->p, data->len, mac, &len) ||
	    len != 32) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

int httpsig_verify(const struct httpsig_params *p, const struct httpsig_msg *m, int64_t now,
		   const struct paseto_key *ed25519, const uint8_t *secret, size_t secret_len)
{
	struct buf base = {0};
	uint8_t mac[32];
	int rc;

	if (p->created > now + HTTPSIG_WINDOW || p->created < now - HTTPSIG_WINDOW)
		return -ETIMEDOUT;
	if ((p->alg == HTTPSIG_ED25519) != (ed25519 != NULL) ||
	    (p->alg == HTTPSIG_HMAC_SHA256) != (secret != NULL))
		return -EPROTO;
	if ((rc = httpsig_base(m, p->params, &base)) != 0)
		return rc == -EINVAL ? -EBADMSG : rc;
	if (p->alg == HTTPSIG_ED25519)
		rc = paseto_key_verify_raw(ed25519, (const uint8_t *)base.p, base.len, p->sig);
	else if ((rc = hmac_sha256(secret, secret_len, &base, mac)) == 0)
		rc = CRYPTO_memcmp(mac, p->sig, 32) == 0 ? 0 : -EBADMSG;
	buf_free(&base);
	return rc;
}

/* The Signature-Input member value of S for the given parameters into OUT. */
static int write_input(struct buf *out, const struct httpsig_signer *s, int64_t created,
		       const char *nonce, const char *tag)
{
	struct sfv_item items[NCOMPONENTS];
	struct sfv_param params[] = {
	    {"created", sfv_int(created)},	 {"nonce", sfv_str(nonce)},
	    {"keyid", sfv_str(s->keyid)},	 {"tag", sfv_str(tag)},
	    {"alg", sfv_str(alg_names[s->alg])},
	};
	struct sfv_item list = {.key = "",
				.value = {.type = SFV_INNER_LIST},
				.items = items,
				.nitems = NCOMPONENTS,
				.params = params,
				.nparams = sizeof(params) / sizeof(params[0])};

	for (unsigned i = 0; i < NCOMPONENTS; i++)
		items[i] = (struct sfv_item){.key = "", .value = sfv_str(components[i])};
	return sfv_write_item(out, &list);
}

static int sign_base(const struct httpsig_signer *s, const struct buf *base, uint8_t *sig,
		     size_t *siglen)
{
	if (s->alg == HTTPSIG_ED25519) {
		*siglen = PASETO_SIG_LEN;
		return s->ed25519 ? paseto_key_sign_raw(s->ed25519, (const uint8_t *)base->p,
							base->len, sig)
				  : -EINVAL;
	}
	*siglen = 32;
	return s->secret ? hmac_sha256(s->secret, s->secret_len, base, sig) : -EINVAL;
}

int httpsig_sign(const struct httpsig_signer *s, const struct httpsig_msg *m, int64_t created,
		 const char *tag, const char *nonce, struct buf *input, struct buf *sig)
{
	char fresh[HTTPSIG_NONCE_MAX + 1];
	struct buf params = {0}, base = {0};
	uint8_t raw[PASETO_SIG_LEN], rnd[16];
	size_t siglen;
	int rc;

	if (!nonce) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -EIO;
		paseto_b64_encode(rnd, sizeof(rnd), fresh);
		nonce = fresh;
	}
	if (!id_ok(s->keyid, strlen(s->keyid), 1, HTTPSIG_ID_MAX) ||
	    !id_ok(tag, strlen(tag), 1, HTTPSIG_ID_MAX) ||
	    !id_ok(nonce, strlen(nonce), HTTPSIG_NONCE_MIN, HTTPSIG_NONCE_MAX))
		return -EINVAL;
	if ((rc = write_input(&params, s, created, nonce, tag)) != 0 ||
	    (rc = buf_append(&params, "", 1)) != 0 ||
	    (rc = httpsig_base(m, params.p, &base)) != 0 ||
	    (rc = sign_base(s, &base, raw, &siglen)) != 0)
		goto out;
	rc = buf_printf(input, HTTPSIG_LABEL "=%s", params.p);
	if (rc == 0)
		rc = buf_puts(sig, HTTPSIG_LABEL "=");
	if (rc == 0) {
		struct sfv_bare b = sfv_bytes(raw, siglen);

		rc = sfv_write_bare(sig, &b);
	}
out:
	buf_free(&params);
	buf_free(&base);
	return rc;
}

int httpsig_request(const struct http_request *r, struct httpsig_msg *m, struct http_str *input,
		    struct http_str *sig)
{
	struct http_str dg = {0};
	unsigned ni = http_header_get(r, "signature-input", input),
		 ns = http_header_get(r, "signature", sig),
		 nd = http_header_get(r, "content-digest", &dg);

	if (!ni || !ns || !nd)
		return -ENOKEY;
	if (ni > 1 || ns > 1 || nd > 1)
		return -EINVAL;
	*m = (struct httpsig_msg){
	    r->method_str.p,
	    r->method_str.len,
	    r->path.p,
	    r->path.len,
	    r->query.len || memchr(r->target.p, '?', r->target.len) ? r->query.p : NULL,
	    r->query.len,
	    dg.p,
	    dg.len};
	return 0;
}

void content_digest_format(const uint8_t sha[32], char out[CONTENT_DIGEST_LEN + 1])
{
	memcpy(out, "sha-256=:", 9);
	sfv_b64_encode(sha, 32, out + 9);
	out[CONTENT_DIGEST_LEN - 1] = ':';
	out[CONTENT_DIGEST_LEN] = '\0';
}

int content_digest_sha256(const char *v, size_t len, uint8_t out[32])
{
	struct sfv d;
	const struct sfv_item *m;
	int rc = sfv_parse(v, len, SFV_DICT, &d);

	if (rc != 0)
		return rc;
	if (!(m = sfv_dict_get(&d, "sha-256")))
		rc = -ENOENT;
	else if (m->value.type != SFV_BYTES || m->value.len != 32)
		rc = -EINVAL;
	else
		memcpy(out, m->value.str, 32);
	sfv_free(&d);
	return rc;
}
