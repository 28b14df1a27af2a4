/*
 * What edges send the origin: their signature checked against their own
 * credential, and their heartbeats (edges.h, docs/distribution.md).
 */
#include "edges/edges_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "playback/playback.h"

#define REVOCATIONS_PER_ANSWER 10000

int edges_authenticate(struct edges *e, const struct httpsig_params *p, const struct httpsig_msg *m,
		       const char *body, size_t len, int64_t now, char id[EDGE_ID_LEN + 1])
{
	uint8_t want[32], got[32];
	const struct edge *ed;
	int rc;

	if (p->alg != HTTPSIG_HMAC_SHA256 || strcmp(p->keyid, p->tag) != 0)
		return -EPROTO;
	if (!(ed = edges_find(e, p->keyid)))
		return -ENOKEY;
	if ((rc = httpsig_verify(p, m, now, NULL, (const uint8_t *)ed->secret, EDGE_SECRET_LEN)) !=
	    0)
		return rc == -ENOKEY ? -EBADMSG : rc;
	if (content_digest_sha256(m->digest, m->digest_len, want) != 0 ||
	    !EVP_Digest(body, len, got, NULL, EVP_sha256(), NULL) || memcmp(want, got, 32) != 0)
		return -EILSEQ;
	if ((rc = nonce_cache_claim(e->nonces, p->keyid, p->nonce, now)) != 0)
		return rc;
	memcpy(id, ed->id, EDGE_ID_LEN + 1);
	return 0;
}

static int title_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool same_prefixes(const struct edge_report *a, const struct edge_report *b)
{
	return a->has_prefixes == b->has_prefixes && a->nprefixes == b->nprefixes &&
	       (!a->nprefixes ||
		memcmp(a->prefixes, b->prefixes, a->nprefixes * sizeof(*a->prefixes)) == 0);
}

/* Keep R (its arrays move to ED; R is left empty) as ED's last report, titles sorted. */
static void keep_report(struct edges *e, struct edge *ed, struct edge_report *r)
{
	if (!same_prefixes(&ed->rep, r))
		e->gen++;
	free(r->leases);
	r->leases = NULL;
	r->nleases = 0;
	if (r->ntitles)
		qsort(r->titles, r->ntitles, sizeof(*r->titles), title_cmp);
	edge_report_clear(&ed->rep);
	ed->rep = *r;
	memset(r, 0, sizeof(*r));
}

int edges_report(struct edges *e, const char *id, const struct edge_report *r, int64_t now,
		 json_t **out)
{
	struct edge *ed = edges_find(e, id);
	struct edge_report copy = *r;
	json_t *a;
	int rc;

	*out = NULL;
	if (!ed)
		return -ENOENT;
	if (!(a = json_pack("{s:I, s:I, s:s}", "interval", (json_int_t)e->p.interval_s, "down_after",
			    (json_int_t)e->p.down_after_s, "state",
			    ed->draining ? "draining" : "active")))
		return -ENOMEM;
	if ((rc = revocations_since(e->rev, r->cursor, REVOCATIONS_PER_ANSWER, a)) != 0) {
		json_decref(a);
		return rc;
	}
	for (size_t i = 0; i < r->nleases; i++)
		playback_served(e->pb, r->leases[i], now); /* an ended lease stays ended */
	/* the report's arrays are the caller's: keep copies */
	copy.titles = NULL;
	copy.leases = NULL;
	copy.prefixes = NULL;
	copy.nleases = 0;
	if ((r->ntitles && !(copy.titles = malloc(r->ntitles * sizeof(*r->titles)))) ||
	    (r->nprefixes && !(copy.prefixes = malloc(r->nprefixes * sizeof(*r->prefixes))))) {
		edge_report_clear(&copy);
		json_decref(a);
		return -ENOMEM;
	}
	if (r->ntitles)
		memcpy(copy.titles, r->titles, r->ntitles * sizeof(*r->titles));
	if (r->nprefixes)
		memcpy(copy.prefixes, r->prefixes, r->nprefixes * sizeof(*r->prefixes));
	keep_report(e, ed, &copy);
	ed->last_report = now;
	ed->steered = 0;
	*out = a;
	return 0;
}
