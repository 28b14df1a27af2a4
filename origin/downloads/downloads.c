/* Offline downloads: licenses under the plan's limits (downloads.h). */
#include "downloads/downloads.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "array.h"
#include "jsonfield.h"
#include "keyfiles.h"
#include "paseto.h"
#include "plans/plans.h"
#include "records.h"
#include "schema.h"
#include "store.h"

#define YEAR	    (365 * 86400)
#define MAX_RECORDS 4096 /* licenses looked at per user */

struct downloads {
	struct store *st;
	struct plans *plans;
	struct catalog *catalog;
	const struct keyset *keys; /* license keys: the last signs */
	struct downloads_params p;
};

struct downloads *downloads_new(struct store *st, struct plans *pl, struct catalog *cat,
				const struct keyset *keys, const struct downloads_params *p)
{
	struct downloads *d = calloc(1, sizeof(*d));

	if (d)
		*d = (struct downloads){st, pl, cat, keys, *p};
	return d;
}

void downloads_free(struct downloads *d)
{
	free(d);
}

uint32_t downloads_window(const struct downloads *d)
{
	return d->p.license_window_s;
}

static bool dl_active(const struct download *d, int64_t now)
{
	return !d->released && now < d->expires;
}

json_t *download_json(const struct download *d, int64_t now)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:s}", "id", d->lid, "title", d->title,
			 "device_id", d->device, "issued", jf_time(d->issued), "expires",
			 jf_time(d->expires), "renewal", (int)d->renewal, "status",
			 d->released	    ? "released"
			 : now < d->expires ? "active"
					    : "expired");
}

static int dl_parse(json_t *o, struct download *d)
{
	char b64[64];
	uint8_t raw[48];
	uint64_t a, b, c, r;

	memset(d, 0, sizeof(*d));
	if (jf_str(o, "lid", d->lid, sizeof(d->lid)) ||
	    jf_str(o, "title", d->title, sizeof(d->title)) ||
	    jf_str(o, "device", d->device, sizeof(d->device)) ||
	    jf_str(o, "ckid", d->ckid, sizeof(d->ckid)) ||
	    jf_str(o, "device_key", b64, sizeof(b64)) ||
	    jf_uint(o, "first_issued", 0, INT64_MAX, &a) ||
	    jf_uint(o, "issued", 0, INT64_MAX, &b) || jf_uint(o, "expires", 0, INT64_MAX, &c) ||
	    jf_uint(o, "renewal", 0, UINT32_MAX, &r) || jf_bool(o, "released", &d->released) ||
	    paseto_b64_declen(strlen(b64)) > sizeof(raw) ||
	    paseto_b64_decode(b64, strlen(b64), raw) != LICENSE_X25519_LEN)
		return -EIO;
	memcpy(d->device_key, raw, LICENSE_X25519_LEN);
	d->first_issued = (int64_t)a;
	d->issued = (int64_t)b;
	d->expires = (int64_t)c;
	d->renewal = (uint32_t)r;
	return 0;
}

static int dl_put(struct store_txn *t, const char *uid, const struct download *d)
{
	char key[ACCOUNTS_UID_LEN + 1 + DOWNLOAD_LID_LEN + 1], b64[64];

	snprintf(key, sizeof(key), "%s/%s", uid, d->lid);
	paseto_b64_encode(d->device_key, LICENSE_X25519_LEN, b64);
	return records_put(t, ORIGIN_DB_LICENSES, key, strlen(key),
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:b}", "lid",
				     d->lid, "title", d->title, "device", d->device, "device_key",
				     b64, "ckid", d->ckid, "first_issued",
				     (json_int_t)d->first_issued, "issued", (json_int_t)d->issued,
				     "expires", (json_int_t)d->expires, "renewal", (int)d->renewal,
				     "released", d->released),
			   false);
}

/* Every license record of a user. */
struct download_list {
	struct download *v;
	size_t n, cap;
};

