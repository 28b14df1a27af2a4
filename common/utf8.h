/* UTF-8 sequences, checked strictly (RFC 3629). */
#ifndef REEL_UTF8_H
#define REEL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length (1..4) of the valid UTF-8 sequence at S, which has N >= 1
 * bytes (a NUL-terminated string may pass 4: the NUL ends any sequence),
 * with its code point in *CP (may be NULL); 0 when it is not one: a stray
 * or overlong byte, a surrogate, past U+10FFFF, or cut short.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
