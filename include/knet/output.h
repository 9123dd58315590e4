/* SPDX-License-Identifier: MIT */
#ifndef KNET_OUTPUT_H
#define KNET_OUTPUT_H

/*
 * The one printing layer.  A command declares its columns once, adds rows
 * of typed cells, and the layer renders them as an aligned table
 * (`table`, `wide`, `--no-headers`), as JSON (`json`: one document), as
 * names (`name`), or, for streams, one line / one JSON object per event.
 *
 * Cells carry raw values (microseconds, bytes, seconds since the epoch);
 * tables humanise them, JSON keeps them raw.  No command formats JSON by
 * hand.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "knet/base.h"

enum knet_format {
	KNET_FMT_TABLE,
	KNET_FMT_WIDE,
	KNET_FMT_JSON,
	KNET_FMT_NAME,
};

/* Parse "table|wide|json|name"; -EINVAL on anything else. */
int knet_format_parse(const char *s, enum knet_format *ret_format);

enum knet_color_mode {
	KNET_COLOR_AUTO,
	KNET_COLOR_ALWAYS,
	KNET_COLOR_NEVER,
};

int knet_color_parse(const char *s, enum knet_color_mode *ret_mode);

/*
 * Whether to colour a stream: never with NO_COLOR set (any value, see
 * no-color.org), always/never as asked, else only on a terminal.
 */
bool knet_color_wanted(enum knet_color_mode mode, int fd);

/*
 * What a cell holds.  A column declares one type; its setter must match
 * (knet_table_set_int() on a KNET_CELL_INT column, and so on), so a
 * column is always the same JSON type and tables humanise it the same
 * way.  Any cell may be left missing (KNET_CELL_NONE).
 */
enum knet_cell_type {
	KNET_CELL_NONE,	   /* missing: "<none>" in tables, null in JSON */
	KNET_CELL_STR,	   /* text */
	KNET_CELL_INT,	   /* signed whole number */
	KNET_CELL_BOOL,	   /* true/false */
	KNET_CELL_AGE,	   /* seconds since the epoch; table: "5m" age */
	KNET_CELL_USEC,	   /* microseconds; table: "1.234ms" */
	KNET_CELL_BYTES,   /* bytes; table: "1.5KiB" */
	KNET_CELL_PERCENT, /* double 0..100; table: "12.5%" */
	KNET_CELL_STRLIST, /* JSON array of strings; table: "a,b" */
	KNET_CELL_JSON,	   /* any JSON (owned); table: its text form */
	/* microseconds, null where none; table: "1.2ms  60us  *" */
	KNET_CELL_USECLIST,
};

/* A hint for colour; drawn only when colour is on. */
enum knet_tone {
	KNET_TONE_PLAIN,
	KNET_TONE_GOOD,
	KNET_TONE_WARN,
	KNET_TONE_BAD,
	KNET_TONE_DIM,
};

enum knet_col_flags {
	KNET_COL_WIDE = 1 << 0,	   /* only in `wide` (always in JSON) */
	KNET_COL_RIGHT = 1 << 1,   /* right-align (numbers) */
	KNET_COL_NAME = 1 << 2,	   /* the object name, for `-o name` */
	KNET_COL_NOJSON = 1 << 3,  /* table only (a humanised duplicate) */
	KNET_COL_NOTABLE = 1 << 4, /* JSON only (nested detail) */
};

/*
 * One column, declared once: header, JSON key, type, visibility and
 * alignment.  Commands index their column arrays with an enum and
 * designated initialisers (`[COL_NAME] = {...}`), so the order of the
 * enum is the only order there is; a gap leaves a NULL header, which
 * ends the list early and makes every later setter fail.
 */
struct knet_column {
	const char *header;   /* "NAME"; NULL ends the list */
	const char *json_key; /* "name" */
	enum knet_cell_type type;
	unsigned flags;
	/* Streams: the width the data usually needs (see stream.c). */
	int width;
};

struct knet_table;

struct knet_output_opts {
	enum knet_format format;
	bool no_headers;
	bool color;
	FILE *out;
	const char *kind; /* "pod": `-o name` prints "pod/NAME" */
	time_t now;	  /* for ages; 0 means time(NULL) */
	/*
	 * Streams: flush after every row.  Always on a terminal; elsewhere
	 * rows are written in large blocks (100,000 rows, one write(2)
	 * each, cost more than making them) and a command that waits calls
	 * knet_table_stream_flush() before it does.
	 */
	bool flush;
};

/* A table bound to its column declaration (which must outlive it). */
int knet_table_new(const struct knet_column *cols,
		   const struct knet_output_opts *opts,
		   struct knet_table **ret_table);
void knet_table_free(struct knet_table *t);

