/* SPDX-License-Identifier: MIT */
#ifndef KNET_OUTPUT_INTERNAL_H
#define KNET_OUTPUT_INTERNAL_H

/*
 * What the files of lib/output share: a table is rows of typed cells
 * (table.c); text.c lines them up, json.c writes documents, stream.c
 * prints one row at a time, format.c decides formats and colours.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "knet/output.h"

/* Room for any number a cell humanises ("-9223372036854775808", "1.5KiB"). */
#define OUTPUT_NUM_BUF 64

/* buffer.c: a growing byte buffer (not NUL-terminated). */
struct output_buf {
	char *p;
	size_t len, cap;
};

int output_buf_grow(struct output_buf *b, size_t more);
static inline int output_buf_room(struct output_buf *b, size_t more)
{
	return b->cap - b->len >= more ? 0 : output_buf_grow(b, more);
}
static inline int output_buf_put(struct output_buf *b, const char *s, size_t n)
{
	if (output_buf_room(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}
void output_buf_free(struct output_buf *b);
/* @v in decimal into @buf (22 bytes), NUL-terminated; the length. */
int output_fmt_int(char *buf, long long v);
/*
 * Whole numbers up to 2^53 (every integer a double holds exactly: the
 * microsecond timestamps) print as digits in JSON, where cJSON would
 * write 1.7646e+15, which Go's encoding/json will not read as int64.
 */
#define OUTPUT_JSON_DIGITS_MAX 9007199254740992LL
static inline bool output_json_digits(long long v)
{
	return v >= -OUTPUT_JSON_DIGITS_MAX && v <= OUTPUT_JSON_DIGITS_MAX;
}

/* buffer.c: cell texts of the rows not yet dropped. */
struct output_block;
struct output_arena {
	struct output_block *head, *spare;
};

char *output_arena_alloc(struct output_arena *a, size_t n);
char *output_arena_strndup(struct output_arena *a, const char *s, size_t n);
void output_arena_reset(struct output_arena *a);
void output_arena_free(struct output_arena *a);

struct output_cell {
	enum knet_cell_type type;
	enum knet_tone tone;
	long long i;
	double d;
	/* s, text and list live in the table's arena, never freed alone */
	char *s;    /* STR text (raw, for JSON) */
	char *text; /* table text, escaped for a terminal (STR, STRLIST, JSON) */
	char **list; /* STRLIST; USECLIST: JSON numbers or "null" */
	int nlist;
	cJSON *json; /* JSON, or the value of a typed column set by set_json */
};

struct knet_table {
	const struct knet_column *cols;
	int ncols;
	struct knet_output_opts opts;
	struct output_cell *cells; /* nrows * ncols */
	int nrows, cap;
	int error; /* the first failed setter: rendering returns it */
	/* Per column, for one line at a time (see output_line_texts). */
	const char **texts;
	enum knet_tone *tones;
	char (*nums)[OUTPUT_NUM_BUF];
	/* Streams */
	int *stream_widths;  /* NULL until the first row */
	bool stream_headers; /* knet_table_stream_header() asked for them */
	bool header_pending; /* printed above the next row */
	bool flush;	     /* after every streamed row (see stream.c) */
	struct output_arena arena;
	struct output_buf line; /* a streamed row, rendered */
	struct output_buf keys; /* JSON: every column's `,"key":` (json.c) */
	size_t *key_ends;	/* where column i's ends in keys */
	/* The same, each with a null: a run of missing cells is one copy */
	struct output_buf nulls;
	size_t *null_ends; /* in key_ends' allocation */
	/* A direct row (direct.c) being set: written as it goes. */
	bool direct;
	int direct_next;     /* the first column not set yet */
	size_t direct_start; /* where the row starts in t->line */
	int direct_error;    /* the row's first failure: it is dropped */
	/* The JSON document's members beside "items" (an object or NULL). */
	cJSON *members;
};

/* table.c */
void output_drop_rows(struct knet_table *t);

/* format.c: whether column @i shows in table/wide output. */
bool output_col_visible(const struct knet_table *t, int i);
/* The escape sequence of a tone, or NULL for none. */
const char *output_tone_code(enum knet_tone tone);

/*
 * text.c: the table text of every visible column of @row into t->texts
 * (NULL for hidden ones) and t->tones.  @missing is what a missing cell
 * prints ("<none>" in tables, "-" in streams).
 */
void output_line_texts(const struct knet_table *t, int row,
		       const char *missing);
/* One aligned line of t->texts with @widths, appended to @b. */
int output_print_line(const struct knet_table *t, const int *widths,
		      bool header, struct output_buf *b);
/* Write out and empty @b. */
int output_buf_write(struct output_buf *b, FILE *out);
/* The display width of @s, fast for ASCII. */
int output_width(const char *s);
/* t->texts set to the headers. */
void output_header_texts(const struct knet_table *t);
int output_render_text(const struct knet_table *t);
int output_render_names(const struct knet_table *t);

/* json.c */
int output_render_json(const struct knet_table *t);
/* Print @json on one line (JSON Lines). */
int output_json_line(FILE *out, const cJSON *json);
/*
 * Row @row as one JSON Lines object appended to t->line, written by
 * hand: the same bytes output_json_line() prints for
 * knet_table_row_json(), without building the object.
 */
int output_row_json(struct knet_table *t, int row);

/* JSON strings and cells as output_row_json() writes them, onto @b. */
int output_json_string(struct output_buf *b, const char *str);

int output_json_cell(struct output_buf *b, const struct output_cell *c);
/* Zero bytes after t->keys and t->nulls (see direct.c). */
#define OUTPUT_KEY_PAD 16
/* Each JSON column's `,"key":` into t->keys (and with null into
 * t->nulls), once per table. */
int output_json_keys(struct knet_table *t);

/*
 * direct.c: in a direct row, the key of @col (and nulls for the columns
 * skipped), checked against @type; 1 when @col is not in JSON (drop the
 * value), 0 when its value is to be appended to t->line, or the error.
 */
int output_direct_key(struct knet_table *t, int col, enum knet_cell_type type);
/* The same with the value: a string, a whole number of an INT type. */
/* @s of @len bytes, NUL-terminated. */
int output_direct_strn(struct knet_table *t, int col, const char *s,
		       size_t len);
int output_direct_int(struct knet_table *t, int col, enum knet_cell_type type,
		      long long v);
/* One string of a list, its key written already; 0 or -ENOMEM. */
int output_direct_item(struct knet_table *t, const char *s);
int output_direct_fail(struct knet_table *t, int r);
/* Close the direct row; written out when the block is full. */
int output_direct_end(struct knet_table *t);
/* The finished direct rows to stdio now. */
int output_direct_out(struct knet_table *t);

/* escape.c: length of the valid UTF-8 sequence at @p (1..4), or 0. */
int output_utf8_seq(const unsigned char *p);

/*
 * Whether the @n bytes of @s go into a JSON string as they are: all
 * printable ASCII but " and \\, checked 16 or 8 at a time.  Most strings
 * (addresses, names, states) are, and go out in one copy.  Inline: the
 * direct rows call it for every string.
 */
/* A byte's high bit when it is >= 0x80, 0x7f, < 0x20, '"' or '\\'. */
static inline uint64_t json_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	/*
	 * >= 0x80: w; 0x7f: w + 1; the rest are zero bytes of w - 0x20, q,
	 * bs (a borrow only runs up from a byte already found).
	 */
	return (w | (w + ones) | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
		((bs - ones) & ~bs)) &
	       (ones * 0x80);
}

#ifdef __SSE2__
/* Whether any of the 16 bytes at @p is special (as json_special()). */
static inline bool json_special16(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	/* signed: bytes >= 0x80 are below 0x20 too */
	__m128i m = _mm_or_si128(
		_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))),
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return _mm_movemask_epi8(m) != 0;
}
#endif

static inline bool output_json_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t w;

	if (n < 8) {
		for (; n; p++, n--)
			if ((unsigned char)(*p - 0x20) >= 0x5f || *p == '"' ||
			    *p == '\\')
				return false;
		return true;
	}
#ifdef __SSE2__
	/* Sixteen bytes at a time, the last sixteen overlapping. */
	if (n >= 16) {
		for (; n > 16; p += 16, n -= 16)
			if (json_special16(p))
				return false;
		return !json_special16(p + n - 16);
	}
#endif
	/* Eight bytes at a time, the last eight overlapping if need be. */
	for (; n > 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		if (json_special(w))
			return false;
	}
	memcpy(&w, p + n - 8, 8);
	return !json_special(w);
}

#endif
