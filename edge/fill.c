/*
 * The fill API handler (see fill.h): authenticate, parse the path once,
 * then one function per resource; bodies go to temporary files as they
 * arrive (httpd_body_sink), never whole into memory.
 */
#include "fill.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "http_date.h"
#include "http_path.h"
#include "httpsig.h"
#include "pull.h"

#define JSON_BODY_MAX 65536 /* purge requests and copy orders */

/*
 * A body on its way: a PUT into a temporary file, or a purge request or a
 * copy order into memory; then, for an order, the copy from the peer into
 * the temporary file.
 */
struct upload {
	struct edge_fill *fl;
	struct httpd_deferred *d;
	struct edge_fill_path path;
	uint8_t want[32]; /* Content-Digest */
	struct edge_tmp *tmp;
	int64_t mtime;
	int error; /* why the body was refused */
	struct buf body;
	bool order;			/* a POST: the body is a copy order */
	struct edge_peer_order copy;	/* the order, once parsed */
	char target[EDGE_KEY_MAX + 16]; /* the request path, which the origin signed */
};

/* ---- answers ------------------------------------------------------------------ */

static void answer_json(struct httpd_exchange *x, int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!text) {
		httpd_error(x, 500, "out of memory", NULL, false);
		return;
	}
	httpd_begin(x, status);
	httpd_header_lit(x, "Content-Type: application/json\r\nCache-Control: no-store\r\n");
	httpd_end_head(x, (int64_t)strlen(text) + 1);
	httpd_body_mem(x, text, strlen(text));
	httpd_body_mem(x, "\n", 1);
	free(text);
}

static void refuse(struct httpd_exchange *x, struct edge_fill *fl, int status, const char *why)
{
	if (status == 401)
		metrics_add(&fl->metrics->fill_refused, 1);
	answer_json(x, status, json_pack("{s:s}", "error", why));
}

/* The status and reason for a store error. */
static int store_status(int rc, const char **why)
{
	switch (rc) {
	case -ENOSPC:
		*why = "no room in the store";
		return 507;
	case -EINVAL:
		*why = "not a package path";
		return 400;
	default:
		*why = "the store failed";
		return 500;
	}
}

/* Refuse with the status and reason of the store error RC. */
static void refuse_store(struct httpd_exchange *x, struct edge_fill *fl, int rc)
{
	const char *why;
	int status = store_status(rc, &why);

	refuse(x, fl, status, why);
}

/*
 * Ask the disk to write a filled object as it comes only where a sync per
 * object follows ([store] sync = each): that fdatasync then waits for the
 * tail alone.  With the background sync it would only block the loop on a
 * busy disk (sync_file_range waits for the queue): the kernel writes the
 * pages back on its own, and the store manager's syncfs makes them durable.
 */
static bool writeback(const struct edge_cache *c)
{
	return edge_cache_fill_sync(c) != EDGE_SYNC_NONE;
}

/* ---- authentication --------------------------------------------------------------- */

static const char *sig_error(int rc)
{
	switch (rc) {
	case -ENOMSG:
		return "the request is not signed (Content-Digest, Signature-Input, Signature)";
	case -ENOKEY:
		return "signed with a key this edge does not know";
	case -EINVAL:
		return "malformed signature fields";
	case -EPROTO:
		return "the signature is not of the reel profile";
	case -ETIMEDOUT:
		return "the signature's time is more than 300 s away";
	case -EBADMSG:
		return "the signature does not verify";
	case -EALREADY:
		return "the nonce was used before";
	default:
		return "the signature cannot be checked";
	}
}

/* Check X's signature: 0, or a negative errno (sig_error says why). */
static int authenticate(struct edge_fill *fl, struct httpd_exchange *x)
{
	struct httpsig_msg m;
	struct httpsig_params p;
	struct http_str in, sig;
	const struct paseto_key *k;
	int rc = httpsig_request(x->req, &m, &in, &sig);

	if (rc != 0)
		return rc == -ENOKEY ? -ENOMSG : rc;
	if ((rc = httpsig_parse(in.p, in.len, sig.p, sig.len, &p)) != 0)
		return rc;
	if (p.alg != HTTPSIG_ED25519 || strcmp(p.tag, fl->edge_id) != 0)
		return -EPROTO;
	if (!fl->keys || !(k = paseto_keyring_find(fl->keys, p.keyid)))
		return -ENOKEY;
	if ((rc = httpsig_verify(&p, &m, (int64_t)time(NULL), k, NULL, 0)) != 0)
		return rc == -ENOKEY ? -EBADMSG : rc;
	return edge_index_nonce_claim(edge_cache_index(fl->cache), p.keyid, p.nonce, p.created);
}

