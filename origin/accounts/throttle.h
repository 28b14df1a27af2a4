/*
 * Login throttling: failures are counted per key (an account's email, a
 * device, a client address); past FREE failures each further one doubles
 * the wait (2 s, 4 s, ...), up to MAX_WAIT seconds, during which attempts
 * for that key get 429 with Retry-After before any password is hashed.  A
 * success clears the key.  Unknown emails are counted like known ones, so
 * the answers stay alike.
 *
 * In memory, per origin process.  Keys are placed by HMAC-SHA256 under a
 * random key of the table's own, so nobody can pick keys offline that land
 * on another's slot; a key lives in one of THROTTLE_PROBE slots from its
 * place, and a new key never takes a live entry's slot (live: failures in
 * the last THROTTLE_FORGET seconds, or still waiting).  When every slot
 * of its window is live, a new key is not counted (throttle_failure()
 * returns -ENOSPC), and the caller decides.
 */
#ifndef ORIGIN_THROTTLE_H
#define ORIGIN_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_PROBE	8	  /* slots a key may live in */
#define THROTTLE_FORGET (86400) /* s: failures older than this are forgotten */

struct throttle;

/*
 * A table of SLOTS keys (a multiple of THROTTLE_PROBE; free it with
 * throttle_free()), or NULL on allocation failure or when no random key
 * could be had.
 */
struct throttle *throttle_new(size_t slots, unsigned free_failures, unsigned max_wait_s);
void throttle_free(struct throttle *t);

/* Seconds KEY (LEN bytes) must still wait at NOW (unix seconds); 0 when it may try. */
unsigned throttle_wait(struct throttle *t, const void *key, size_t len, int64_t now);

/* Count a failure of KEY at NOW: 0, or -ENOSPC when its window is full of live keys. */
int throttle_failure(struct throttle *t, const void *key, size_t len, int64_t now);

/* Forget KEY's failures (a successful login). */
void throttle_clear(struct throttle *t, const void *key, size_t len);

#endif