static int dl_collect(void *arg, const void *key, size_t klen, json_t *o)
{
	struct download_list *l = arg;

	if (!o)
		return -EIO;
	if (l->n == MAX_RECORDS)
		return 1;
	if (array_reserve((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 8) != 0)
		return -ENOMEM;
	if (dl_parse(o, &l->v[l->n]) == 0)
		l->n++;
	return 0;
}

static int dl_load(struct store_txn *t, const char *uid, struct download_list *l)
{
	char prefix[ACCOUNTS_UID_LEN + 2];

	snprintf(prefix, sizeof(prefix), "%s/", uid);
	l->n = 0;
	return records_scan(t, ORIGIN_DB_LICENSES, prefix, strlen(prefix), dl_collect, l);
}

/* Sign the license for D of user UID with content key KEY; *OUT is malloc'd. */
static int sign(struct downloads *dls, const char *uid, const struct download *d,
		const uint8_t key[CONTENT_KEY_LEN], char **out)
{
	struct license_claims c = {0};
	int rc;

	snprintf(c.lid, sizeof(c.lid), "%s", d->lid);
	snprintf(c.user, sizeof(c.user), "%s", uid);
	snprintf(c.device, sizeof(c.device), "%s", d->device);
	snprintf(c.title, sizeof(c.title), "%s", d->title);
	snprintf(c.ckid, sizeof(c.ckid), "%s", d->ckid);
	c.issued = d->issued;
	c.expires = d->expires;
	c.window_s = dls->p.license_window_s;
	c.renewal = d->renewal;
	if ((rc = license_bind_device(&c, d->device_key, key)) == 0)
		rc = license_issue(keyset_signer(dls->keys), &c, out);
	OPENSSL_cleanse(&c.wrapped, sizeof(c.wrapped));
	return rc;
}

/*
 * Stamp D issued NOW for the license lifetime, sign its license into *TOKEN
 * (malloc'd) and store D for user UID in T.
 */
static int put_license(struct downloads *dls, struct store_txn *t, const char *uid,
		       struct download *d, const uint8_t key[CONTENT_KEY_LEN], int64_t now,
		       char **token)
{
	int rc;

	d->issued = now;
	d->expires = now + dls->p.license_ttl_s;
	if ((rc = sign(dls, uid, d, key, token)) == 0)
		rc = dl_put(t, uid, d);
	return rc;
}

/*
 * May D (its user's records in L) have a new download of TITLE on DEVICE
 * under plan PL at NOW?  0, -EPERM (the plan has no downloads) or -EDQUOT
 * (at a limit: *WHY says which).
 */
static int within_limits(const struct plan *pl, const struct download_list *l, const char *title,
			 const char *device, int64_t now, struct origin_reason *why)
{
	size_t active = 0, year = 0, devices = 0;
	bool known_device = false;

	for (size_t i = 0; i < l->n; i++) {
		const struct download *d = &l->v[i];
		bool first = true;

		if (strcmp(d->title, title) == 0 && now - d->first_issued < YEAR)
			year++;
		if (!dl_active(d, now))
			continue;
		active++;
		if (strcmp(d->device, device) == 0)
			known_device = true;
		for (size_t j = 0; j < i && first; j++)
			if (dl_active(&l->v[j], now) && strcmp(l->v[j].device, d->device) == 0)
				first = false;
		devices += first;
	}
	if (!pl->downloads)
		return -EPERM;
	if (!known_device && devices >= pl->max_devices)
		return reason_limit(why, -EDQUOT, "device_limit", pl->max_devices,
				    "the plan allows downloads on %u devices", pl->max_devices);
	if (active >= pl->max_downloads)
		return reason_limit(why, -EDQUOT, "download_limit", pl->max_downloads,
				    "the plan allows %u active downloads", pl->max_downloads);
	if (year >= pl->downloads_per_title_year)
		return reason_limit(why, -EDQUOT, "title_download_limit",
				    pl->downloads_per_title_year,
				    "the plan allows %u downloads of a title per year",
				    pl->downloads_per_title_year);
	return 0;
}

/* UID's record LID in T into *D: 0, -ENOENT, or a negative errno (-EIO: damaged). */
static int download_get(struct store_txn *t, const char *uid, const char *lid, struct download *d)
{
	char key[STREAM_ID_MAX + 1 + DOWNLOAD_LID_LEN + 1];
	json_t *o;
	int rc;

	if (strlen(lid) != DOWNLOAD_LID_LEN || strlen(uid) > STREAM_ID_MAX)
		return -ENOENT;
	snprintf(key, sizeof(key), "%s/%s", uid, lid);
	if ((rc = records_get(t, ORIGIN_DB_LICENSES, key, strlen(key), &o)) == 0) {
		rc = dl_parse(o, d);
		json_decref(o);
	}
	return rc;
}

/*
 * The plan of UID at NOW and the content key KID (NULL: the current one) of
 * TITLE, in T: -EACCES (no subscription) or -ENOKEY (no such key), as
 * downloads_issue and _renew.
 */
static int entitled_key(struct downloads *dls, struct store_txn *t, const char *uid,
			const char *title, const char *kid, int64_t now, struct plan *pl,
			uint8_t key[CONTENT_KEY_LEN], char ckid[CONTENT_KID_MAX + 1])
{
	int rc = plans_entitled(t, uid, now, dls->plans, pl);

	if (rc == 0 && (rc = catalog_key_in(dls->catalog, t, title, kid, key, ckid)) == -ENOENT)
		rc = -ENOKEY;
	return rc;
}

int downloads_issue(struct downloads *dls, const char *uid, const char *title, const char *device,
		    const uint8_t device_key[LICENSE_X25519_LEN], int64_t now, struct download *d,
		    char **license, struct origin_reason *why)
{
	struct download_list l = {0};
	struct title_info ti;
	struct store_txn *t;
	struct plan pl;
	uint8_t key[CONTENT_KEY_LEN];
	int rc;

	*license = NULL;
	memset(d, 0, sizeof(*d));
	snprintf(d->title, sizeof(d->title), "%s", title);
	snprintf(d->device, sizeof(d->device), "%s", device);
	memcpy(d->device_key, device_key, LICENSE_X25519_LEN);
	if ((rc = store_begin(dls->st, true, &t)) != 0)
		return rc;
	rc = entitled_key(dls, t, uid, title, NULL, now, &pl, key, d->ckid);
	if (rc == -ENOKEY && catalog_info_in(dls->catalog, t, title, &ti) == -ENOENT)
		rc = -ENOENT;
	if (rc == 0 && (rc = dl_load(t, uid, &l)) == 0 &&
	    (rc = within_limits(&pl, &l, title, device, now, why)) == 0 &&
	    (rc = jf_random_id('d', 12, d->lid)) == 0) {
		d->first_issued = now;
		rc = put_license(dls, t, uid, d, key, now, license);
	}
	OPENSSL_cleanse(key, sizeof(key));
	free(l.v);
	if ((rc = store_finish(t, rc)) != 0) {
		free(*license);
		*license = NULL;
	}
	return rc;
}

int downloads_renew(struct downloads *dls, const char *uid, const char *lid, int64_t now,
		    struct download *d, char **license)
{
	struct store_txn *t;
	struct plan pl;
	uint8_t key[CONTENT_KEY_LEN] = {0};
	int rc;

	*license = NULL;
	if ((rc = store_begin(dls->st, true, &t)) != 0)
		return rc;
	if ((rc = download_get(t, uid, lid, d)) == 0 &&
	    (rc = plans_entitled(t, uid, now, dls->plans, &pl)) == 0) {
		if (d->released)
			rc = -ESTALE;
		else if (!pl.downloads)
			rc = -EPERM;
		else if ((rc = catalog_key_in(dls->catalog, t, d->title, d->ckid, key, NULL)) ==
			 -ENOENT)
			rc = -ENOKEY;
	}
	if (rc == 0) {
		d->renewal++;
		rc = put_license(dls, t, uid, d, key, now, license);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if ((rc = store_finish(t, rc)) != 0) {
		free(*license);
		*license = NULL;
	}
	return rc;
}

int downloads_release(struct downloads *dls, const char *uid, const char *lid)
{
	struct store_txn *t;
	struct download d;
	int rc;

	if ((rc = store_begin(dls->st, true, &t)) != 0)
		return rc;
	if ((rc = download_get(t, uid, lid, &d)) == 0 && d.released)
		rc = -EALREADY;
	if (rc == 0) {
		d.released = true;
		rc = dl_put(t, uid, &d);
	}
	return store_finish(t, rc);
}

int downloads_list(struct downloads *dls, const char *uid, int64_t now, bool every, json_t **out)
{
	struct download_list l = {0};
	struct store_txn *t;
	int rc;

	*out = NULL;
	if ((rc = store_begin(dls->st, false, &t)) == 0) {
		rc = dl_load(t, uid, &l);
		store_abort(t);
	}
	if (rc == 0 && !(*out = json_array()))
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		if (every || dl_active(&l.v[i], now))
			json_array_append_new(*out, download_json(&l.v[i], now));
	free(l.v);
	return rc;
}

/*
 * May the holder UID of a license still open its key at NOW: the account
 * enabled (-EKEYREVOKED) and a subscription active or within its paid
 * period (-EKEYEXPIRED), as a license server refuses a lapsed account.
 */
static int holder_in_good_standing(struct downloads *dls, struct store_txn *t, const char *uid,
				   int64_t now)
{
	struct accounts_user u;
	struct plan pl;
	int rc = accounts_find_in(t, uid, &u);

	if (rc == -ENOENT || (rc == 0 && u.disabled))
		return -EKEYREVOKED;
	if (rc == 0 && (rc = plans_entitled(t, uid, now, dls->plans, &pl)) == -EACCES)
		rc = -EKEYEXPIRED;
	return rc;
}

int downloads_key(struct downloads *dls, const char *title, const char *license, int64_t now,
		  struct download_key *out)
{
	uint8_t ckey[CONTENT_KEY_LEN];
	struct license_claims c;
	struct store_txn *t;
	struct download d;
	int rc = license_check(dls->keys->ring, license, strlen(license), now, &c);

	if (rc != 0 && rc != -ETIMEDOUT && rc != -ENOMEM && rc != -EIO)
		rc = -EBADMSG; /* not valid, whatever the step */
	if (rc == 0 && strcmp(c.title, title) != 0)
		rc = -EACCES;
	if (rc != 0 || (rc = store_begin(dls->st, false, &t)) != 0)
		return rc;
	rc = download_get(t, c.user, c.lid, &d);
	if (rc == -ENOENT || (rc == 0 && (d.released || strcmp(d.ckid, c.ckid) != 0)))
		rc = -EPERM;
	if (rc == 0)
		rc = holder_in_good_standing(dls, t, c.user, now);
	if (rc == 0 && (rc = catalog_key_in(dls->catalog, t, title, c.ckid, ckey, NULL)) == -ENOENT)
		rc = -EIO; /* the key of a live license is gone */
	store_abort(t);
	if (rc == 0)
		rc = license_wrap_key(d.device_key, c.lid, title, c.ckid, ckey, &out->wrapped);
	OPENSSL_cleanse(ckey, sizeof(ckey));
	if (rc == 0) {
		memcpy(out->lid, d.lid, sizeof(out->lid)); /* the record's: equal to the claims' */
		memcpy(out->ckid, d.ckid, sizeof(out->ckid));
	}
	return rc;
}
