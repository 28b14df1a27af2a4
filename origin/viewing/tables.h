/*
 * The tables of viewing/ (numbered in schema.h).  history holds JSON
 * records; the others hold counters and ids as raw bytes (a count is 4
 * bytes, big-endian), read in the thousands per recommendation:
 *
 *   history:   USER "/" TITLE -> {"position", "at", "duration", "watched", "first", "last",
 *                                 "finished", "seq", "days"} (watch.h)
 *   finishes:  USER "/" SEQ (4 bytes, big-endian) -> TITLE: the user's finished titles in the
 *              order they were finished; SEQ is the history record's "seq"
 *   cowatch:   X "/" Y -> count: viewers who finished X and Y within [viewing] pair_fanout of
 *              each other in their finishes (both directions are kept, X "/" Y and Y "/" X)
 *   finishers: TITLE -> count: viewers who finished it
 *   plays:     DAY (4 bytes, big-endian, days since 1970) TITLE -> count: plays that day, one
 *              per viewer and title; days before the popularity window are deleted
 */
#ifndef ORIGIN_VIEWING_TABLES_H
#define ORIGIN_VIEWING_TABLES_H

#define VIEWING_TABLES(X)                                                                          \
	X(HISTORY, "history")                                                                      \
	X(FINISHES, "finishes")                                                                    \
	X(COWATCH, "cowatch") X(FINISHERS, "finishers") X(PLAYS, "plays")

#endif
