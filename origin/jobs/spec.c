/* What a job is asked to do: its body's rules (jobs.h, job_spec_from_json). */
#include "jobs/jobs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hex.h"
#include "jsonfield.h"

bool job_id_valid(const char *s, size_t len)
{
	if (len != JOB_ID_LEN || s[0] != 'j')
		return false;
	for (size_t i = 1; i < len; i++)
		if (hex_digit((unsigned char)s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return false;
	return true;
}

/* A decimal number of 1..6 digits in LO..HI at *S, which moves past it. */
static bool number(const char **s, long lo, long hi)
{
	char *end;
	long v;

	if (**s < '0' || **s > '9')
		return false;
	v = strtol(*s, &end, 10);
	if (end - *s > 6 || v < lo || v > hi)
		return false;
	*s = end;
	return true;
}

bool job_ladder_valid(const char *ladder)
{
	const char *s = ladder;
	unsigned n = 0;

	while (*s) {
		if (n++ == JOB_RUNG_MAX || !number(&s, 16, 16384) || *s++ != 'x' ||
		    !number(&s, 16, 16384) || *s++ != '@' || !number(&s, 16, 200000))
			return false;
		if (*s == ',' && s[1])
			s++;
		else if (*s)
			return false;
	}
	return n > 0;
}

/* Member KEY of OBJ, a string of at most CAP - 1 bytes, into OUT: 0, -ENOENT, or -EPROTO/-EINVAL.
 */
static int string(json_t *obj, const char *key, char *out, size_t cap, struct origin_reason *why)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return -ENOENT;
	if (!json_is_string(v))
		return reason_printf(why, -EPROTO, NULL, "%s must be a string", key);
	if (jf_str(obj, key, out, cap) != 0)
		return reason_printf(why, -EINVAL, NULL, "%s is at most %zu bytes, without NUL",
				     key, cap - 1);
	return 0;
}

static int flag(json_t *obj, const char *key, bool *out, struct origin_reason *why)
{
	int rc = jf_bool(obj, key, out);

	if (rc == -EINVAL)
		return reason_printf(why, -EPROTO, NULL, "%s must be true or false", key);
	return 0;
}

/* The source: exactly one of "upload" (an upload id) and "path". */
static int source(json_t *obj, struct job_spec *out, struct origin_reason *why)
{
	int up = string(obj, "upload", out->upload, sizeof(out->upload), why), path;

	if (up != 0 && up != -ENOENT)
		return up == -EINVAL ? reason_set(why, -EINVAL, NULL, "upload is an upload id")
				     : up;
	if (up == 0 && !upload_id_valid(out->upload, strlen(out->upload)))
		return reason_set(why, -EINVAL, NULL, "upload is an upload id");
	path = string(obj, "path", out->path, sizeof(out->path), why);
	if (path != 0 && path != -ENOENT)
		return path;
	if ((up == 0) == (path == 0))
		return reason_set(why, -EINVAL, NULL,
				  "the source is one of upload (an upload id) or path (a file "
				  "under the origin's import folder)");
	if (path == 0 && !out->path[0])
		return reason_set(why, -EINVAL, NULL, "path must not be empty");
	return 0;
}

int job_spec_from_json(json_t *obj, struct job_spec *out, struct origin_reason *why)
{
	static const char *const allowed[] = {"title",	"name",	   "upload", "path", "ladder",
					      "format", "encrypt", "urgent", NULL};
	char format[8] = "fmp4";
	const char *unknown = jf_unknown(obj, allowed);
	int rc;

	memset(out, 0, sizeof(*out));
	if (unknown)
		return reason_printf(why, -EPROTO, NULL, "unknown member \"%.64s\"", unknown);
	if ((rc = string(obj, "title", out->title, sizeof(out->title), why)) == -ENOENT)
		return reason_set(why, -EPROTO, NULL, "title is required");
	if (rc == -EPROTO)
		return rc;
	if (rc == -EINVAL || !title_id_valid(out->title, strlen(out->title)))
		return reason_set(why, -EINVAL, NULL,
				  "a title id is 1..64 of A-Z, a-z, 0-9, '.', '_' and '-', not "
				  "starting with '.'");
	if ((rc = string(obj, "name", out->name, sizeof(out->name), why)) != 0 && rc != -ENOENT)
		return rc;
	if ((rc = source(obj, out, why)) != 0)
		return rc;
	if ((rc = string(obj, "ladder", out->ladder, sizeof(out->ladder), why)) != 0 &&
	    rc != -ENOENT)
		return rc;
	if (rc == 0 && !job_ladder_valid(out->ladder))
		return reason_set(why, -EINVAL, NULL,
				  "ladder is WxH@KBPS,... (1..16 rungs, sides 16..16384, "
				  "16..200000 kb/s)");
	if ((rc = string(obj, "format", format, sizeof(format), why)) != 0 && rc != -ENOENT &&
	    rc != -EINVAL)
		return rc;
	if (rc == -EINVAL || (strcmp(format, "fmp4") != 0 && strcmp(format, "ts") != 0))
		return reason_set(why, -EINVAL, NULL, "format is fmp4 or ts");
	out->ts = strcmp(format, "ts") == 0;
	if ((rc = flag(obj, "encrypt", &out->encrypt, why)) != 0 ||
	    (rc = flag(obj, "urgent", &out->urgent, why)) != 0)
		return rc;
	return 0;
}

int job_import_path(const char *import_dir, const char *path, char *out, struct origin_reason *why)
{
	char root[PATH_MAX], joined[2 * PATH_MAX + 2];
	struct stat st;
	size_t n;

	if (!import_dir[0])
		return reason_set(why, -EACCES, NULL,
				  "sources on the origin host are off (no [jobs] import_dir)");
	if (!realpath(import_dir, root))
		return reason_set(why, -EACCES, NULL, "the import folder cannot be read");
	snprintf(joined, sizeof(joined), "%s%s%s", path[0] == '/' ? "" : root,
		 path[0] == '/' ? "" : "/", path);
	if (strlen(joined) >= PATH_MAX || !realpath(joined, out) || stat(out, &st) != 0 ||
	    !S_ISREG(st.st_mode)) {
		if (errno == EACCES)
			return reason_set(why, -EACCES, NULL, "the file cannot be read");
		return reason_set(why, -ENOENT, "no_such_file",
				  "no such file in the import folder");
	}
	n = strlen(root);
	if (strncmp(out, root, n) != 0 || (out[n] != '/' && root[n - 1] != '/'))
		return reason_set(why, -EACCES, NULL, "the file is outside the import folder");
	return 0;
}
