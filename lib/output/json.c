/* SPDX-License-Identifier: MIT */
/*
 * JSON: a table as a document {"kind": "PodList", "items": [...]}, one
 * row as one object (streams print JSON Lines), any value pretty.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output-internal.h"

static cJSON *cell_json(const struct output_cell *c)
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
	case KNET_CELL_USECLIST:
		a = cJSON_CreateArray();
		for (i = 0; a && i < c->nlist; i++)
			cJSON_AddItemToArray(
				a, strcmp(c->list[i], "null")
					   ? cJSON_CreateNumber(
						     strtod(c->list[i], NULL))
					   : cJSON_CreateNull());
		return a;
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
		cJSON *v;

		if ((col->flags & KNET_COL_NOJSON) || !col->json_key)
			continue;
		v = cell_json(&t->cells[row * t->ncols + i]);
		if (!v || !cJSON_AddItemToObject(o, col->json_key, v)) {
			cJSON_Delete(v);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

/*
 * cJSON writes C0 controls as \u00XX but DEL, C1 controls (U+009B is a
 * CSI) and bytes that are not UTF-8 as they are: JSON on a terminal
 * must not drive it either.  Those bytes can only sit inside strings
 * (the rest of a JSON text is ASCII), so escape them in the printed
 * text: \u007f, \u0080..\u009f, and U+FFFD for what is not UTF-8 (JSON
 * is UTF-8; Go's encoding/json does the same).
 */
static char *json_text_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(strlen(s) * 6 + 1), *o = out;

	if (!out)
		return NULL;
	while (*p) {
		int n = output_utf8_seq(p);

		if (n == 1 && *p != 0x7f) {
			*o++ = (char)*p++;
		} else if (n == 1) {
			o += sprintf(o, "\\u007f");
			p++;
		} else if (n == 0) {
			o += sprintf(o, "\\ufffd");
			p++;
		} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			o += sprintf(o, "\\u%04x", p[1]);
			p += 2;
		} else {
			memcpy(o, p, (size_t)n);
			o += n;
			p += n;
		}
	}
	*o = '\0';
	return out;
}

/* A whole number cJSON would print in exponent form (1e15 and up). */
static bool big_whole(const cJSON *j)
{
	double d = j->valuedouble, a = d < 0 ? -d : d;

	return cJSON_IsNumber(j) && a >= 1e15 &&
	       a <= (double)OUTPUT_JSON_DIGITS_MAX && d == (double)(long long)d;
}

static bool has_big_whole(const cJSON *j)
{
	for (; j; j = j->next)
		if (big_whole(j) || has_big_whole(j->child))
			return true;
	return false;
}

