/*
 * Offline downloads: licenses (common/license.h) issued, renewed, released
 * and listed under the plan's limits, each change checked and written in
 * one store write transaction (tables.h holds the records), and the content
 * key wrapped afresh for a license's device.
 *
 * A plan limits, for a new download: whether downloads are allowed at all,
 * the devices holding active downloads, the active downloads, and the
 * licenses of one title issued in the last 365 days.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_DOWNLOADS_H
#define ORIGIN_DOWNLOADS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "license.h"
#include "reason.h"

#define DOWNLOAD_LID_LEN    25 /* "d" + 24 hex digits */
#define DOWNLOAD_DEVICE_MAX 64

struct store;
struct plans;
struct keyset;

struct downloads_params {
	uint32_t license_ttl_s;	   /* a license's storage expiry after its issue */
	uint32_t license_window_s; /* playback window after the first offline play */
};

/* One download: its license's record. */
struct download {
	char lid[DOWNLOAD_LID_LEN + 1];
	char title[TITLE_ID_MAX + 1];
	char device[DOWNLOAD_DEVICE_MAX + 1];
	char ckid[CONTENT_KID_MAX + 1];
	uint8_t device_key[LICENSE_X25519_LEN]; /* the device's X25519 public key */
	int64_t first_issued, issued, expires;
	uint32_t renewal;
	bool released;
};

/* The content key of a license, wrapped afresh for its device (GET /keys/TITLE?license=). */
struct download_key {
	char lid[DOWNLOAD_LID_LEN + 1];
	char ckid[CONTENT_KID_MAX + 1];
	struct license_wrapped wrapped;
};

struct downloads;

/*
 * The downloads service over ST, PL, CAT and the license key set KEYS (none
 * owned; each must outlive it: KEYS may be reloaded in place), with P
 * copied; NULL on ENOMEM.  Free it with downloads_free().
 */
struct downloads *downloads_new(struct store *st, struct plans *pl, struct catalog *cat,
				const struct keyset *keys, const struct downloads_params *p);

/* Free D.  NULL is a no-op. */
void downloads_free(struct downloads *d);

/* The playback window licenses carry, in seconds. */
uint32_t downloads_window(const struct downloads *d);

/*
 * D as a new JSON object at NOW (the caller decrefs it; NULL on allocation
 * failure): {"id", "title", "device_id", "issued", "expires", "renewal",
 * "status": "active" | "expired" | "released"}.
 */
json_t *download_json(const struct download *d, int64_t now);

/*
 * Issue user UID a license for TITLE on device DEVICE (a token id of at
 * most DOWNLOAD_DEVICE_MAX) with public key DEVICE_KEY at NOW: 0 with the
 * record in *OUT and the signed license in *LICENSE (malloc'd: the caller
 * frees it); -EACCES (no active subscription), -ENOENT (no such title),
 * -ENOKEY (the title has no content key), -EPERM (the plan has no
 * downloads), -EDQUOT (at one of the plan's limits: *WHY says which), or a
 * negative errno.
 */
int downloads_issue(struct downloads *d, const char *uid, const char *title, const char *device,
		    const uint8_t device_key[LICENSE_X25519_LEN], int64_t now, struct download *out,
		    char **license, struct origin_reason *why);

/*
 * A fresh license for UID's download LID (new expiry, renewal + 1) on the
 * same device at NOW: 0 with the record in *OUT and the license in *LICENSE
 * (malloc'd: the caller frees it); -ENOENT
 * (no such download), -EACCES (no active subscription), -ESTALE (the
 * download was released), -EPERM (the plan has no downloads), -ENOKEY (the
 * title's content key is gone), or a negative errno.
 */
int downloads_renew(struct downloads *d, const char *uid, const char *lid, int64_t now,
		    struct download *out, char **license);

/*
 * Release UID's download LID, freeing its slot: 0, -ENOENT (no such
 * download), -EALREADY (already released), or a negative errno.
 */
int downloads_release(struct downloads *d, const char *uid, const char *lid);

/*
 * UID's downloads at NOW (active ones; EVERY: all records) as a new JSON
 * array in *OUT (the caller decrefs it).  0 or a negative errno.
 */
int downloads_list(struct downloads *d, const char *uid, int64_t now, bool every, json_t **out);

/*
 * TITLE's content key for the holder of license LICENSE at NOW, wrapped
 * afresh for the license's device, into *OUT: 0, -EBADMSG (the license is
 * not valid), -ETIMEDOUT (past its storage expiry), -EACCES (for another
 * title), -EPERM (the download was released), -EKEYREVOKED (the account
 * is disabled or gone), -EKEYEXPIRED (no subscription active or within its
 * paid period), or a negative errno.
 */
int downloads_key(struct downloads *d, const char *title, const char *license, int64_t now,
		  struct download_key *out);

#endif
