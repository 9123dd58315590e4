/* SPDX-License-Identifier: MIT */
/*
 * Rows of typed cells.  Every setter checks the column's declared type,
 * and text from outside is escaped for the terminal here, once, when it
 * is set: whatever renders the table later prints cell texts as they are.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output-internal.h"

int knet_table_new(const struct knet_column *cols,
		   const struct knet_output_opts *opts,
		   struct knet_table **ret_table)
{
	struct knet_table *t;
	int n = 0;

	for (; cols[n].header; n++)
		if (cols[n].type == KNET_CELL_NONE)
			return -EINVAL; /* every column says what it holds */
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
	t->flush = t->opts.flush || isatty(fileno(t->opts.out));
	t->texts = calloc((size_t)n, sizeof(*t->texts));
	t->tones = calloc((size_t)n, sizeof(*t->tones));
	t->nums = calloc((size_t)n, sizeof(*t->nums));
	if (!t->texts || !t->tones || !t->nums) {
		knet_table_free(t);
		return -ENOMEM;
	}
	*ret_table = t;
	return 0;
}

/* Texts stay in the arena until the rows are dropped. */
static void cell_clear(struct output_cell *c)
{
	cJSON_Delete(c->json);
	memset(c, 0, sizeof(*c));
}

void output_drop_rows(struct knet_table *t)
{
	int i;

	/* Only JSON values own memory; knet_table_add_row() clears rows. */
	for (i = 0; i < t->nrows * t->ncols; i++)
		if (t->cells[i].json)
			cell_clear(&t->cells[i]);
	t->nrows = 0;
	output_arena_reset(&t->arena);
}

void knet_table_free(struct knet_table *t)
{
	if (!t)
		return;
	t->direct = false; /* an unfinished row is dropped */
	output_direct_out(t);
	output_drop_rows(t);
	free(t->cells);
	free(t->texts);
	free(t->tones);
	free(t->nums);
	free(t->stream_widths);
	output_arena_free(&t->arena);
	output_buf_free(&t->line);
	output_buf_free(&t->keys);
	output_buf_free(&t->nulls);
	free(t->key_ends);
	/* Only when there are: the forwarder's page is far from the
	 * streaming path's (scripts/link-order). */
	if (t->members)
		cJSON_Delete(t->members);
	free(t);
}

int knet_table_add_member(struct knet_table *t, const char *key, cJSON *item)
{
	if (!item)
		return -ENOMEM;
	if (!t->members && !(t->members = cJSON_CreateObject())) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(t->members, key);
	cJSON_AddItemToObject(t->members, key, item);
	return 0;
}

int knet_table_nrows(const struct knet_table *t)
{
	return t->nrows;
}

const struct knet_column *knet_table_columns(const struct knet_table *t)
{
	return t->cols;
}

/* Remember the first failure: rendering reports it. */
static int fail(struct knet_table *t, int r)
{
	if (!t->error)
		t->error = r;
	return r;
}

int knet_table_add_row(struct knet_table *t)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		struct output_cell *c;

		if (t->cap > INT32_MAX / 2 / t->ncols)
			return fail(t, -ENOMEM);
		c = realloc(t->cells, sizeof(*c) * (size_t)cap * t->ncols);
		if (!c)
			return fail(t, -ENOMEM);
		t->cells = c;
		t->cap = cap;
	}
	memset(&t->cells[t->nrows * t->ncols], 0,
	       sizeof(struct output_cell) * t->ncols);
	t->nrows++;
	return 0;
}

/*
 * The cell @col of the current (last) row, cleared for a value of
 * @type; NULL (and the table's error set) when there is no such cell or
 * the column holds another type.
 */
static struct output_cell *cur(struct knet_table *t, int col,
			       enum knet_cell_type type)
{
	struct output_cell *c;

	if (t->nrows == 0 || col < 0 || col >= t->ncols ||
	    (type != KNET_CELL_NONE && type != t->cols[col].type)) {
		fail(t, -EINVAL);
		return NULL;
	}
	c = &t->cells[(t->nrows - 1) * t->ncols + col];
	if (c->type != KNET_CELL_NONE || c->json || c->tone)
		cell_clear(c); /* a fresh cell is clear already */
	return c;
}

/* Printable ASCII (and tab) only: the common case, safe as it is. */
static bool plain_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];

		if ((b < 0x20 && b != '\t') || b >= 0x7f)
			return false;
	}
	return true;
}

/*
 * @c's table text: @raw (of @len bytes, in the arena already when
 * @shared) escaped for a terminal.  Text that needs no escaping is
 * @raw itself, neither scanned twice nor copied.
 */