/* The sha-256 the request's Content-Digest names. */
static int wanted_digest(const struct http_request *r, uint8_t out[32])
{
	struct http_str v = {0};

	if (http_header_get(r, "content-digest", &v) != 1)
		return -EINVAL;
	return content_digest_sha256(v.p, v.len, out);
}

/* ---- paths ---------------------------------------------------------------------------- */

int edge_fill_parse_path(const char *path, size_t len, struct edge_fill_path *fp)
{
	char rel[EDGE_KEY_MAX + 8];
	const char *rest, *slash;
	int rc;

	memset(fp, 0, sizeof(*fp));
	if (len > 1 && path[len - 1] == '/')
		len--; /* "/fill/" and "/fill/<title>/" name what they name without it */
	if ((rc = http_path_decode(path, len, rel, sizeof(rel))) < 0)
		return rc == -ENAMETOOLONG ? -EINVAL : rc;
	if (strcmp(rel, "purge") == 0) {
		fp->kind = EDGE_FILL_PURGE;
		return 0;
	}
	if (strcmp(rel, "fill") == 0) {
		fp->kind = EDGE_FILL_LIST;
		return 0;
	}
	if (strncmp(rel, "fill/", 5) != 0)
		return -ENOENT;
	rest = rel + 5;
	slash = strchr(rest, '/');
	if (!manifest_title_ok(rest, slash ? (size_t)(slash - rest) : strlen(rest)))
		return -EINVAL;
	snprintf(fp->title, sizeof(fp->title), "%.*s",
		 (int)(slash ? (size_t)(slash - rest) : strlen(rest)), rest);
	if (!slash || !slash[1]) {
		fp->kind = EDGE_FILL_TITLE;
		return 0;
	}
	if (!manifest_path_ok(slash + 1, strlen(slash + 1)))
		return -EINVAL;
	fp->kind = EDGE_FILL_OBJECT;
	snprintf(fp->key, sizeof(fp->key), "%s", rest);
	return 0;
}

int edge_fill_parse_purge(const char *body, size_t len, char key[EDGE_KEY_MAX + 2], bool *prefix)
{
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *obj = json_object_get(j, "object"), *title = json_object_get(j, "title"),
	       *pfx = json_object_get(j, "prefix");
	const char *s = NULL;
	size_t n;
	int rc = -EINVAL;

	if (json_is_object(j) && json_object_size(j) == 1 &&
	    (json_is_string(obj) || json_is_string(title) || json_is_string(pfx)))
		s = json_string_value(obj ? obj : title ? title : pfx);
	n = s ? strlen(s) : 0;
	if (!s || n == 0 || n > EDGE_KEY_MAX - 1)
		goto out;
	snprintf(key, EDGE_KEY_MAX + 2, "%s%s", s, title ? "/" : "");
	if ((obj && edge_index_key_ok(key)) || (title && manifest_title_ok(s, n)) ||
	    (pfx && key[0] != '/' && strchr(key, '/') && manifest_title_ok(key, strcspn(key, "/"))))
		rc = 0;
	*prefix = !obj;
out:
	json_decref(j);
	return rc;
}

/* ---- reading: HEAD of an object, the lists --------------------------------------------- */

/* HEAD of an object, or GET (BODY) for a peer's copy. */
static void object_answer(struct httpd_exchange *x, struct edge_fill *fl, const char *key,
			  bool body)
{
	char dg[CONTENT_DIGEST_LEN + 1];
	struct edge_object o;
	int fd = -1, rc = edge_index_get(edge_cache_index(fl->cache), key, &o);

	if (rc == 0 && body &&
	    (fd = openat(edge_cache_rootfd(fl->cache), key, O_RDONLY | O_CLOEXEC)) < 0)
		rc = errno == ENOENT ? -ENOENT : -EIO;
	if (rc != 0) {
		httpd_begin(x, rc == -ENOENT ? 404 : 500);
		httpd_header_lit(x, "Cache-Control: no-store\r\n");
		httpd_end_head(x, 0);
		return;
	}
	content_digest_format(o.sha256, dg);
	httpd_begin(x, 200);
	httpd_headerf(x, "Content-Digest: %s\r\nETag: %s\r\nCache-Control: no-store\r\n", dg,
		      o.etag);
	httpd_headerf(x, "X-Reel-Origin: %s\r\n", o.origin == EDGE_ORIGIN_FILL ? "fill" : "pull");
	if (body)
		httpd_header_lit(x, "Content-Type: application/octet-stream\r\n");
	httpd_end_head(x, (int64_t)o.size);
	if (fd < 0)
		return;
	httpd_body_file(x, fd, 0, o.size);
	edge_pull_hold_fd(x, fd);
	metrics_add(&fl->metrics->fill_peer_served_bytes, o.size);
}

