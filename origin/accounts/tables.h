/*
 * The tables of accounts/ (numbered in schema.h):
 *
 *   accounts: normalised email -> {"id", "hash": argon2id encoded string, "created": unix s,
 *             "disabled": bool (absent: false)}
 *   users:    user id -> normalised email
 *   sessions: SHA-256(token bytes) -> {"email", "created", "expires", "last"} (unix s)
 */
#ifndef ORIGIN_ACCOUNTS_TABLES_H
#define ORIGIN_ACCOUNTS_TABLES_H

#define ACCOUNTS_TABLES(X) X(ACCOUNTS, "accounts") X(USERS, "users") X(SESSIONS, "sessions")

#endif