static int set_text(struct knet_table *t, struct output_cell *c,
		    const char *raw, size_t len, bool shared)
{
	char *esc = NULL;

	/* JSON prints the raw text (json.c escapes it): no table text. */
	if (t->opts.format == KNET_FMT_JSON)
		return 0;
	if (plain_ascii(raw, len) || knet_text_is_safe(raw, false)) {
		c->text = shared ? (char *)raw
				 : output_arena_strndup(&t->arena, raw, len);
	} else {
		esc = knet_text_escape(raw, false);
		c->text =
			esc ? output_arena_strndup(&t->arena, esc, strlen(esc))
			    : NULL;
		free(esc);
	}
	if (!c->text) {
		cell_clear(c);
		return fail(t, -ENOMEM);
	}
	return 0;
}

/* A direct row's value (direct.c): written now, kept nowhere. */
static int direct_cell(struct knet_table *t, int col,
		       const struct output_cell *c)
{
	int r = output_direct_key(t, col, c->type);

	if (r > 0)
		return 0;
	if (r == 0)
		r = output_json_cell(&t->line, c);
	return r < 0 ? output_direct_fail(t, r) : 0;
}

static int set_num(struct knet_table *t, int col, enum knet_cell_type type,
		   long long i, double d)
{
	struct output_cell *c;

	if (t->direct && type != KNET_CELL_PERCENT && type != KNET_CELL_NONE &&
	    type != KNET_CELL_BOOL)
		return output_direct_int(t, col, type, i);
	if (t->direct)
		return direct_cell(
			t, col,
			&(struct output_cell){.type = type, .i = i, .d = d});
	c = cur(t, col, type);
	if (!c)
		return -EINVAL;
	c->type = type;
	c->i = i;
	c->d = d;
	return 0;
}

int knet_table_set_str(struct knet_table *t, int col, const char *s)
{
	struct output_cell *c;
	size_t len;

	if (!s)
		return knet_table_set_none(t, col);
	if (t->direct)
		return output_direct_strn(t, col, s, strlen(s));
	c = cur(t, col, KNET_CELL_STR);
	if (!c)
		return -EINVAL;
	len = strlen(s);
	c->s = output_arena_strndup(&t->arena, s, len);
	if (!c->s)
		return fail(t, -ENOMEM);
	c->type = KNET_CELL_STR;
	return set_text(t, c, c->s, len, true);
}

int knet_table_set_strn(struct knet_table *t, int col, const char *s,
			size_t len)
{
	if (s && t->direct)
		return output_direct_strn(t, col, s, len);
	return knet_table_set_str(t, col, s);
}

