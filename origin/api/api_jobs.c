/*
 * Transcode jobs and the uploads of their sources, for admins:
 *
 *   POST   /admin/v1/uploads          {"name", "size", "sha256"} -> 201 Upload, Upload-Offset: 0
 *   GET    /admin/v1/uploads[?sha256=HEX]
 *   GET    /admin/v1/uploads/ID       Upload; HEAD: its Upload-Offset and Upload-Length only
 *   PATCH  /admin/v1/uploads/ID       Upload-Offset: N (or Content-Range: bytes N-M/SIZE),
 *                                     Content-Type: application/offset+octet-stream, the
 *                                     bytes from N -> 200 Upload, Upload-Offset: N + LEN
 *   DELETE /admin/v1/uploads/ID
 *   POST   /admin/v1/jobs             JobRequest -> 201 Job
 *   GET    /admin/v1/jobs[?state=S][&offset=N][&limit=N]
 *   GET    /admin/v1/jobs/ID, /admin/v1/jobs/ID/logs
 *   POST   /admin/v1/jobs/ID/cancel, /admin/v1/jobs/ID/retry
 *
 * A PATCH whose offset is not the upload's is 409 offset_mismatch with the
 * upload's Upload-Offset, so a client that lost its connection asks (HEAD)
 * and goes on from there.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jobs/jobs.h"
#include "jobs/uploads.h"
#include "jsonfield.h"
#include "log.h"

int job_parse(json_t *obj, struct job_spec *out, struct origin_fail *fail)
{
	struct origin_reason why = {0};
	int rc = job_spec_from_json(obj, out, &why);

	if (rc == 0)
		return 0;
	api_refusal_fail(API_JOB_BODY, rc, &why, fail);
	return -1;
}

int upload_parse(json_t *obj, struct upload_spec *out, struct origin_fail *fail)
{
	static const char *const allowed[] = {"name", "size", "sha256", NULL};

	memset(out, 0, sizeof(*out));
	if (!jf_unknown(obj, allowed) && jf_str(obj, "name", out->name, sizeof(out->name)) == 0 &&
	    jf_uint(obj, "size", 0, UINT64_MAX >> 1, &out->size) == 0 &&
	    jf_str(obj, "sha256", out->sha256, sizeof(out->sha256)) == 0)
		return 0;
	*fail = (struct origin_fail){400, "invalid_request",
				     "the body must be {\"name\": FILE NAME, \"size\": BYTES, "
				     "\"sha256\": 64 HEX DIGITS}",
				     false, 0};
	return -1;
}

/* A decimal number of 1..19 digits at S[0..LEN) from *I (which moves past it) into *OUT. */
static bool decimal(const char *s, size_t len, size_t *i, uint64_t *out)
{
	size_t start = *i;

	*out = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 19)
		*out = *out * 10 + (uint64_t)(s[(*i)++] - '0');
	return *i > start && (*i == len || s[*i] < '0' || s[*i] > '9');
}

/* "bytes FIRST-LAST/SIZE" (SIZE may be "*": 0) for a body of LEN bytes. */
static bool content_range(struct http_str v, uint64_t len, uint64_t *first, uint64_t *size)
{
	uint64_t last;
	size_t i = 6;

	*size = 0;
	if (v.len < 6 || strncasecmp(v.p, "bytes ", 6) != 0 || !decimal(v.p, v.len, &i, first) ||
	    i >= v.len || v.p[i++] != '-' || !decimal(v.p, v.len, &i, &last) || i >= v.len ||
	    v.p[i++] != '/' || last < *first || last - *first + 1 != len)
		return false;
	if (i + 1 == v.len && v.p[i] == '*')
		return true;
	return decimal(v.p, v.len, &i, size) && i == v.len && *size > last;
}

int upload_offset_parse(struct http_str upload_offset, struct http_str content_range_h,
			uint64_t len, uint64_t *offset, uint64_t *size, struct origin_fail *fail)
{
	uint64_t a = 0, b = 0;
	size_t i = 0;
	bool has_a = upload_offset.p != NULL, has_b = content_range_h.p != NULL;

	*offset = *size = 0;
	if ((has_a &&
	     !(decimal(upload_offset.p, upload_offset.len, &i, &a) && i == upload_offset.len)) ||
	    (has_b && (len == 0 || !content_range(content_range_h, len, &b, size))) ||
	    (!has_a && !has_b) || (has_a && has_b && a != b)) {
		*fail = (struct origin_fail){
		    400, "invalid_request",
		    "a piece of an upload names its offset: Upload-Offset: N, or Content-Range: "
		    "bytes N-M/SIZE for a body of M - N + 1 bytes",
		    false, 0};
		return -1;
	}
	*offset = has_a ? a : b;
	return 0;
}

/* ---- uploads ---- */

/* The value of header NAME of X's request ({NULL, 0} when absent). */
static struct http_str header(const struct httpd_exchange *x, const char *name)
{
	const struct http_request *req = x->req;

