/*
 * Hexadecimal digits, for keys, hashes and ids in files and requests and for
 * %XX in paths.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_HEX_H
#define REEL_HEX_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* The value of hex digit C (either case), or -1. */
static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* N bytes of IN as 2 * N lowercase hex digits and a NUL into OUT. */
static inline void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * Exactly 2 * N hex digits S[0..SLEN) into OUT[0..N): 0, or -EINVAL (another
 * length or a non-digit; OUT may then be partly written).
 */
static inline int hex_decode(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit((unsigned char)s[2 * i]),
		    lo = hex_digit((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

#endif
