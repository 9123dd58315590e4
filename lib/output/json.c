/* SPDX-License-Identifier: MIT */
/*
 * JSON: a table as a document {"kind": "PodList", "items": [...]}, one
 * row as one object (streams print JSON Lines), any value pretty.
 */
#include <errno.h>
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

/* Print cJSON's text of a value, made terminal-safe, and a newline. */
static int print_json(FILE *out, const cJSON *json, bool pretty)
{
	char *raw = pretty ? cJSON_Print(json) : cJSON_PrintUnformatted(json);
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
	r = knet_json_print(t->opts.out, doc);
	cJSON_Delete(doc);
	return r;
}
