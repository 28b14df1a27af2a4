/* Fuzz the INI configuration parser: any text either loads or yields an error message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct edge_config cfg;
	char err[1024];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	edge_config_defaults(&cfg);
	err[0] = '\0';
	if (edge_config_parse(&cfg, text, "fuzz.conf", err, sizeof(err)) != 0 && err[0] == '\0')
		abort();
	for (int r = 0; r < EDGE_ROLE_COUNT; r++)
		if (cfg.listen[r].nplain > EDGE_MAX_LISTEN || cfg.listen[r].ntls > EDGE_MAX_LISTEN)
			abort();
	free(text);
	return 0;
}
