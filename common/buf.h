/*
 * Growable byte buffer.  A zeroed struct buf is an empty buffer; buf_free()
 * returns it to that state.  Appends return 0 or -ENOMEM (the buffer is then
 * unchanged).
 */
#ifndef REEL_BUF_H
#define REEL_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
};

int buf_reserve(struct buf *b, size_t extra);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

static inline int buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n && buf_reserve(b, n) != 0)
		return -12; /* -ENOMEM */
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static inline int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

#endif
