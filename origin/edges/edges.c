/* The edge registry: the edges table, credentials, and each edge's state (edges.h). */
#include "array.h"
#include "edges/edges_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonfield.h"
#include "paseto.h"
#include "records.h"
#include "schema.h"
#include "seal.h"
#include "store.h"

#define SECRET_AAD "reel-edge-secret-v1"

void edge_spec_clear(struct edge_spec *s)
{
	free(s->prefixes);
	memset(s, 0, sizeof(*s));
}

void edge_report_clear(struct edge_report *r)
{
	free(r->titles);
	free(r->leases);
	free(r->prefixes);
	memset(r, 0, sizeof(*r));
}

static void edge_free(struct edge *ed)
{
	if (!ed)
		return;
	edge_spec_clear(&ed->spec);
	edge_report_clear(&ed->rep);
	OPENSSL_cleanse(ed->secret, sizeof(ed->secret));
	free(ed);
}

size_t edges_slot(const struct edges *e, const char *id)
{
	size_t i = 0;

	while (i < e->n && strcmp(e->v[i]->id, id) != 0)
		i++;
	return i;
}

struct edge *edges_find(const struct edges *e, const char *id)
{
	size_t i = edges_slot(e, id);

	return i < e->n ? e->v[i] : NULL;
}

void edges_slot_update(struct edges *e, size_t i)
{
	const struct edge *ed = e->v[i];
	struct steer_slot *s = &e->slots[i];
	bool usable = ed->last_report && ed->rep.health != EDGE_FAILING && !ed->draining &&
		      !ed->rep.draining;

	s->until = usable ? ed->last_report + (int64_t)e->p.down_after_s : 0;
	s->bits_per_s = (double)ed->rep.bytes_per_s * 8;
	s->capacity = (double)ed->spec.capacity_mbps * 1e6;
	steer_slot_load(s);
}

bool edges_holders_fresh(struct edges *e)
{
	struct holders *h;

	if (!e->holders_stale)
		return true;
	if (!(h = holders_new()))
		return false;
	for (size_t i = 0; i < e->n; i++) {
		if (holders_change(h, (uint32_t)i, NULL, 0, e->v[i]->rep.titles,
				   e->v[i]->rep.ntitles) != 0) {
			holders_free(h);
			return false;
		}
	}
	holders_free(e->holders);
	e->holders = h;
	e->holders_stale = false;
	return true;
}

bool edges_is_up(const struct edges *e, const struct edge *ed, int64_t now)
{
	return ed->last_report && now - ed->last_report < (int64_t)e->p.down_after_s &&
	       ed->rep.health != EDGE_FAILING;
}

/* ---- records ---- */

/* The associated data of edge ID's sealed secret into AAD: "reel-edge-secret-v1\0ID". */
static size_t secret_aad(const char *id, char aad[64])
{
	size_t n = sizeof(SECRET_AAD) + strlen(id);

	memcpy(aad, SECRET_AAD, sizeof(SECRET_AAD));
	memcpy(aad + sizeof(SECRET_AAD), id, strlen(id));
	return n;
}

