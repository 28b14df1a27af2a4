/* Unit tests for common/manifest.c: the file list, its checks, the version. */
#include "manifest.h"
#include "test.h"

#include <errno.h>

#define SHA_A "a3f1000000000000000000000000000000000000000000000000000000000001"
#define SHA_B "B3F1000000000000000000000000000000000000000000000000000000000002"

static int parse(const char *text, struct manifest **m, char *err)
{
	return manifest_parse(text, strlen(text), m, err, 256);
}

static void test_good(void)
{
	const char *text = "{\"title\":\"t\",\"files\":["
			   "{\"path\":\"360p/seg_00002.m4s\",\"size\":20,\"sha256\":\"" SHA_B
			   "\",\"content_type\":\"video/iso.segment\"},"
			   "{\"path\":\"360p/index.m3u8\",\"size\":0,\"sha256\":\"" SHA_A "\"}]}";
	struct manifest *m = NULL;
	const struct manifest_file *f;
	char err[256], ver[17];

	CHECK_INT(parse(text, &m, err), 0);
	CHECK_INT(m->n, 2);
	CHECK_INT(m->total_size, 20);
	CHECK_STR(m->files[0].path, "360p/index.m3u8"); /* sorted */
	f = manifest_find(m, "360p/seg_00002.m4s");
	CHECK(f && f->size == 20 && f->sha256[0] == 0xb3 && f->sha256[31] == 2);
	CHECK(manifest_find(m, "360p/seg_00003.m4s") == NULL);
	manifest_version(text, strlen(text), ver);
	CHECK_STR(m->version, ver);
	CHECK_INT(strlen(ver), 16);
	manifest_free(m);
	manifest_version("", 0, ver);
	CHECK_STR(ver, "e3b0c44298fc1c14"); /* SHA-256 of nothing */
	manifest_free(NULL);
}

static void test_bad(void)
{
	static const char *bad[] = {
	    "not json",
	    "{}",
	    "{\"files\":{}}",
	    "{\"files\":[{\"path\":\"../x\",\"size\":1,\"sha256\":\"" SHA_A "\"}]}",
	    "{\"files\":[{\"path\":\"a//b\",\"size\":1,\"sha256\":\"" SHA_A "\"}]}",
	    "{\"files\":[{\"path\":\".hidden\",\"size\":1,\"sha256\":\"" SHA_A "\"}]}",
	    "{\"files\":[{\"path\":\"/abs\",\"size\":1,\"sha256\":\"" SHA_A "\"}]}",
	    "{\"files\":[{\"path\":\"manifest.json\",\"size\":1,\"sha256\":\"" SHA_A "\"}]}",
	    "{\"files\":[{\"path\":\"a\",\"size\":-1,\"sha256\":\"" SHA_A "\"}]}",
	    "{\"files\":[{\"path\":\"a\",\"size\":1.5,\"sha256\":\"" SHA_A "\"}]}",
	    "{\"files\":[{\"path\":\"a\",\"size\":1,\"sha256\":\"abc\"}]}",
	    "{\"files\":[{\"path\":\"a\",\"size\":1}]}",
	    "{\"files\":[{\"path\":\"a\",\"size\":1,\"sha256\":\"" SHA_A "\"},"
	    "{\"path\":\"a\",\"size\":2,\"sha256\":\"" SHA_B "\"}]}",
	    "{\"files\":[3]}",
	    "{\"files\":[],\"files\":[]}",
	};
	struct manifest *m = (struct manifest *)1;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(parse(bad[i], &m, err), -EINVAL);
		CHECK(m == NULL && err[0]);
	}
	CHECK_INT(
	    parse("{\"files\":[{\"path\":\"a\",\"size\":1,\"sha256\":\"" SHA_A "\"}]}", &m, err),
	    0);
	manifest_free(m);
}

static void test_paths(void)
{
	CHECK(manifest_path_ok("a/b.c/d_e-f", 11));
	CHECK(!manifest_path_ok("a/", 2));
	CHECK(!manifest_path_ok("a/.b", 4));
	CHECK(!manifest_path_ok("a b", 3));
	CHECK(!manifest_path_ok("", 0));
	CHECK(manifest_title_ok("big-buck_bunny.v2", 17));
	CHECK(!manifest_title_ok(".t", 2));
	CHECK(!manifest_title_ok("a/b", 3));
	CHECK(!manifest_title_ok(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65));
	CHECK(manifest_title_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				64));
}

int main(void)
{
	test_good();
	test_bad();
	test_paths();
	return test_done();
}
