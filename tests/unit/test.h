/*
 * A minimal TAP producer for unit tests: each check prints "ok N" or
 * "not ok N - file:line: expr", and test_done() prints the plan and returns
 * the exit status meson's TAP parser expects.
 */
#ifndef REEL_TEST_H
#define REEL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_count, test_failed;

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		test_count++;                                                                      \
		if (expr) {                                                                        \
			printf("ok %d\n", test_count);                                             \
		} else {                                                                           \
			test_failed++;                                                             \
			printf("not ok %d - %s:%d: %s\n", test_count, __FILE__, __LINE__, #expr);  \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		test_count++;                                                                      \
		if (a_ == b_) {                                                                    \
			printf("ok %d\n", test_count);                                             \
		} else {                                                                           \
			test_failed++;                                                             \
			printf("not ok %d - %s:%d: %s == %s (%lld != %lld)\n", test_count,         \
			       __FILE__, __LINE__, #a, #b, a_, b_);                                \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		test_count++;                                                                      \
		if (a_ && b_ && strcmp(a_, b_) == 0) {                                             \
			printf("ok %d\n", test_count);                                             \
		} else {                                                                           \
			test_failed++;                                                             \
			printf("not ok %d - %s:%d: %s == %s (\"%s\" != \"%s\")\n", test_count,     \
			       __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		}                                                                                  \
	} while (0)

static inline int test_done(void)
{
	printf("1..%d\n", test_count);
	return test_failed ? 1 : 0;
}

#endif
