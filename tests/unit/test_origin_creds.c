/* Unit tests for the credentials: body parsing (api/bodies.h), email normal form and syntax, password policy. */
#include "api/bodies.h"
#include "test.h"

static int parse(const char *body, struct origin_creds *c, struct origin_fail *f)
{
	return origin_creds_parse(body, strlen(body), c, f) == 0 ? 0 : f->status;
}

static int policy(const char *email, const char *password)
{
	struct origin_creds c = {0};
	struct origin_fail f;

	snprintf(c.email, sizeof(c.email), "%s", email);
	snprintf(c.password, sizeof(c.password), "%s", password);
	c.password_len = strlen(password);
	return origin_creds_policy(&c, &f) == 0 ? 0 : f.status;
}

static void test_parse(void)
{
	struct origin_creds c;
	struct origin_fail f;

	CHECK_INT(parse("{\"email\":\" A@B.Co \",\"password\":\"p\\u0041ss\",\"x\":1}", &c, &f), 0);
	CHECK_STR(c.email, "a@b.co");
	CHECK_STR(c.password, "pAss");
	CHECK_INT(c.password_len, 4);
	CHECK_INT(parse("", &c, &f), 400);
	CHECK_STR(f.code, "invalid_json");
	CHECK_INT(parse("[]", &c, &f), 400);
	CHECK_STR(f.code, "invalid_json");
	CHECK_INT(parse("{\"email\":\"a@b.co\"}", &c, &f), 400);
	CHECK_STR(f.code, "invalid_request");
	CHECK_INT(parse("{\"email\":true,\"password\":\"x\"}", &c, &f), 400);
	CHECK_STR(f.code, "invalid_request");
	CHECK_INT(parse("{\"email\":\"a\",\"email\":\"b\",\"password\":\"x\"}", &c, &f), 400);
	CHECK_INT(origin_creds_parse(NULL, 0, &c, &f), -1);
}

static void test_email(void)
{
	char out[16];

	CHECK_INT(origin_email_normalise("\t Ab@C.D \n", 10, out, sizeof(out)), 0);
	CHECK_STR(out, "ab@c.d");
	CHECK(origin_email_normalise("0123456789abcdef", 16, out, sizeof(out)) != 0);
	CHECK(origin_email_valid("a@b.co"));
	CHECK(origin_email_valid("first.last+tag@sub.example-host.org"));
	CHECK(!origin_email_valid("a@b"));
	CHECK(!origin_email_valid("@b.co"));
	CHECK(!origin_email_valid("a@b.co."));
	CHECK(!origin_email_valid("a.@b.co"));
	CHECK(!origin_email_valid("a@b..co"));
	CHECK(!origin_email_valid("a@-b.co"));
	CHECK(!origin_email_valid("a@b-.co"));
	CHECK(!origin_email_valid("a@b@c.co"));
	CHECK(!origin_email_valid("a\"b@c.co"));
	CHECK(!origin_email_valid("\xc3\xa9@c.co"));
}

static void test_policy(void)
{
	CHECK_INT(policy("a@b.co", "0123456789"), 0);
	CHECK_INT(policy("a@b.co", "012345678"), 422);
	CHECK_INT(policy("a@b", "0123456789"), 422);
	CHECK_INT(policy("abcdefghij@b.co", "ABCDEFGHIJ@B.CO"), 422);
	CHECK_INT(policy("a@b.co",
			 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			 "\xc3\xa9"),
		  422); /* 9 characters in 18 bytes */
}

int main(void)
{
	test_parse();
	test_email();
	test_policy();
	return test_done();
}
