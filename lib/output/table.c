/* SPDX-License-Identifier: MIT */
/*
 * The one printing layer: rows of typed cells rendered as an aligned
 * table or as JSON.  Commands never format output themselves.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "knet/output.h"

struct cell {
	enum knet_cell_type type;
	enum knet_tone tone;
	long long i;
	double d;
	char *s;     /* STR text; JSON table text */
	char **list; /* STRLIST */
	int nlist;
	cJSON *json; /* JSON */
};

struct knet_table {
	const struct knet_column *cols;
	int ncols;
	struct knet_output_opts opts;
	struct cell *cells; /* nrows * ncols */
	int nrows, cap;
	int streamed_rows; /* rows already printed by stream_row */
	int *stream_widths;
	bool header_pending; /* printed with the first row, to fit it */
};

int knet_format_parse(const char *s, enum knet_format *ret_format)
{
	static const struct {
		const char *name;
		enum knet_format f;
	} map[] = {
		{"table", KNET_FMT_TABLE},
		{"wide", KNET_FMT_WIDE},
		{"json", KNET_FMT_JSON},
		{"name", KNET_FMT_NAME},
	};
	size_t i;

	for (i = 0; s && i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(s, map[i].name) == 0) {
			*ret_format = map[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

int knet_color_parse(const char *s, enum knet_color_mode *ret_mode)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "auto") == 0)
		*ret_mode = KNET_COLOR_AUTO;
	else if (strcmp(s, "always") == 0)
		*ret_mode = KNET_COLOR_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*ret_mode = KNET_COLOR_NEVER;
	else
		return -EINVAL;
	return 0;
}

bool knet_color_wanted(enum knet_color_mode mode, int fd)
{
	const char *no_color = getenv("NO_COLOR");

	if (no_color && *no_color)
		return false;
	if (mode == KNET_COLOR_ALWAYS)
		return true;
	if (mode == KNET_COLOR_NEVER)
		return false;
	if (!isatty(fd))
		return false;
	{
		const char *term = getenv("TERM");

		return !(term && strcmp(term, "dumb") == 0);
	}
}

int knet_table_new(const struct knet_column *cols,
		   const struct knet_output_opts *opts,
		   struct knet_table **ret_table)
{
	struct knet_table *t;
	int n = 0;

	while (cols[n].header)
		n++;
	if (n == 0)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cols = cols;
	t->ncols = n;
	t->opts = *opts;
	if (!t->opts.out)
		t->opts.out = stdout;
	*ret_table = t;
	return 0;
}

static void cell_clear(struct cell *c)
{
	int i;

	free(c->s);
	for (i = 0; i < c->nlist; i++)
		free(c->list[i]);
	free(c->list);
	cJSON_Delete(c->json);
	memset(c, 0, sizeof(*c));
}

static void drop_rows(struct knet_table *t)
{
	int i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		cell_clear(&t->cells[i]);
	t->nrows = 0;
}

void knet_table_free(struct knet_table *t)
{
	if (!t)
		return;
	drop_rows(t);
	free(t->cells);
	free(t->stream_widths);
	free(t);
}

int knet_table_nrows(const struct knet_table *t)
{
	return t->nrows;
}

int knet_table_add_row(struct knet_table *t)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		struct cell *c;

		c = realloc(t->cells, sizeof(*c) * (size_t)cap * t->ncols);
		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	memset(&t->cells[t->nrows * t->ncols], 0,
	       sizeof(struct cell) * t->ncols);
	t->nrows++;
	return 0;
}

/* The cell @col of the current (last) row, cleared for a new value. */
static struct cell *cur(struct knet_table *t, int col)
{
	struct cell *c;

	if (t->nrows == 0 || col < 0 || col >= t->ncols)
		return NULL;
	c = &t->cells[(t->nrows - 1) * t->ncols + col];
	cell_clear(c);
	return c;
}

static int set_num(struct knet_table *t, int col, enum knet_cell_type type,
		   long long i, double d)
{
	struct cell *c = cur(t, col);

	if (!c)
		return -EINVAL;
	c->type = type;
	c->i = i;
	c->d = d;
	return 0;
}

int knet_table_set_str(struct knet_table *t, int col, const char *s)
{
	struct cell *c;

	if (!s)
		return knet_table_set_none(t, col);
	c = cur(t, col);
	if (!c)
		return -EINVAL;
	c->s = strdup(s);
	if (!c->s)
		return -ENOMEM;
	c->type = KNET_CELL_STR;
	return 0;
}

int knet_table_set_strf(struct knet_table *t, int col, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = knet_table_set_str(t, col, s);
	free(s);
	return r;
}

