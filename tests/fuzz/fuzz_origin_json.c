/*
 * Fuzz target for origin_creds_parse(), the parser of signup and login
 * bodies, and the policy checks after it.  A failure must name a 400 or 422
 * with a code and message; a success must leave a normalised email (no ASCII
 * capitals, no surrounding white space) and a password within the byte bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/bodies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fail(const struct origin_fail *f)
{
	if ((f->status != 400 && f->status != 422) || !f->code || !f->message)
		abort();
}

static void check_creds(const struct origin_creds *c)
{
	size_t n = strlen(c->email);

	if (c->password_len > ORIGIN_PASSWORD_MAXLEN || n > ORIGIN_EMAIL_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (c->email[i] >= 'A' && c->email[i] <= 'Z')
			abort();
	if (n && (c->email[0] == ' ' || c->email[n - 1] == ' '))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size ? size : 1); /* exactly sized: ASan catches over-reads */
	struct origin_creds c;
	struct origin_fail f = {0};

	memcpy(body, data, size);
	if (origin_creds_parse(body, size, &c, &f) != 0) {
		check_fail(&f);
	} else {
		check_creds(&c);
		if (origin_creds_policy(&c, &f) != 0)
			check_fail(&f);
		else if (!origin_email_valid(c.email))
			abort();
	}
	free(body);
	return 0;
}
