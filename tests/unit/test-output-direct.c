/* SPDX-License-Identifier: MIT */
/*
 * Direct rows (lib/output/direct.c) write JSON as cells are set: the
 * same bytes as an ordinary streamed row of the same cells, for every
 * cell type, escapes, numbers, missing cells and columns out of JSON;
 * rows batched in blocks come out whole and in order with ordinary
 * rows; a cell set out of order fails the row.  And the plain-string
 * check (SSE2 and words) agrees with a byte loop at every length and
 * position of a special byte.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/output/output-internal.h"
#include "knet/output.h"
#include "unit.h"

enum { C_S, C_I, C_B, C_P, C_L, C_J, C_A, C_HIDDEN, NC };

static const struct knet_column cols[] = {
	[C_S] = {"S", "s", KNET_CELL_STR, 0, 0},
	[C_I] = {"I", "i", KNET_CELL_INT, KNET_COL_RIGHT, 0},
	[C_B] = {"B", "b", KNET_CELL_BOOL, 0, 0},
	[C_P] = {"P", "p", KNET_CELL_PERCENT, 0, 0},
	[C_L] = {"L", "l\"ist", KNET_CELL_STRLIST, 0, 0},
	[C_J] = {"J", "j", KNET_CELL_JSON, KNET_COL_NOTABLE, 0},
	[C_A] = {"A", "a", KNET_CELL_BYTES, 0, 0},
	[C_HIDDEN] = {"H", "h", KNET_CELL_STR, KNET_COL_NOJSON, 0},
	[NC] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static const char *const strs[] = {
	"plain",
	"",
	"quote \" backslash \\ slash /",
	"\b\f\n\r\t \x01\x1f",
	"del \x7f and CSI \xc2\x9b and NBSP \xc2\xa0",
	"CJK 名前 emoji \xf0\x9f\x98\x80",
	"not UTF-8: \xff \xc3( \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 end\xc3",
	"overlong \xc0\xaf \xe0\x80\xaf",
};

static const long long ints[] = {
	0,
	-1,
	7,
	INT_MAX,
	(long long)INT_MAX + 1,
	INT_MIN,
	(long long)INT_MIN - 1,
	999999999999999LL,
	1000000000000000LL,
	-1000000000000000LL,
	123456789012345678LL,
	LLONG_MAX,
	LLONG_MIN,
};

static const double pcts[] = {0, 12.5, 100, 1.0 / 3, -0.1, 1e20, 2147483647.0};

/* Row @k (a mix of every column, some missing), direct or not. */
static void fill(struct knet_table *t, int k, bool direct)
{
	const char *list[3];

	if (direct)
		knet_table_add_row_direct(t);
	else
		knet_table_add_row(t);
	if (k % 5 != 4)
		knet_table_set_str(t, C_S, strs[k % 8]);
	if (k % 7 != 3)
		knet_table_set_int(t, C_I, ints[k % 13]);
	if (k % 3)
		knet_table_set_bool(t, C_B, k % 2);
	if (k % 11 != 5)
		knet_table_set_percent(t, C_P, pcts[k % 7]);
	list[0] = strs[k % 8];
	list[1] = strs[(k + 3) % 8];
	list[2] = "x";
	knet_table_set_strlist(t, C_L, list, k % 4);
	if (k % 2)
		knet_table_set_json(
			t, C_J, cJSON_CreateString(strs[(k + 1) % 8]), NULL);
	if (k % 9 != 2)
		knet_table_set_bytes(t, C_A, ints[(k + 5) % 13]);
	if (k % 4 == 1)
		knet_table_set_str(t, C_HIDDEN, "not in JSON");
}

#define NROWS (8 * 13 * 7 * 11)

/* Every row alone, and all of them in one stream (blocks), both ways. */
static void test_same_bytes(void)
{
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	struct knet_output_opts oa = {.format = KNET_FMT_JSON};
	struct knet_output_opts ob = {.format = KNET_FMT_JSON};
	struct knet_table *ta = NULL, *tb = NULL;
	int same = 0;

	oa.out = open_memstream(&a, &alen);
	ob.out = open_memstream(&b, &blen);
	CHECK_INT(knet_table_new(cols, &oa, &ta), 0);
	CHECK_INT(knet_table_new(cols, &ob, &tb), 0);
	for (int k = 0; k < NROWS; k++) {
		fill(ta, k, false);
		CHECK_INT(knet_table_stream_row(ta), 0);
		fill(tb, k, true);
		CHECK_INT(knet_table_stream_row(tb), 0);
		/* now and then a flush, as -E does before it waits */
		if (k % 97 == 0)
			CHECK_INT(knet_table_stream_flush(tb), 0);
	}
	knet_table_free(ta);
	knet_table_free(tb);
	fclose(oa.out);
	fclose(ob.out);
	CHECK_INT((long long)alen, (long long)blen);
	for (char *p = a, *q = b; p && q && *p;) {
		char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');

		if (!pe || !qe)
			break;
		if (pe - p == qe - q && !memcmp(p, q, (size_t)(pe - p)))
			same++;
		else if (same < 3)
			CHECK_STR(q, p);
		p = pe + 1;
		q = qe + 1;
	}
	CHECK_INT(same, NROWS);
	free(a);
	free(b);
}

