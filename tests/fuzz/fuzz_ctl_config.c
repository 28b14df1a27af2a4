/*
 * Fuzz target for ctl_config_parse(), reelctl's config file: any text either
 * parses, leaving NUL-terminated values and never both a token and a token
 * file, or fails with an error message that names the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_file_conf fc;
	char err[1024];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (ctl_config_parse(text, "fuzz.conf", &fc, err, sizeof(err)) != 0) {
		if (strncmp(err, "fuzz.conf", 9) != 0)
			abort();
	} else if ((fc.token[0] && fc.token_file[0]) ||
		   strnlen(fc.url, sizeof(fc.url)) == sizeof(fc.url) ||
		   strnlen(fc.token, sizeof(fc.token)) == sizeof(fc.token)) {
		abort();
	}
	free(text);
	return 0;
}
