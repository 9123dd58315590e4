/* SPDX-License-Identifier: MIT */
/*
 * Streamed rows (ping replies, traceroute hops, pods --watch): each row
 * is printed when it is added, so widths cannot come from the rows to
 * come.  The rule (doc/design-notes.md, "Streamed tables"): a column
 * starts as wide as its header, its declared width and the first row;
 * a wider cell later grows its column for good and the header is
 * printed again above that row, so every row lines up with the header
 * above it.  The last column grows nothing: nothing comes after it.
 * A missing cell is "-", not "<none>" on every line: short, and the
 * line keeps one word per column for awk.
 */
#include <errno.h>
#include <stdlib.h>

#include "output-internal.h"

int knet_table_stream_header(struct knet_table *t)
{
	if (t->opts.format == KNET_FMT_JSON ||
	    t->opts.format == KNET_FMT_NAME || t->opts.no_headers)
		return 0;
	t->stream_headers = true;
	t->header_pending = true;
	return 0;
}

/* The last column shown in the table, or -1. */
static int last_visible(const struct knet_table *t)
{
	int last = -1;

	for (int i = 0; i < t->ncols; i++)
		if (output_col_visible(t, i))
			last = i;
	return last;
}

/*
 * Widen the stream's columns to fit t->texts; whether a column but the
 * last had to grow.  The first row sets the widths up.
 */
static int grow(struct knet_table *t, bool *ret_grew)
{
	int last = last_visible(t);
	bool first = !t->stream_widths;

	*ret_grew = false;
	if (first) {
		t->stream_widths = calloc((size_t)t->ncols, sizeof(int));
		if (!t->stream_widths)
			return -ENOMEM;
		for (int i = 0; i < t->ncols; i++) {
			int w = t->stream_headers
					? knet_utf8_width(t->cols[i].header)
					: 0;

			t->stream_widths[i] =
				w > t->cols[i].width ? w : t->cols[i].width;
		}
	}
	for (int i = 0; i < t->ncols; i++) {
		int w = t->texts[i] ? output_width(t->texts[i]) : 0;

		if (w <= t->stream_widths[i])
			continue;
		t->stream_widths[i] = w;
		if (i != last && !first)
			*ret_grew = true;
	}
	return 0;
}

static int stream_text(struct knet_table *t)
{
	bool grew;
	int r;

	output_line_texts(t, t->nrows - 1, "-");
	r = grow(t, &grew);
	if (r < 0)
		return r;
	if (grew && t->stream_headers)
		t->header_pending = true;
	if (t->header_pending) {
		output_header_texts(t);
		r = output_print_line(t, t->stream_widths, true, &t->line);
		t->header_pending = false;
		output_line_texts(t, t->nrows - 1, "-");
	}
	return r ? r : output_print_line(t, t->stream_widths, false, &t->line);
}

/*
 * A row is rendered into t->line and handed to stdio in one fwrite; no
 * cJSON object, no printf.  Flushed only when it must be seen at once
 * (see knet_output_opts.flush).
 */
int knet_table_stream_row(struct knet_table *t)
{
	int r = t->error;

	if (t->direct)
		return output_direct_end(t);
	r = r ? r : output_direct_out(t);
	if (t->nrows == 0)
		return -EINVAL;
	t->line.len = 0;
	if (r) {
		/* a failed setter: print nothing half-filled */
	} else if (t->opts.format == KNET_FMT_JSON) {
		r = output_row_json(t, t->nrows - 1);
	} else if (t->opts.format == KNET_FMT_NAME) {
		r = output_render_names(t);
	} else {
		r = stream_text(t);
	}
	if (r == 0)
		r = output_buf_write(&t->line, t->opts.out);
	output_drop_rows(t);
	if (r == 0 && t->flush)
		r = knet_table_stream_flush(t);
	return r;
}

int knet_table_stream_flush(struct knet_table *t)
{
	int r = output_direct_out(t);

	if (r < 0)
		return r;
	if (fflush(t->opts.out) != 0)
		return -errno;
	return ferror(t->opts.out) ? -EIO : 0;
}
