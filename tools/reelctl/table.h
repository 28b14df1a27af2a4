/*
 * Tables for people, as kubectl prints them: a header in capitals, then one
 * line per row, columns padded to the widest cell and three spaces apart.
 * Cells are added one by one and rows end by themselves after the last
 * column.  Strings are cleaned for the terminal (format.h) as they come in.
 */
#ifndef REEL_CTL_TABLE_H
#define REEL_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct ctl_table;

/*
 * A table with the NCOLS headers COLS (a header starting with '>' is
 * right-aligned, for numbers, and shown without it); COLS NULL: no header
 * row (for "key: value" lists).  Returns NULL when out of memory.
 */
struct ctl_table *ctl_table_new(const char *const *cols, size_t ncols);

/* Free T; NULL does nothing. */
void ctl_table_free(struct ctl_table *t);

/* Add the next cell (NULL is shown as "-").  Running out of memory is reported by print. */
void ctl_table_cell(struct ctl_table *t, const char *s);
void ctl_table_cellf(struct ctl_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Complete rows so far. */
size_t ctl_table_rows(const struct ctl_table *t);

/*
 * Print T to OUT (a last, incomplete row is padded with "-").  Returns 0,
 * or -ENOMEM when a cell could not be stored (nothing is printed), or -EIO
 * when OUT failed.
 */
int ctl_table_print(const struct ctl_table *t, FILE *out);

#endif
