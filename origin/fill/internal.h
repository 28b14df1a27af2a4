/*
 * The fill scheduler's insides, shared by fill.c (titles, edges, jobs,
 * transfers) and peer.c (peer fill: copy orders, choosing a peer, falling
 * back to the origin).  Not for use outside origin/fill/.
 */
#ifndef ORIGIN_FILL_INTERNAL_H
#define ORIGIN_FILL_INTERNAL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "catalog/catalog.h"
#include "edges/edges.h"
#include "fill/fill.h"
#include "httpsig.h"
#include "manifest.h"

#define EMPTY_DIGEST HTTPSIG_EMPTY_DIGEST
#define RESP_MAX     (64u << 20) /* the longest answer kept (a big title's file list) */

struct ftitle {
	char id[TITLE_ID_MAX + 1];
	char version[MANIFEST_VERSION_LEN + 1];
	struct manifest *m;
	char *text; /* manifest.json as read */
	size_t len;
	struct timespec mtime;
	off_t fsize;
	bool urgent, present; /* present: in the catalog with a package, this pass */
	struct ftitle *next;
};

enum job_kind { JOB_FILL, JOB_DELETE };
/* What an edge has of one file of the title it fills. */
enum { HAVE_NONE, HAVE_STORED, HAVE_SENDING /* on its way from the origin */ };
enum job_state { JOB_WAITING, JOB_LISTING, JOB_PUSHING, JOB_MANIFEST, JOB_DELETING };

struct fedge;

struct fjob {
	struct fedge *e;
	char title[TITLE_ID_MAX + 1];
	char version[MANIFEST_VERSION_LEN + 1]; /* of the package being filled */
	enum job_kind kind;
	enum job_state state;
	size_t *missing, nmissing, next_file; /* manifest indexes to send; the next to start */
	uint8_t *have; /* per manifest file: HAVE_NONE, HAVE_STORED or HAVE_SENDING */
	size_t files_done, files_failed;
	size_t from_origin, from_peers; /* files stored, sent by the origin or copied */
	bool no_peer;			/* a copy failed: the rest comes from the origin */
	char peer[EDGE_NAME_MAX + 1];	/* the last peer copied from */
	uint64_t bytes_total, bytes_done;
	unsigned inflight, attempts;
	int64_t next_at, started;
	bool dropped; /* no longer wanted: freed once nothing is in flight */
	char error[160];
	struct fjob *next;
};

struct fedge {
	char id[EDGE_ID_LEN + 1], name[EDGE_NAME_MAX + 1], cluster[EDGE_CLUSTER_MAX + 1];
	char url[EDGE_URL_MAX + 1]; /* the fill API's base */
	bool up, present;
	json_t *inv; /* title -> {"state", "version"} from its last GET /fill/ */
	uint64_t capacity;
	bool inv_busy;
	bool inv_asked; /* a GET /fill/ of it has ended, answered or not */
	int64_t inv_at;
	char inv_error[160];
	unsigned inflight;
	uint64_t sent, sent_mark;	   /* bytes sent; at the last rate sample */
	double rate;			   /* bytes/s, smoothed */
	uint64_t objects_sent;		   /* files the origin sent it */
	uint64_t peer_objects, peer_bytes; /* files (and their bytes) it copied from peers */
	uint64_t peer_failures;		   /* copies that failed (sent by the origin then) */
	uint64_t copy_orders;		   /* copy orders sent to it */
	uint64_t retries;		   /* attempts that failed, to be tried again */
	struct fjob *jobs;
	struct fedge *next;
};

enum xfer_kind { X_INVENTORY, X_LIST, X_PUT, X_COPY, X_MANIFEST, X_DELETE };

struct xfer {
	struct fill *f;
	struct fedge *e;
	struct fjob *j;
	enum xfer_kind kind;
	CURL *easy;
	struct curl_slist *hdr;
	FILE *body;
	char *text;	    /* what BODY reads, when it is the fill's (a copy order) */
	struct fedge *peer; /* X_COPY: the edge copied from */
	size_t file;	    /* manifest index, for X_PUT and X_COPY */
	struct buf resp;
	curl_off_t counted;	  /* upload bytes already added to the edge's count */
	struct timespec started;  /* CLOCK_MONOTONIC */
	struct event *hold;	  /* X_COPY over: its slot is held until the rate paid for it */
	struct xfer *prev, *next; /* the fill's transfers in flight */
};

struct fill {
	struct event_base *base;
	struct edges *edges;
	struct catalog *catalog;
	struct fill_params p;
	struct curl_loop *loop;
	struct ftitle *titles;
	struct fedge *fedges;
	struct xfer *xfers;
	struct event *kick; /* a pass at the next turn of the loop */
	int64_t now;
	bool rescan_now;
};

/* ---- fill.c ---- */

struct ftitle *fill_title_find(const struct fill *f, const char *id);
struct fjob *fill_job_find(struct fedge *e, const char *title);
/* Is title T complete in version V on E, as E last said? */
bool fill_edge_holds(const struct fedge *e, const char *t, const char *v);
/* J's attempt failed (the first reason is kept); it settles once nothing is in flight. */
void fill_job_fail(struct fjob *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The fill API's path of TITLE's PATH (NULL: the title) in OUT. */
void fill_path(char *out, size_t cap, const char *title, const char *path);
/* The Signature-Input (IN) and Signature (SIG) of METHOD PATH with DIGEST for edge E. */
int fill_sign(struct fill *f, const struct fedge *e, const char *method, const char *path,
	      const char *digest, struct buf *in, struct buf *sig);
/* Start METHOD PATH on edge E for job J (or none), with BODY of SIZE bytes (or none). */
struct xfer *fill_xfer_start(struct fill *f, struct fedge *e, struct fjob *j, enum xfer_kind kind,
			     const char *method, const char *path, const char *digest, FILE *body,
			     uint64_t size);
/* X's file is on its edge now. */
void fill_file_stored(struct fill *f, struct xfer *x);
/* X is over (its answer read): free it, move its job on, start what may start. */
void fill_xfer_end(struct fill *f, struct xfer *x);
/* Start what E may start now. */
void start_work(struct fill *f, struct fedge *e);

/* ---- peer.c (docs/fill.md, "Peer fill") ---- */

struct fedge *peer_source(const struct fill *f, const struct fjob *j, size_t idx, bool *wait);
struct xfer *peer_copy(struct fill *f, struct fjob *j, const struct ftitle *t,
		       const struct manifest_file *mf, struct fedge *peer);
/*
 * The edge answered STATUS (0: no answer) to copy order X.  True when X
 * stays: its slot is held until the edge's rate has paid for the bytes
 * copied, then peer.c ends it (fill_xfer_end()).
 */
bool peer_copied(struct fill *f, struct xfer *x, long status);
bool peer_cluster_unheard(const struct fill *f, const struct fedge *e);
/* A file stored on E, or a job of E failed: its cluster's waiting fills look again. */
void peer_wake(struct fill *f, const struct fedge *e);

#endif