/* Direct rows and ordinary rows of one table keep their order. */
static void test_mixed_order(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_JSON};
	struct knet_table *t = NULL;
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	CHECK_INT(knet_table_new(cols, &o, &t), 0);
	knet_table_add_row_direct(t);
	knet_table_set_str(t, C_S, "first");
	CHECK_INT(knet_table_stream_row(t), 0);
	knet_table_add_row(t);
	knet_table_set_str(t, C_S, "second");
	CHECK_INT(knet_table_stream_row(t), 0);
	knet_table_add_row_direct(t);
	knet_table_set_str(t, C_S, "third");
	CHECK_INT(knet_table_stream_row(t), 0);
	/* pending until flushed (or freed) */
	fflush(o.out);
	CHECK(buf && strstr(buf, "third") == NULL);
	CHECK_INT(knet_table_stream_flush(t), 0);
	CHECK(buf && strstr(buf, "first") && strstr(buf, "second") &&
	      strstr(buf, "third") &&
	      strstr(buf, "first") < strstr(buf, "second") &&
	      strstr(buf, "second") < strstr(buf, "third"));
	knet_table_free(t);
	fclose(o.out);
	free(buf);
}

/* Out of order or twice: the row is dropped, the next one is whole. */
static void test_out_of_order(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_JSON};
	struct knet_table *t = NULL;
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	CHECK_INT(knet_table_new(cols, &o, &t), 0);
	knet_table_add_row_direct(t);
	CHECK_INT(knet_table_set_int(t, C_I, 1), 0);
	CHECK_INT(knet_table_set_str(t, C_S, "late"), -EINVAL);
	CHECK_INT(knet_table_stream_row(t), -EINVAL);
	knet_table_add_row_direct(t);
	CHECK_INT(knet_table_set_int(t, C_I, 2), 0);
	CHECK_INT(knet_table_set_int(t, C_I, 3), -EINVAL);
	knet_table_add_row_direct(t); /* the unfinished row is dropped */
	CHECK_INT(knet_table_set_str(t, C_S, "ok"), 0);
	CHECK_INT(knet_table_set_str(t, C_B, "wrong type"), -EINVAL);
	CHECK_INT(knet_table_stream_row(t), -EINVAL);
	knet_table_add_row_direct(t);
	CHECK_INT(knet_table_set_str(t, C_S, "fine"), 0);
	CHECK_INT(knet_table_stream_row(t), 0);
	knet_table_free(t);
	fclose(o.out);
	CHECK_STR(buf, "{\"s\":\"fine\",\"i\":null,\"b\":null,\"p\":null,"
		       "\"l\\\"ist\":null,\"j\":null,\"a\":null}\n");
	free(buf);
}

static bool plain_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* Every length to 40, each special byte at each position. */
static void test_plain_check(void)
{
	static const unsigned char special[] = {0x01, 0x1f, 0x7f, 0x80, 0xc3,
						0xff, '"',  '\\', ' ',	'~'};
	char s[48];
	int bad = 0;

	for (size_t n = 0; n <= 40; n++)
		for (size_t pos = 0; pos < (n ? n : 1); pos++)
			for (size_t k = 0; k < sizeof(special); k++) {
				memset(s, 'a', sizeof(s));
				if (n)
					s[pos] = (char)special[k];
				s[n] = '\0';
				if (output_json_plain(s, n) !=
				    plain_bytes(s, n))
					bad++;
			}
	CHECK_INT(bad, 0);
}

/* Text tables: a direct row is an ordinary row. */
static void test_text_fallback(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_WIDE,
				     .no_headers = true};
	struct knet_table *t = NULL;
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	CHECK_INT(knet_table_new(cols, &o, &t), 0);
	knet_table_add_row_direct(t);
	knet_table_set_int(t, C_I, 42);
	knet_table_set_str(t, C_S, "any order");
	CHECK_INT(knet_table_stream_row(t), 0);
	knet_table_free(t);
	fclose(o.out);
	CHECK(buf && strstr(buf, "any order") && strstr(buf, "42"));
	free(buf);
}

int main(void)
{
	test_same_bytes();
	test_mixed_order();
	test_out_of_order();
	test_plain_check();
	test_text_fallback();
	return unit_done("test-output-direct");
}
