/*
 * The index's durability state (index.h, "Durability"): the sync
 * generations, the boot they were recorded in, and the re-check after a
 * system crash.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "index_int.h"

#define SYNC_KEY "sync"

int ix_get_sync(struct store_txn *t, struct edge_sync_state *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->gen = 1;
	rc = ix_get_meta(t, SYNC_KEY, s, sizeof(*s));
	s->boot_id[sizeof(s->boot_id) - 1] = '\0';
	return rc;
}

int ix_put_sync(struct store_txn *t, const struct edge_sync_state *s)
{
	return ix_put_meta(t, SYNC_KEY, s, sizeof(*s));
}

bool edge_sync_unchecked(const struct edge_sync_state *s, uint64_t gen)
{
	return gen && s->check_from && gen >= s->check_from && gen <= s->check_to;
}

int ix_sync_stamp(struct store_txn *t, const struct edge_object *o, struct edge_object *out)
{
	struct edge_sync_state s;
	int rc;

	*out = *o;
	if (o->synced)
		return 0;
	if ((rc = ix_get_sync(t, &s)) != 0 || (rc = edge_object_set_gen(out, s.gen)) != 0)
		return rc;
	s.pending += o->size;
	s.objects++;
	return ix_put_sync(t, &s);
}

int edge_index_sync_state(struct edge_index *ix, struct edge_sync_state *s)
{
	struct store_txn *t;
	int rc = store_begin(ix->s, false, &t);

	if (rc != 0)
		return rc;
	rc = ix_get_sync(t, s);
	store_abort(t);
	return rc;
}

int edge_index_sync_begin(struct edge_index *ix, uint64_t *ended)
{
	struct edge_sync_state s;
	struct store_txn *t;
	int rc = store_begin(ix->s, true, &t);

	*ended = 0;
	if (rc != 0)
		return rc;
	/* nothing committed, and no earlier sync left unfinished: nothing to make durable */
	if ((rc = ix_get_sync(t, &s)) != 0 || (!s.objects && !s.syncing)) {
		store_abort(t);
		return rc;
	}
	*ended = s.gen++;
	s.syncing += s.pending;
	s.pending = s.objects = 0;
	return store_finish(t, ix_put_sync(t, &s));
}

int edge_index_sync_end(struct edge_index *ix, uint64_t ended, const char *boot_id)
{
	struct edge_sync_state s;
	struct store_txn *t;
	int rc = store_begin(ix->s, true, &t);

	if (rc != 0)
		return rc;
	if ((rc = ix_get_sync(t, &s)) == 0) {
		if (ended > s.durable)
			s.durable = ended;
		s.syncing = 0;
		snprintf(s.boot_id, sizeof(s.boot_id), "%s", boot_id);
		rc = ix_put_sync(t, &s);
	}
	if ((rc = store_finish(t, rc)) != 0)
		return rc;
	return store_sync(ix->s);
}

int edge_index_sync_boot(struct edge_index *ix, const char *boot_id, uint64_t *from, uint64_t *to)
{
	struct edge_sync_state s;
	struct store_txn *t;
	int rc = store_begin(ix->s, true, &t);

	*from = *to = 0;
	if (rc != 0)
		return rc;
	if ((rc = ix_get_sync(t, &s)) != 0) {
		store_abort(t);
		return rc;
	}
	if (strcmp(s.boot_id, boot_id) != 0 || !boot_id[0]) {
		/* another boot: what the generations after the durable one wrote may be lost */
		if (s.gen > s.durable + 1 || s.objects) {
			uint64_t first = s.durable + 1;

			if (!s.check_from || first < s.check_from)
				s.check_from = first;
			s.check_to = s.gen;
			s.gen++;
		}
		s.pending = s.syncing = s.objects = 0;
		snprintf(s.boot_id, sizeof(s.boot_id), "%s", boot_id);
		rc = ix_put_sync(t, &s);
	}
	*from = s.check_from;
	*to = s.check_to;
	if ((rc = store_finish(t, rc)) != 0)
		return rc;
	return store_sync(ix->s);
}

int edge_index_recheck_done(struct edge_index *ix, char *const *bad, size_t n,
			    struct edge_removed *out)
{
	struct edge_sync_state s;
	struct store_txn *t;
	int rc = store_begin(ix->s, true, &t);

	if (rc != 0)
		return rc;
	rc = ix_get_sync(t, &s);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct edge_object o;
		size_t tlen = ix_title_len(bad[i]);

		rc = ix_get_object(t, bad[i], &o);
		if (rc == -ENOENT || (rc == 0 && !edge_sync_unchecked(&s, edge_object_gen(&o)))) {
			rc = 0; /* gone, or rewritten since: the new copy is not the one that failed
				 */
			continue;
		}
		if (rc == 0 || rc == -EIO)
			rc = ix_drop_object(t, bad[i], out);
		if (rc == 0 && tlen)
			rc = ix_title_gc(t, bad[i], tlen, NULL, out);
	}
	if (rc == 0) {
		s.check_from = s.check_to = 0;
		rc = ix_put_sync(t, &s);
	}
	if ((rc = store_finish(t, rc)) != 0)
		return rc;
	return store_sync(ix->s);
}
