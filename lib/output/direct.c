/* SPDX-License-Identifier: MIT */
/*
 * Direct rows: a streamed JSON row written as its cells are set, for
 * streams of very many rows (100,000 conntrack entries).  No cell is
 * kept: each setter appends `,"key":value` to t->line at once, the
 * columns skipped since the last one get null, and the row's end closes
 * the object.  The bytes are those output_row_json() writes for the
 * same cells (tests/unit/test-output-direct.c checks it).
 *
 * Rows pile up in t->line and go out in blocks of DIRECT_BLOCK, one
 * write(2) each (after stdio's buffer) instead of one per stdio buffer;
 * whatever else writes to the table, flushes, renders or frees it first
 * writes out what is pending (output_direct_out()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "output-internal.h"

/*
 * Under the line's 16 KiB with a row to spare: the buffer stays there.
 * Every byte of it is touched, so it is resident: 16 KiB is ~30 rows a
 * write(2), and the write count is noise beside the dump's cost, where
 * 32 KiB were 16 KiB more of RSS (doc/design-notes.md, "Footprint").
 */
#define DIRECT_LINE  (16 * 1024)
#define DIRECT_BLOCK (DIRECT_LINE - 4 * 1024)

int knet_table_add_row_direct(struct knet_table *t)
{
	if (t->opts.format != KNET_FMT_JSON)
		return knet_table_add_row(t);
	if (!t->key_ends) {
		/* The line at its full size at once: no trail of smaller
		 * buffers left behind in the heap by growing it. */
		int r = output_json_keys(t);

		if (r == 0 && t->line.cap < DIRECT_LINE)
			r = output_buf_room(&t->line,
					    DIRECT_LINE - t->line.len);
		if (r < 0)
			return r;
	}
	/* A row left unfinished (an error) is dropped. */
	if (t->direct)
		t->line.len = t->direct_start;
	else
		output_drop_rows(t);
	t->direct = true;
	t->direct_next = 0;
	t->direct_start = t->line.len;
	t->direct_error = 0;
	return 0;
}

/* Nulls for the JSON columns from t->direct_next up to @to: one copy. */
static int nulls(struct knet_table *t, int to)
{
	size_t from = t->direct_next ? t->null_ends[t->direct_next - 1] : 0;
	size_t end = to ? t->null_ends[to - 1] : 0;

	return end > from
		       ? output_buf_put(&t->line, t->nulls.p + from, end - from)
		       : 0;
}

/*
 * The key of @col (and the nulls of the columns skipped since the last
 * one), with room for @extra more bytes after it; 1 when @col is not in
 * JSON (the value is dropped), else 0 or the error.
 */
/*
 * @n bytes of @src (t->keys or t->nulls, padded by OUTPUT_KEY_PAD) to
 * @o (with OUTPUT_KEY_PAD to spare) in 16-byte moves the compiler
 * inlines: a key is one or two, where memcpy() is a call.
 */
static void copy_padded(char *o, const char *src, size_t n)
{
	for (size_t k = 0; k < n; k += 16)
		memcpy(o + k, src + k, 16);
}

static inline __attribute__((always_inline)) int key(struct knet_table *t,
						     int col,
						     enum knet_cell_type type,
						     size_t extra)
{
	const size_t *nulls = t->null_ends, *keys = t->key_ends;
	int next = t->direct_next;
	size_t skip, from, klen;
	char *o;

	if (__builtin_expect(t->direct_error || col < next || col >= t->ncols ||
				     (type != t->cols[col].type &&
				      type != KNET_CELL_NONE &&
				      type != KNET_CELL_JSON),
			     0))
		return output_direct_fail(t, t->direct_error ? t->direct_error
							     : -EINVAL);
	/* the nulls of columns next..col-1, then col's key */
	from = next ? nulls[next - 1] : 0;
	skip = col ? nulls[col - 1] - from : 0;
	klen = keys[col] - (col ? keys[col - 1] : 0);
	t->direct_next = col + 1;
	if (output_buf_room(&t->line,
			    skip + klen + extra + 2 * OUTPUT_KEY_PAD) < 0)
		return output_direct_fail(t, -ENOMEM);
	o = t->line.p + t->line.len;
	if (skip)
		copy_padded(o, t->nulls.p + from, skip);
	copy_padded(o + skip, t->keys.p + keys[col] - klen, klen);
	t->line.len += skip + klen;
	return klen ? 0 : 1;
}

