/* SPDX-License-Identifier: MIT */
/*
 * Streamed rows are written by hand (json.c, text.c): the same bytes as
 * the path they replaced, a cJSON object per row printed by cJSON and
 * made terminal-safe (output_json_line), for every cell type, escapes,
 * UTF-8, bytes that are not UTF-8 and numbers cJSON prints its own way.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/output/output-internal.h"
#include "knet/output.h"
#include "unit.h"

#include "output-cases.h"

static void test_same_json(void)
{
	int same = 0;

	for (int k = 0; k < 8 * 13 * 7; k++) {
		struct knet_output_opts o = {.format = KNET_FMT_JSON};
		struct knet_table *t = NULL;
		char *fast = NULL, *old = NULL;
		size_t flen = 0, olen = 0;
		FILE *ref = open_memstream(&old, &olen);
		cJSON *row;

		o.out = open_memstream(&fast, &flen);
		if (!o.out || !ref || knet_table_new(cols, &o, &t) < 0) {
			CHECK(0);
			return;
		}
		output_case_fill(t, k, false);
		/* the old path first: streaming drops the row */
		row = knet_table_row_json(t, 0);
		output_json_line(ref, row);
		cJSON_Delete(row);
		CHECK_INT(knet_table_stream_row(t), 0);
		knet_table_free(t);
		fclose(o.out);
		fclose(ref);
		if (strcmp(fast, old) == 0)
			same++;
		else
			CHECK_STR(fast, old);
		free(fast);
		free(old);
	}
	CHECK_INT(same, 8 * 13 * 7);
}

/* One row of @c filled by @fill, streamed in @format, as a string. */
static char *one_row(const struct knet_column *c, enum knet_format format,
		     void (*fill_row)(struct knet_table *t))
{
	struct knet_output_opts o = {.format = format, .no_headers = true};
	struct knet_table *t = NULL;
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	if (!o.out)
		return NULL;
	CHECK_INT(knet_table_new(c, &o, &t), 0);
	knet_table_add_row(t);
	fill_row(t);
	CHECK_INT(knet_table_stream_row(t), 0);
	knet_table_free(t);
	fclose(o.out);
	return buf;
}

static const struct knet_column no_json[] = {
	{"H", "h", KNET_CELL_STR, KNET_COL_NOJSON, 0},
	{NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static void fill_hidden(struct knet_table *t)
{
	knet_table_set_str(t, 0, "x");
}

static void fill_escapes(struct knet_table *t)
{
	knet_table_set_str(t, C_S, "a\033]0;x\007 名前");
	knet_table_set_int(t, C_I, -42);
}

/* A table of JSON columns only left out: an empty object, as cJSON has. */
static void test_empty_object(void)
{
	char *buf = one_row(no_json, KNET_FMT_JSON, fill_hidden);

	CHECK_STR(buf, "{}\n");
	free(buf);
}

/* Texts that need escaping still are, in streamed table lines. */
static void test_text_escapes(void)
{
	char *buf = one_row(cols, KNET_FMT_WIDE, fill_escapes);

	CHECK(buf && strstr(buf, "a\\x1b]0;x\\x07 名前") != NULL);
	CHECK(buf && strstr(buf, "-42") != NULL);
	CHECK(buf && strchr(buf, '\033') == NULL);
	free(buf);
}

int main(void)
{
	test_same_json();
	test_empty_object();
	test_text_escapes();
	return unit_done("test-output-stream");
}
