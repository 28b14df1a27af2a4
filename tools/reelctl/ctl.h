/*
 * What every reelctl command shares: the exit statuses, one-line errors
 * that name the object ("reelctl: plan 'gold': not found"), the admin API
 * call that maps an answer to an exit status, and the --json output.
 */
#ifndef REEL_CTL_H
#define REEL_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "args.h"
#include "client.h"
#include "config.h"

/* The exit statuses: X(name, value, meaning), listed by --help. */
#define CTL_EXITS(X)                                                                               \
	X(CTL_OK, 0, "done")                                                                       \
	X(CTL_FAILED, 1, "failed: the origin is unreachable or failed, or a file cannot be read")  \
	X(CTL_USAGE, 2, "usage: a bad command line, config or input (the origin's 400, 413, 422)") \
	X(CTL_NOT_FOUND, 3, "not found: no such user, plan, title, edge or file (404)")            \
	X(CTL_REFUSED, 4,                                                                          \
	  "refused: token refused (401), request refused (403, 409, 412), or a token "             \
	  "file open to others")

enum ctl_exit {
#define X(name, value, meaning) name = value,
	CTL_EXITS(X)
#undef X
};

/* One run of reelctl. */
struct ctl {
	const struct ctl_line *line;
	struct ctl_creds_src src; /* the environment's and the flags' part */
	struct ctl_client *http;  /* made at the first call */
	FILE *out;		  /* stdout */
	bool json;		  /* --json */
};

/* Set C up for the parsed line L (reads the environment; opens nothing yet). */
void ctl_init(struct ctl *c, const struct ctl_line *l);

/* Free what C holds. */
void ctl_free(struct ctl *c);

/* Print "reelctl: MESSAGE" on stderr and return STATUS. */
int ctl_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit status for an answer with HTTP STATUS and error CODE ("" if none). */
int ctl_exit_status(long status, const char *code);

/*
 * PREFIX, then NAME percent-encoded as one path segment, then SUFFIX, into
 * BUF; NULL (after printing that OBJ's name is too long) if it does not fit.
 */
const char *ctl_path(char *buf, size_t len, const char *obj, const char *prefix, const char *name,
		     const char *suffix);

/* "KIND 'NAME'" into BUF, NAME cleaned for the terminal; for naming objects in errors. */
const char *ctl_obj(char *buf, size_t len, const char *kind, const char *name);

/*
 * METHOD PATH (escaped, below /admin/v1/ or not) with BODY (NULL: none).
 * Returns 0 when the origin answered, whatever the status, with R filled
 * (ctl_reply_free it); else prints why (no credentials, bad URL, cannot
 * connect) and returns the exit status.
 */
int ctl_request(struct ctl *c, const char *method, const char *path, const struct ctl_body *body,
		struct ctl_reply *r);

/*
 * ctl_request, for a caller that tries again: when no answer came (cannot
 * connect, the connection broke) it prints nothing and returns -1 with why
 * in ERR.  Other problems (credentials, a bad URL) are printed, and their
 * exit status returned.
 */
int ctl_try(struct ctl *c, const char *method, const char *path, const struct ctl_body *body,
	    struct ctl_reply *r, char *err, size_t errlen);

/*
 * ctl_request with the JSON body IN and HEADER, one more header line
 * ("If-None-Match: *") or NULL.  OBJ names what IN is about, for the error
 * when IN cannot be sent.
 */
int ctl_request_json(struct ctl *c, const char *obj, const char *method, const char *path,
		     const json_t *in, const char *header, struct ctl_reply *r);

/* Print the one-line error for the failed answer R about OBJ; return its exit status. */
int ctl_fail(struct ctl *c, const char *obj, const struct ctl_reply *r);

/*
 * The answer R about OBJ: 0 with its JSON moved to *OUT (NULL for 204) when
 * the status is 2xx, else the exit status after ctl_fail.  A 2xx answer
 * that is not JSON (but should be) fails too.
 */
int ctl_check(struct ctl *c, const char *obj, struct ctl_reply *r, json_t **out);

/*
 * ctl_request, then ctl_check.  On success returns
 * 0 with the JSON answer in *OUT (NULL for 204; the caller json_decrefs it);
 * a 2xx answer that is not JSON (but should be) fails.
 */
int ctl_call(struct ctl *c, const char *obj, const char *method, const char *path,
	     const struct ctl_body *body, json_t **out);

/*
 * ctl_call on the object KIND 'NAME' at PREFIX NAME (escaped): GET it,
 * DELETE it.  The object's label for errors is "KIND 'NAME'".
 */
int ctl_call_named(struct ctl *c, const char *kind, const char *prefix, const char *name,
		   const char *method, json_t **out);

/* DELETE the object KIND 'NAME' at PREFIX NAME; says "KIND 'NAME' deleted" and NOTE. */
int ctl_delete(struct ctl *c, const char *kind, const char *prefix, const char *name,
	       const char *note);

/*
 * The listing PATH, whose items are its member KEY (read page by page when
 * PAGED), shown with VIEW or as JSON (ctl_show_list).
 */
int ctl_list(struct ctl *c, const char *path, const char *key, bool paged,
	     int (*view)(FILE *, const json_t *));

/* ctl_call for a PUT or POST that may create: *CREATED is whether the answer is 201. */
int ctl_call_created(struct ctl *c, const char *obj, const char *method, const char *path,
		     const struct ctl_body *body, json_t **out, bool *created);

/* ctl_call_created with the JSON body IN (NULL CREATED: not wanted). */
int ctl_call_json(struct ctl *c, const char *obj, const char *method, const char *path,
		  const json_t *in, json_t **out, bool *created);

/*
 * Read the paged listing PATH (GET PATH?offset=N&limit=1000, the array
 * member KEY and "total") page by page, calling EACH(ARG, item) for every
 * item until it returns true (found: stop).  Returns 0 or the exit status
 * after printing why.
 */
int ctl_pages(struct ctl *c, const char *obj, const char *path, const char *key,
	      bool (*each)(void *arg, json_t *item), void *arg);

/* Every page of PATH as one answer of the same form, {KEY: [...], "total": N}, into *OUT. */
int ctl_fetch_all(struct ctl *c, const char *obj, const char *path, const char *key, json_t **out);

/* Print J as JSON (indented, members in the origin's order) and a newline. */
int ctl_print_json(struct ctl *c, const json_t *j);

/* Print J: as JSON with --json, else with VIEW (views.h).  Returns the exit status. */
int ctl_show(struct ctl *c, const json_t *j, int (*view)(FILE *, const json_t *));

/*
 * Print the listing ALL, whose items are its array member KEY, as ctl_show
 * does; an empty one is "no KEY" on stderr (and exit 0) unless --json.
 */
int ctl_show_list(struct ctl *c, const json_t *all, const char *key,
		  int (*view)(FILE *, const json_t *));

/*
 * Create FILE for a secret shown once (WHAT: "key", "credential"): mode 600,
 * never replacing a file.  Returns its descriptor, or -1 after saying why.
 */
int ctl_secret_create(const char *file, const char *what);

/*
 * Write SECRET and a newline to FD, the file FILE from ctl_secret_create,
 * sync and close it.  Returns 0, or the exit status after saying why, with
 * the secret in the message so it is not lost.  SECRET NULL: the origin
 * sent none (an error).
 */
int ctl_secret_write(int fd, const char *file, const char *secret, const char *what);

/* Is S an id of the origin's: the letter KIND and 16 lowercase hex digits (u..., e...)? */
bool ctl_is_id(const char *s, char kind);

/* Print table-less output lines: "text\n" with FMT, cleaned for the terminal. */
void ctl_say(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
