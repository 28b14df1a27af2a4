/* Reading the file list of manifest.json (see manifest.h), with jansson. */
#include "manifest.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* One path segment: [A-Za-z0-9._-]+, not starting with a dot. */
static int segment_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int manifest_path_ok(const char *path, size_t len)
{
	size_t start = 0;

	if (len == 0 || len > MANIFEST_PATH_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || path[i] == '/') {
			if (!segment_ok(path + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

int manifest_title_ok(const char *title, size_t len)
{
	return len <= MANIFEST_TITLE_MAX && segment_ok(title, len);
}

void manifest_version(const char *text, size_t len, char out[MANIFEST_VERSION_LEN + 1])
{
	uint8_t sha[32];

	EVP_Digest(text, len, sha, NULL, EVP_sha256(), NULL);
	hex_encode(sha, MANIFEST_VERSION_LEN / 2, out);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct manifest_file *)a)->path,
		      ((const struct manifest_file *)b)->path);
}

/* Entry I of FILES into F (its path copied into the arena at *POOL). */
static int read_file(json_t *e, size_t i, struct manifest_file *f, char **pool, char *err,
		     size_t errlen)
{
	json_t *path = json_object_get(e, "path"), *size = json_object_get(e, "size"),
	       *sha = json_object_get(e, "sha256");
	size_t plen;

	if (!json_is_string(path) ||
	    !manifest_path_ok(json_string_value(path), plen = json_string_length(path)) ||
	    strcmp(json_string_value(path), MANIFEST_NAME) == 0) {
		snprintf(err, errlen, "files[%zu]: path missing or not a package path", i);
		return -EINVAL;
	}
	if (!json_is_integer(size) || json_integer_value(size) < 0) {
		snprintf(err, errlen, "files[%zu]: size missing or negative", i);
		return -EINVAL;
	}
	if (!json_is_string(sha) ||
	    hex_decode(json_string_value(sha), json_string_length(sha), f->sha256, 32) != 0) {
		snprintf(err, errlen, "files[%zu]: sha256 is not 64 hex digits", i);
		return -EINVAL;
	}
	memcpy(*pool, json_string_value(path), plen + 1);
	f->path = *pool;
	*pool += plen + 1;
	f->size = (uint64_t)json_integer_value(size);
	return 0;
}

static int read_files(json_t *files, struct manifest *m, char *err, size_t errlen)
{
	size_t n = json_array_size(files), pool_len = 0;
	char *pool;
	int rc;

	for (size_t i = 0; i < n; i++) {
		json_t *p = json_object_get(json_array_get(files, i), "path");

		pool_len += json_is_string(p) ? json_string_length(p) + 1 : 0;
	}
	/* one block: the entries, then their paths */
	if (!(m->files = malloc(n * sizeof(*m->files) + pool_len + 1)))
		return -ENOMEM;
	pool = (char *)(m->files + n);
	for (size_t i = 0; i < n; i++) {
		if ((rc = read_file(json_array_get(files, i), i, &m->files[i], &pool, err,
				    errlen)) != 0)
			return rc;
		m->total_size += m->files[i].size;
	}
	m->n = n;
	qsort(m->files, n, sizeof(*m->files), cmp_file);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(m->files[i - 1].path, m->files[i].path) == 0) {
			snprintf(err, errlen, "%s is listed twice", m->files[i].path);
			return -EINVAL;
		}
	}
	return 0;
}

int manifest_parse(const char *text, size_t len, struct manifest **out, char *err, size_t errlen)
{
	struct manifest *m = NULL;
	json_error_t je;
	json_t *root = NULL, *files;
	int rc = -EINVAL;

	*out = NULL;
	if (len > MANIFEST_MAX_SIZE) {
		snprintf(err, errlen, "larger than %d bytes", MANIFEST_MAX_SIZE);
		return -EINVAL;
	}
	if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(err, errlen, "not JSON: line %d: %s", je.line, je.text);
		return -EINVAL;
	}
	files = json_object_get(root, "files");
	if (!json_is_array(files)) {
		snprintf(err, errlen, "no files array");
		goto out;
	}
	if (json_array_size(files) > MANIFEST_MAX_FILES) {
		snprintf(err, errlen, "more than %d files", MANIFEST_MAX_FILES);
		goto out;
	}
	rc = -ENOMEM;
	if (!(m = calloc(1, sizeof(*m))))
		goto out;
	if ((rc = read_files(files, m, err, errlen)) != 0)
		goto out;
	manifest_version(text, len, m->version);
	*out = m;
	m = NULL;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	manifest_free(m);
	json_decref(root);
	return rc;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	free(m->files);
	free(m);
}

const struct manifest_file *manifest_find(const struct manifest *m, const char *path)
{
	struct manifest_file key = {.path = path};

	return m->n ? bsearch(&key, m->files, m->n, sizeof(key), cmp_file) : NULL;
}
