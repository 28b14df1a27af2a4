/*
 * Search folding: text as the words a search compares, without case and,
 * for Latin and Greek letters, without accents ("Café" and "CAFE" are both
 * "cafe", "Straße" is "strasse", "Ἀθῆναι" is "αθηναι"), so a query matches
 * whatever way a title was spelled.  A word is a run of letters, numbers and
 * spacing marks; everything else separates words, and combining marks
 * vanish (so decomposed input folds like composed input).  The tables
 * (fold.inc) are generated from the Unicode database by fold_gen.py.
 *
 * Ownership: every output is the caller's storage.
 */
#ifndef REEL_FOLD_H
#define REEL_FOLD_H

#include <stddef.h>

#define FOLD_WORD_MAX 48 /* bytes of a folded word; a longer one is cut at a character */

/*
 * Fold IN[0..LEN) (UTF-8; a byte that does not begin a valid sequence is a
 * separator) into OUT (CAP >= 1 bytes) as its folded words separated by
 * single spaces, with none before the first or after the last, each word at
 * most FOLD_WORD_MAX bytes.  What does not fit in OUT is cut at a character.
 * Returns the length written (OUT is NUL-terminated).
 */
size_t fold_phrase(const char *in, size_t len, char *out, size_t cap);

/*
 * The next word of a folded phrase at *P (fold_phrase's output): its start
 * in *W and length in *N, *P moved past it.  Returns 0, or -1 at the end.
 */
int fold_next_word(const char **p, const char **w, size_t *n);

#endif
