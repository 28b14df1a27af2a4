/* reelctl's credentials: config file, then environment, then flags. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_table.h"

#define FILE_MAX (64 * 1024)

static const struct conf_key keys[] = {
    {"admin", "url", CONF_STR, CONF_FIELD(struct ctl_file_conf, url), 1, 0, "a URL", NULL},
    {"admin", "token", CONF_STR, CONF_FIELD(struct ctl_file_conf, token), 1, 0, "a token", NULL},
    {"admin", "token_file", CONF_PATH, CONF_FIELD(struct ctl_file_conf, token_file), 1, 0,
     "a file name", NULL},
    {"admin", "ca", CONF_PATH, CONF_FIELD(struct ctl_file_conf, ca), 1, 0, "a file name", NULL},
    {"admin", "insecure", CONF_BOOL, CONF_FIELD(struct ctl_file_conf, insecure), 0, 0, NULL, NULL},
};

int ctl_config_parse(const char *text, const char *name, struct ctl_file_conf *out, char *err,
		     size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (conf_table_parse(keys, sizeof(keys) / sizeof(keys[0]), out, text, name, err, errlen) !=
	    0)
		return -EINVAL;
	if (out->token[0] && out->token_file[0]) {
		snprintf(err, errlen, "%s: set token or token_file, not both", name);
		return -EINVAL;
	}
	return 0;
}

const char *ctl_config_default_path(const char *home, const char *xdg_home, char *buf, size_t len)
{
	int n;

	if (xdg_home && xdg_home[0] == '/')
		n = snprintf(buf, len, "%s/reel/reelctl.conf", xdg_home);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.config/reel/reelctl.conf", home);
	else
		return NULL;
	return n > 0 && (size_t)n < len ? buf : NULL;
}

/*
 * The file PATH, at most FILE_MAX bytes, NUL-terminated, into *TEXT (the
 * caller frees it) and its mode into *MODE.  Returns 0 or a negative errno
 * with the reason in ERR.
 */
static int read_text(const char *path, char **text, mode_t *mode, char *err, size_t errlen)
{
	struct stat st;
	char *p = NULL;
	ssize_t n = 0;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file of at most 64 KiB", path);
		goto out;
	}
	if (!(p = malloc((size_t)st.st_size + 1)) ||
	    (n = read(fd, p, (size_t)st.st_size)) != st.st_size) {
		rc = n < 0 ? -errno : -EIO;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
		goto out;
	}
	p[n] = '\0';
	*text = p;
	*mode = st.st_mode;
	p = NULL;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A file that holds a token must not be open to anyone but its owner. */
static int check_private(const char *path, mode_t mode, char *err, size_t errlen)
{
	if ((mode & 077) == 0)
		return 0;
	snprintf(err, errlen,
		 "%s: holds a token but is accessible by others (mode %04o); "
		 "run: chmod 600 %s",
		 path, (unsigned)(mode & 07777), path);
	return -EPERM;
}

/* Copy token TEXT (surrounding white space dropped) from FROM into OUT, if it can be one. */
static int set_token(struct ctl_creds *out, const char *text, const char *from, char *err,
		     size_t errlen)
{
	size_t len;

	text += strspn(text, " \t\r\n");
	len = strcspn(text, "\r\n");
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(out->token)) {
		snprintf(err, errlen, "%s: %s", from, len ? "the token is too long" : "no token");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		if (text[i] < 0x21 || text[i] > 0x7e) {
			snprintf(err, errlen, "%s: a token has no spaces or control characters",
				 from);
			return -EINVAL;
		}
	memcpy(out->token, text, len);
	out->token[len] = '\0';
	snprintf(out->token_from, sizeof(out->token_from), "%s", from);
	return 0;
}

static int token_from_file(struct ctl_creds *out, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	mode_t mode;
	int rc;

	if ((rc = read_text(path, &text, &mode, err, errlen)) == 0 &&
	    (rc = check_private(path, mode, err, errlen)) == 0)
		rc = set_token(out, text, path, err, errlen);
	free(text);
	return rc;
}

static int set_str(char *dst, size_t size, const char *v, const char *what, char *err,
		   size_t errlen)
{
	if ((size_t)snprintf(dst, size, "%s", v) < size)
		return 0;
	snprintf(err, errlen, "%s: too long", what);
	return -EINVAL;
}

/* The config file's part: the default file may be missing, a named one may not. */
static int load_file(const struct ctl_creds_src *src, struct ctl_creds *out, char *err,
		     size_t errlen)
{
	struct ctl_file_conf fc;
	const char *path = src->config;
	char *text = NULL, def[PATH_MAX];
	mode_t mode;
	int rc;

	if (!path && !(path = ctl_config_default_path(src->home, src->xdg_home, def, sizeof(def))))
		return 0;
	snprintf(out->config, sizeof(out->config), "%s", path);
	if ((rc = read_text(path, &text, &mode, err, errlen)) == -ENOENT && !src->config)
		return 0;
	if (rc == 0)
		rc = ctl_config_parse(text, path, &fc, err, errlen);
	if (rc == 0 && fc.token[0] && (rc = check_private(path, mode, err, errlen)) == 0)
		rc = set_token(out, fc.token, path, err, errlen);
	if (rc == 0 && fc.token_file[0])
		rc = token_from_file(out, fc.token_file, err, errlen);
	if (rc == 0 && fc.url[0]) {
		snprintf(out->url, sizeof(out->url), "%s", fc.url);
		snprintf(out->url_from, sizeof(out->url_from), "%s", path);
	}
	if (rc == 0)
		memcpy(out->ca, fc.ca, sizeof(out->ca));
	out->insecure = fc.insecure;
	free(text);
	return rc;
}

int ctl_creds_load(const struct ctl_creds_src *src, struct ctl_creds *out, char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->url, sizeof(out->url), "%s", CTL_DEFAULT_URL);
	snprintf(out->url_from, sizeof(out->url_from), "the default URL");
	if (src->token && src->token_file) {
		snprintf(err, errlen, "give --token or --token-file, not both");
		return -EINVAL;
	}
	if ((rc = load_file(src, out, err, errlen)) != 0)
		return rc;
	if (src->env_url && src->env_url[0] &&
	    (rc = set_str(out->url, sizeof(out->url), src->env_url, "REEL_ADMIN_URL", err,
			  errlen)) == 0)
		snprintf(out->url_from, sizeof(out->url_from), "REEL_ADMIN_URL");
	if (rc == 0 && src->env_token && src->env_token[0])
		rc = set_token(out, src->env_token, "REEL_ADMIN_TOKEN", err, errlen);
	if (rc == 0 && src->url &&
	    (rc = set_str(out->url, sizeof(out->url), src->url, "--url", err, errlen)) == 0)
		snprintf(out->url_from, sizeof(out->url_from), "--url");
	if (rc == 0 && src->token)
		rc = set_token(out, src->token, "--token", err, errlen);
	if (rc == 0 && src->token_file)
		rc = token_from_file(out, src->token_file, err, errlen);
	if (rc == 0 && src->ca)
		rc = set_str(out->ca, sizeof(out->ca), src->ca, "--ca", err, errlen);
	out->insecure = out->insecure || src->insecure;
	return rc;
}