static json_t *title_json(const char *title, const struct edge_title *t)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:b, s:s?}", "title", title, "state",
			 t->flags & EDGE_TITLE_COMPLETE ? "complete" : "partial", "objects",
			 (json_int_t)t->objects, "bytes", (json_int_t)t->bytes, "pinned",
			 t->pinned > 0, "version", t->version[0] ? t->version : NULL);
}

static int list_title_cb(void *arg, const char *title, const struct edge_title *t)
{
	return json_array_append_new(arg, title_json(title, t)) == 0 ? 0 : -ENOMEM;
}

static void get_list(struct httpd_exchange *x, struct edge_fill *fl)
{
	struct edge_index *ix = edge_cache_index(fl->cache);
	json_t *titles = json_array();
	uint64_t bytes = 0, objects = 0;

	if (!titles || edge_index_titles(ix, list_title_cb, titles) != 0 ||
	    edge_index_usage(ix, &bytes, &objects) != 0) {
		json_decref(titles);
		refuse(x, fl, 500, "cannot read the index");
		return;
	}
	answer_json(x, 200,
		    json_pack("{s:o, s:I, s:I, s:I, s:I}", "titles", titles, "objects",
			      (json_int_t)objects, "bytes", (json_int_t)bytes, "max_size",
			      (json_int_t)fl->max_size, "disk_free",
			      (json_int_t)edge_cache_disk_free(fl->cache)));
}

static int list_object_cb(void *arg, const char *key, const struct edge_object *o)
{
	char hex[65];

	if (!o)
		return 0;
	hex_encode(o->sha256, 32, hex);
	return json_array_append_new(
		   arg, json_pack("{s:s, s:I, s:s, s:s}", "path", strchr(key, '/') + 1, "size",
				  (json_int_t)o->size, "sha256", hex, "origin",
				  o->origin == EDGE_ORIGIN_FILL ? "fill" : "pull")) == 0
		   ? 0
		   : -ENOMEM;
}

static void get_title(struct httpd_exchange *x, struct edge_fill *fl, const char *title)
{
	struct edge_index *ix = edge_cache_index(fl->cache);
	char prefix[MANIFEST_TITLE_MAX + 2];
	struct edge_title t;
	json_t *j, *objs = json_array();
	int rc = edge_index_title(ix, title, &t);

	snprintf(prefix, sizeof(prefix), "%s/", title);
	if (rc != 0 || !objs || edge_index_objects(ix, prefix, list_object_cb, objs) != 0) {
		json_decref(objs);
		refuse(x, fl, rc == -ENOENT ? 404 : 500,
		       rc == -ENOENT ? "no such title here" : "cannot read the index");
		return;
	}
	j = title_json(title, &t);
	json_object_set_new(j, "files", objs);
	answer_json(x, 200, j);
}

/* ---- removing ------------------------------------------------------------------------- */

static void removed(struct httpd_exchange *x, struct edge_fill *fl, const char *key, bool prefix)
{
	uint64_t bytes = 0, objects = 0;
	int rc = edge_cache_remove(fl->cache, key, prefix, &bytes, &objects);

	if (rc != 0) {
		refuse_store(x, fl, rc);
		return;
	}
	metrics_add(&fl->metrics->store_purged, objects);
	if (objects == 0) {
		refuse(x, fl, 404, "nothing stored there");
		return;
	}
	answer_json(
	    x, 200,
	    json_pack("{s:I, s:I}", "objects", (json_int_t)objects, "bytes", (json_int_t)bytes));
}

static void delete_path(struct httpd_exchange *x, struct edge_fill *fl,
			const struct edge_fill_path *fp)
{
	char prefix[MANIFEST_TITLE_MAX + 2];

	if (fp->kind == EDGE_FILL_OBJECT) {
		removed(x, fl, fp->key, false);
		return;
	}
	snprintf(prefix, sizeof(prefix), "%s/", fp->title);
	removed(x, fl, prefix, true);
}