	for (unsigned i = 0; i < req->nheaders; i++)
		if (http_str_ieq(req->headers[i].name, name))
			return req->headers[i].value;
	return (struct http_str){NULL, 0};
}

static bool bad_upload_param(struct httpd_exchange *x, const struct api_params *p, char *id)
{
	return api_bad_param(x, p, id, UPLOAD_ID_LEN + 1, upload_id_valid, "unknown_upload",
			     "no such upload");
}

/* Answer upload U (consumed) with STATUS and its Upload-Offset and Upload-Length. */
static void send_upload(struct origin_api *api, struct httpd_exchange *x, int status, json_t *u)
{
	char extra[160];

	snprintf(extra, sizeof(extra), "Upload-Offset: %lld\r\nUpload-Length: %lld\r\n",
		 (long long)json_integer_value(json_object_get(u, "offset")),
		 (long long)json_integer_value(json_object_get(u, "size")));
	json_object_set_new(u, "chunk_size", json_integer((json_int_t)api->upload_chunk));
	api_send_json(x, status, u, extra);
}

void api_admin_upload_create(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p)
{
	struct origin_reason why = {0};
	struct upload_spec s;
	struct origin_fail f;
	const char *who;
	json_t *body, *u;
	int rc;

	if (api_not_admin(api, x, &who) || api_bad_body(x, &body))
		return;
	rc = upload_parse(body, &s, &f);
	json_decref(body);
	if (rc != 0) {
		api_fail(x, &f);
		return;
	}
	if ((rc = uploads_create(api->uploads, s.name, s.size, s.sha256, api->now(), &u, &why)) !=
	    0) {
		api_refuse(api, x, API_UPLOAD_NEW, rc, &why);
		return;
	}
	log_info("admin %s: upload %s of %s (%llu bytes)", who,
		 json_string_value(json_object_get(u, "id")), s.name, (unsigned long long)s.size);
	send_upload(api, x, 201, u);
}

void api_admin_uploads_list(struct origin_api *api, struct httpd_exchange *x,
			    const struct api_params *p)
{
	char sha[66];
	const char *who;
	json_t *out;
	int by_sha = 0, rc;

	if (api_not_admin(api, x, &who))
		return;
	if ((by_sha = api_query(x->req, "sha256", sha, sizeof(sha))) < 0) {
		api_error(x, 400, "invalid_request", "sha256 is 64 hex digits", NULL);
		return;
	}
	rc = uploads_list(api->uploads, by_sha ? sha : NULL, &out);
	api_send_result(x, "uploads", rc, out);
}

void api_admin_upload_get(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	char id[UPLOAD_ID_LEN + 1];
	const char *who;
	json_t *u;
	int rc;

	if (api_not_admin(api, x, &who) || bad_upload_param(x, p, id))
		return;
	if ((rc = uploads_get(api->uploads, id, &u)) != 0)
		api_refuse(api, x, API_UPLOAD, rc, NULL);
	else
		send_upload(api, x, 200, u);
}

/* The refusal RC of a piece of upload ID, with the upload's offset OFFSET. */
static void refuse_piece(struct origin_api *api, struct httpd_exchange *x, int rc, uint64_t offset)
{
	struct origin_fail f;
	char extra[64];

	if (api_refusal_fail(API_UPLOAD_PIECE, rc, NULL, &f) != 0) {
		api_refuse(api, x, API_UPLOAD_PIECE, rc, NULL);
		return;
	}
	snprintf(extra, sizeof(extra), "Upload-Offset: %llu\r\n", (unsigned long long)offset);
	api_send_json(x, f.status,
		      json_pack("{s:s, s:s, s:I}", "error", f.code, "message", f.message, "offset",
				(json_int_t)offset),
		      extra);
}

static bool is_octets(const struct http_request *req)
{
	return http_str_ieq(req->content_type, "application/offset+octet-stream") ||
	       http_str_ieq(req->content_type, "application/octet-stream");
}

void api_admin_upload_append(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p)
{
	char id[UPLOAD_ID_LEN + 1];
	uint64_t offset, size, now_at;
	struct origin_fail f;
	const char *who;
	json_t *u;
	int rc;

	if (api_not_admin(api, x, &who) || bad_upload_param(x, p, id))
		return;
	if (!is_octets(x->req)) {
		api_error(x, 415, "unsupported_media_type",
			  "a piece of an upload is application/offset+octet-stream", NULL);
		return;
	}
	if (upload_offset_parse(header(x, "Upload-Offset"), header(x, "Content-Range"), x->body_len,
				&offset, &size, &f) != 0) {
		api_fail(x, &f);
		return;
	}
	rc = uploads_append(api->uploads, id, offset, x->body ? x->body : "", x->body_len, &now_at);
	if (rc == -EBADMSG)
		log_warnx("admin %s: upload %s: the SHA-256 differs from the declared one; emptied",
			  who, id);
	if (rc != 0) {
		refuse_piece(api, x, rc, now_at);
		return;
	}
	if ((rc = uploads_get(api->uploads, id, &u)) != 0) {
		api_refuse(api, x, API_UPLOAD, rc, NULL);
		return;
	}
	if (json_is_true(json_object_get(u, "complete")))
		log_info("admin %s: upload %s complete, SHA-256 checked", who, id);
	send_upload(api, x, 200, u);
}

