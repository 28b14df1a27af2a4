/*
 * Compact JSON text written straight into a buffer, for answers sent often
 * enough that building a jansson tree and dumping it costs more than the
 * rest of the request.  The text is what jansson's json_dumps(JSON_COMPACT |
 * JSON_REAL_PRECISION(15)) writes for the same members in the same order:
 * '"', '\\' and control characters escaped ("\n" and the like, else
 * "\u00XX"), everything else as it is (valid UTF-8 only), reals as "%.15g"
 * with ".0" added to a whole number and the exponent without '+' or
 * leading zeros.
 *
 * Errors stick: a call after a failure does nothing, and json_out_end()
 * reports the first one.
 *
 * Ownership: every output (OUT, *N and the like) is the caller's storage,
 * written by the call; a call that allocates says so and who frees what it
 * returns.
 */
#ifndef REEL_JSON_OUT_H
#define REEL_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct json_out {
	struct buf b; /* the text so far (b.p malloc'd; not NUL-terminated until the end) */
	int err;      /* the first failure, or 0 */
	bool comma;   /* a value was written in the open object or array */
};

/*
 * Open an object ('{') or an array ('['), as the member KEY of the open
 * object or (KEY NULL) an element of the open array or the whole text.  A
 * zeroed struct json_out is ready for its first json_out_open().
 */
void json_out_open(struct json_out *o, const char *key, char bracket);

/* Close the innermost open object ('}') or array (']'). */
void json_out_close(struct json_out *o, char bracket);

/* The member KEY (or an element, KEY NULL) with the string S: -EILSEQ when S is not UTF-8. */
void json_out_str(struct json_out *o, const char *key, const char *s);

/* The member KEY (or an element) with the integer V. */
void json_out_int(struct json_out *o, const char *key, long long v);

/* The member KEY (or an element) with the real V: -EDOM when V is not finite. */
void json_out_real(struct json_out *o, const char *key, double v);

/*
 * Finish O: 0 with *TEXT the NUL-terminated text (malloc'd: the caller
 * frees it) and *LEN its length, or the first failure (-ENOMEM, -EILSEQ,
 * -EDOM) with *TEXT NULL.  O is empty again either way.
 */
int json_out_end(struct json_out *o, char **text, size_t *len);

#endif
