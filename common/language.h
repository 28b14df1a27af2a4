/*
 * Language tags: RFC 5646 tags in canonical case with the shortest language
 * subtag, and the ISO 639-2 table behind them (languages.inc, every 639-2
 * code, B and T, generated from Debian's iso-codes by languages_gen.py).
 * reel-transcode tags its renditions with these; the origin takes 639-2
 * codes ("eng", "ger", "deu") as aliases of the tags its packages carry.
 *
 * Ownership: every output is the caller's storage; the rows and names
 * returned are static.
 */
#ifndef REEL_LANGUAGE_H
#define REEL_LANGUAGE_H

#define LANG_TAG_MAX 35 /* the longest tag kept, in bytes */

/* One row of the ISO 639-2 table. */
struct lang_row {
	const char *code;    /* ISO 639-2, T or B: "deu", "ger" */
	const char *tag;     /* the RFC 5646 language subtag: the 639-1 code where there is one */
	const char *english; /* "German" */
	const char *own;     /* the name in the language itself ("Deutsch"), "" when unknown */
};

/* The row whose 639-2 code or tag is CODE (lowercase), or NULL. */
const struct lang_row *lang_find(const char *code);

/* The row whose English or own name is NAME, ignoring ASCII case ("german", "Deutsch"), or NULL. */
const struct lang_row *lang_find_name(const char *name);

/*
 * IN (ISO 639-2/B or /T, 639-1, an RFC 5646 tag with '-' or '_', or an
 * English language name, white space around it ignored; may be NULL) as an
 * RFC 5646 tag in canonical case with the shortest language subtag ("ger",
 * "deu" -> "de", "pt_br" -> "pt-BR") into OUT (LANG_TAG_MAX + 1 bytes).
 * A well-formed tag not in the table ("yue", "qaa") is kept.  Returns 0, or
 * -1 with OUT "und" when IN is missing, empty, malformed or too long.
 */
int lang_tag(const char *in, char out[LANG_TAG_MAX + 1]);

/*
 * The name of TAG's language for a menu: its own name ("Deutsch") where the
 * table has one, else the English one; NULL for "und" and languages not in
 * the table.
 */
const char *lang_name(const char *tag);

#endif
