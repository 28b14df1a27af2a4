/*
 * Structured Field Values for HTTP (RFC 8941): the parser and the writer the
 * signature (RFC 9421), digest (RFC 9530) and cache-status (RFC 9211) fields
 * are built on.  Parsing follows section 4.2 exactly (leading and trailing
 * spaces dropped, anything else unexpected is a failure), except that a byte
 * sequence without its "=" padding is accepted as 4.2.7 allows.
 *
 * A parsed field is a tree owned by one struct sfv: members (list members or
 * dictionary members), each a bare item or an inner list, each with
 * parameters.  Strings are unescaped, byte sequences decoded; every pointer
 * stays valid until sfv_free().
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_SFV_H
#define REEL_SFV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SFV_MAX_MEMBERS 64 /* per list, dictionary or inner list */
#define SFV_MAX_PARAMS	32 /* per item */

enum sfv_type {
	SFV_INTEGER,
	SFV_DECIMAL, /* num holds the value times 1000 */
	SFV_STRING,
	SFV_TOKEN,
	SFV_BYTES,
	SFV_BOOLEAN,
	SFV_INNER_LIST, /* only as a member's value */
};

enum sfv_kind { SFV_LIST, SFV_DICT, SFV_ITEM };

/* A bare item. */
struct sfv_bare {
	enum sfv_type type;
	int64_t num;	 /* integer, decimal (x1000), boolean (0 or 1) */
	const char *str; /* string (unescaped), token, bytes (decoded); NUL after LEN */
	size_t len;
};

struct sfv_param {
	const char *key; /* NUL-terminated */
	struct sfv_bare value;
};

/* A member: a bare item or an inner list (value.type SFV_INNER_LIST), with parameters. */
struct sfv_item {
	const char *key; /* dictionary key (NUL-terminated); "" in lists and inner lists */
	struct sfv_bare value;
	struct sfv_item *items; /* inner list members */
	unsigned nitems;
	struct sfv_param *params;
	unsigned nparams;
};

struct sfv {
	struct sfv_item *members;
	unsigned n;
	void *arena; /* owned storage */
};

/*
 * Parse the field value S (LEN bytes; several field lines already joined
 * with ", ") as KIND into *OUT (free with sfv_free).  For SFV_ITEM there is
 * one member.  A dictionary key given twice keeps its last value (RFC 8941
 * 4.2.2); parameters likewise.  Returns 0, -EINVAL (syntax, or more than
 * SFV_MAX_MEMBERS / SFV_MAX_PARAMS), -ENOMEM.  *OUT is zeroed on failure.
 */
int sfv_parse(const char *s, size_t len, enum sfv_kind kind, struct sfv *out);

/* Free what sfv_parse() made; a zeroed struct is fine. */
void sfv_free(struct sfv *f);

/* The dictionary member KEY of F, or NULL; it points into F and lives as long as F. */
const struct sfv_item *sfv_dict_get(const struct sfv *f, const char *key);

/* The parameter KEY of IT, or NULL; it points into IT's struct sfv, as long as that lives. */
const struct sfv_bare *sfv_param_get(const struct sfv_item *it, const char *key);

/*
 * Writers (RFC 8941 section 4.1) appending to OUT.  Each returns 0, -EINVAL
 * when the value cannot be serialized (a string with a byte outside
 * 0x20-0x7e, a token or key of the wrong shape, an integer out of range), or
 * -ENOMEM; OUT may hold a partial write after a failure.
 */
int sfv_write_bare(struct buf *out, const struct sfv_bare *v);
int sfv_write_key(struct buf *out, const char *key);
int sfv_write_params(struct buf *out, const struct sfv_param *p, unsigned n);
/* A member: bare item or inner list with its parameters (no dictionary key). */
int sfv_write_item(struct buf *out, const struct sfv_item *it);

/* Bare item constructors for the writers. */
struct sfv_bare sfv_int(int64_t v);
struct sfv_bare sfv_str(const char *s);
struct sfv_bare sfv_token(const char *s);
struct sfv_bare sfv_bytes(const void *p, size_t len);
struct sfv_bare sfv_bool(bool v);

/* Standard base64 (RFC 4648 section 4) with padding, as byte sequences carry it. */
size_t sfv_b64_enclen(size_t len);
void sfv_b64_encode(const uint8_t *in, size_t len, char *out); /* NUL-terminated */

#endif
