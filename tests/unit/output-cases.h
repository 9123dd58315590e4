/* SPDX-License-Identifier: MIT */
#ifndef KNET_TEST_OUTPUT_CASES_H
#define KNET_TEST_OUTPUT_CASES_H

/*
 * Columns of every cell type and values that print in their own way
 * (escapes, UTF-8 and bytes that are not, numbers cJSON prints its own
 * way), shared by the tests of streamed rows (test-output-stream.c) and
 * of direct rows (test-output-direct.c).
 */
#include <limits.h>

#include "knet/output.h"

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
	/* microsecond timestamps: digits, never 1.7646e+15 */
	1764600000000000LL,
	-1764601234567000LL,
	9007199254740992LL,
	9007199254740993LL,
};

static const double pcts[] = {0, 12.5, 100, 1.0 / 3, -0.1, 1e20, 2147483647.0};

/* Row @k (a mix of every column, some missing), direct or not. */
static inline void output_case_fill(struct knet_table *t, int k, bool direct)
{
	const char *list[3];

	if (direct)
		knet_table_add_row_direct(t);
	else
		knet_table_add_row(t);
	if (k % 5 != 4)
		knet_table_set_str(t, C_S, strs[k % 8]);
	if (k % 7 != 3)
		knet_table_set_int(t, C_I,
				   ints[k % (sizeof(ints) / sizeof(*ints))]);
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

#endif
