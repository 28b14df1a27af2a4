/*
 * Typed reads of JSON object members for request bodies and stored records
 * (each returns 0, -ENOENT when the member is absent, or -EINVAL when it has
 * the wrong type or is out of range), and the ids, times and string hash
 * the origin's records and tables use.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_JSONFIELD_H
#define ORIGIN_JSONFIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An integer member in MIN..MAX. */
int jf_uint(json_t *obj, const char *key, uint64_t min, uint64_t max, uint64_t *out);

/* A boolean member. */
int jf_bool(json_t *obj, const char *key, bool *out);

/* A string member of at most CAP - 1 bytes without NUL, copied into OUT. */
int jf_str(json_t *obj, const char *key, char *out, size_t cap);

/* The first member of OBJ not in the NULL-terminated ALLOWED list (OBJ's: valid while OBJ is), or
 * NULL. */
const char *jf_unknown(json_t *obj, const char *const *allowed);

/* Is S[0..LEN) 1..MAX bytes of [A-Za-z0-9._~:-] (the ids tokens carry)? */
bool jf_id_valid(const char *s, size_t len, size_t max);

/*
 * A fresh random id: PREFIX then 2 * NBYTES lowercase hex digits of NBYTES
 * random bytes (at most 32), NUL-terminated, into OUT.  0 or -EIO.
 */
int jf_random_id(char prefix, unsigned nbytes, char *out);

/* FNV-1a of the string S, for the origin's in-memory tables. */
uint64_t jf_str_hash(const char *s);

/*
 * T (unix seconds) as a new JSON string "YYYY-MM-DDTHH:MM:SSZ" (the caller's
 * reference, for a json_pack "o"; NULL on allocation failure).
 */
json_t *jf_time(int64_t t);

#endif
