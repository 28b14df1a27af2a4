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

/* Sort the titles of R and drop the repeats. */
static void sort_titles(struct edge_report *r)
{
	size_t n = 0;

	if (!r->ntitles)
		return;
	qsort(r->titles, r->ntitles, sizeof(*r->titles), title_cmp);
	for (size_t i = 1; i < r->ntitles; i++)
		if (strcmp(r->titles[i], r->titles[n]) != 0 && ++n != i)
			memcpy(r->titles[n], r->titles[i], sizeof(r->titles[n]));
	r->ntitles = n + 1;
}

/*
 * Keep R (its arrays move to the edge in slot I; R is left empty) as its
 * last report, titles sorted, the title index told what changed.
 */
static void keep_report(struct edges *e, size_t i, struct edge_report *r)
{
	struct edge *ed = e->v[i];

	if (!same_prefixes(&ed->rep, r))
		e->gen++;
	free(r->leases);
	r->leases = NULL;
	r->nleases = 0;
	sort_titles(r);
	if (!e->holders_stale && holders_change(e->holders, (uint32_t)i, ed->rep.titles,
						ed->rep.ntitles, r->titles, r->ntitles) != 0)
		e->holders_stale = true;
	edge_report_clear(&ed->rep);
	ed->rep = *r;
	memset(r, 0, sizeof(*r));
}

int edges_report(struct edges *e, const char *id, const struct edge_report *r, int64_t now,
		 json_t **out)
{
	size_t slot = edges_slot(e, id);
	struct edge *ed = slot < e->n ? e->v[slot] : NULL;
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
	keep_report(e, slot, &copy);
	ed->last_report = now;
	e->slots[slot].steered = 0;
	edges_slot_update(e, slot);
	*out = a;
	return 0;
}
