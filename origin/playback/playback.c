/* Playback authorizations, heartbeats and content keys for stream tokens (playback.h). */
#include "playback/playback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "keyfiles.h"
#include "plans/plans.h"
#include "store.h"
#include "stream_token.h"

struct playback {
	struct store *st;
	struct plans *plans;
	struct catalog *catalog;
	const struct keyset *keys; /* stream token keys: the last signs */
	struct lease_table *leases;
	struct playback_params p;
	void (*on_end)(void *arg, const char *lease);
	void *on_end_arg;
	struct token_cache *tokens; /* verified stream tokens, for the content endpoint */
};

int playback_new(struct store *st, struct plans *pl, struct catalog *cat, const struct keyset *keys,
		 const struct playback_params *p, int64_t now, struct playback **out)
{
	struct playback *pb = calloc(1, sizeof(*pb));
	int rc;

	*out = NULL;
	if (!pb)
		return -ENOMEM;
	*pb = (struct playback){st, pl, cat, keys, NULL, *p, NULL, NULL, NULL};
	if (!(pb->leases = lease_table_new(p->lease_timeout_s)) ||
	    !(pb->tokens = token_cache_new(PLAYBACK_TOKEN_CACHE))) {
		playback_free(pb);
		return -ENOMEM;
	}
	if ((rc = lease_table_load(pb->leases, st, now)) != 0) {
		playback_free(pb);
		return rc;
	}
	*out = pb;
	return 0;
}

void playback_free(struct playback *pb)
{
	if (!pb)
		return;
	lease_table_free(pb->leases);
	token_cache_free(pb->tokens);
	free(pb);
}

/*
 * What UID may play of TITLE at NOW: the plan into *PLAN and the title's
 * facts into *TI, or -EACCES, -ENOENT, -ERANGE (as playback_start).
 */
static int entitlement(struct playback *pb, const char *uid, const char *title, int64_t now,
		       struct plan *plan, struct title_info *ti)
{
	struct store_txn *t;
	int rc = store_begin(pb->st, false, &t);

	if (rc != 0)
		return rc;
	if ((rc = plans_entitled(t, uid, now, pb->plans, plan)) == 0)
		rc = catalog_info_in(pb->catalog, t, title, ti);
	store_abort(t);
	if (rc == 0 && ti->min_height && ti->min_height > plan->max_height)
		rc = -ERANGE;
	return rc;
}

/*
 * The stream token of G's lease for UID on TI under PLAN at NOW, living at
 * most MAX_S seconds, and its URL, into *G.
 */
static int sign(struct playback *pb, const char *uid, const struct title_info *ti,
		const struct plan *plan, int64_t now, uint32_t max_s, struct playback_grant *g)
{
	struct stream_claims c = {0};
	int64_t ttl = (int64_t)ti->duration + 1 + pb->p.token_margin_s;
	int rc;

	if (ttl > max_s)
		ttl = max_s;
	snprintf(c.user, sizeof(c.user), "%s", uid);
	snprintf(c.title, sizeof(c.title), "%s", ti->id);
	snprintf(c.version, sizeof(c.version), "%s", ti->version);
	snprintf(c.lease, sizeof(c.lease), "%s", g->lease);
	c.max_height = plan->max_height;
	c.issued = now;
	c.expires = now + ttl;
	if ((rc = stream_token_issue(keyset_signer(pb->keys), &c, &g->token)) != 0)
		return rc;
	if (asprintf(&g->url, "%s/s/%s/%s/master.m3u8", pb->p.edge_url, g->token, ti->id) < 0) {
		g->url = NULL;
		return -ENOMEM;
	}
	g->expires = c.expires;
	return 0;
}

int playback_start(struct playback *pb, const char *uid, const char *title, int64_t now,
		   struct playback_grant *g, struct origin_reason *why)
{
	return playback_start_within(pb, uid, title, now, pb->p.token_max_s, g, why);
}

