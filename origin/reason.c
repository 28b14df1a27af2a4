/* The reasons domain code gives with its refusals (reason.h). */
#include "reason.h"

#include <stdarg.h>
#include <stdio.h>

int reason_set(struct origin_reason *why, int rc, const char *code, const char *message)
{
	if (why)
		*why = (struct origin_reason){.code = code, .message = message};
	return rc;
}

int reason_limit(struct origin_reason *why, int rc, const char *code, unsigned limit,
		 const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return rc;
	why->code = code;
	why->has_limit = true;
	why->limit = limit;
	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	why->message = why->text;
	return rc;
}

int reason_printf(struct origin_reason *why, int rc, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return rc;
	*why = (struct origin_reason){.code = code};
	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	why->message = why->text;
	return rc;
}