int knet_table_set_strf(struct knet_table *t, int col, const char *fmt, ...)
{
	char small[256], *s = small;
	va_list ap;
	int r;

	/* Most texts fit on the stack; a longer one is formatted again. */
	va_start(ap, fmt);
	r = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (r >= (int)sizeof(small)) {
		va_start(ap, fmt);
		r = vasprintf(&s, fmt, ap);
		va_end(ap);
	}
	if (r < 0)
		return fail(t, -ENOMEM);
	r = knet_table_set_str(t, col, s);
	if (s != small)
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

/* "a,b,c": the table text of a list, in the arena; its length. */
static char *join(struct output_arena *a, char *const *items, int n,
		  size_t *ret_len)
{
	size_t len = 1, off = 0;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(items[i]) + 1;
	s = output_arena_alloc(a, len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t l = strlen(items[i]);

		if (i)
			s[off++] = ',';
		memcpy(s + off, items[i], l + 1);
		off += l;
	}
	*ret_len = off;
	return s;
}

static int direct_list(struct knet_table *t, int col, const char *const *items,
		       int n)
{
	int r = output_direct_key(t, col, KNET_CELL_STRLIST);

	if (r > 0)
		return 0;
	if (r == 0)
		r = output_buf_put(&t->line, "[", 1);
	for (int i = 0; r == 0 && i < n; i++) {
		if (i)
			r = output_buf_put(&t->line, ",", 1);
		if (r == 0)
			r = output_direct_item(t, items[i] ? items[i] : "");
	}
	if (r == 0)
		r = output_buf_put(&t->line, "]", 1);
	return r < 0 ? output_direct_fail(t, r) : 0;
}

int knet_table_set_strlist(struct knet_table *t, int col,
			   const char *const *items, int n)
{
	struct output_cell *c;
	char *text;
	size_t len;
	int i;

	if (n < 0)
		return fail(t, -EINVAL);
	if (t->direct)
		return direct_list(t, col, items, n);
	c = cur(t, col, KNET_CELL_STRLIST);
	if (!c)
		return -EINVAL;
	c->type = KNET_CELL_STRLIST;
	if (n == 0)
		return 0;
	c->list = (char **)output_arena_alloc(&t->arena,
					      (size_t)n * sizeof(char *));
	if (!c->list)
		goto oom;
	for (i = 0; i < n; i++) {
		const char *item = items[i] ? items[i] : "";

		c->list[i] =
			output_arena_strndup(&t->arena, item, strlen(item));
		if (!c->list[i])
			goto oom;
		c->nlist++;
	}
	if (t->opts.format == KNET_FMT_JSON)
		return 0; /* the list is all JSON prints */
	text = join(&t->arena, c->list, c->nlist, &len);
	if (!text)
		goto oom;
	return set_text(t, c, text, len, true);
oom:
	cell_clear(c);
	return fail(t, -ENOMEM);
}

int knet_table_set_usec_list(struct knet_table *t, int col, const long long *us,
			     int n)
{
	struct output_cell *c;
	size_t len = 0;
	char *text;
	int i;

	/* direct rows (conntrack) have no use for it */
	if (n < 0 || t->direct)
		return t->direct ? output_direct_fail(t, -EINVAL)
				 : fail(t, -EINVAL);
	c = cur(t, col, KNET_CELL_USECLIST);
	if (!c)
		return -EINVAL;
	c->type = KNET_CELL_USECLIST;
	if (n == 0)
		return 0;
	c->list = (char **)output_arena_alloc(&t->arena,
					      (size_t)n * sizeof(char *));
	/* "  " between items, each at most OUTPUT_NUM_BUF */
	text = output_arena_alloc(&t->arena, (size_t)n * (OUTPUT_NUM_BUF + 2));
	if (!c->list || !text)
		goto oom;
	text[0] = '\0';
	for (i = 0; i < n; i++) {
		char num[OUTPUT_NUM_BUF];
		int l = us[i] < 0 ? 0 : output_fmt_int(num, us[i]);

		c->list[i] = us[i] < 0 ? "null"
				       : output_arena_strndup(&t->arena, num,
							      (size_t)l);
		if (!c->list[i])
			goto oom;
		c->nlist++;
		if (us[i] < 0)
			snprintf(num, sizeof(num), "*");
		else
			knet_fmt_usec(us[i], num, sizeof(num));
		len += (size_t)snprintf(text + len, OUTPUT_NUM_BUF + 2, "%s%s",
					i ? "  " : "", num);
	}
	if (t->opts.format == KNET_FMT_JSON)
		return 0; /* the numbers are all JSON prints */
	return set_text(t, c, text, len, true);
oom:
	cell_clear(c);
	return fail(t, -ENOMEM);
}

/* Whether @json has the JSON shape of a column of @type. */
static bool json_fits(const cJSON *json, enum knet_cell_type type)
{
	const cJSON *e;

	switch (type) {
	case KNET_CELL_JSON:
		return true;
	case KNET_CELL_STR:
		return cJSON_IsString(json);
	case KNET_CELL_BOOL:
		return cJSON_IsBool(json);
	case KNET_CELL_STRLIST:
		if (!cJSON_IsArray(json))
			return false;
		cJSON_ArrayForEach(e, json)
		{
			if (!cJSON_IsString(e))
				return false;
		}
		return true;
	case KNET_CELL_NONE:
		return false;
	default:
		return cJSON_IsNumber(json);
	}
}

int knet_table_set_json(struct knet_table *t, int col, cJSON *json,
			const char *text)
{
	struct output_cell *c = NULL;
	char *printed = NULL;
	int r;

	if (t->direct && json && col >= 0 && col < t->ncols &&
	    json_fits(json, t->cols[col].type)) {
		r = direct_cell(t, col,
				&(struct output_cell){.type = KNET_CELL_JSON,
						      .json = json});
		cJSON_Delete(json);
		return r;
	}
	if (t->direct) {
		cJSON_Delete(json);
		return output_direct_fail(t, json ? -EINVAL : -ENOMEM);
	}
	if (json && t->nrows > 0 && col >= 0 && col < t->ncols &&
	    json_fits(json, t->cols[col].type))
		c = cur(t, col, t->cols[col].type);
	if (!c) {
		r = json ? -EINVAL : -ENOMEM; /* NULL: a cJSON_Create failed */
		fail(t, r);
		cJSON_Delete(json);
		return r;
	}
	c->type = KNET_CELL_JSON;
	c->json = json;
	if (!text)
		text = printed = cJSON_PrintUnformatted(json);
	if (!text) {
		cell_clear(c);
		return fail(t, -ENOMEM);
	}
	r = set_text(t, c, text, strlen(text), false);
	free(printed);
	return r;
}

void knet_table_set_tone(struct knet_table *t, int col, enum knet_tone tone)
{
	if (t->direct || t->nrows == 0 || col < 0 || col >= t->ncols)
		return; /* JSON has no tones */
	t->cells[(t->nrows - 1) * t->ncols + col].tone = tone;
}

int knet_table_render(const struct knet_table *t)
{
	int r;

	if (t->error)
		return t->error;
	r = output_direct_out((struct knet_table *)t);
	if (r < 0)
		return r;
	switch (t->opts.format) {
	case KNET_FMT_JSON:
		r = output_render_json(t);
		break;
	case KNET_FMT_NAME:
		r = output_render_names(t);
		break;
	default:
		r = output_render_text(t);
		break;
	}
	if (r == 0 && fflush(t->opts.out) != 0)
		r = -errno;
	return r;
}
