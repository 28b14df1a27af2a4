/*
 * The revocations and served leases the edge's processes share (see
 * revocations.h).  Layout of the mapping: the header, then the revocation
 * slots, then the served-lease slots.
 */
#include "revocations.h"

#include <errno.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pmutex.h"
#include "strhash.h"

#define REV_MAGIC 0x52657673U /* "Revs" */

/* One revocation: the digest of (kind, id), all four words read and written atomically. */
struct rev_slot {
	uint64_t k0, k1;
	int64_t before, until; /* until 0: never used */
};

struct edge_rev {
	uint32_t magic;
	size_t map_len;
	size_t nrev, nserved; /* powers of two */
	pthread_mutex_t write_lock, served_lock;
	uint64_t seq; /* odd while a write is under way */
	uint64_t period;
	size_t served_count;
	struct edge_rev_stats st;
	struct rev_slot *rev;
	char (*served)[STREAM_ID_MAX + 1];
};

static size_t pow2(size_t n)
{
	size_t p = EDGE_REV_MIN_ENTRIES;

	while (p < n && p < ((size_t)1 << 40))
		p <<= 1;
	return p;
}

struct edge_rev *edge_rev_new(size_t revoked, size_t served)
{
	size_t nrev = pow2(revoked), nserved = pow2(served);
	size_t head = (sizeof(struct edge_rev) + 63) & ~(size_t)63;
	size_t len = head + nrev * sizeof(struct rev_slot) + nserved * (STREAM_ID_MAX + 1);
	struct edge_rev *r =
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rc;

	if (r == MAP_FAILED)
		return NULL;
	r->map_len = len;
	r->nrev = nrev;
	r->nserved = nserved;
	r->rev = (struct rev_slot *)((char *)r + head);
	r->served = (char(*)[STREAM_ID_MAX + 1])(r->rev + nrev);
	if ((rc = edge_pmutex_init(&r->write_lock)) != 0 ||
	    (rc = edge_pmutex_init(&r->served_lock)) != 0) {
		munmap(r, len);
		errno = -rc;
		return NULL;
	}
	r->magic = REV_MAGIC;
	return r;
}

void edge_rev_free(struct edge_rev *r)
{
	if (r)
		munmap(r, r->map_len);
}

static void digest(enum edge_rev_kind kind, const char *id, uint64_t *k0, uint64_t *k1)
{
	unsigned char in[STREAM_ID_MAX + 2], sha[SHA256_DIGEST_LENGTH];
	size_t n = strnlen(id, STREAM_ID_MAX);

	in[0] = (unsigned char)('0' + kind);
	memcpy(in + 1, id, n);
	SHA256(in, n + 1, sha);
	memcpy(k0, sha, 8);
	memcpy(k1, sha + 8, 8);
	if (*k0 == 0 && *k1 == 0)
		*k1 = 1; /* never the digest of an unused slot */
}

#define LOAD(p)	    __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

void edge_rev_add(struct edge_rev *r, enum edge_rev_kind kind, const char *id, int64_t before,
		  int64_t until, int64_t now)
{
	uint64_t k0, k1;
	size_t mask = r->nrev - 1, at = SIZE_MAX, soonest = SIZE_MAX;
	struct rev_slot *s;

	digest(kind, id, &k0, &k1);
	if (kind != EDGE_REV_USER)
		before = INT64_MAX;
	edge_pmutex_lock(&r->write_lock);
	for (size_t i = 0; i < EDGE_REV_PROBES && i < r->nrev; i++) {
		s = &r->rev[(k0 + i) & mask];
		if (s->until != 0 && s->k0 == k0 && s->k1 == k1) {
			at = (k0 + i) & mask;
			break;
		}
		if (at == SIZE_MAX && s->until < now)
			at = (k0 + i) & mask; /* the first free slot, unless the id is further on */
		if (s->until == 0)
			break; /* never used: the id is not further on */
		if (soonest == SIZE_MAX || s->until < r->rev[soonest].until)
			soonest = (k0 + i) & mask;
	}
	if (at == SIZE_MAX) {
		at = soonest;
		r->st.evicted++;
	}
	s = &r->rev[at];
	if (r->seq & 1)
		r->seq++; /* a writer died inside its write: its slot is whole again below */
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (s->until != 0 && s->until >= now && s->k0 == k0 && s->k1 == k1) {
		STORE(s->before, before > s->before ? before : s->before);
		STORE(s->until, until > s->until ? until : s->until);
	} else {
		STORE(s->k0, k0);
		STORE(s->k1, k1);
		STORE(s->before, before);
		STORE(s->until, until);
	}
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
	r->st.entries++;
	edge_pmutex_unlock(&r->write_lock);
}

