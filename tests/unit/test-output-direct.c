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

#include "output-cases.h"

/* A JSON table writing into memory. */
struct mem {
	struct knet_table *t;
	char *buf;
	size_t len;
	FILE *out;
};

static void mem_open(struct mem *m, enum knet_format format)
{
	struct knet_output_opts o = {.format = format, .no_headers = true};

	memset(m, 0, sizeof(*m));
	o.out = m->out = open_memstream(&m->buf, &m->len);
	CHECK(m->out != NULL);
	CHECK_INT(knet_table_new(cols, &o, &m->t), 0);
}

/* The table freed (what is pending written), the text in m->buf. */
static void mem_close(struct mem *m)
{
	knet_table_free(m->t);
	fclose(m->out);
}

#define NROWS (8 * 13 * 7 * 11)

/* Every row alone, and all of them in one stream (blocks), both ways. */
static void test_same_bytes(void)
{
	struct mem a, b;
	int same = 0;

	mem_open(&a, KNET_FMT_JSON);
	mem_open(&b, KNET_FMT_JSON);
	for (int k = 0; k < NROWS; k++) {
		output_case_fill(a.t, k, false);
		CHECK_INT(knet_table_stream_row(a.t), 0);
		output_case_fill(b.t, k, true);
		CHECK_INT(knet_table_stream_row(b.t), 0);
		/* now and then a flush, as -E does before it waits */
		if (k % 97 == 0)
			CHECK_INT(knet_table_stream_flush(b.t), 0);
	}
	mem_close(&a);
	mem_close(&b);
	CHECK_INT((long long)a.len, (long long)b.len);
	for (char *p = a.buf, *q = b.buf; p && q && *p;) {
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
	free(a.buf);
	free(b.buf);
}

/* Direct rows and ordinary rows of one table keep their order. */
static void test_mixed_order(void)
{
	static const char *const words[] = {"first", "second", "third"};
	struct mem m;
	char *p;

	mem_open(&m, KNET_FMT_JSON);
	for (int i = 0; i < 3; i++) {
		if (i == 1)
			knet_table_add_row(m.t);
		else
			knet_table_add_row_direct(m.t);
		knet_table_set_str(m.t, C_S, words[i]);
		CHECK_INT(knet_table_stream_row(m.t), 0);
	}
	/* pending until flushed (or freed) */
	fflush(m.out);
	CHECK(m.buf && strstr(m.buf, "third") == NULL);
	CHECK_INT(knet_table_stream_flush(m.t), 0);
	p = m.buf;
	for (int i = 0; i < 3 && p; i++)
		p = strstr(p, words[i]);
	CHECK(p != NULL);
	mem_close(&m);
	free(m.buf);
}

/* Out of order or twice: the row is dropped, the next one is whole. */
static void test_out_of_order(void)
{
	struct mem m;
	struct knet_table *t;

	mem_open(&m, KNET_FMT_JSON);
	t = m.t;
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
	mem_close(&m);
	CHECK_STR(m.buf, "{\"s\":\"fine\",\"i\":null,\"b\":null,\"p\":null,"
			 "\"l\\\"ist\":null,\"j\":null,\"a\":null}\n");
	free(m.buf);
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
	struct mem m;

	mem_open(&m, KNET_FMT_WIDE);
	knet_table_add_row_direct(m.t);
	knet_table_set_int(m.t, C_I, 42);
	knet_table_set_str(m.t, C_S, "any order");
	CHECK_INT(knet_table_stream_row(m.t), 0);
	mem_close(&m);
	CHECK(m.buf && strstr(m.buf, "any order") && strstr(m.buf, "42"));
	free(m.buf);
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
