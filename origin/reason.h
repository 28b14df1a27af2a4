/*
 * Why a domain call refused, beside the negative errno it returns: what
 * only the domain can say (which rule a value broke; which of a plan's
 * limits, and its number).  Domain code fills it and never logs it; api/
 * turns the errno and the reason into an answer, its tables choosing the
 * status.  The caller owns the struct and starts it zeroed ({0}): a call
 * fills it only for the refusals its contract says give a reason.
 */
#ifndef ORIGIN_REASON_H
#define ORIGIN_REASON_H

#include <stdbool.h>

struct origin_reason {
	const char *code;    /* a stable code where one errno covers several refusals, else NULL */
	const char *message; /* for people: a static string or TEXT; NULL: none given */
	bool has_limit;	     /* a plan's limit refused: LIMIT is the number it allows */
	unsigned limit;
	char text[128]; /* room for a formatted message */
};

/*
 * Refuse with RC: set *WHY (may be NULL) to CODE (NULL: none) and the static
 * MESSAGE, and return RC, so a refusal reads
 * `return reason_set(why, -EINVAL, NULL, "...")`.
 */
int reason_set(struct origin_reason *why, int rc, const char *code, const char *message);

/*
 * Refuse with RC at a plan's limit: *WHY (may be NULL) gets CODE, LIMIT and
 * the message FMT formats (into its TEXT).  Returns RC.
 */
int reason_limit(struct origin_reason *why, int rc, const char *code, unsigned limit,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Refuse with RC: *WHY (may be NULL) gets CODE and the message FMT formats (into its TEXT). */
int reason_printf(struct origin_reason *why, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