/* A purge request's JSON body (LEN bytes at P). */
static void purge(struct httpd_exchange *x, struct edge_fill *fl, const char *p, size_t len)
{
	char key[EDGE_KEY_MAX + 2];
	bool prefix;

	if (edge_fill_parse_purge(p, len, key, &prefix) != 0) {
		refuse(x, fl, 422,
		       "expected {\"object\": \"<title>/<path>\"}, {\"title\": ...} or "
		       "{\"prefix\": \"<title>/...\"}");
		return;
	}
	removed(x, fl, key, prefix);
}

/* ---- bodies ------------------------------------------------------------------------- */

static void upload_free(struct upload *u)
{
	edge_cache_tmp_abort(u->fl->cache, u->tmp);
	buf_free(&u->body);
	free(u);
}

static int put_data(void *arg, const char *p, size_t n)
{
	struct upload *u = arg;

	u->error = edge_cache_tmp_write(u->fl->cache, u->tmp, p, n);
	return u->error;
}

static int json_data(void *arg, const char *p, size_t n)
{
	struct upload *u = arg;

	if (u->body.len + n > JSON_BODY_MAX)
		return u->error = -EFBIG;
	return u->error = buf_append(&u->body, p, n);
}

/* Parse the manifest a PUT brought: 0, or a negative errno. */
static int put_manifest(struct upload *u, struct manifest **m, char *err, size_t errlen)
{
	char *text = NULL;
	int rc = edge_cache_tmp_contents(u->fl->cache, u->tmp, MANIFEST_MAX_SIZE, &text);

	if (rc == 0)
		rc = manifest_parse(text, u->tmp->written, m, err, errlen);
	free(text);
	return rc;
}

/* The whole object of a PUT is in: verify, place, index; the answer. */
static void put_done(struct httpd_exchange *x, struct upload *u)
{
	struct edge_object o = {.origin = EDGE_ORIGIN_FILL};
	struct manifest *m = NULL;
	bool is_manifest = strcmp(strchr(u->path.key, '/') + 1, MANIFEST_NAME) == 0;
	enum edge_sync sync;
	char err[256];
	size_t missing = 0;
	int rc;

	o.size = u->tmp->written;
	edge_cache_tmp_digest(u->tmp, o.sha256);
	if (memcmp(o.sha256, u->want, 32) != 0) {
		refuse(x, u->fl, u->order ? 502 : 422,
		       u->order ? "the peer's copy does not match the order's sha256"
				: "the body does not match its Content-Digest");
		return;
	}
	if (is_manifest && put_manifest(u, &m, err, sizeof(err)) != 0) {
		answer_json(
		    x, 422,
		    json_pack("{s:s, s:s}", "error", "not a package manifest", "detail", err));
		return;
	}
	o.stored = o.last_hit = edge_record_time();
	o.mtime = u->mtime ? u->mtime : o.stored / 1000;
	edge_etag_for(o.sha256, o.etag);
	/*
	 * [store] sync = each: each object durable before it is indexed, the index
	 * with the title's manifest; background: the store manager's next sync
	 * (a manifest's commit hastens it)
	 */
	sync = edge_cache_fill_sync(u->fl->cache);
	if (is_manifest && sync != EDGE_SYNC_NONE)
		sync = EDGE_SYNC_INDEX;
	rc = edge_cache_tmp_commit(u->fl->cache, u->tmp, u->path.key, &o, m, sync, &missing);
	u->tmp = NULL;
	manifest_free(m);
	if (rc == -EPIPE) {
		answer_json(
		    x, 409,
		    json_pack("{s:s, s:I}", "error",
			      "files the manifest lists are missing or differ: fill them first",
			      "missing", (json_int_t)missing));
		return;
	}
	if (rc != 0) {
		refuse_store(x, u->fl, rc);
		return;
	}
	metrics_add(&u->fl->metrics->fill_bytes, o.size);
	if (u->order)
		metrics_add(&u->fl->metrics->fill_peer_bytes, o.size);
	answer_json(x, 201,
		    json_pack("{s:s, s:I, s:b, s:s}", "stored", u->path.key, "size",
			      (json_int_t)o.size, "complete", is_manifest, "from",
			      u->order ? "peer" : "origin"));
}

/* The answer to a body that was refused while it came: no room, too large, or a failure. */
static void body_refused(struct httpd_exchange *x, struct upload *u, int err)
{
	if (err == -EFBIG)
		refuse(x, u->fl, 413, "purge requests and copy orders are small JSON objects");
	else if (err == -ENOSPC)
		refuse(x, u->fl, 507, "no room in the store");
	else
		refuse(x, u->fl, 500, "cannot store the body");
}

