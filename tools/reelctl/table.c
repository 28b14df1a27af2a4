/* Aligned text tables. */
#include "array.h"
#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

#define GAP 3

struct ctl_table {
	size_t ncols;
	bool header, nomem;
	char *right;  /* per column */
	char **cells; /* row by row, the header first when there is one */
	size_t n, cap;
};

struct ctl_table *ctl_table_new(const char *const *cols, size_t ncols)
{
	struct ctl_table *t = calloc(1, sizeof(*t));

	if (!t || ncols == 0 || !(t->right = calloc(ncols, 1))) {
		free(t);
		return NULL;
	}
	t->ncols = ncols;
	for (size_t i = 0; cols && i < ncols; i++) {
		t->right[i] = cols[i][0] == '>';
		ctl_table_cell(t, cols[i] + t->right[i]);
	}
	t->header = cols != NULL;
	return t;
}

void ctl_table_free(struct ctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
}

void ctl_table_cell(struct ctl_table *t, const char *s)
{
	size_t len = strlen(s ? s : "-") + 1;
	char *copy;

	if (array_reserve((void **)&t->cells, &t->cap, t->n, sizeof(*t->cells), 64) != 0) {
		t->nomem = true;
		return;
	}
	if (!(copy = malloc(len))) {
		t->nomem = true;
		return;
	}
	t->cells[t->n++] = (char *)ctl_clean(s, copy, len);
}

void ctl_table_cellf(struct ctl_table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctl_table_cell(t, buf);
}

size_t ctl_table_rows(const struct ctl_table *t)
{
	size_t rows = t->n / t->ncols;

	return rows > 0 && t->header ? rows - 1 : rows;
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

static void print_row(const struct ctl_table *t, size_t row, const size_t *width, FILE *out)
{
	for (size_t c = 0; c < t->ncols; c++) {
		size_t i = row * t->ncols + c;
		const char *s = i < t->n ? t->cells[i] : "-";
		size_t w = ctl_width(s);
		bool last = c + 1 == t->ncols;

		if (last && !*s)
			break;
		if (c > 0)
			pad(out, GAP);
		if (t->right[c])
			pad(out, width[c] - w);
		fputs(s, out);
		if (!t->right[c] && !last)
			pad(out, width[c] - w);
	}
	fputc('\n', out);
}

int ctl_table_print(const struct ctl_table *t, FILE *out)
{
	size_t rows = (t->n + t->ncols - 1) / t->ncols;
	size_t *width;

	if (t->nomem || !(width = calloc(t->ncols, sizeof(*width))))
		return -ENOMEM;
	for (size_t c = 0; c < t->ncols; c++)
		width[c] = 1; /* the "-" of a missing cell */
	for (size_t i = 0; i < t->n; i++) {
		size_t w = ctl_width(t->cells[i]);

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (size_t r = 0; r < rows; r++)
		print_row(t, r, width, out);
	free(width);
	return ferror(out) ? -EIO : 0;
}
