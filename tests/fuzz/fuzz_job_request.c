/*
 * Fuzz target for what an admin sends about jobs and uploads
 * (origin/api/bodies.h): the input's first byte chooses the parser, the
 * rest is its input.  0: a job body (job_parse), 1: an upload body
 * (upload_parse), both as JSON; 2: the headers of a piece of an upload,
 * "UPLOAD-OFFSET\nCONTENT-RANGE\nLENGTH" (upload_offset_parse; an empty
 * value is an absent header).  A refusal must be a 400 or 422 with a code
 * and a message; a job must name a valid title and exactly one source; a
 * piece's Content-Range must hold it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/bodies.h"
#include "catalog/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fail(const struct origin_fail *f)
{
	if ((f->status != 400 && f->status != 422) || !f->code || !f->message)
		abort();
}

static void bodies(int which, const char *text, size_t len)
{
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	struct origin_fail f = {0};
	struct upload_spec u;
	struct job_spec s;

	if (!json_is_object(obj)) {
		json_decref(obj);
		return;
	}
	if (which == 0 && job_parse(obj, &s, &f) != 0)
		check_fail(&f);
	else if (which == 0 && (!title_id_valid(s.title, strlen(s.title)) ||
				!s.upload[0] == !s.path[0] || strlen(s.ladder) >= sizeof(s.ladder)))
		abort();
	if (which == 1 && upload_parse(obj, &u, &f) != 0)
		check_fail(&f);
	else if (which == 1 && (strlen(u.name) > UPLOAD_NAME_MAX || strlen(u.sha256) > 64))
		abort();
	json_decref(obj);
}

/* The next value of TEXT[*AT..LEN) up to a newline, as a header ({NULL, 0} when empty). */
static struct http_str value(const char *text, size_t len, size_t *at)
{
	const char *nl = memchr(text + *at, '\n', len - *at);
	size_t n = nl ? (size_t)(nl - text) - *at : len - *at;
	struct http_str v = {n ? text + *at : NULL, n};

	*at += n + (nl ? 1 : 0);
	return v;
}

static void piece(const char *text, size_t len)
{
	size_t at = 0;
	struct http_str off = value(text, len, &at), range = value(text, len, &at);
	struct http_str length = value(text, len, &at);
	uint64_t body = 0, offset, total;
	struct origin_fail f = {0};

	for (size_t i = 0; i < length.len && i < 12; i++)
		body = body * 10 + (uint64_t)(length.p[i] & 15);
	if (upload_offset_parse(off, range, body, &offset, &total, &f) != 0)
		check_fail(&f);
	else if (range.p && total && (body == 0 || offset + body > total))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0)
		return 0;
	text = malloc(size - 1 ? size - 1 : 1); /* exactly sized: ASan catches over-reads */
	memcpy(text, data + 1, size - 1);
	if (data[0] % 3 == 2)
		piece(text, size - 1);
	else
		bodies(data[0] % 3, text, size - 1);
	free(text);
	return 0;
}