int playback_start_within(struct playback *pb, const char *uid, const char *title, int64_t now,
			  uint32_t ttl_max_s, struct playback_grant *g, struct origin_reason *why)
{
	struct plan plan;
	struct title_info ti;
	struct lease lease;
	int rc;

	memset(g, 0, sizeof(*g));
	if ((rc = entitlement(pb, uid, title, now, &plan, &ti)) != 0)
		return rc;
	rc = lease_acquire(pb->leases, uid, title, now, plan.max_streams, &lease);
	if (rc == -EUSERS)
		return reason_limit(why, rc, "stream_limit", plan.max_streams,
				    "the plan allows %u concurrent stream%s", plan.max_streams,
				    plan.max_streams == 1 ? "" : "s");
	if (rc != 0)
		return rc;
	memcpy(g->lease, lease.id, sizeof(g->lease));
	if (ttl_max_s > pb->p.token_max_s)
		ttl_max_s = pb->p.token_max_s;
	if ((rc = sign(pb, uid, &ti, &plan, now, ttl_max_s, g)) != 0) {
		lease_release(pb->leases, lease.id, uid);
		playback_grant_clear(g);
		return rc;
	}
	g->max_height = plan.max_height;
	g->lease_timeout_s = pb->p.lease_timeout_s;
	g->heartbeat_interval_s = pb->p.lease_timeout_s / 3 ? pb->p.lease_timeout_s / 3 : 1;
	return 0;
}

void playback_grant_clear(struct playback_grant *g)
{
	free(g->url);
	free(g->token);
	memset(g, 0, sizeof(*g));
}

int playback_heartbeat(struct playback *pb, const char *lease, const char *uid, int64_t now,
		       int64_t *expires)
{
	struct lease l;
	int rc = lease_heartbeat(pb->leases, lease, uid, now, &l);

	if (rc == 0)
		*expires = l.last + pb->p.lease_timeout_s;
	return rc;
}

int playback_lease(struct playback *pb, const char *lease, const char *uid, int64_t now,
		   struct lease *out)
{
	return lease_get(pb->leases, lease, uid, now, out);
}

int playback_stop(struct playback *pb, const char *lease, const char *uid)
{
	return lease_release(pb->leases, lease, uid);
}

int playback_key(struct playback *pb, const char *title, const char *token, const char *kid,
		 int64_t now, uint8_t key[CONTENT_KEY_LEN])
{
	struct stream_claims c;
	int rc =
	    stream_token_check(pb->keys->ring, token, strlen(token), now, title, strlen(title), &c);

	if (rc != 0 && rc != -ETIMEDOUT && rc != -EACCES && rc != -ENOMEM && rc != -EIO)
		rc = -EBADMSG; /* not valid, whatever the step */
	if (rc != 0)
		return rc;
	if (!lease_live(pb->leases, c.lease, now))
		return -EKEYREVOKED;
	return catalog_key(pb->catalog, title, kid, key, NULL);
}

int playback_stream(struct playback *pb, const char *token, size_t tlen, const char *title,
		    size_t title_len, int64_t now, struct stream_claims *c)
{
	int rc =
	    token_cache_check(pb->tokens, pb->keys->ring, token, tlen, now, title, title_len, c);

	if (rc != 0)
		return rc;
	return playback_served(pb, c->lease, now) == 0 ? 0 : -EKEYREVOKED;
}

int playback_served(struct playback *pb, const char *lease, int64_t now)
{
	return lease_touch(pb->leases, lease, now);
}

static void lease_ended(void *arg, const struct lease *l)
{
	struct playback *pb = arg;

	pb->on_end(pb->on_end_arg, l->id);
}

void playback_on_end(struct playback *pb, void (*fn)(void *arg, const char *lease), void *arg)
{
	pb->on_end = fn;
	pb->on_end_arg = arg;
	lease_table_on_end(pb->leases, fn ? lease_ended : NULL, pb);
}

size_t playback_end_user(struct playback *pb, const char *uid)
{
	return lease_end_user(pb->leases, uid);
}

size_t playback_leases(const struct playback *pb)
{
	return lease_table_count(pb->leases);
}

int playback_save(struct playback *pb)
{
	return lease_table_save(pb->leases, pb->st);
}

int playback_take(struct playback *pb, struct lease_batch **out)
{
	return lease_table_take(pb->leases, out);
}

int playback_write(struct playback *pb, const struct lease_batch *b)
{
	return lease_batch_write(b, pb->st);
}

void playback_taken(struct playback *pb, struct lease_batch *b, int rc)
{
	lease_table_taken(pb->leases, b, rc);
}

void playback_sweep(struct playback *pb, int64_t now)
{
	lease_table_sweep(pb->leases, now);
}