/* Is (KIND, ID) revoked for a token issued at ISSUED, at NOW? */
static bool lookup(struct edge_rev *r, enum edge_rev_kind kind, const char *id, int64_t issued,
		   int64_t now)
{
	uint64_t k0, k1, seq;
	size_t mask = r->nrev - 1;
	unsigned tries = 0;
	bool hit;

	digest(kind, id, &k0, &k1);
	do {
		/*
		 * A write takes a few stores; one that stays odd this long is a
		 * writer that died in it: read anyway rather than wait.
		 */
		while (((seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE)) & 1) && ++tries < 100000)
			;
		if (tries >= 100000)
			seq = UINT64_MAX;
		hit = false;
		for (size_t i = 0; i < EDGE_REV_PROBES && i < r->nrev; i++) {
			struct rev_slot *s = &r->rev[(k0 + i) & mask];
			int64_t until = LOAD(s->until);

			if (until == 0)
				break; /* never used: nothing was placed past it */
			if (LOAD(s->k0) == k0 && LOAD(s->k1) == k1) {
				hit = until >= now && issued <= LOAD(s->before);
				break;
			}
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (seq != UINT64_MAX && __atomic_load_n(&r->seq, __ATOMIC_RELAXED) != seq &&
		 ++tries < 100000);
	return hit;
}

const char *edge_rev_refused(struct edge_rev *r, const struct stream_claims *c, int64_t now)
{
	const char *why = NULL;

	if (c->lease[0] && lookup(r, EDGE_REV_LEASE, c->lease, c->issued, now))
		why = "stream token revoked: its lease ended";
	else if (lookup(r, EDGE_REV_USER, c->user, c->issued, now))
		why = "stream token revoked: its user is disabled";
	else if (c->kid[0] && lookup(r, EDGE_REV_KID, c->kid, c->issued, now))
		why = "stream token revoked: its signing key was retired";
	if (why)
		__atomic_fetch_add(&r->st.refused, 1, __ATOMIC_RELAXED);
	return why;
}

void edge_rev_note(struct edge_rev *r, struct edge_rev_seen *seen, const char *lease)
{
	uint64_t h = str_hash(lease), period = __atomic_load_n(&r->period, __ATOMIC_ACQUIRE) + 1;
	size_t slot = h % EDGE_SEEN_SLOTS, mask = r->nserved - 1;

	if (!lease[0] || strlen(lease) > STREAM_ID_MAX ||
	    (seen->hash[slot] == h && seen->period[slot] == period))
		return;
	edge_pmutex_lock(&r->served_lock);
	for (size_t i = 0; i < r->nserved; i++) {
		char *s = r->served[(h + i) & mask];

		if (strcmp(s, lease) == 0)
			break;
		if (!s[0]) {
			if (r->served_count >= r->nserved / 4 * 3) {
				r->st.dropped++;
				break;
			}
			strcpy(s, lease);
			r->served_count++;
			break;
		}
	}
	edge_pmutex_unlock(&r->served_lock);
	seen->hash[slot] = h;
	seen->period[slot] = period;
}

int edge_rev_take(struct edge_rev *r, char (**out)[STREAM_ID_MAX + 1], size_t *n)
{
	char(*ids)[STREAM_ID_MAX + 1] = NULL;
	size_t k = 0;

	edge_pmutex_lock(&r->served_lock);
	if (r->served_count &&
	    !(ids = malloc(r->served_count * sizeof(*ids)))) {
		edge_pmutex_unlock(&r->served_lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->nserved && k < r->served_count; i++) {
		if (r->served[i][0]) {
			memcpy(ids[k++], r->served[i], sizeof(ids[0]));
			r->served[i][0] = '\0';
		}
	}
	r->served_count = 0;
	__atomic_store_n(&r->period, r->period + 1, __ATOMIC_RELEASE);
	r->st.period = r->period;
	edge_pmutex_unlock(&r->served_lock);
	*out = ids;
	*n = k;
	return 0;
}

void edge_rev_stats(struct edge_rev *r, struct edge_rev_stats *st)
{
	edge_pmutex_lock(&r->served_lock);
	edge_pmutex_lock(&r->write_lock);
	*st = r->st;
	st->refused = __atomic_load_n(&r->st.refused, __ATOMIC_RELAXED);
	edge_pmutex_unlock(&r->write_lock);
	edge_pmutex_unlock(&r->served_lock);
}

void edge_rev_reported(struct edge_rev *r, bool ok, int64_t now)
{
	edge_pmutex_lock(&r->write_lock);
	if (ok) {
		r->st.reports_ok++;
		r->st.last_ok = now;
	} else {
		r->st.reports_failed++;
	}
	edge_pmutex_unlock(&r->write_lock);
}

int edge_rev_metrics(struct edge_rev *r, struct buf *out)
{
	struct edge_rev_stats st;

	edge_rev_stats(r, &st);
	return buf_printf(
	    out,
	    "# HELP reel_heartbeat_reports_total Reports to the origin, by outcome.\n"
	    "# TYPE reel_heartbeat_reports_total counter\n"
	    "reel_heartbeat_reports_total{result=\"ok\"} %llu\n"
	    "reel_heartbeat_reports_total{result=\"failed\"} %llu\n"
	    "# HELP reel_heartbeat_last_success_seconds Unix time of the last answered report.\n"
	    "# TYPE reel_heartbeat_last_success_seconds gauge\n"
	    "reel_heartbeat_last_success_seconds %lld\n"
	    "# HELP reel_revocations_added_total Revocations the origin's answers carried.\n"
	    "# TYPE reel_revocations_added_total counter\n"
	    "reel_revocations_added_total %llu\n"
	    "# HELP reel_revocations_evicted_total Live revocations pushed out of a full table.\n"
	    "# TYPE reel_revocations_evicted_total counter\n"
	    "reel_revocations_evicted_total %llu\n"
	    "# HELP reel_stream_token_revoked_total Requests refused for a revoked token.\n"
	    "# TYPE reel_stream_token_revoked_total counter\n"
	    "reel_stream_token_revoked_total %llu\n"
	    "# HELP reel_served_leases_dropped_total Served leases the full set could not note.\n"
	    "# TYPE reel_served_leases_dropped_total counter\n"
	    "reel_served_leases_dropped_total %llu\n",
	    (unsigned long long)st.reports_ok, (unsigned long long)st.reports_failed,
	    (long long)st.last_ok, (unsigned long long)st.entries,
	    (unsigned long long)st.evicted, (unsigned long long)st.refused,
	    (unsigned long long)st.dropped) < 0
		   ? -ENOMEM
		   : 0;
}