int knet_table_set_int(struct knet_table *t, int col, long long v)
{
	return set_num(t, col, KNET_CELL_INT, v, 0);
}

int knet_table_set_bool(struct knet_table *t, int col, bool v)
{
	return set_num(t, col, KNET_CELL_BOOL, v, 0);
}

int knet_table_set_age(struct knet_table *t, int col, long long epoch)
{
	return set_num(t, col, KNET_CELL_AGE, epoch, 0);
}

int knet_table_set_usec(struct knet_table *t, int col, long long usec)
{
	return set_num(t, col, KNET_CELL_USEC, usec, 0);
}

int knet_table_set_bytes(struct knet_table *t, int col, long long bytes)
{
	return set_num(t, col, KNET_CELL_BYTES, bytes, 0);
}

int knet_table_set_percent(struct knet_table *t, int col, double pct)
{
	return set_num(t, col, KNET_CELL_PERCENT, 0, pct);
}

int knet_table_set_none(struct knet_table *t, int col)
{
	return set_num(t, col, KNET_CELL_NONE, 0, 0);
}

int knet_table_set_strlist(struct knet_table *t, int col,
			   const char *const *items, int n)
{
	struct cell *c = cur(t, col);
	int i;

	if (!c || n < 0)
		return -EINVAL;
	c->type = KNET_CELL_STRLIST;
	if (n == 0)
		return 0;
	c->list = calloc((size_t)n, sizeof(char *));
	if (!c->list)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		c->list[i] = strdup(items[i] ? items[i] : "");
		if (!c->list[i])
			return -ENOMEM;
		c->nlist++;
	}
	return 0;
}

int knet_table_set_json(struct knet_table *t, int col, cJSON *json,
			const char *text)
{
	struct cell *c = cur(t, col);

	if (!c) {
		cJSON_Delete(json);
		return -EINVAL;
	}
	c->type = KNET_CELL_JSON;
	c->json = json;
	c->s = text ? strdup(text) : cJSON_PrintUnformatted(json);
	return c->s ? 0 : -ENOMEM;
}

void knet_table_set_tone(struct knet_table *t, int col, enum knet_tone tone)
{
	if (t->nrows == 0 || col < 0 || col >= t->ncols)
		return;
	t->cells[(t->nrows - 1) * t->ncols + col].tone = tone;
}

/* The table text of a cell, humanised; written into @buf or returned. */
static const char *cell_text(const struct knet_table *t, const struct cell *c,
			     char *buf, size_t len)
{
	time_t now = t->opts.now ? t->opts.now : time(NULL);
	size_t off = 0;
	int i;

	switch (c->type) {
	case KNET_CELL_NONE:
		return "<none>";
	case KNET_CELL_STR:
	case KNET_CELL_JSON:
		return c->s;
	case KNET_CELL_INT:
		snprintf(buf, len, "%lld", c->i);
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
		if (c->nlist == 0)
			return "<none>";
		buf[0] = '\0';
		for (i = 0; i < c->nlist && off + 1 < len; i++) {
			int w = snprintf(buf + off, len - off, "%s%s",
					 i ? "," : "", c->list[i]);

			if (w < 0)
				break;
			off += (size_t)w;
		}
		return buf;
	}
	return "";
}

static cJSON *cell_json(const struct cell *c)
{
	cJSON *a;
	int i;

	switch (c->type) {
	case KNET_CELL_NONE:
		return cJSON_CreateNull();
	case KNET_CELL_STR:
		return cJSON_CreateString(c->s);
	case KNET_CELL_INT:
	case KNET_CELL_AGE:
	case KNET_CELL_USEC:
	case KNET_CELL_BYTES:
		return cJSON_CreateNumber((double)c->i);
	case KNET_CELL_PERCENT:
		return cJSON_CreateNumber(c->d);
	case KNET_CELL_BOOL:
		return cJSON_CreateBool(c->i != 0);
	case KNET_CELL_STRLIST:
		a = cJSON_CreateArray();
		for (i = 0; a && i < c->nlist; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(c->list[i]));
		return a;
	case KNET_CELL_JSON:
		return cJSON_Duplicate(c->json, 1);
	}
	return cJSON_CreateNull();
}

cJSON *knet_table_row_json(const struct knet_table *t, int row)
{
	cJSON *o;
	int i;

	if (row < 0 || row >= t->nrows)
		return NULL;
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	for (i = 0; i < t->ncols; i++) {
		const struct knet_column *col = &t->cols[i];

		if ((col->flags & KNET_COL_NOJSON) || !col->json_key)
			continue;
		cJSON_AddItemToObject(o, col->json_key,
				      cell_json(&t->cells[row * t->ncols + i]));
	}
	return o;
}

