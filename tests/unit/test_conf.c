/* Unit tests for configuration value parsers. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "conf.h"
#include "test.h"

int main(void)
{
	uint64_t n;
	bool b;
	struct conf_addr a[4];

	CHECK(conf_parse_size("16k", &n) == 0 && n == 16384);
	CHECK(conf_parse_size("4M", &n) == 0 && n == 4 << 20);
	CHECK(conf_parse_size("1gb", &n) == 0 && n == 1ULL << 30);
	CHECK(conf_parse_size("123", &n) == 0 && n == 123);
	CHECK(conf_parse_size("12x", &n) != 0);
	CHECK(conf_parse_size("", &n) != 0);
	CHECK(conf_parse_size("-1", &n) != 0);
	CHECK(conf_parse_size("99999999999999999999k", &n) != 0);
	CHECK(conf_parse_duration("250ms", &n) == 0 && n == 250);
	CHECK(conf_parse_duration("10s", &n) == 0 && n == 10000);
	CHECK(conf_parse_duration("10", &n) == 0 && n == 10000);
	CHECK(conf_parse_duration("5m", &n) == 0 && n == 300000);
	CHECK(conf_parse_duration("1h", &n) == 0 && n == 3600000);
	CHECK(conf_parse_duration("1d", &n) != 0);
	CHECK(conf_parse_duration("s", &n) != 0);
	CHECK(conf_parse_bool("on", &b) == 0 && b);
	CHECK(conf_parse_bool("No", &b) == 0 && !b);
	CHECK(conf_parse_bool("maybe", &b) != 0);
	CHECK(conf_parse_uint("7", 1, 10, &n) == 0 && n == 7);
	CHECK(conf_parse_uint("11", 1, 10, &n) != 0);
	CHECK(conf_parse_uint("0", 1, 10, &n) != 0);
	CHECK(conf_parse_uint("3 ", 1, 10, &n) != 0);
	CHECK(conf_parse_addr("8080", &a[0]) == 0);
	CHECK_STR(a[0].text, "0.0.0.0:8080");
	CHECK(conf_parse_addr("127.0.0.1:80", &a[0]) == 0);
	CHECK_STR(a[0].text, "127.0.0.1:80");
	CHECK(conf_parse_addr("[::1]:8443", &a[0]) == 0);
	CHECK_STR(a[0].text, "[::1]:8443");
	CHECK_INT(a[0].ss.ss_family, AF_INET6);
	CHECK(conf_parse_addr("*:81", &a[0]) == 0);
	CHECK(conf_parse_addr("127.0.0.1:0", &a[0]) != 0);
	CHECK(conf_parse_addr("127.0.0.1:65536", &a[0]) != 0);
	CHECK(conf_parse_addr("300.0.0.1:80", &a[0]) != 0);
	CHECK(conf_parse_addr("[::1:80", &a[0]) != 0);
	CHECK(conf_parse_addr("host:80", &a[0]) != 0);
	CHECK_INT(conf_parse_addr_list("127.0.0.1:1, [::1]:2 ,3", a, 4), 3);
	CHECK_STR(a[2].text, "0.0.0.0:3");
	CHECK_INT(conf_parse_addr_list("1,2,3,4,5", a, 4), -22);
	CHECK_INT(conf_parse_addr_list("", a, 4), 0);
	return test_done();
}