/*
 * Start a row, then set its cells by column index.  Unset cells are
 * KNET_CELL_NONE.  Setting a cell twice replaces it.  A setter that does
 * not match the column's declared type, a column out of range or no
 * memory returns -EINVAL / -ENOMEM, leaves the cell missing and is
 * remembered: rendering the table then fails with that error instead of
 * printing a table with holes nobody sees.
 */
int knet_table_add_row(struct knet_table *t);
int knet_table_set_str(struct knet_table *t, int col, const char *s);
/* The same when the length is known: @s has @len bytes and a NUL. */
int knet_table_set_strn(struct knet_table *t, int col, const char *s,
			size_t len);
int knet_table_set_strf(struct knet_table *t, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int knet_table_set_int(struct knet_table *t, int col, long long v);
int knet_table_set_bool(struct knet_table *t, int col, bool v);
int knet_table_set_age(struct knet_table *t, int col, long long epoch);
int knet_table_set_usec(struct knet_table *t, int col, long long usec);
int knet_table_set_bytes(struct knet_table *t, int col, long long bytes);
int knet_table_set_percent(struct knet_table *t, int col, double pct);
int knet_table_set_strlist(struct knet_table *t, int col,
			   const char *const *items, int n);
/*
 * A KNET_CELL_USECLIST cell: @n times in microseconds, a negative one
 * null (no answer).  Made without cJSON, which a table needs nowhere
 * else (traceroute's RTTs: lib/lazy then never loads it).
 */
int knet_table_set_usec_list(struct knet_table *t, int col, const long long *us,
			     int n);
/*
 * Takes ownership of @json; @text is its table form (NULL: printed JSON).
 * On a KNET_CELL_JSON column any value; on another column a value of
 * that column's JSON shape with a table text of its own (a string on a
 * STR column, an array of strings on a STRLIST column, a number, a bool).
 */
int knet_table_set_json(struct knet_table *t, int col, cJSON *json,
			const char *text);
int knet_table_set_none(struct knet_table *t, int col);
void knet_table_set_tone(struct knet_table *t, int col, enum knet_tone tone);

int knet_table_nrows(const struct knet_table *t);
/* The column declaration @t was made with. */
const struct knet_column *knet_table_columns(const struct knet_table *t);

/*
 * Render the whole table: aligned text, or a JSON document
 * {"kind":"<kind>List","items":[...]} when @opts->kind is set, else a
 * bare array.
 */
int knet_table_render(const struct knet_table *t);
/*
 * A member of the JSON document beside "items" (a fan-out's "errors"):
 * @item is the table's from now on, also when this fails (-ENOMEM); a
 * second one of @key replaces the first.  Text formats ignore it.
 */
int knet_table_add_member(struct knet_table *t, const char *key, cJSON *item);

/*
 * Streams: print the current (last) row now, as one line or one JSON
 * object (JSON Lines), and drop it.  Later rows are unknown, so a column
 * starts as wide as its header, its declared width and the first row;
 * a missing cell prints "-" (not "<none>" on every line).  When a later
 * cell is wider, its column grows for good and, unless --no-headers, the
 * header is printed again above that row, so that every row lines up
 * with the header above it.  The last column never forces this: nothing
 * follows it.
 */
int knet_table_stream_header(struct knet_table *t);
int knet_table_stream_row(struct knet_table *t);
/*
 * A streamed row for streams of very many rows (a conntrack table):
 * like knet_table_add_row(), but in JSON each cell is written out as it
 * is set and nothing is kept, so the cells must be set in column order
 * (one set out of order, or twice, fails the row with -EINVAL; tones
 * are ignored).  End it with knet_table_stream_row().  The bytes are
 * those of an ordinary streamed row; rows go to stdio in large blocks,
 * and knet_table_stream_flush(), knet_table_render() and
 * knet_table_free() write out what is pending first.  Another table
 * printing to the same stream must flush this one before it prints.
 */
int knet_table_add_row_direct(struct knet_table *t);
/*
 * What the streamed rows so far have left in the stdio buffer, out now:
 * for a command about to wait (for events, for the next probe), so that
 * a pipe reads every row as it comes without a write(2) per row.
 */
int knet_table_stream_flush(struct knet_table *t);

/* The current row as a JSON object (owned by the caller). */
cJSON *knet_table_row_json(const struct knet_table *t, int row);

/*
 * Print a single JSON value (a document) to @out, pretty, with a final
 * newline.  For "details" outputs such as `version`.
 */
int knet_json_print(FILE *out, const cJSON *json);

/*
 * Terminal safety for text from outside: whether @s holds nothing a
 * terminal acts on, and a malloc'd copy (NULL on ENOMEM) where C0
 * controls (but newline with @keep_newline; a tab too, as it would
 * break a table's columns), DEL, C1 controls
 * and bytes that are not UTF-8 are written as "\xNN".  Valid UTF-8
 * (CJK, emoji) is kept as it is.
 */
bool knet_text_is_safe(const char *s, bool keep_newline);
char *knet_text_escape(const char *s, bool keep_newline);

#endif