static bool col_visible(const struct knet_table *t, int i)
{
	unsigned f = t->cols[i].flags;

	if (f & KNET_COL_NOTABLE)
		return false;
	if ((f & KNET_COL_WIDE) && t->opts.format != KNET_FMT_WIDE)
		return false;
	return true;
}

static const char *tone_code(enum knet_tone tone)
{
	switch (tone) {
	case KNET_TONE_GOOD:
		return "\033[32m";
	case KNET_TONE_WARN:
		return "\033[33m";
	case KNET_TONE_BAD:
		return "\033[31m";
	case KNET_TONE_DIM:
		return "\033[2m";
	default:
		return NULL;
	}
}

/* One aligned line; @texts[i] NULL for hidden columns. */
static void print_line(const struct knet_table *t, const char *const *texts,
		       const enum knet_tone *tones, const int *widths,
		       bool header)
{
	FILE *f = t->opts.out;
	int i, last = -1;

	for (i = 0; i < t->ncols; i++)
		if (texts[i])
			last = i;
	for (i = 0; i < t->ncols; i++) {
		const char *code = NULL;
		int pad;

		if (!texts[i])
			continue;
		if (t->opts.color)
			code = header ? "\033[1m" : tone_code(tones[i]);
		pad = widths[i] - knet_utf8_width(texts[i]);
		if (pad < 0)
			pad = 0;
		if (t->cols[i].flags & KNET_COL_RIGHT)
			fprintf(f, "%*s", pad, "");
		fprintf(f, "%s%s%s", code ? code : "", texts[i],
			code ? "\033[0m" : "");
		if (i == last)
			break;
		if (!(t->cols[i].flags & KNET_COL_RIGHT))
			fprintf(f, "%*s", pad, "");
		fputs("   ", f);
	}
	fputc('\n', f);
}

#define CELL_BUF 4096

static int render_text(const struct knet_table *t)
{
	const char **texts = NULL;
	enum knet_tone *tones = NULL;
	char *bufs = NULL;
	int *widths = NULL, r = -ENOMEM, row, i;

	texts = calloc((size_t)t->ncols, sizeof(*texts));
	tones = calloc((size_t)t->ncols, sizeof(*tones));
	widths = calloc((size_t)t->ncols, sizeof(*widths));
	bufs = malloc((size_t)t->ncols * CELL_BUF);
	if (!texts || !tones || !widths || !bufs)
		goto out;
	for (i = 0; i < t->ncols; i++)
		if (col_visible(t, i) && !t->opts.no_headers)
			widths[i] = knet_utf8_width(t->cols[i].header);
	for (row = 0; row < t->nrows; row++)
		for (i = 0; i < t->ncols; i++) {
			const char *s;
			int w;

			if (!col_visible(t, i))
				continue;
			s = cell_text(t, &t->cells[row * t->ncols + i],
				      bufs + (size_t)i * CELL_BUF, CELL_BUF);
			w = knet_utf8_width(s);
			if (w > widths[i])
				widths[i] = w;
		}
	if (!t->opts.no_headers) {
		for (i = 0; i < t->ncols; i++)
			texts[i] = col_visible(t, i) ? t->cols[i].header : NULL;
		print_line(t, texts, tones, widths, true);
	}
	for (row = 0; row < t->nrows; row++) {
		for (i = 0; i < t->ncols; i++) {
			const struct cell *c = &t->cells[row * t->ncols + i];

			texts[i] =
				col_visible(t, i)
					? cell_text(t, c,
						    bufs + (size_t)i * CELL_BUF,
						    CELL_BUF)
					: NULL;
			tones[i] = c->tone;
		}
		print_line(t, texts, tones, widths, false);
	}
	r = 0;
out:
	free(texts);
	free(tones);
	free(widths);
	free(bufs);
	return r;
}

static int render_names(const struct knet_table *t)
{
	int row, i, name_col = -1;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].flags & KNET_COL_NAME)
			name_col = i;
	if (name_col < 0)
		return -EINVAL;
	for (row = 0; row < t->nrows; row++) {
		char buf[CELL_BUF];
		const char *s =
			cell_text(t, &t->cells[row * t->ncols + name_col], buf,
				  sizeof(buf));

		if (t->opts.kind)
			fprintf(t->opts.out, "%s/%s\n", t->opts.kind, s);
		else
			fprintf(t->opts.out, "%s\n", s);
	}
	return 0;
}

