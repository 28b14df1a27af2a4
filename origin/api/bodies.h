/*
 * The request bodies the API reads, for the handlers and their fuzz
 * targets: signup and login credentials (api_accounts.c), a plan
 * (api_plans.c), a package's manifest (api_catalog.c), a job and an upload
 * and the offset a piece of an upload goes to (api_jobs.c), a heartbeat's
 * and a stop's position and the queries of the viewing lists and search (api_viewing.c).
 * Each checks the body against its domain's rules and refuses with an origin_fail: the HTTP
 * status its resource's table gives, a stable code and a message.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_API_BODIES_H
#define ORIGIN_API_BODIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accounts/credentials.h"
#include "catalog/catalog.h"
#include "http_parser.h"
#include "jobs/jobs.h"
#include "language.h"
#include "plans/plans.h"

struct origin_creds {
	char email[ORIGIN_EMAIL_MAX + 1]; /* normalised: trimmed, ASCII lowercase */
	char password[ORIGIN_PASSWORD_MAXLEN + 1];
	size_t password_len; /* bytes; the password may hold NUL characters */
	char device[64];     /* login: the optional "device_token" ("" when absent or too long) */
};

/*
 * Why a request was refused: an HTTP status, a stable code and a message
 * (static strings, or a reason's: they live as long as it), and with
 * HAS_LIMIT the plan's number the answer carries as "limit".
 */
struct origin_fail {
	int status;
	const char *code, *message;
	bool has_limit;
	unsigned limit;
};

/*
 * Parse BODY[0..LEN) as a JSON object with string members "email" and
 * "password" and the optional string "device_token" (other members are
 * ignored; duplicate keys are refused) into
 * *OUT, the email normalised but not yet validated.  Returns 0, or -1 with
 * *FAIL set: 400 invalid_json (not JSON, not an object), 400 invalid_request
 * (a member missing or not a string), 422 invalid_email (longer than
 * ORIGIN_EMAIL_MAX), 422 weak_password (longer than ORIGIN_PASSWORD_MAXLEN
 * bytes).  *OUT may be partly written on failure.
 */
int origin_creds_parse(const char *body, size_t len, struct origin_creds *out,
		       struct origin_fail *fail);

/*
 * Check the signup policy for C (accounts_password_policy): 0, or -1 with
 * *FAIL 422 invalid_email or 422 weak_password.
 */
int origin_creds_policy(const struct origin_creds *c, struct origin_fail *fail);

/*
 * Parse an admin's plan body OBJ for plan NAME (from the path) into *OUT
 * (plan_from_json).  Returns 0, or -1 with *FAIL: 400 invalid_request (an
 * unknown or missing member), 422 invalid_plan (a value out of range, or
 * NAME invalid).
 */
int plan_parse(json_t *obj, const char *name, struct plan *out, struct origin_fail *fail);

/*
 * The catalog record of title ID from its manifest.json BODY[0..LEN) at NOW
 * (catalog_record; META, when not NULL, overrides the display name and the
 * description).  Returns 0 with *OUT (the caller decrefs it), or -1 with
 * *OUT NULL and *FAIL: 400 invalid_json, 422 invalid_manifest, 500 internal.
 */
int catalog_from_manifest(const char *body, size_t len, const char *id,
			  const struct title_meta *meta, int64_t now, json_t **out,
			  struct origin_fail *fail);

/* A heartbeat's optional body: {"position": SECONDS}. */
struct position_report {
	bool given;
	double position; /* any number: the domain checks it against the title */
};

/*
 * Parse a heartbeat's body BODY[0..LEN) (LEN 0: none) into *OUT.  Returns
 * 0, or -1 with *FAIL: 400 invalid_json (not a JSON object), 400
 * invalid_request (an unknown member, or "position" missing or not a
 * number).
 */
int position_parse(const char *body, size_t len, struct position_report *out,
		   struct origin_fail *fail);

/*
 * Parse a stop's final position (DELETE /api/v1/play/LEASE): the body
 * BODY[0..LEN) as a heartbeat's, or REQ's query ?position=SECONDS (a JSON
 * number), not both, into *OUT (neither: none given).  Returns 0, or -1
 * with *FAIL: position_parse's, or 400 invalid_request (?position= not a
 * number, or given with a body).
 */
int stop_position_parse(const struct http_request *req, const char *body, size_t len,
			struct position_report *out, struct origin_fail *fail);

#define TITLE_QUERY_MAX 256 /* bytes of a search query */

/* The query of a viewing list or a search: ?q=, ?language=, ?offset=, ?limit=. */
struct title_query {
	char q[TITLE_QUERY_MAX + 1];
	bool has_q;
	char language[LANG_TAG_MAX + 1]; /* a canonical tag (lang_tag) */
	bool has_language;
	size_t offset, limit;
};

/*
 * Parse REQ's query into *OUT, LIMIT DEF_LIMIT when absent (at most
 * MAX_LIMIT), OFFSET 0 (at most 1000000).  Returns 0, or -1 with *FAIL 400
 * invalid_request: q longer than TITLE_QUERY_MAX bytes, language not a
 * language tag or ISO 639-2 code, offset or limit not a whole number in
 * range.
 */
int title_query_parse(const struct http_request *req, size_t def_limit, size_t max_limit,
		      struct title_query *out, struct origin_fail *fail);

/*
 * Query parameter NAME of REQ as a whole number in 0..MAX into *OUT (DEF
 * when absent): 0, or -1 when it is not one.
 */
int api_query_count(const struct http_request *req, const char *name, size_t def, size_t max,
		    size_t *out);

/*
 * Parse a job body OBJ (job_spec_from_json) into *OUT.  Returns 0, or -1
 * with *FAIL: 400 invalid_request (an unknown or missing member, a wrong
 * type), 422 invalid_job (a value out of its rules).
 */
int job_parse(json_t *obj, struct job_spec *out, struct origin_fail *fail);

/* What an upload is created with. */
struct upload_spec {
	char name[UPLOAD_NAME_MAX + 1];
	uint64_t size;
	char sha256[65];
};

/*
 * Parse an upload body OBJ, {"name", "size", "sha256"}, into *OUT.  Returns
 * 0, or -1 with *FAIL 400 invalid_request (an unknown or missing member, a
 * wrong type); the values' rules are the uploads service's.
 */
int upload_parse(json_t *obj, struct upload_spec *out, struct origin_fail *fail);

/*
 * The offset a piece of an upload LEN bytes long goes to, from the
 * request's Upload-Offset header UPLOAD_OFFSET (a decimal number) or its
 * Content-Range header CONTENT_RANGE ("bytes FIRST-LAST/SIZE", SIZE an
 * asterisk when not given; LAST - FIRST + 1 must be LEN); either may be
 * absent (P NULL), both must agree.  Returns 0 with *OFFSET and *SIZE (the
 * Content-Range's SIZE, 0 when not given), or -1 with *FAIL 400
 * invalid_request.
 */
int upload_offset_parse(struct http_str upload_offset, struct http_str content_range, uint64_t len,
			uint64_t *offset, uint64_t *size, struct origin_fail *fail);

#endif
