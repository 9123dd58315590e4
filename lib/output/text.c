/* SPDX-License-Identifier: MIT */
/*
 * Aligned text: `table`, `wide`, `--no-headers` and `-o name`.  Widths
 * are display widths (knet_utf8_width), so UTF-8 names line up under
 * LANG=C too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output-internal.h"

/* The table text of a cell, humanised; numbers are written into @buf. */
static const char *cell_text(const struct knet_table *t,
			     const struct output_cell *c, const char *missing,
			     char *buf, size_t len)
{
	time_t now = t->opts.now ? t->opts.now : time(NULL);

	switch (c->type) {
	case KNET_CELL_NONE:
		return missing;
	case KNET_CELL_STR:
	case KNET_CELL_JSON:
		return c->text;
	case KNET_CELL_INT:
		output_fmt_int(buf, c->i);
		return buf;
	case KNET_CELL_BOOL:
		return c->i ? "true" : "false";
	case KNET_CELL_AGE:
		if (c->i <= 0)
			return "<unknown>";
		knet_fmt_age((long long)now - c->i < 0 ? 0
						       : (long long)now - c->i,
			     buf, len);
		return buf;
	case KNET_CELL_USEC:
		knet_fmt_usec(c->i, buf, len);
		return buf;
	case KNET_CELL_BYTES:
		knet_fmt_bytes(c->i, buf, len);
		return buf;
	case KNET_CELL_PERCENT:
		snprintf(buf, len, "%.1f%%", c->d);
		return buf;
	case KNET_CELL_STRLIST:
	case KNET_CELL_USECLIST:
		return c->nlist ? c->text : missing;
	}
	return "";
}

void output_line_texts(const struct knet_table *t, int row, const char *missing)
{
	const struct output_cell *cells = &t->cells[row * t->ncols];

	for (int i = 0; i < t->ncols; i++) {
		t->texts[i] = output_col_visible(t, i)
				      ? cell_text(t, &cells[i], missing,
						  t->nums[i], OUTPUT_NUM_BUF)
				      : NULL;
		t->tones[i] = cells[i].tone;
	}
}

void output_header_texts(const struct knet_table *t)
{
	for (int i = 0; i < t->ncols; i++) {
		t->texts[i] =
			output_col_visible(t, i) ? t->cols[i].header : NULL;
		t->tones[i] = KNET_TONE_PLAIN;
	}
}

/*
 * Display width: printable ASCII is one cell a byte, counted without
 * decoding; anything else goes to knet_utf8_width().
 */
int output_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p >= 0x20 && *p < 0x7f)
		p++;
	return *p ? knet_utf8_width(s) : (int)(p - (const unsigned char *)s);
}

/* @n blanks. */
static int pad_to(struct output_buf *b, int n)
{
	if (n <= 0)
		return 0;
	if (output_buf_room(b, (size_t)n) < 0)
		return -ENOMEM;
	memset(b->p + b->len, ' ', (size_t)n);
	b->len += (size_t)n;
	return 0;
}

static int put_str(struct output_buf *b, const char *s)
{
	return output_buf_put(b, s, strlen(s));
}

int output_print_line(const struct knet_table *t, const int *widths,
		      bool header, struct output_buf *b)
{
	int i, r = 0, last = -1;

	/* Empty cells at the end are not padded: no trailing blanks. */
	for (i = 0; i < t->ncols; i++)
		if (t->texts[i] && *t->texts[i])
			last = i;
	for (i = 0; i < t->ncols && r == 0; i++) {
		const char *code = NULL, *s = t->texts[i];
		int pad;

		if (!s)
			continue;
		if (t->opts.color)
			code = header ? "\033[1m"
				      : output_tone_code(t->tones[i]);
		pad = widths[i] - output_width(s);
		if (t->cols[i].flags & KNET_COL_RIGHT)
			r = pad_to(b, pad);
		if (r == 0 && code)
			r = put_str(b, code);
		if (r == 0)
			r = put_str(b, s);
		if (r == 0 && code)
			r = put_str(b, "\033[0m");
		if (i == last)
			break;
		if (r == 0 && !(t->cols[i].flags & KNET_COL_RIGHT))
			r = pad_to(b, pad);
		if (r == 0)
			r = put_str(b, "   ");
	}
	return r ? r : output_buf_put(b, "\n", 1);
}

/* Out with what @b holds, and empty it. */
int output_buf_write(struct output_buf *b, FILE *out)
{
	size_t n = b->len;

	b->len = 0;
	if (n && fwrite(b->p, 1, n, out) != n)
		return -EIO;
	return 0;
}

/* Widen @widths to fit t->texts. */
static void fit(const struct knet_table *t, int *widths)
{
	for (int i = 0; i < t->ncols; i++) {
		int w = t->texts[i] ? output_width(t->texts[i]) : 0;

		if (w > widths[i])
			widths[i] = w;
	}
}

int output_render_text(const struct knet_table *t)
{
	int *widths = calloc((size_t)t->ncols, sizeof(*widths));
	struct output_buf b = {0};
	int row, r = 0;

	if (!widths)
		return -ENOMEM;
	if (!t->opts.no_headers) {
		output_header_texts(t);
		fit(t, widths);
	}
	for (row = 0; row < t->nrows; row++) {
		output_line_texts(t, row, "<none>");
		fit(t, widths);
	}
	if (!t->opts.no_headers) {
		output_header_texts(t);
		r = output_print_line(t, widths, true, &b);
	}
	for (row = 0; row < t->nrows && r == 0; row++) {
		output_line_texts(t, row, "<none>");
		r = output_print_line(t, widths, false, &b);
		/* Written in blocks: a line's worth of memory at a time. */
		if (r == 0 && b.len >= 64 * 1024)
			r = output_buf_write(&b, t->opts.out);
	}
	if (r == 0)
		r = output_buf_write(&b, t->opts.out);
	output_buf_free(&b);
	free(widths);
	return r;
}

int output_render_names(const struct knet_table *t)
{
	int row, i, name_col = -1;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].flags & KNET_COL_NAME)
			name_col = i;
	if (name_col < 0)
		return -EINVAL;
	for (row = 0; row < t->nrows; row++) {
		const struct output_cell *c =
			&t->cells[row * t->ncols + name_col];
		const char *s = cell_text(t, c, "<none>", t->nums[name_col],
					  OUTPUT_NUM_BUF);

		if (t->opts.kind)
			fprintf(t->opts.out, "%s/%s\n", t->opts.kind, s);
		else
			fprintf(t->opts.out, "%s\n", s);
	}
	return 0;
}