/* Those numbers as raw digits, which cJSON prints as they are. */
static int big_whole_to_digits(cJSON *j)
{
	for (; j; j = j->next) {
		if (big_whole(j)) {
			char num[32];
			int n = output_fmt_int(num, (long long)j->valuedouble);

			num[n] = '\0';
			j->valuestring = strdup(num);
			if (!j->valuestring)
				return -ENOMEM;
			/* the key's flags (cJSON_StringIsConst) are kept */
			j->type = cJSON_Raw | (j->type & ~0xff);
		} else if (big_whole_to_digits(j->child) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * cJSON's text of @json with whole numbers as digits, as the streamed
 * rows print them; on a copy, rarely needed, so that the caller's tree
 * keeps its numbers.
 */
static char *json_text(const cJSON *json, bool pretty)
{
	cJSON *copy = NULL;
	char *raw;

	if (has_big_whole(json)) {
		copy = cJSON_Duplicate(json, true);
		if (!copy || big_whole_to_digits(copy) < 0) {
			cJSON_Delete(copy);
			return NULL;
		}
		json = copy;
	}
	raw = pretty ? cJSON_Print(json) : cJSON_PrintUnformatted(json);
	cJSON_Delete(copy);
	return raw;
}

/* Print cJSON's text of a value, made terminal-safe, and a newline. */
static int print_json(FILE *out, const cJSON *json, bool pretty)
{
	char *raw = json_text(json, pretty);
	char *s = raw ? json_text_safe(raw) : NULL;

	free(raw);
	if (!s)
		return -ENOMEM;
	fputs(s, out);
	fputc('\n', out);
	free(s);
	return ferror(out) ? -EIO : 0;
}

int knet_json_print(FILE *out, const cJSON *json)
{
	return print_json(out, json, true);
}

int output_json_line(FILE *out, const cJSON *json)
{
	return print_json(out, json, false);
}

/* --- a row as JSON Lines, written by hand --- */

/*
 * A JSON string as cJSON prints it (\" \\ \b \f \n \r \t, \u00XX
 * for other C0 controls) made terminal-safe as json_text_safe() does
 * (\u007f, C1 controls as \u0080..\u009f, U+FFFD for each byte that is
 * not UTF-8), in one pass.  Both look at the same bytes the same way: an
 * escape cJSON adds is ASCII, never a UTF-8 continuation byte.
 */
int output_json_string(struct output_buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)str;
	size_t len = strlen(str);
	char *o;

	if (output_json_plain(str, len)) {
		if (output_buf_room(b, len + 2) < 0)
			return -ENOMEM;
		o = b->p + b->len;
		o[0] = '"';
		memcpy(o + 1, str, len);
		o[len + 1] = '"';
		b->len += len + 2;
		return 0;
	}

	/* Six bytes out for one in at most, and the quotes. */
	if (output_buf_room(b, len * 6 + 2) < 0)
		return -ENOMEM;
	o = b->p + b->len;
	*o++ = '"';
	while (*p) {
		const unsigned char *run = p;
		unsigned char c;
		int n;

		/* A run of printable ASCII but " and \\: copied as it is. */
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		c = *p;
		if (!c)
			break;
		if (c < 0x80) {
			const char *sh = strchr("\"\\\b\f\n\r\t", c);

			*o++ = '\\';
			if (c && sh)
				*o++ = "\"\\bfnrt"[sh - "\"\\\b\f\n\r\t"];
			else
				o += sprintf(o, "u00%c%c", hex[c >> 4],
					     hex[c & 15]);
			p++;
			continue;
		}
		n = output_utf8_seq(p);
		if (n == 0) {
			memcpy(o, "\\ufffd", 6);
			o += 6;
			p++;
		} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			o += sprintf(o, "\\u00%c%c", hex[p[1] >> 4],
				     hex[p[1] & 15]);
			p += 2;
		} else {
			memcpy(o, p, (size_t)n);
			o += n;
			p += n;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return 0;
}

/*
 * A number as cJSON 1.7 prints it: "%d" when it is a C int, else
 * "%1.15g", or "%1.17g" when that does not read back the same; but
 * whole numbers print their digits (output_json_digits), by hand.
 */
static int put_number(struct output_buf *b, double d, long long i, bool whole)
{
	char num[32];
	int n;

	if (whole && output_json_digits(i)) {
		n = output_fmt_int(num, i);
	} else if (isnan(d) || isinf(d)) {
		n = snprintf(num, sizeof(num), "null");
	} else if (d >= INT_MIN && d <= INT_MAX && d == (double)(int)d) {
		n = snprintf(num, sizeof(num), "%d", (int)d);
	} else {
		n = snprintf(num, sizeof(num), "%1.15g", d);
		if (strtod(num, NULL) != d)
			n = snprintf(num, sizeof(num), "%1.17g", d);
	}
	return output_buf_put(b, num, (size_t)n);
}

/* A JSON cell: cJSON's text, made safe (rare: nested detail). */
static int put_json(struct output_buf *b, const cJSON *json)
{
	char *raw = json_text(json, false);
	char *s = raw ? json_text_safe(raw) : NULL;
	int r = s ? output_buf_put(b, s, strlen(s)) : -ENOMEM;

	free(raw);
	free(s);
	return r;
}

int output_json_cell(struct output_buf *b, const struct output_cell *c)
{
	int r = 0;

	switch (c->type) {
	case KNET_CELL_STR:
		return output_json_string(b, c->s);
	case KNET_CELL_INT:
	case KNET_CELL_AGE:
	case KNET_CELL_USEC:
	case KNET_CELL_BYTES:
		return put_number(b, (double)c->i, c->i, true);
	case KNET_CELL_PERCENT:
		return put_number(b, c->d, 0, false);
	case KNET_CELL_BOOL:
		return c->i ? output_buf_put(b, "true", 4)
			    : output_buf_put(b, "false", 5);
	case KNET_CELL_STRLIST:
	case KNET_CELL_USECLIST:
		r = output_buf_put(b, "[", 1);
		for (int i = 0; r == 0 && i < c->nlist; i++) {
			if (i)
				r = output_buf_put(b, ",", 1);
			/* a USECLIST's items are JSON already: numbers, null */
			if (r == 0 && c->type == KNET_CELL_STRLIST)
				r = output_json_string(b, c->list[i]);
			else if (r == 0)
				r = output_buf_put(b, c->list[i],
						   strlen(c->list[i]));
		}
		return r ? r : output_buf_put(b, "]", 1);
	case KNET_CELL_JSON:
		return put_json(b, c->json);
	case KNET_CELL_NONE:
		break;
	}
	return output_buf_put(b, "null", 4);
}

/*
 * Each JSON column's `,"key":` (`{"key":` for the first), rendered once
 * per table: the same for every row.  Columns left out of JSON get "".
 */
int output_json_keys(struct knet_table *t)
{
	struct output_buf b = {0}, nb = {0};
	size_t *ends = calloc((size_t)t->ncols * 2, sizeof(*ends));
	bool first = true;
	int r = ends ? 0 : -ENOMEM;

	for (int i = 0; r == 0 && i < t->ncols; i++) {
		const struct knet_column *col = &t->cols[i];
		size_t from = b.len;

		if (!(col->flags & KNET_COL_NOJSON) && col->json_key) {
			r = output_buf_put(&b, first ? "{" : ",", 1);
			if (r == 0)
				r = output_json_string(&b, col->json_key);
			if (r == 0)
				r = output_buf_put(&b, ":", 1);
			if (r == 0)
				r = output_buf_put(&nb, b.p + from,
						   b.len - from);
			if (r == 0)
				r = output_buf_put(&nb, "null", 4);
			first = false;
		}
		ends[i] = b.len;
		ends[t->ncols + i] = nb.len;
	}
	if (r < 0) {
		free(ends);
		output_buf_free(&b);
		output_buf_free(&nb);
		return r;
	}
	/* direct.c copies them 16 bytes at a time */
	if (r == 0)
		r = output_buf_room(&b, OUTPUT_KEY_PAD);
	if (r == 0)
		r = output_buf_room(&nb, OUTPUT_KEY_PAD);
	if (r < 0) {
		free(ends);
		output_buf_free(&b);
		output_buf_free(&nb);
		return r;
	}
	memset(b.p + b.len, 0, OUTPUT_KEY_PAD);
	memset(nb.p + nb.len, 0, OUTPUT_KEY_PAD);
	t->keys = b;
	t->nulls = nb;
	t->key_ends = ends;
	t->null_ends = ends + t->ncols;
	return 0;
}

int output_row_json(struct knet_table *t, int row)
{
	const struct output_cell *cells = &t->cells[row * t->ncols];
	struct output_buf *b = &t->line;
	size_t from = 0;
	int r = t->key_ends ? 0 : output_json_keys(t);

	for (int i = 0; r == 0 && i < t->ncols; i++) {
		size_t to = t->key_ends[i];

		if (to == from)
			continue; /* not in JSON */
		r = output_buf_put(b, t->keys.p + from, to - from);
		from = to;
		if (r == 0)
			r = output_json_cell(b, &cells[i]);
	}
	if (r == 0 && from == 0)
		r = output_buf_put(b, "{", 1);
	return r ? r : output_buf_put(b, "}\n", 2);
}

/* "pod" -> "PodList", the kind of a JSON list document. */
static cJSON *list_document(const struct knet_table *t, cJSON *items)
{
	cJSON *doc = cJSON_CreateObject();
	char *kind = NULL;

	if (!doc)
		return NULL;
	if (t->opts.kind) {
		if (asprintf(&kind, "%sList", t->opts.kind) < 0) {
			cJSON_Delete(doc);
			return NULL;
		}
		if (kind[0] >= 'a' && kind[0] <= 'z')
			kind[0] = (char)(kind[0] - 'a' + 'A');
		cJSON_AddStringToObject(doc, "kind", kind);
		free(kind);
	}
	cJSON_AddItemToObject(doc, "items", items);
	return doc;
}

int output_render_json(const struct knet_table *t)
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
	for (const cJSON *m = t->members ? t->members->child : NULL; m;
	     m = m->next) {
		cJSON *copy = cJSON_Duplicate(m, true);

		if (!copy) {
			cJSON_Delete(doc);
			return -ENOMEM;
		}
		cJSON_AddItemToObject(doc, m->string, copy);
	}
	r = knet_json_print(t->opts.out, doc);
	cJSON_Delete(doc);
	return r;
}