/* Does the JSON body that came match its Content-Digest? */
static bool json_body_ok(const struct upload *u)
{
	uint8_t sha[32];

	SHA256((const uint8_t *)(u->body.p ? u->body.p : ""), u->body.len, sha);
	return memcmp(sha, u->want, 32) == 0;
}

/* ---- copies from a peer ------------------------------------------------------------- */

static int copy_data(void *arg, const void *p, size_t n)
{
	struct upload *u = arg;

	return edge_cache_tmp_write(u->fl->cache, u->tmp, p, n);
}

/* Why a copy failed, for the origin (which then sends the object itself). */
static const char *copy_error(int rc)
{
	switch (rc) {
	case -EHOSTUNREACH:
		return "the peer cannot be reached";
	case -ETIMEDOUT:
		return "the peer did not answer in time";
	case -ENOENT:
		return "the peer does not have the object";
	case -ENOSPC:
		return "no room in the store";
	case -ECANCELED:
		return "the edge is stopping";
	default:
		return "the peer's answer is not the object";
	}
}

static void copy_done(void *arg, int rc, long status)
{
	struct upload *u = arg;
	struct httpd_exchange *x = httpd_resume(u->d);

	if (x && rc == 0) {
		memcpy(u->want, u->copy.sha256, 32);
		put_done(x, u);
	} else if (x) {
		answer_json(x,
			    rc == -ENOSPC      ? 507
			    : rc == -ECANCELED ? 503
					       : 502,
			    json_pack("{s:s, s:s, s:I}", "error", copy_error(rc), "peer",
				      u->copy.peer, "peer_status", (json_int_t)status));
	}
	if (x)
		httpd_resume_done(x);
	upload_free(u);
}

static const struct edge_peer_ops copy_ops = {copy_data, copy_done};

/* Start the copy U's order asks for: 0, or the status to answer with (*WHY the reason). */
static int copy_start(struct upload *u, const char **why)
{
	struct edge_fill *fl = u->fl;
	int rc;

	if (strcmp(strchr(u->path.key, '/') + 1, MANIFEST_NAME) == 0) {
		*why = "a manifest comes from the origin, never from a peer";
		return 400;
	}
	if (edge_peer_order_parse(u->body.p ? u->body.p : "", u->body.len, &u->copy) != 0) {
		*why = "expected {\"peer\", \"size\", \"sha256\", \"signature_input\", "
		       "\"signature\"}";
		return 422;
	}
	if (!fl->peers) {
		*why = "this edge cannot copy from peers";
		return 503;
	}
	if ((rc = edge_cache_tmp_open(fl->cache, u->path.title, u->copy.size, &u->tmp)) != 0)
		return store_status(rc, why);
	u->tmp->writeback = writeback(fl->cache);
	if ((rc = edge_peers_copy(fl->peers, &u->copy, u->target, &copy_ops, u)) != 0) {
		*why = "cannot start the copy";
		return 500;
	}
	return 0;
}

/* A copy order came whole: start the copy, or answer X why not.  True when started. */
static bool order_taken(struct upload *u)
{
	const char *why = NULL;
	int status = copy_start(u, &why);
	struct httpd_exchange *x;

	if (status == 0)
		return true;
	if ((x = httpd_resume(u->d))) {
		refuse(x, u->fl, status, why);
		httpd_resume_done(x);
	}
	return false;
}

static void body_end(void *arg, int err)
{
	struct upload *u = arg;
	struct httpd_exchange *x;

	if (!err && u->order && json_body_ok(u)) {
		if (!order_taken(u))
			upload_free(u);
		return; /* else copy_done answers */
	}
	if ((x = httpd_resume(u->d))) {
		if (err)
			body_refused(x, u, err);
		else if (!u->tmp && !json_body_ok(u))
			refuse(x, u->fl, 422, "the body does not match its Content-Digest");
		else if (u->path.kind == EDGE_FILL_PURGE)
			purge(x, u->fl, u->body.p ? u->body.p : "", u->body.len);
		else
			put_done(x, u);
		httpd_resume_done(x);
	}
	upload_free(u);
}

