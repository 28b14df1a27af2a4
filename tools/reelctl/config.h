/*
 * reelctl's credentials, in the habits of kubectl and psql: the config file
 * (INI, [admin] url, token or token_file, ca, insecure), then the environment
 * (REEL_ADMIN_URL, REEL_ADMIN_TOKEN), then the command line (--url, --token,
 * --token-file, --ca, --insecure); each later source overrides the earlier.
 * A file that holds a token must be readable by its owner only, as ssh
 * wants of private keys.
 */
#ifndef REEL_CTL_CONFIG_H
#define REEL_CTL_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CTL_URL_MAX	1024
#define CTL_TOKEN_MAX	512
#define CTL_DEFAULT_URL "http://127.0.0.1:8091"

/* What a config file says (empty strings: not set). */
struct ctl_file_conf {
	char url[CTL_URL_MAX];
	char token[CTL_TOKEN_MAX];
	char token_file[PATH_MAX]; /* relative paths are resolved against the file's folder */
	char ca[PATH_MAX];
	bool insecure;
};

/*
 * Parse the config text TEXT, reported as NAME, into OUT (zeroed first).
 * Returns 0, or -EINVAL with "NAME:LINE: problem" in ERR (unknown sections
 * and keys are errors; token and token_file together are one).
 */
int ctl_config_parse(const char *text, const char *name, struct ctl_file_conf *out, char *err,
		     size_t errlen);

/* Where the credentials come from; NULL members are absent. */
struct ctl_creds_src {
	const char *config;	     /* --config FILE: must exist */
	const char *home, *xdg_home; /* $HOME, $XDG_CONFIG_HOME: the default file */
	const char *env_url, *env_token;
	const char *url, *token, *token_file, *ca; /* the flags */
	bool insecure;
};

/* The credentials in force, and where the URL and the token came from (for messages). */
struct ctl_creds {
	char url[CTL_URL_MAX];
	char token[CTL_TOKEN_MAX]; /* empty: none was given */
	char ca[PATH_MAX];	   /* empty: the system's CA store */
	bool insecure;
	char url_from[PATH_MAX + 16], token_from[PATH_MAX + 16];
	char config[PATH_MAX]; /* the config file read, or the default one that is missing */
};

/*
 * The default config file for HOME and XDG_HOME into BUF
 * ($XDG_CONFIG_HOME/reel/reelctl.conf, else ~/.config/reel/reelctl.conf), or
 * NULL when neither is set.
 */
const char *ctl_config_default_path(const char *home, const char *xdg_home, char *buf, size_t len);

/*
 * Resolve SRC into OUT.  Returns 0, or with one line naming the file or
 * the source and the problem in ERR: -EPERM when a file that holds a token
 * is accessible by others; -EINVAL for a bad file, a bad token or too long
 * a value; another negative errno when a named file cannot be read.  The
 * default config file may be missing; one named by --config may not.
 */
int ctl_creds_load(const struct ctl_creds_src *src, struct ctl_creds *out, char *err,
		   size_t errlen);

#endif
