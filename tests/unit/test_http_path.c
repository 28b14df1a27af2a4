/* Unit tests for request path decoding and traversal checks. */
#include <errno.h>

#include "http_path.h"
#include "test.h"

static char out[256];

static int dec(const char *s)
{
	return http_path_decode(s, strlen(s), out, sizeof(out));
}

int main(void)
{
	CHECK_INT(dec("/a/b.ts"), 6);
	CHECK_STR(out, "a/b.ts");
	CHECK_INT(dec("/"), 0);
	CHECK_STR(out, "");
	CHECK(dec("//a///b/./c") > 0);
	CHECK_STR(out, "a/b/c");
	CHECK(dec("/a%20b/%41") > 0);
	CHECK_STR(out, "a b/A");
	CHECK_INT(dec("/dir/"), -ENOENT);
	CHECK_INT(dec("/t/index.m3u8/"), -ENOENT);
	CHECK_INT(dec("/t/index.m3u8/."), -ENOENT);
	CHECK(dec("/t/./index.m3u8") > 0);
	CHECK_STR(out, "t/index.m3u8");
	CHECK_INT(dec("/../etc/passwd"), -EINVAL);
	CHECK_INT(dec("/a/../../etc"), -EINVAL);
	CHECK_INT(dec("/a/.."), -EINVAL);
	CHECK_INT(dec("/%2e%2e/etc"), -EINVAL);
	CHECK_INT(dec("/%2E%2e/etc"), -EINVAL);
	CHECK_INT(dec("/.%2e/etc"), -EINVAL);
	CHECK_INT(dec("/a%2fb"), -EINVAL);
	CHECK_INT(dec("/a%2Fb"), -EINVAL);
	CHECK_INT(dec("/a%5cb"), -EINVAL);
	CHECK_INT(dec("/a\\b"), -EINVAL);
	CHECK_INT(dec("/a%00b"), -EINVAL);
	CHECK_INT(dec("/a%0ab"), -EINVAL);
	CHECK_INT(dec("/a%zz"), -EINVAL);
	CHECK_INT(dec("/a%2"), -EINVAL);
	CHECK_INT(dec("/a%"), -EINVAL);
	CHECK_INT(dec("a/b"), -EINVAL);
	CHECK_INT(dec(""), -EINVAL);
	CHECK_INT(dec("/.hidden"), -ENOENT);
	CHECK_INT(dec("/a/.git/config"), -ENOENT);
	CHECK_INT(dec("/a/%2egit"), -ENOENT);
	CHECK(dec("/a..b/c...") > 0);
	CHECK_STR(out, "a..b/c...");
	{
		char longp[600];

		memset(longp, 'x', sizeof(longp));
		longp[0] = '/';
		CHECK_INT(http_path_decode(longp, sizeof(longp), out, sizeof(out)), -ENAMETOOLONG);
	}
	return test_done();
}