/* Start taking X's body for the path FP: the answer comes from body_end. */
static void start_upload(struct httpd_exchange *x, struct edge_fill *fl,
			 const struct edge_fill_path *fp)
{
	const struct http_request *r = x->req;
	struct upload *u = calloc(1, sizeof(*u));
	struct http_str lm;
	time_t t;
	int rc;

	if (!u) {
		refuse(x, fl, 500, "out of memory");
		return;
	}
	if (wanted_digest(r, u->want) != 0) {
		free(u);
		refuse(x, fl, 400, "Content-Digest needs a sha-256 member");
		return;
	}
	u->fl = fl;
	u->path = *fp;
	u->order = fp->kind == EDGE_FILL_OBJECT && r->method == HTTP_POST;
	snprintf(u->target, sizeof(u->target), "%.*s", (int)r->path.len, r->path.p);
	if (http_header_get(r, "last-modified", &lm) == 1 && http_date_parse(lm.p, lm.len, &t) == 0)
		u->mtime = (int64_t)t;
	if (fp->kind == EDGE_FILL_OBJECT && !u->order &&
	    (rc = edge_cache_tmp_open(fl->cache, fp->title, r->content_length, &u->tmp)) != 0) {
		upload_free(u);
		refuse_store(x, fl, rc);
		return;
	}
	if (u->tmp)
		u->tmp->writeback = writeback(fl->cache);
	if (r->content_length == 0) { /* an empty object: nothing to wait for */
		if (fp->kind == EDGE_FILL_PURGE)
			purge(x, fl, "", 0);
		else if (u->order)
			refuse(x, fl, 422, "a copy order is a JSON body");
		else
			put_done(x, u);
		upload_free(u);
		return;
	}
	if (httpd_body_sink(x, u->tmp ? put_data : json_data, body_end, u) != 0 ||
	    !(u->d = httpd_defer(x))) {
		upload_free(u);
		refuse(x, fl, 500, "cannot take the body");
	}
}

/* Requests without a body must say so: their Content-Digest is that of nothing. */
static bool empty_body_ok(const struct http_request *r)
{
	static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
					  0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
					  0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
					  0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	uint8_t want[32];

	return r->content_length == 0 && wanted_digest(r, want) == 0 &&
	       memcmp(want, empty, 32) == 0;
}

static void route(struct httpd_exchange *x, struct edge_fill *fl, const struct edge_fill_path *fp)
{
	const struct http_request *r = x->req;
	enum http_method m = r->method;

	if (m == HTTP_PUT && fp->kind == EDGE_FILL_OBJECT)
		start_upload(x, fl, fp);
	else if (m == HTTP_POST && (fp->kind == EDGE_FILL_PURGE || fp->kind == EDGE_FILL_OBJECT))
		start_upload(x, fl, fp);
	else if (!empty_body_ok(r))
		refuse(x, fl, 400, "no body here: Content-Digest is sha-256 of nothing");
	else if ((m == HTTP_HEAD || m == HTTP_GET) && fp->kind == EDGE_FILL_OBJECT)
		object_answer(x, fl, fp->key, m == HTTP_GET);
	else if (m == HTTP_GET && fp->kind == EDGE_FILL_LIST)
		get_list(x, fl);
	else if (m == HTTP_GET && fp->kind == EDGE_FILL_TITLE)
		get_title(x, fl, fp->title);
	else if (m == HTTP_DELETE && (fp->kind == EDGE_FILL_TITLE || fp->kind == EDGE_FILL_OBJECT))
		delete_path(x, fl, fp);
	else
		refuse(x, fl, 405, "not a method of this resource");
}

void edge_fill_serve(struct httpd_exchange *x, void *arg)
{
	struct edge_fill *fl = arg;
	struct edge_fill_path fp;
	int rc;

	if (fl->magic != EDGE_FILL_MAGIC)
		abort();
	if ((x->req->method == HTTP_GET || x->req->method == HTTP_HEAD) && x->req->path.len == 8 &&
	    memcmp(x->req->path.p, "/healthz", 8) == 0) {
		httpd_begin(x, 200);
		httpd_header_lit(x, "Content-Type: text/plain\r\nCache-Control: no-store\r\n");
		httpd_end_head(x, 3);
		httpd_body_mem(x, "ok\n", 3);
		return;
	}
	if ((rc = edge_fill_parse_path(x->req->path.p, x->req->path.len, &fp)) != 0) {
		refuse(x, fl, rc == -ENOENT ? 404 : 400,
		       rc == -ENOENT ? "not a fill resource" : "not a title or package path");
		return;
	}
	if ((rc = authenticate(fl, x)) != 0) {
		refuse(x, fl, rc == -EINVAL ? 400 : 401, sig_error(rc));
		return;
	}
	route(x, fl, &fp);
}
