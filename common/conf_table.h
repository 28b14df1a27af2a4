/*
 * Table-driven INI configuration: each program lists its keys (section,
 * name, type, range, place in its config struct) and this reads a file or
 * text over a struct already holding the defaults.  Unknown keys are errors,
 * so a typo never silently leaves a default in force; every error names the
 * file and line.  Relative paths are resolved against the file's folder.
 *
 * Ownership: every output (OUT, BUF, *N and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef REEL_CONF_TABLE_H
#define REEL_CONF_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum conf_type {
	CONF_ADDRS,    /* struct conf_addr[MAX] at OFF, int count at SIZE; at least MIN; "off" or
			  an empty value: none */
	CONF_UINT,     /* uint32_t or uint64_t (by SIZE) in [MIN, MAX] */
	CONF_SIZE,     /* "16k", "4m": uint32_t or uint64_t in [MIN, MAX] */
	CONF_DURATION, /* "250ms", "10s": milliseconds, uint32_t or uint64_t in [MIN, MAX] */
	CONF_BOOL,     /* bool */
	CONF_STR,      /* char[SIZE]; MIN 1: must not be empty */
	CONF_PATH,     /* char[SIZE], relative to the file's folder; MIN 1: must not be empty */
	CONF_LOGPATH,  /* like CONF_PATH, plus "stderr", "stdout", and "off" stored as "" */
	CONF_LEVEL,    /* enum log_level: error, warn, info, debug */
	CONF_CUSTOM,   /* PARSE(value, field) returns 0 or -EINVAL */
};

struct conf_key {
	const char *section, *name;
	enum conf_type type;
	size_t off, size;
	uint64_t min, max;
	const char *hint; /* what a valid value looks like (NULL: from the type) */
	int (*parse)(const char *value, void *field);
};

/* OFF and SIZE of a member, for conf_key tables. */
#define CONF_FIELD(type, member) offsetof(type, member), sizeof(((type *)0)->member)

/*
 * Read the INI file PATH over the struct at BASE with the NKEYS KEYS.
 * Returns 0, or -1 with "PATH:LINE: problem" (or "PATH: problem") in ERR;
 * the struct may then be partly updated.
 */
int conf_table_load(const struct conf_key *keys, size_t nkeys, void *base, const char *path,
		    char *err, size_t errlen);

/* The same for the text TEXT, reported as NAME (tests, fuzzing). */
int conf_table_parse(const struct conf_key *keys, size_t nkeys, void *base, const char *text,
		     const char *name, char *err, size_t errlen);

#endif
