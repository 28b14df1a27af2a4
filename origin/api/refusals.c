/*
 * The one mapping from domain results to HTTP answers: for each resource of
 * the API, what each negative errno its domain call returns is answered
 * (docs/openapi.yaml lists the same codes).  A CODE or MESSAGE of NULL is
 * the domain's reason's; an errno a resource does not list is a failure
 * (500, or 503 when the store is full).  A new resource adds its rows here.
 */
#include "api/api_int.h"

#include <errno.h>

/* One row: resource R answers the domain's RC with STATUS, CODE and MESSAGE (counting in ID). */
#define REFUSE(r, rc, status, code, message)                                                       \
	{                                                                                          \
		API_##r, (rc), (status), (code), (message), ORIGIN_COUNT_NONE, NULL                \
	}
#define COUNTED(r, rc, status, code, message, id)                                                  \
	{                                                                                          \
		API_##r, (rc), (status), (code), (message), ORIGIN_COUNT_##id, NULL                \
	}

static const struct api_refusal refusals[] = {
    /* accounts */
    {API_SESSION, -EACCES, 401, "invalid_token", "the session token is invalid or expired",
     ORIGIN_COUNT_NONE, "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"},
    REFUSE(SIGNUP, -EEXIST, 409, "email_taken", "an account with this email exists"),
    REFUSE(LOGIN, -EACCES, 401, "invalid_credentials", "wrong email or password"),
    REFUSE(CREDENTIALS, -EINVAL, 422, NULL, NULL),
    REFUSE(PASSWORD, -EACCES, 403, "wrong_password", "the current password is wrong"),
    REFUSE(PASSWORD, -ESTALE, 409, "account_changed",
	   "the account changed meanwhile (password or status); sign in again"),

    /* plans */
    REFUSE(PLAN, -EPROTO, 400, "invalid_request", NULL),
    REFUSE(PLAN, -EINVAL, 422, "invalid_plan", NULL),
    REFUSE(PLAN, -ENOENT, 404, "unknown_plan", "no such plan"),
    REFUSE(PLAN, -EBUSY, 409, "plan_in_use", "subscriptions name this plan; move them first"),
    REFUSE(PLAN, -EEXIST, 412, "plan_exists", "a plan of this name exists (If-None-Match: *)"),
    REFUSE(SUBSCRIPTION, -ENOENT, 404, "no_subscription", "you have no subscription"),
    REFUSE(SUBSCRIBE, -ENOENT, 422, "unknown_plan", "no such plan"),
    REFUSE(CANCEL, -ENOENT, 404, "no_subscription", "you have no active subscription"),
    REFUSE(GRANT_USER, -ENOENT, 422, "unknown_user", "no such user"),
    REFUSE(GRANT, -ENOENT, 422, "unknown_plan", "no such plan"),

    /* catalog */
    REFUSE(TITLE, -EBADMSG, 400, "invalid_json", NULL),
    REFUSE(TITLE, -EINVAL, 422, "invalid_manifest", NULL),
    REFUSE(TITLE, -ENOENT, 404, "unknown_title", "no such title"),
    REFUSE(KEY_ADD, -EEXIST, 409, "key_exists", "the title already has a key with this kid"),
    REFUSE(KEYS, -ENOENT, 404, "unknown_title", "the title has no content keys"),

    /* playback */
    COUNTED(PLAY, -EACCES, 403, "no_subscription", "an active subscription is required",
	    PLAY_REFUSED),
    COUNTED(PLAY, -ENOENT, 404, "unknown_title", "no such title", PLAY_REFUSED),
    COUNTED(PLAY, -ERANGE, 403, "height_not_allowed",
	    "no rendition of this title is within the plan's height", PLAY_REFUSED),
    COUNTED(PLAY, -EUSERS, 403, "stream_limit", NULL, STREAM_LIMIT),
    REFUSE(HEARTBEAT, -ENOENT, 404, "unknown_lease",
	   "no such lease, or it ended; start the playback again"),
    COUNTED(HEARTBEAT, -ERANGE, 422, "invalid_position", NULL, POSITION_REFUSED),
    REFUSE(STOP, -ENOENT, 404, "unknown_lease", "no such lease, or it ended"),
    COUNTED(STOP, -ERANGE, 422, "invalid_position", NULL, POSITION_REFUSED),
    COUNTED(STREAM_KEY, -EBADMSG, 401, "invalid_token", "the stream token is not valid",
	    KEY_REFUSED),
    COUNTED(STREAM_KEY, -ETIMEDOUT, 401, "token_expired", "the stream token has expired",
	    KEY_REFUSED),
    COUNTED(STREAM_KEY, -EACCES, 403, "wrong_title", "the stream token is for another title",
	    KEY_REFUSED),
    COUNTED(STREAM_KEY, -EKEYREVOKED, 403, "lease_ended", "the playback lease has ended",
	    KEY_REFUSED),
    REFUSE(STREAM_KEY, -ENOENT, 404, "no_key", "this title has no such content key"),

    /* downloads */
    REFUSE(DOWNLOAD, -EACCES, 403, "no_subscription", "an active subscription is required"),
    REFUSE(DOWNLOAD, -ENOENT, 404, "unknown_title", "no such title"),
    REFUSE(DOWNLOAD, -ENOKEY, 409, "not_downloadable",
	   "the title has no content key, so it cannot be licensed"),
    COUNTED(DOWNLOAD, -EPERM, 403, "downloads_not_allowed", "the plan does not include downloads",
	    LICENSE_REFUSED),
    COUNTED(DOWNLOAD, -EDQUOT, 403, NULL, NULL, LICENSE_REFUSED),
    REFUSE(RENEW, -ENOENT, 404, "unknown_download", "no such download"),
    REFUSE(RENEW, -EACCES, 403, "no_subscription", "an active subscription is required"),
    REFUSE(RENEW, -ESTALE, 409, "released", "the download was released; download it again"),
    REFUSE(RENEW, -EPERM, 403, "downloads_not_allowed", "the plan does not include downloads"),
    REFUSE(RENEW, -ENOKEY, 409, "not_downloadable", "the title's content key is gone"),
    REFUSE(RELEASE, -ENOENT, 404, "unknown_download", "no such download"),
    REFUSE(RELEASE, -EALREADY, 404, "unknown_download", "the download was already released"),
    REFUSE(LICENSE_KEY, -EBADMSG, 401, "invalid_license", "the license is not valid"),
    REFUSE(LICENSE_KEY, -ETIMEDOUT, 401, "license_expired", "the license has expired; renew it"),
    REFUSE(LICENSE_KEY, -EACCES, 403, "wrong_title", "the license is for another title"),
    REFUSE(LICENSE_KEY, -EPERM, 403, "license_released", "the download was released"),
    REFUSE(LICENSE_KEY, -EKEYREVOKED, 403, "account_disabled", "the account is disabled"),
    REFUSE(LICENSE_KEY, -EKEYEXPIRED, 403, "no_subscription",
	   "an active subscription is required"),

    /* jobs and uploads */
    REFUSE(JOB_BODY, -EPROTO, 400, "invalid_request", NULL),
    REFUSE(JOB_BODY, -EINVAL, 422, "invalid_job", NULL),
    REFUSE(JOB_NEW, -EINVAL, 422, "invalid_job", NULL),
    REFUSE(JOB_NEW, -ENOENT, 404, NULL, NULL),
    REFUSE(JOB_NEW, -EINPROGRESS, 409, "upload_incomplete", "the upload is not complete"),
    REFUSE(JOB_NEW, -EACCES, 403, "path_not_allowed", NULL),
    REFUSE(JOB_NEW, -EEXIST, 409, "title_exists",
	   "the title is registered; delete it first or choose another id"),
    REFUSE(JOB_NEW, -EBUSY, 409, "job_exists", "a job for this title is queued or running"),
    REFUSE(JOB, -ENOENT, 404, "unknown_job", "no such job"),
    REFUSE(JOB_CANCEL, -ENOENT, 404, "unknown_job", "no such job"),
    REFUSE(JOB_CANCEL, -EALREADY, 409, "job_ended", "the job has ended"),
    REFUSE(JOB_RETRY, -ENOENT, 404, "unknown_job", "no such job"),
    REFUSE(JOB_RETRY, -EALREADY, 409, "job_not_failed",
	   "only a failed or cancelled job can be retried"),
    REFUSE(JOB_RETRY, -EBUSY, 409, "job_stopping", "the job's process is still stopping"),
    REFUSE(JOB_RETRY, -ESTALE, 409, "source_gone", NULL),
    REFUSE(JOB_RETRY, -EEXIST, 409, "title_exists", "the title was registered meanwhile"),
    REFUSE(UPLOAD, -ENOENT, 404, "unknown_upload", "no such upload"),
    REFUSE(UPLOAD, -EBUSY, 409, "upload_in_use", "a queued or running job reads this upload"),
    REFUSE(UPLOAD_NEW, -EINVAL, 422, "invalid_upload", NULL),
    REFUSE(UPLOAD_NEW, -EFBIG, 413, "upload_too_large", NULL),
    REFUSE(UPLOAD_PIECE, -ENOENT, 404, "unknown_upload", "no such upload"),
    REFUSE(UPLOAD_PIECE, -EALREADY, 409, "upload_complete", "the upload is complete"),
    REFUSE(UPLOAD_PIECE, -ESPIPE, 409, "offset_mismatch",
	   "the upload is not at this offset; ask for its offset (HEAD) and go on from there"),
    REFUSE(UPLOAD_PIECE, -EFBIG, 413, "past_size", "the bytes go past the upload's size"),
    REFUSE(UPLOAD_PIECE, -EBADMSG, 422, "sha256_mismatch",
	   "the file's SHA-256 is not the declared one; the upload was emptied, send it again"),
    /* viewing */
    REFUSE(HISTORY, -ENOENT, 404, "unknown_entry", "no such title in your history"),
    /* edges */
    REFUSE(EDGE, -ENOENT, 404, "unknown_edge", "no such edge"),
    REFUSE(EDGE_ADD, -EINVAL, 409, NULL, NULL),
    REFUSE(HEARTBEAT_EDGE, -ENOENT, 401, "unauthorized", "no such edge"),
    REFUSE(HEARTBEAT_EDGE, -EINVAL, 422, "invalid_report",
	   "cursor must be the last answer's cursor"),
    /* the content endpoint: the store's files, and players' stream tokens as an edge checks them */
    REFUSE(CONTENT, -ENOENT, 404, "not_found", "no such file in the content store"),
    REFUSE(CONTENT, -EACCES, 403, "forbidden", "the file cannot be read"),
    REFUSE(CONTENT, -EMFILE, 503, "busy", "out of file descriptors; try again"),
    REFUSE(CONTENT, -EFBIG, 500, "internal", "the master playlist is too large to cut"),
    REFUSE(STREAM, -EINVAL, 403, "invalid_token", "malformed stream token"),
    REFUSE(STREAM, -ENOKEY, 403, "invalid_token", "stream token signed with an unknown key"),
    REFUSE(STREAM, -EBADMSG, 403, "invalid_token", "stream token signature does not verify"),
    REFUSE(STREAM, -ETIMEDOUT, 403, "token_expired", "stream token expired"),
    REFUSE(STREAM, -EACCES, 403, "wrong_title", "stream token not valid for this title"),
    REFUSE(STREAM, -EKEYREVOKED, 403, "lease_ended", "stream token revoked: its lease ended"),
    REFUSE(STREAM, -ERANGE, 403, "height_not_allowed",
	   "rendition above the height the plan allows"),
    REFUSE(STREAM, -ENOENT, 403, "height_not_allowed",
	   "no rendition within the height the plan allows"),
};

const struct api_refusal *api_refusal_of(enum api_resource r, int rc)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].resource == r && refusals[i].rc == rc)
			return &refusals[i];
	return NULL;
}
