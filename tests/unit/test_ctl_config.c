/* Unit tests for reelctl's credentials: the config file, the environment and the flags. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

static char dir[256], err[1024];

/* Write TEXT to DIR/NAME with MODE; returns its path (static). */
static const char *put(const char *name, const char *text, mode_t mode)
{
	static char path[4][PATH_MAX];
	static int next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	unlink(p);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	return p;
}

static void parsing(void)
{
	struct ctl_file_conf fc;

	CHECK(ctl_config_parse("[admin]\nurl = https://o:8091\ntoken = abc\nca = ca.pem\n"
			       "insecure = on\n",
			       "/etc/r.conf", &fc, err, sizeof(err)) == 0);
	CHECK_STR(fc.url, "https://o:8091");
	CHECK_STR(fc.token, "abc");
	CHECK_STR(fc.ca, "/etc/ca.pem"); /* relative to the file's folder */
	CHECK(fc.insecure);
	CHECK(ctl_config_parse("", "x.conf", &fc, err, sizeof(err)) == 0 && !fc.url[0]);
	CHECK_INT(ctl_config_parse("[admin]\nurll = x\n", "x.conf", &fc, err, sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "x.conf:2: unknown key \"urll\" in section [admin]");
	CHECK_INT(ctl_config_parse("url = x\n", "x.conf", &fc, err, sizeof(err)), -EINVAL);
	CHECK_INT(ctl_config_parse("[admin]\ninsecure = maybe\n", "x.conf", &fc, err, sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "x.conf:2:") == err);
	CHECK_INT(ctl_config_parse("[admin]\ntoken = a\ntoken_file = b\n", "x.conf", &fc, err,
				   sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "x.conf: set token or token_file, not both");
	CHECK_INT(ctl_config_parse("[admin]\nurl =\n", "x.conf", &fc, err, sizeof(err)), -EINVAL);
	CHECK_INT(ctl_config_parse("[admin\n", "x.conf", &fc, err, sizeof(err)), -EINVAL);
}

static void default_path(void)
{
	char b[PATH_MAX];

	CHECK_STR(ctl_config_default_path("/home/a", NULL, b, sizeof(b)),
		  "/home/a/.config/reel/reelctl.conf");
	CHECK_STR(ctl_config_default_path("/home/a", "/x/cfg", b, sizeof(b)),
		  "/x/cfg/reel/reelctl.conf");
	CHECK_STR(ctl_config_default_path("/home/a", "relative", b, sizeof(b)),
		  "/home/a/.config/reel/reelctl.conf");
	CHECK(ctl_config_default_path(NULL, NULL, b, sizeof(b)) == NULL);
}

static void precedence(void)
{
	struct ctl_creds cr;
	struct ctl_creds_src src = {0};
	const char *conf;

	/* nothing at all: the default URL, no token, and no error */
	src.home = dir;
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	CHECK_STR(cr.url, CTL_DEFAULT_URL);
	CHECK_STR(cr.token, "");

	conf = put("a.conf", "[admin]\nurl = http://file:1\ntoken = filetoken\n", 0600);
	src.config = conf;
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	CHECK_STR(cr.url, "http://file:1");
	CHECK_STR(cr.url_from, conf);
	CHECK_STR(cr.token, "filetoken");
	CHECK_STR(cr.token_from, conf);

	src.env_url = "http://env:2";
	src.env_token = " envtoken\n";
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	CHECK_STR(cr.url, "http://env:2");
	CHECK_STR(cr.url_from, "REEL_ADMIN_URL");
	CHECK_STR(cr.token, "envtoken");
	CHECK_STR(cr.token_from, "REEL_ADMIN_TOKEN");

	src.url = "http://flag:3";
	src.token = "flagtoken";
	src.ca = "ca.pem";
	src.insecure = true;
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	CHECK_STR(cr.url, "http://flag:3");
	CHECK_STR(cr.token, "flagtoken");
	CHECK_STR(cr.token_from, "--token");
	CHECK_STR(cr.ca, "ca.pem");
	CHECK(cr.insecure);

	src.token = NULL;
	src.token_file = put("tok", "\n  filetok-2  \nsecond line\n", 0400);
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	CHECK_STR(cr.token, "filetok-2");
	CHECK_STR(cr.token_from, src.token_file);
	src.token = "both";
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "give --token or --token-file, not both");
}

static void files(void)
{
	struct ctl_creds cr;
	struct ctl_creds_src src = {0};
	const char *conf, *tok;
	char want[PATH_MAX + 128];

	/* a token in a file others can read is refused, and the message says what to do */
	conf = put("open.conf", "[admin]\ntoken = secret\n", 0644);
	src.config = conf;
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want),
		 "%s: holds a token but is accessible by others (mode 0644); run: chmod 600 %s",
		 conf, conf);
	CHECK_STR(err, want);
	chmod(conf, 0640);
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EPERM);
	/* the environment's token does not make an open file safe to read */
	src.env_token = "envtoken";
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EPERM);
	src.env_token = NULL;
	/* without a token, a readable config is fine */
	src.config = put("public.conf", "[admin]\nurl = http://o:1\n", 0644);
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	/* token_file relative to the config's folder, and checked the same way */
	tok = put("admin.token", "tok-in-file\n", 0644);
	src.config = put("tf.conf", "[admin]\ntoken_file = admin.token\n", 0644);
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, tok) == err);
	chmod(tok, 0600);
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	CHECK_STR(cr.token, "tok-in-file");
	CHECK_STR(cr.token_from, tok);
	put("admin.token", "\n \n", 0600);
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: no token", tok);
	CHECK_STR(err, want);
	/* --config that does not exist is an error; the default file may be missing */
	src.config = "/nonexistent/reelctl.conf";
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/nonexistent/reelctl.conf: cannot read") == err);
	src.config = NULL;
	src.home = "/nonexistent";
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	/* a broken default file is an error naming it */
	snprintf(want, sizeof(want), "%s/reel", dir);
	mkdir(want, 0700);
	put("reel/reelctl.conf", "[admin]\nbogus = 1\n", 0600);
	src.xdg_home = dir;
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "/reel/reelctl.conf:2: unknown key") != NULL);
	/* a folder is not a config file */
	src.config = dir;
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EINVAL);
}

static void tokens(void)
{
	struct ctl_creds cr;
	struct ctl_creds_src src = {.home = "/nonexistent"};

	src.token = "two words";
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "--token: a token has no spaces or control characters");
	src.token = "bad\x01";
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EINVAL);
	src.token = "";
	CHECK_INT(ctl_creds_load(&src, &cr, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "--token: no token");
	src.token = "ok\r\nX-Injected: 1"; /* only the first line counts: no header injection */
	CHECK(ctl_creds_load(&src, &cr, err, sizeof(err)) == 0);
	CHECK_STR(cr.token, "ok");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/reel-ctl-config-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	parsing();
	default_path();
	precedence();
	files();
	tokens();
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return test_done();
}