static json_t *prefixes_json(const struct prefix *p, size_t n)
{
	json_t *a = json_array();
	char text[PREFIX_TEXT_MAX];

	for (size_t i = 0; a && i < n; i++) {
		prefix_format(&p[i], text);
		if (json_array_append_new(a, json_string(text)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* O (a new reference, or NULL) with ED's fill URL, when it has one. */
static json_t *with_fill_url(const struct edge *ed, json_t *o)
{
	if (o && ed->spec.fill_url[0] &&
	    json_object_set_new(o, "fill_url", json_string(ed->spec.fill_url)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ED's record, its secret sealed under MASTER: a new reference, NULL on failure. */
static json_t *edge_record(const struct edge *ed, const uint8_t master[32])
{
	uint8_t sealed[EDGE_SECRET_LEN + SEAL_OVERHEAD];
	char aad[64], b64[2 * sizeof(sealed)];
	size_t slen;

	if (seal_encrypt(master, aad, secret_aad(ed->id, aad), ed->secret, EDGE_SECRET_LEN, sealed,
			 sizeof(sealed), &slen) != 0)
		return NULL;
	paseto_b64_encode(sealed, slen, b64);
	return with_fill_url(ed, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o*, s:b, s:s, s:I}", "id", ed->id, "name",
			 ed->spec.name, "url", ed->spec.url, "cluster", ed->spec.cluster, "capacity",
			 (json_int_t)ed->spec.capacity_mbps, "prefixes",
			 prefixes_json(ed->spec.prefixes, ed->spec.nprefixes), "draining",
			 ed->draining, "secret", b64, "created", (json_int_t)ed->created));
}

static int save(struct edges *e, const struct edge *ed)
{
	struct store_txn *t;
	int rc = store_begin(e->st, true, &t);

	if (rc != 0)
		return rc;
	rc = records_put(t, ORIGIN_DB_EDGES, ed->id, strlen(ed->id), edge_record(ed, e->master),
			 false);
	return store_finish(t, rc);
}

/* The sealed secret B64 of edge ED into ED->secret. */
static int open_secret(struct edges *e, struct edge *ed, const char *b64)
{
	uint8_t sealed[EDGE_SECRET_LEN + SEAL_OVERHEAD + 4];
	char aad[64];
	size_t n = strlen(b64), plen;
	long slen;

	if (paseto_b64_declen(n) > sizeof(sealed) ||
	    (slen = paseto_b64_decode(b64, n, sealed)) < 0 ||
	    seal_decrypt(e->master, aad, secret_aad(ed->id, aad), sealed, (size_t)slen,
			 (uint8_t *)ed->secret, EDGE_SECRET_LEN, &plen) != 0 ||
	    plen != EDGE_SECRET_LEN)
		return -EIO;
	ed->secret[EDGE_SECRET_LEN] = '\0';
	return 0;
}

/* Edge record OBJ into a new *OUT. */
static int edge_from_record(struct edges *e, json_t *obj, struct edge **out)
{
	struct edge *ed = calloc(1, sizeof(*ed));
	json_t *pre = json_object_get(obj, "prefixes"), *v;
	const char *secret = json_string_value(json_object_get(obj, "secret"));
	uint64_t created = 0;
	size_t i;

	*out = NULL;
	if (!ed)
		return -ENOMEM;
	if (jf_str(obj, "id", ed->id, sizeof(ed->id)) != 0 ||
	    jf_str(obj, "name", ed->spec.name, sizeof(ed->spec.name)) != 0 ||
	    jf_str(obj, "url", ed->spec.url, sizeof(ed->spec.url)) != 0 ||
	    jf_str(obj, "cluster", ed->spec.cluster, sizeof(ed->spec.cluster)) != 0 ||
	    jf_uint(obj, "capacity", 1, UINT64_MAX, &ed->spec.capacity_mbps) != 0 ||
	    jf_bool(obj, "draining", &ed->draining) != 0 ||
	    jf_uint(obj, "created", 0, INT64_MAX, &created) != 0 || !json_is_array(pre) ||
	    !secret || open_secret(e, ed, secret) != 0)
		goto bad;
	if (json_object_get(obj, "fill_url") &&
	    jf_str(obj, "fill_url", ed->spec.fill_url, sizeof(ed->spec.fill_url)) != 0)
		goto bad;
	ed->created = (int64_t)created;
	if (json_array_size(pre) &&
	    !(ed->spec.prefixes = calloc(json_array_size(pre), sizeof(*ed->spec.prefixes))))
		goto bad;
	json_array_foreach(pre, i, v) {
		const char *s = json_string_value(v);

		if (!s || prefix_parse(s, strlen(s), &ed->spec.prefixes[i]) != 0)
			goto bad;
		ed->spec.nprefixes++;
	}
	*out = ed;
	return 0;
bad:
	edge_free(ed);
	return -EIO;
}

static int append(struct edges *e, struct edge *ed)
{
	if (array_reserve((void **)&e->v, &e->cap, e->n, sizeof(*e->v), 16) != 0 ||
	    array_reserve((void **)&e->slots, &e->slots_cap, e->n, sizeof(*e->slots), 16) != 0)
		return -ENOMEM;
	e->v[e->n] = ed;
	e->slots[e->n] = (struct steer_slot){0};
	edges_slot_update(e, e->n++);
	e->gen++;
	return 0;
}

static int load_one(void *arg, const void *key, size_t klen, json_t *obj)
{
	struct edges *e = arg;
	struct edge *ed;
	int rc = obj ? edge_from_record(e, obj, &ed) : -EIO;

	if (rc == 0 && (rc = append(e, ed)) != 0)
		edge_free(ed);
	return rc;
}

/* The stream key ids now, to see later which go. */
static void note_kids(struct edges *e)
{
	e->nkids = 0;
	for (size_t i = 0; i < e->keys->n && i < KEYSET_MAX; i++)
		snprintf(e->kids[e->nkids++], sizeof(e->kids[0]), "%s",
			 paseto_key_kid(e->keys->keys[i]));
}

int edges_new(struct store *st, const uint8_t master[32], const struct keyset *keys,
	      struct playback *pb, const struct edges_params *p, int64_t now, struct edges **out)
{
	struct edges *e = calloc(1, sizeof(*e));
	struct store_txn *t = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	*e = (struct edges){.magic = EDGES_MAGIC, .st = st, .keys = keys, .pb = pb, .p = *p};
	memcpy(e->master, master, sizeof(e->master));
	if ((rc = revocations_open(st, p->keep_s, now, &e->rev)) != 0)
		goto fail;
	rc = -ENOMEM;
	if (!(e->holders = holders_new()) ||
	    !(e->nonces = nonce_cache_new(2 * HTTPSIG_WINDOW, now)))
		goto fail;
	note_kids(e);
	if ((rc = store_begin(st, false, &t)) != 0)
		goto fail;
	rc = records_scan(t, ORIGIN_DB_EDGES, NULL, 0, load_one, e);
	store_abort(t);
	if (rc != 0)
		goto fail;
	*out = e;
	return 0;
fail:
	edges_free(e);
	return rc;
}

void edges_free(struct edges *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		edge_free(e->v[i]);
	free(e->v);
	free(e->slots);
	holders_free(e->holders);
	prefix_table_free(e->table);
	revocations_free(e->rev);
	nonce_cache_free(e->nonces);
	OPENSSL_cleanse(e->master, sizeof(e->master));
	free(e);
}

/* ---- the admin's changes ---- */

/* A fresh credential into SECRET: 32 random bytes, base64url. */
static int make_secret(char secret[EDGE_SECRET_LEN + 1])
{
	uint8_t raw[32];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	paseto_b64_encode(raw, sizeof(raw), secret);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static bool spec_copy(struct edge_spec *dst, const struct edge_spec *src)
{
	*dst = *src;
	dst->prefixes = NULL;
	if (src->nprefixes &&
	    !(dst->prefixes = malloc(src->nprefixes * sizeof(*dst->prefixes))))
		return false;
	if (src->nprefixes)
		memcpy(dst->prefixes, src->prefixes, src->nprefixes * sizeof(*dst->prefixes));
	return true;
}

int edges_add(struct edges *e, const struct edge_spec *s, int64_t now, char id[EDGE_ID_LEN + 1],
	      char secret[EDGE_SECRET_LEN + 1], struct origin_reason *why)
{
	struct edge *ed;
	int rc;

	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->v[i]->spec.name, s->name) == 0)
			return reason_set(why, -EINVAL, "name_taken", "an edge has this name");
		if (strcmp(e->v[i]->spec.url, s->url) == 0)
			return reason_set(why, -EINVAL, "url_taken", "an edge has this URL");
	}
	if (!(ed = calloc(1, sizeof(*ed))))
		return -ENOMEM;
	if (!spec_copy(&ed->spec, s)) {
		free(ed);
		return -ENOMEM;
	}
	ed->created = now;
	if ((rc = jf_random_id('e', 8, ed->id)) != 0 || (rc = make_secret(ed->secret)) != 0 ||
	    (rc = save(e, ed)) != 0 || (rc = append(e, ed)) != 0) {
		edge_free(ed);
		return rc;
	}
	memcpy(id, ed->id, EDGE_ID_LEN + 1);
	memcpy(secret, ed->secret, EDGE_SECRET_LEN + 1);
	return 0;
}

int edges_remove(struct edges *e, const char *id)
{
	struct store_txn *t;
	size_t i = edges_slot(e, id);
	int rc;

	if (i == e->n)
		return -ENOENT;
	if ((rc = store_begin(e->st, true, &t)) != 0)
		return rc;
	if ((rc = store_finish(t, store_del(t, ORIGIN_DB_EDGES, id, strlen(id)))) != 0)
		return rc;
	edge_free(e->v[i]);
	memmove(e->v + i, e->v + i + 1, (e->n - i - 1) * sizeof(*e->v));
	memmove(e->slots + i, e->slots + i + 1, (e->n - i - 1) * sizeof(*e->slots));
	e->n--;
	e->gen++;
	e->holders_stale = true; /* the slots after I moved down */
	edges_holders_fresh(e);
	return 0;
}

int edges_set_draining(struct edges *e, const char *id, bool draining)
{
	size_t i = edges_slot(e, id);
	struct edge *ed = i < e->n ? e->v[i] : NULL;
	bool was;
	int rc;

	if (!ed)
		return -ENOENT;
	was = ed->draining;
	ed->draining = draining;
	if ((rc = save(e, ed)) != 0)
		ed->draining = was;
	edges_slot_update(e, i);
	return rc;
}

int edges_new_secret(struct edges *e, const char *id, char secret[EDGE_SECRET_LEN + 1])
{
	struct edge *ed = edges_find(e, id);
	char old[EDGE_SECRET_LEN + 1];
	int rc;

	if (!ed)
		return -ENOENT;
	memcpy(old, ed->secret, sizeof(old));
	if ((rc = make_secret(ed->secret)) == 0 && (rc = save(e, ed)) == 0)
		memcpy(secret, ed->secret, sizeof(ed->secret));
	else
		memcpy(ed->secret, old, sizeof(old));
	OPENSSL_cleanse(old, sizeof(old));
	return rc;
}

/* ---- what the admin sees ---- */

static const char *state_of(const struct edges *e, const struct edge *ed, int64_t now)
{
	if (!edges_is_up(e, ed, now))
		return "down";
	return ed->draining || ed->rep.draining ? "draining" : "up";
}

static const char *const health_names[] = {"ok", "degraded", "failing"};

/* ED as the admin sees it at NOW (no secret): a new reference, or NULL. */
static json_t *edge_json(const struct edges *e, const struct edge *ed, int64_t now)
{
	json_t *o = with_fill_url(ed, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o*, s:b, s:o, s:s}", "id", ed->id,
			      "name", ed->spec.name, "url", ed->spec.url, "cluster",
			      ed->spec.cluster, "capacity", (json_int_t)ed->spec.capacity_mbps,
			      "prefixes", prefixes_json(ed->spec.prefixes, ed->spec.nprefixes),
			      "draining", ed->draining, "created", jf_time(ed->created), "state",
			      state_of(e, ed, now)));
	const struct edge_report *r = &ed->rep;

	if (!o || !ed->last_report)
		return o;
	if (json_object_set_new(
		o, "report",
		json_pack("{s:o, s:I, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:o*}", "at",
			  jf_time(ed->last_report), "age", (json_int_t)(now - ed->last_report),
			  "health", health_names[r->health], "draining", r->draining,
			  "connections", (json_int_t)r->connections, "bytes_per_s",
			  (json_int_t)r->bytes_per_s, "disk_used", (json_int_t)r->disk_used,
			  "disk_free", (json_int_t)r->disk_free, "titles", (json_int_t)r->ntitles,
			  "learned_prefixes",
			  r->has_prefixes ? prefixes_json(r->prefixes, r->nprefixes) : NULL)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *edges_list(const struct edges *e, int64_t now)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < e->n; i++) {
		if (json_array_append_new(a, edge_json(e, e->v[i], now)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a ? json_pack("{s:o}", "edges", a) : NULL;
}

int edges_show(const struct edges *e, const char *id, int64_t now, json_t **out)
{
	const struct edge *ed = edges_find(e, id);

	*out = NULL;
	if (!ed)
		return -ENOENT;
	*out = edge_json(e, ed, now);
	return *out ? 0 : -ENOMEM;
}

size_t edges_count(const struct edges *e)
{
	return e->n;
}

void edges_fill_targets(const struct edges *e, int64_t now,
			void (*fn)(void *arg, const struct edges_fill_target *t), void *arg)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct edge *ed = e->v[i];
		struct edges_fill_target t = {ed->id, ed->spec.name, ed->spec.cluster,
					      ed->spec.fill_url,
					      !ed->last_report || edges_is_up(e, ed, now)};

		if (ed->spec.fill_url[0])
			fn(arg, &t);
	}
}

size_t edges_up(const struct edges *e, int64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < e->n; i++)
		k += edges_is_up(e, e->v[i], now);
	return k;
}

/* ---- revocations ---- */

void edges_lease_ended(void *arg, const char *lease)
{
	struct edges *e = arg;

	revocations_add(e->rev, REVOKED_LEASE, lease, (int64_t)time(NULL));
}

void edges_user_disabled(struct edges *e, const char *uid, int64_t now)
{
	revocations_add(e->rev, REVOKED_USER, uid, now);
}

static bool kid_listed(const struct keyset *ks, const char *kid)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(paseto_key_kid(ks->keys[i]), kid) == 0)
			return true;
	return false;
}

void edges_tick(struct edges *e, int64_t now)
{
	for (size_t i = 0; i < e->nkids; i++)
		if (!kid_listed(e->keys, e->kids[i]))
			revocations_add(e->rev, REVOKED_KID, e->kids[i], now);
	note_kids(e);
	revocations_expire(e->rev, now);
}

int edges_revocations_take(struct edges *e, struct revocation_batch **out)
{
	return revocations_take(e->rev, out);
}

void edges_revocations_taken(struct edges *e, struct revocation_batch *b, int rc)
{
	revocations_taken(e->rev, b, rc);
}

int edges_revocations_save(struct edges *e)
{
	return revocations_save(e->rev, e->st);
}