void api_admin_upload_delete(struct origin_api *api, struct httpd_exchange *x,
			     const struct api_params *p)
{
	char id[UPLOAD_ID_LEN + 1];
	const char *who;

	if (!api_not_admin(api, x, &who) && !bad_upload_param(x, p, id))
		api_admin_removed(api, x, API_UPLOAD, jobs_remove_upload(api->jobs, id), who,
				  "upload", id);
}

/* ---- jobs ---- */

static bool bad_job_param(struct httpd_exchange *x, const struct api_params *p, char *id)
{
	return api_bad_param(x, p, id, JOB_ID_LEN + 1, job_id_valid, "unknown_job", "no such job");
}

void api_admin_job_create(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	struct origin_reason why = {0};
	struct job_spec s;
	struct origin_fail f;
	const char *who;
	json_t *body, *job;
	int rc;

	if (api_not_admin(api, x, &who) || api_bad_body(x, &body))
		return;
	rc = job_parse(body, &s, &f);
	json_decref(body);
	if (rc != 0) {
		api_fail(x, &f);
		return;
	}
	if ((rc = jobs_create(api->jobs, &s, &job, &why)) != 0) {
		api_refuse(api, x, API_JOB_NEW, rc, &why);
		return;
	}
	log_info("admin %s: job %s for title %s from %s", who,
		 json_string_value(json_object_get(job, "id")), s.title,
		 s.upload[0] ? s.upload : s.path);
	api_send_json(x, 201, job, NULL);
}

void api_admin_jobs_list(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p)
{
	char state[16];
	struct api_page pg;
	const char *who;
	json_t *out;
	int by_state, rc;

	if (api_not_admin(api, x, &who))
		return;
	pg = api_admin_page(x);
	if ((by_state = api_query(x->req, "state", state, sizeof(state))) < 0 ||
	    (rc = jobs_list(api->jobs, by_state ? state : NULL, pg.offset, pg.limit, &out)) ==
		-EINVAL) {
		api_error(x, 400, "invalid_request",
			  "state is one of queued, running, done, failed, cancelled", NULL);
		return;
	}
	api_send_result(x, "jobs", rc, out);
}

/* A call on one job: the jobs service's, with a reason (only a retry gives one). */
typedef int job_call_fn(struct jobs *j, const char *id, json_t **out, struct origin_reason *why);

static int job_get(struct jobs *j, const char *id, json_t **out, struct origin_reason *why)
{
	return jobs_get(j, id, out);
}

static int job_logs(struct jobs *j, const char *id, json_t **out, struct origin_reason *why)
{
	return jobs_logs(j, id, out);
}

static int job_cancel(struct jobs *j, const char *id, json_t **out, struct origin_reason *why)
{
	return jobs_cancel(j, id, out);
}

/*
 * CALL on the job the path names, answered as resource R: 200 with the job
 * (or its logs), or the refusal.  A change is logged as "admin WHO: DONE job
 * ID" (DONE NULL: nothing changes).
 */
static void on_job(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p,
		   enum api_resource r, job_call_fn *call, const char *done)
{
	struct origin_reason why = {0};
	char id[JOB_ID_LEN + 1];
	const char *who;
	json_t *out = NULL;
	int rc;

	if (api_not_admin(api, x, &who) || bad_job_param(x, p, id))
		return;
	if ((rc = call(api->jobs, id, &out, &why)) != 0) {
		api_refuse(api, x, r, rc, &why);
		return;
	}
	if (done)
		log_info("admin %s: %s job %s", who, done, id);
	api_send_json(x, 200, out, NULL);
}

void api_admin_job_get(struct origin_api *api, struct httpd_exchange *x, const struct api_params *p)
{
	on_job(api, x, p, API_JOB, job_get, NULL);
}

void api_admin_job_logs(struct origin_api *api, struct httpd_exchange *x,
			const struct api_params *p)
{
	on_job(api, x, p, API_JOB, job_logs, NULL);
}

void api_admin_job_cancel(struct origin_api *api, struct httpd_exchange *x,
			  const struct api_params *p)
{
	on_job(api, x, p, API_JOB_CANCEL, job_cancel, "cancelled");
}

void api_admin_job_retry(struct origin_api *api, struct httpd_exchange *x,
			 const struct api_params *p)
{
	on_job(api, x, p, API_JOB_RETRY, jobs_retry, "retrying");
}
