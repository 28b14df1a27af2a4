/* The names of the origin's tables (schema.h). */
#include "schema.h"

#define ORIGIN_DB_NAME(id, name) name,
const char *const origin_db_names[ORIGIN_DB_COUNT] = {ORIGIN_TABLES(ORIGIN_DB_NAME)};