/* "pod" -> "PodList", the kind of a JSON list document. */
static cJSON *list_document(const struct knet_table *t, cJSON *items)
{
	cJSON *doc = cJSON_CreateObject();
	char kind[64];

	if (!doc)
		return NULL;
	if (t->opts.kind) {
		snprintf(kind, sizeof(kind), "%sList", t->opts.kind);
		if (kind[0] >= 'a' && kind[0] <= 'z')
			kind[0] = (char)(kind[0] - 'a' + 'A');
		cJSON_AddStringToObject(doc, "kind", kind);
	}
	cJSON_AddItemToObject(doc, "items", items);
	return doc;
}

int knet_json_print(FILE *out, const cJSON *json)
{
	char *s = cJSON_Print(json);

	if (!s)
		return -ENOMEM;
	fputs(s, out);
	fputc('\n', out);
	free(s);
	return ferror(out) ? -EIO : 0;
}

static int render_json(const struct knet_table *t)
{
	cJSON *items = cJSON_CreateArray(), *doc;
	int row, r;

	if (!items)
		return -ENOMEM;
	for (row = 0; row < t->nrows; row++) {
		cJSON *o = knet_table_row_json(t, row);

		if (!o) {
			cJSON_Delete(items);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(items, o);
	}
	doc = list_document(t, items);
	if (!doc) {
		cJSON_Delete(items);
		return -ENOMEM;
	}
	r = knet_json_print(t->opts.out, doc);
	cJSON_Delete(doc);
	return r;
}

int knet_table_render(const struct knet_table *t)
{
	int r;

	switch (t->opts.format) {
	case KNET_FMT_JSON:
		r = render_json(t);
		break;
	case KNET_FMT_NAME:
		r = render_names(t);
		break;
	default:
		r = render_text(t);
		break;
	}
	if (r == 0 && fflush(t->opts.out) != 0)
		r = -errno;
	return r;
}

static int stream_widths(struct knet_table *t)
{
	int i;

	if (t->stream_widths)
		return 0;
	t->stream_widths = calloc((size_t)t->ncols, sizeof(int));
	if (!t->stream_widths)
		return -ENOMEM;
	for (i = 0; i < t->ncols; i++) {
		int w = knet_utf8_width(t->cols[i].header);

		t->stream_widths[i] =
			w > t->cols[i].width ? w : t->cols[i].width;
	}
	return 0;
}

/*
 * The header of a stream waits for the first row: its columns are then
 * as wide as that row needs (a summary is usually one row), and later
 * rows only widen a column when they must.
 */
int knet_table_stream_header(struct knet_table *t)
{
	if (t->opts.format == KNET_FMT_JSON ||
	    t->opts.format == KNET_FMT_NAME || t->opts.no_headers)
		return 0;
	if (t->ncols > 64)
		return -E2BIG;
	t->header_pending = true;
	return stream_widths(t);
}

static void print_pending_header(struct knet_table *t)
{
	const char *texts[64];
	enum knet_tone tones[64] = {0};
	int i;

	if (!t->header_pending)
		return;
	t->header_pending = false;
	for (i = 0; i < t->ncols; i++)
		texts[i] = col_visible(t, i) ? t->cols[i].header : NULL;
	print_line(t, texts, tones, t->stream_widths, true);
}

int knet_table_stream_row(struct knet_table *t)
{
	int r = 0, i;

	if (t->nrows == 0)
		return -EINVAL;
	if (t->opts.format == KNET_FMT_JSON) {
		cJSON *o = knet_table_row_json(t, t->nrows - 1);
		char *s = o ? cJSON_PrintUnformatted(o) : NULL;

		if (s)
			fprintf(t->opts.out, "%s\n", s);
		else
			r = -ENOMEM;
		free(s);
		cJSON_Delete(o);
	} else if (t->opts.format == KNET_FMT_NAME) {
		r = render_names(t);
	} else {
		const char *texts[64];
		enum knet_tone tones[64];
		char bufs[64][256];
		const struct cell *row;

		if (t->ncols > 64)
			return -E2BIG;
		r = stream_widths(t);
		if (r < 0)
			return r;
		row = &t->cells[(t->nrows - 1) * t->ncols];
		for (i = 0; i < t->ncols; i++) {
			texts[i] = col_visible(t, i)
					   ? cell_text(t, &row[i], bufs[i],
						       sizeof(bufs[i]))
					   : NULL;
			tones[i] = row[i].tone;
			if (texts[i] &&
			    knet_utf8_width(texts[i]) > t->stream_widths[i])
				t->stream_widths[i] = knet_utf8_width(texts[i]);
		}
		print_pending_header(t);
		print_line(t, texts, tones, t->stream_widths, false);
	}
	drop_rows(t);
	t->streamed_rows++;
	if (r == 0 && fflush(t->opts.out) != 0)
		r = -errno;
	return r;
}
