/*
 * manifest.json, the unit of distribution (DESIGN.md): every file of the package
 * with path, size, sha256 (OpenSSL EVP) and content type, sorted by path, plus
 * the title metadata (duration, renditions, audio languages).  Written last,
 * after every other file is final.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "array.h"
#include "internal.h"

struct file_list {
	char **paths; /* relative to the package root */
	size_t n, cap;
};

static int list_add(struct file_list *l, const char *rel)
{
	if (array_reserve((void **)&l->paths, &l->cap, l->n, sizeof(*l->paths), 256) != 0)
		return -ENOMEM;
	if (!(l->paths[l->n] = strdup(rel)))
		return -ENOMEM;
	l->n++;
	return 0;
}

static void list_free(struct file_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
}

/* Collect regular files under ROOT/REL (one level of folders is all a package has). */
static int walk(const char *root, const char *rel, struct file_list *l)
{
	char dir[PATH_MAX * 2], sub[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int ret = 0;

	snprintf(dir, sizeof(dir), "%s%s%s", root, rel[0] ? "/" : "", rel);
	if (!(d = opendir(dir)))
		return -errno;
	while (ret == 0 && (e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
				     e->d_name) >= sizeof(sub)) {
			ret = -ENAMETOOLONG;
			break;
		}
		snprintf(dir, sizeof(dir), "%s/%s", root, sub);
		if (lstat(dir, &st) < 0)
			ret = -errno;
		else if (S_ISDIR(st.st_mode))
			ret = walk(root, sub, l);
		else if (S_ISREG(st.st_mode))
			ret = list_add(l, sub);
	}
	closedir(d);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 of PATH as 64 hex digits into HEX; *SIZE gets the byte count. */
static int sha256_file(const char *path, char hex[65], int64_t *size)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen = 0, i;
	int fd = -1, ret = -EIO;
	ssize_t n;

	*size = 0;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto end;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ret = -errno;
		goto end;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto end;
		}
		*size += n;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			goto end;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen))
		goto end;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ret = 0;
end:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return ret;
}

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return "application/octet-stream";
	if (strcmp(dot, ".m3u8") == 0)
		return "application/vnd.apple.mpegurl";
	if (strcmp(dot, ".m4s") == 0)
		return strncmp(path, "audio_", 6) == 0 ? "audio/iso.segment" : "video/iso.segment";
	if (strcmp(dot, ".mp4") == 0)
		return strncmp(path, "audio_", 6) == 0 ? "audio/mp4" : "video/mp4";
	if (strcmp(dot, ".ts") == 0)
		return "video/mp2t";
	if (strcmp(dot, ".vtt") == 0)
		return "text/vtt";
	if (strcmp(dot, ".json") == 0)
		return "application/json";
	return "application/octet-stream";
}

static json_t *files_json(struct tc_job *job, int64_t *total)
{
	struct file_list l = {0};
	json_t *arr = json_array();
	size_t i;
	int ret;

	*total = 0;
	ret = arr ? walk(job->tmpdir, "", &l) : -ENOMEM;
	if (ret < 0) {
		tc_fail(job, ret, "%s: cannot list the package: %s", job->tmpdir, strerror(-ret));
		goto fail;
	}
	qsort(l.paths, l.n, sizeof(l.paths[0]), cmp_str);
	for (i = 0; i < l.n; i++) {
		char path[PATH_MAX * 2], hex[65];
		int64_t size;
		snprintf(path, sizeof(path), "%s/%s", job->tmpdir, l.paths[i]);
		if ((ret = sha256_file(path, hex, &size)) < 0) {
			tc_fail(job, ret, "%s: cannot hash: %s", path, strerror(-ret));
			goto fail;
		}
		*total += size;
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s}", "path", l.paths[i],
						     "size", (json_int_t)size, "sha256", hex,
						     "content_type", content_type(l.paths[i])));
	}
	list_free(&l);
	return arr;
fail:
	list_free(&l);
	json_decref(arr);
	return NULL;
}

