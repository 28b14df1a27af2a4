/*
 * The admin's view of users: each account (accounts/) with its
 * subscription (plans/), a join neither domain makes for the other.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_ADMIN_USERS_H
#define ORIGIN_ADMIN_USERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct accounts;
struct plans;

/*
 * The accounts in email order, skipping OFFSET and at most LIMIT, each with
 * its subscription as of NOW (or null), as a new JSON object in *OUT (the
 * caller decrefs it): {"users": [{"id", "email", "created", "disabled",
 * "subscription"}], "total": N}.  Returns 0 or a negative errno.
 */
int admin_users(struct accounts *a, struct plans *pl, size_t offset, size_t limit, int64_t now,
		json_t **out);

/* The account U as one row of admin_users(): a new JSON object, or NULL on ENOMEM. */
struct accounts_user;
json_t *admin_user(struct plans *pl, const struct accounts_user *u, int64_t now);

#endif