int output_direct_key(struct knet_table *t, int col, enum knet_cell_type type)
{
	return key(t, col, type, 0);
}

/*
 * @n bytes from @s to @o, in moves of constant size the compiler
 * inlines (a short string is one or two), never reading past @s + @n.
 */
static inline void copy_short(char *o, const char *s, size_t n)
{
	if (n >= 16) {
		size_t k = 0;

		for (; k + 16 < n; k += 16)
			memcpy(o + k, s + k, 16);
		memcpy(o + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(o, s, 8);
		memcpy(o + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(o, s, 4);
		memcpy(o + n - 4, s + n - 4, 4);
	} else {
		for (size_t k = 0; k < n; k++)
			o[k] = s[k];
	}
}

/* @s as a JSON string at the end of the line: copied when plain. */
static inline int put_str(struct knet_table *t, const char *s, size_t len)
{
	if (output_json_plain(s, len)) {
		char *o = t->line.p + t->line.len;

		o[0] = '"';
		copy_short(o + 1, s, len);
		o[len + 1] = '"';
		t->line.len += len + 2;
		return 0;
	}
	return output_json_string(&t->line, s);
}

int output_direct_item(struct knet_table *t, const char *s)
{
	size_t len = strlen(s);

	if (output_buf_room(&t->line, len + 2) < 0)
		return -ENOMEM;
	return put_str(t, s, len);
}

int output_direct_strn(struct knet_table *t, int col, const char *s, size_t len)
{
	int r = key(t, col, KNET_CELL_STR, len + 2);

	if (r)
		return r < 0 ? r : 0;
	r = put_str(t, s, len);
	return r < 0 ? output_direct_fail(t, r) : 0;
}

int output_direct_int(struct knet_table *t, int col, enum knet_cell_type type,
		      long long v)
{
	int r = key(t, col, type, OUTPUT_NUM_BUF);

	if (r)
		return r < 0 ? r : 0;
	if (output_json_digits(v)) {
		t->line.len +=
			(size_t)output_fmt_int(t->line.p + t->line.len, v);
		return 0;
	}
	r = output_json_cell(&t->line,
			     &(struct output_cell){.type = type, .i = v});
	return r < 0 ? output_direct_fail(t, r) : 0;
}

/* The value just written failed (no memory): the row is lost. */
int output_direct_fail(struct knet_table *t, int r)
{
	if (!t->direct_error)
		t->direct_error = r;
	return r;
}

int output_direct_end(struct knet_table *t)
{
	int r = t->direct_error ? t->direct_error : t->error;

	if (r == 0)
		r = nulls(t, t->ncols);
	if (r == 0 && t->line.len == t->direct_start)
		r = output_buf_put(&t->line, "{", 1);
	if (r == 0)
		r = output_buf_put(&t->line, "}\n", 2);
	t->direct = false;
	if (r < 0) {
		t->line.len = t->direct_start;
		return r;
	}
	if (t->flush || t->line.len >= DIRECT_BLOCK)
		return output_direct_out(t);
	return 0;
}

/*
 * One write(2) for the block, after what stdio holds: through fwrite()
 * a block larger than stdio's buffer costs two (the buffer topped up
 * and flushed, then the rest).  A stream without a descriptor (a
 * memory stream) goes through stdio.
 */
static int write_block(FILE *out, const char *p, size_t n)
{
	int fd = fileno(out);

	if (fd < 0)
		return fwrite(p, 1, n, out) == n ? 0 : -EIO;
	if (fflush(out) != 0)
		return -EIO;
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int output_direct_out(struct knet_table *t)
{
	size_t done = t->direct ? t->direct_start : t->line.len;
	int r = 0;

	if (done == 0)
		return 0;
	r = write_block(t->opts.out, t->line.p, done);
	/* A row being set stays, at the start. */
	memmove(t->line.p, t->line.p + done, t->line.len - done);
	t->line.len -= done;
	t->direct_start = 0;
	return r;
}