static json_t *rendition_json(const struct tc_job *job, const struct tc_rendition *r)
{
	json_t *o;

	if (r->kind == TC_VIDEO)
		return json_pack("{s:s, s:s, s:i, s:i, s:f, s:i, s:I, s:I, s:f}", "path", r->name,
				 "codecs", r->codecs, "width", r->width, "height", r->height,
				 "frame_rate", r->fps, "target_kbps", r->kbps, "bandwidth",
				 (json_int_t)ceil(r->peak_bps), "average_bandwidth",
				 (json_int_t)ceil(r->avg_bps), "duration",
				 r->seg ? tc_seg_duration(r->seg) : 0.0);
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:I, s:I, s:i, s:s}", "path", r->name,
		      "codecs", r->codecs, "language", r->lang, "name", r->label, "default",
		      r->is_default, "channels", r->channels, "sample_rate", 48000, "bandwidth",
		      (json_int_t)ceil(r->peak_bps), "average_bandwidth",
		      (json_int_t)ceil(r->avg_bps), "stream", r->stream, "group",
		      tc_rend_group(job, r));
	return o;
}

/* Every source stream left out of the package, and why. */
static json_t *skipped_json(const struct tc_job *job)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < job->nskipped; i++) {
		const struct transcoder_skipped *k = &job->skipped[i];
		json_array_append_new(
		    arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "stream", k->stream,
				   "type", k->type, "codec", k->codec, "language", k->language,
				   "title", k->title, "reason",
				   transcoder_skip_reason_code(k->reason), "message", k->message));
	}
	return arr;
}

/* The method, key URI and IV policy; never the key. */
static json_t *encryption_json(const struct transcoder_options *o)
{
	static const char *const iv[] = {"sequence", "fixed", "random"};

	if (!o->key_uri)
		return json_null();
	return json_pack("{s:s, s:s, s:s}", "method", "AES-128", "key_uri", o->key_uri, "iv",
			 iv[o->iv_mode]);
}

static json_t *title_json(struct tc_job *job)
{
	json_t *video = json_array(), *audio = json_array(), *langs = json_array();
	json_t *subs = json_array(), *slangs = json_array();
	const char *title = job->opts->title;
	char name[PATH_MAX];
	double duration = 0;
	size_t i, n;

	if (!title) { /* the package folder's name */
		snprintf(name, sizeof(name), "%s", job->opts->outdir);
		n = strlen(name);
		while (n > 1 && name[n - 1] == '/')
			name[--n] = '\0';
		title = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	}
	for (i = 0; i < job->nrends; i++) {
		const struct tc_rendition *r = &job->rends[i];
		double d = r->seg ? tc_seg_duration(r->seg) : 0;
		if (d > duration)
			duration = d;
		if (r->kind == TC_VIDEO)
			json_array_append_new(video, rendition_json(job, r));
		else if (r->kind == TC_AUDIO) {
			json_array_append_new(audio, rendition_json(job, r));
			if (!r->surround) /* one per source track */
				json_array_append_new(langs, json_string(r->lang));
		} else if (r->kind == TC_SUBS) {
			json_array_append_new(subs, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:i}",
							      "path", r->name, "codecs", r->codecs,
							      "language", r->lang, "name", r->label,
							      "default", r->is_default, "forced",
							      r->forced, "stream", r->stream));
			json_array_append_new(slangs, json_string(r->lang));
		}
	}
	return json_pack("{s:i, s:s, s:f, s:f, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o}",
			 "manifest_version", 1, "title", title, "duration", duration,
			 "segment_target", job->opts->segment_s, "container",
			 job->opts->container == TRANSCODER_TS ? "mpegts" : "fmp4", "master",
			 "master.m3u8", "video", video, "audio", audio, "audio_languages", langs,
			 "subtitles", subs, "subtitle_languages", slangs, "concealed_errors",
			 (json_int_t)job->corrupt, "encryption", encryption_json(job->opts),
			 "skipped_streams", skipped_json(job));
}

int tc_manifest_write(struct tc_job *job)
{
	char path[PATH_MAX + 32];
	json_t *root = NULL, *files;
	int64_t total;
	char *text = NULL;
	int ret = -ENOMEM;

	if (!(files = files_json(job, &total)))
		return atomic_load(&job->abort) ? atomic_load(&job->abort) : -EIO;
	root = title_json(job);
	if (root) {
		json_object_set_new(root, "total_size", json_integer((json_int_t)total));
		json_object_set_new(root, "files", files);
	} else {
		json_decref(files);
	}
	if (root)
		text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text)
		goto end;
	snprintf(path, sizeof(path), "%s/manifest.json", job->tmpdir);
	ret = tc_write_file(path, text, strlen(text));
	if (ret < 0)
		tc_fail(job, ret, "%s: %s", path, strerror(-ret));
end:
	if (ret == -ENOMEM)
		tc_fail(job, ret, "out of memory writing manifest.json");
	free(text);
	json_decref(root);
	return ret;
}
