/*
 * Login throttling: failures are counted per key (an account's email, a
 * client address); past FREE failures each further one doubles the wait (2 s, 4 s, ...),
 * up to MAX_WAIT seconds, during which logins for that key get 429 with
 * Retry-After before any password is hashed.  A success clears the key.
 * Unknown emails are counted like known ones, so the answers stay alike.
 * In memory, per origin process; a collision only forgets a key.
 */
#ifndef ORIGIN_THROTTLE_H
#define ORIGIN_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

struct throttle;

/* A table of SLOTS keys (free it with throttle_free()), or NULL on allocation failure. */
struct throttle *throttle_new(size_t slots, unsigned free_failures, unsigned max_wait_s);
void throttle_free(struct throttle *t);

/* Seconds KEY (LEN bytes) must still wait at NOW (unix seconds); 0 when it may try. */
unsigned throttle_wait(struct throttle *t, const void *key, size_t len, int64_t now);

/* Count a failure of KEY at NOW. */
void throttle_failure(struct throttle *t, const void *key, size_t len, int64_t now);

/* Forget KEY's failures (a successful login). */
void throttle_clear(struct throttle *t, const void *key, size_t len);

#endif
