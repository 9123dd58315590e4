/* SPDX-License-Identifier: MIT */
/* The output layer: alignment (UTF-8 too), wide, JSON, names, streams. */
#include <errno.h>
#include <stdlib.h>

#include "knet/output.h"
#include "unit.h"

enum { C_NAME, C_READY, C_AGE, C_IPS, C_NODE, NCOLS };

static const struct knet_column cols[] = {
	[C_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 0},
	[C_READY] = {"READY", "ready", KNET_CELL_INT, KNET_COL_RIGHT, 0},
	[C_AGE] = {"AGE", "created", KNET_CELL_AGE, 0, 0},
	[C_IPS] = {"IPS", "ips", KNET_CELL_STRLIST, 0, 0},
	[C_NODE] = {"NODE", "node", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* Render a fixed two-row table in @format into a string (caller frees). */
static char *render(enum knet_format format, bool no_headers)
{
	struct knet_output_opts o = {.format = format,
				     .no_headers = no_headers,
				     .kind = "pod",
				     .now = 1000000};
	struct knet_table *t;
	const char *ips[] = {"198.19.1.5", "fd00::5"};
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	if (!o.out || knet_table_new(cols, &o, &t) < 0)
		return NULL;
	knet_table_add_row(t);
	knet_table_set_str(t, C_NAME, "web-1");
	knet_table_set_int(t, C_READY, 1);
	knet_table_set_age(t, C_AGE, 1000000 - 300);
	knet_table_set_strlist(t, C_IPS, ips, 2);
	knet_table_set_str(t, C_NODE, "node-a");
	knet_table_add_row(t);
	/* 4 characters, 6 cells wide: two CJK, then ascii */
	knet_table_set_str(t, C_NAME, "\xe7\xbd\x91\xe7\xbb\x9c-2");
	knet_table_set_int(t, C_READY, 10);
	knet_table_set_age(t, C_AGE, 1000000 - 7200);
	knet_table_set_strlist(t, C_IPS, NULL, 0);
	/* NODE left unset: <none> in tables, null in JSON */
	knet_table_render(t);
	knet_table_free(t);
	fclose(o.out);
	return buf;
}

static void test_table(void)
{
	char *s = render(KNET_FMT_TABLE, false);

	CHECK_STR(s, "NAME     READY   AGE    IPS\n"
		     "web-1        1   5m0s   198.19.1.5,fd00::5\n"
		     "\xe7\xbd\x91\xe7\xbb\x9c-2      10   120m   <none>\n");
	free(s);
	/* without headers, widths come from the cells alone */
	s = render(KNET_FMT_TABLE, true);
	CHECK_STR(s, "web-1     1   5m0s   198.19.1.5,fd00::5\n"
		     "\xe7\xbd\x91\xe7\xbb\x9c-2   10   120m   <none>\n");
	free(s);
	s = render(KNET_FMT_WIDE, false);
	CHECK_STR(s, "NAME     READY   AGE    IPS                  NODE\n"
		     "web-1        1   5m0s   198.19.1.5,fd00::5   node-a\n"
		     "\xe7\xbd\x91\xe7\xbb\x9c-2      10   120m   <none>"
		     "               <none>\n");
	free(s);
}

static void test_json_and_names(void)
{
	char *s = render(KNET_FMT_JSON, false);
	cJSON *doc = s ? cJSON_Parse(s) : NULL, *items, *first, *second;

	CHECK(doc != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "kind")),
		  "PodList");
	items = cJSON_GetObjectItem(doc, "items");
	CHECK_INT(cJSON_GetArraySize(items), 2);
	first = cJSON_GetArrayItem(items, 0);
	second = cJSON_GetArrayItem(items, 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(first, "name")),
		  "web-1");
	/* raw units: the epoch, not "5m" */
	CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(first, "created")),
		  1000000 - 300);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(first, "ips")), 2);
	/* wide-only columns are always in JSON */
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(first, "node")),
		  "node-a");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(second, "node")));
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(second, "ips")));
	cJSON_Delete(doc);
	free(s);

	s = render(KNET_FMT_NAME, false);
	CHECK_STR(s, "pod/web-1\npod/\xe7\xbd\x91\xe7\xbb\x9c-2\n");
	free(s);
}

static const struct knet_column stream_cols[] = {
	{"SEQ", "seq", KNET_CELL_INT, KNET_COL_RIGHT, 4},
	{"RTT", "rtt_us", KNET_CELL_USEC, KNET_COL_RIGHT, 9},
	{"FROM", "from", KNET_CELL_STR, 0, 0},
	{NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static char *stream(enum knet_format format)
{
	struct knet_output_opts o = {.format = format};
	struct knet_table *t;
	char *buf = NULL;
	size_t len = 0;
	int i;

	o.out = open_memstream(&buf, &len);
	if (!o.out || knet_table_new(stream_cols, &o, &t) < 0)
		return NULL;
	knet_table_stream_header(t);
	for (i = 1; i <= 2; i++) {
		knet_table_add_row(t);
		knet_table_set_int(t, 0, i);
		knet_table_set_usec(t, 1, i * 1500);
		knet_table_set_str(t, 2, "198.19.2.7");
		CHECK_INT(knet_table_stream_row(t), 0);
		/* the row is gone once printed */
		CHECK_INT(knet_table_nrows(t), 0);
	}
	knet_table_free(t);
	fclose(o.out);
	return buf;
}

static void test_stream(void)
{
	char *s = stream(KNET_FMT_TABLE);

	CHECK_STR(s, " SEQ         RTT   FROM\n"
		     "   1     1.500ms   198.19.2.7\n"
		     "   2     3.000ms   198.19.2.7\n");
	free(s);
	s = stream(KNET_FMT_JSON);
	CHECK_STR(s, "{\"seq\":1,\"rtt_us\":1500,\"from\":\"198.19.2.7\"}\n"
		     "{\"seq\":2,\"rtt_us\":3000,\"from\":\"198.19.2.7\"}\n");
	free(s);
}

/* A first row wider than the declared widths: the header fits it. */
static void test_stream_fits_first_row(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_TABLE};
	struct knet_table *t;
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	CHECK_INT(knet_table_new(stream_cols, &o, &t), 0);
	CHECK_INT(knet_table_stream_header(t), 0);
	knet_table_add_row(t);
	knet_table_set_int(t, 0, 123456);
	knet_table_set_usec(t, 1, 1500);
	knet_table_set_str(t, 2, "x");
	knet_table_stream_row(t);
	knet_table_free(t);
	fclose(o.out);
	CHECK_STR(buf, "   SEQ         RTT   FROM\n"
		       "123456     1.500ms   x\n");
	free(buf);
}

static void test_humanise(void)
{
	char b[32];

	knet_fmt_age(45, b, sizeof(b));
	CHECK_STR(b, "45s");
	knet_fmt_age(125, b, sizeof(b));
	CHECK_STR(b, "2m5s");
	knet_fmt_age(5 * 3600, b, sizeof(b));
	CHECK_STR(b, "5h");
	knet_fmt_age(3 * 86400, b, sizeof(b));
	CHECK_STR(b, "3d");
	knet_fmt_usec(87, b, sizeof(b));
	CHECK_STR(b, "87us");
	knet_fmt_usec(1234, b, sizeof(b));
	CHECK_STR(b, "1.234ms");
	knet_fmt_usec(2500000, b, sizeof(b));
	CHECK_STR(b, "2.50s");
	knet_fmt_bytes(512, b, sizeof(b));
	CHECK_STR(b, "512B");
	knet_fmt_bytes(1536, b, sizeof(b));
	CHECK_STR(b, "1.5KiB");
	knet_fmt_bytes(3LL << 30, b, sizeof(b));
	CHECK_STR(b, "3.0GiB");
}

static void test_widths_and_modes(void)
{
	enum knet_format f;
	enum knet_color_mode m;

	CHECK_INT(knet_utf8_width("abc"), 3);
	CHECK_INT(knet_utf8_width("\xe7\xbd\x91"), 2);	   /* CJK: wide */
	CHECK_INT(knet_utf8_width("e\xcc\x81"), 1);	   /* combining */
	CHECK_INT(knet_utf8_width("caf\xc3\xa9"), 4);	   /* e acute */
	CHECK_INT(knet_utf8_width("\xff\xfe"), 2);	   /* invalid bytes */
	CHECK_INT(knet_utf8_width("\xe7\xbd"), 2);	   /* truncated */
	CHECK_INT(knet_utf8_width("\xf0\x9f\x9a\x80"), 2); /* emoji */

	CHECK_INT(knet_format_parse("json", &f), 0);
	CHECK_INT(f, KNET_FMT_JSON);
	CHECK_INT(knet_format_parse("yaml", &f), -EINVAL);
	CHECK_INT(knet_format_parse(NULL, &f), -EINVAL);
	CHECK_INT(knet_color_parse("never", &m), 0);
	CHECK_INT(m, KNET_COLOR_NEVER);
	CHECK_INT(knet_color_parse("sometimes", &m), -EINVAL);

	unsetenv("NO_COLOR");
	CHECK(knet_color_wanted(KNET_COLOR_ALWAYS, 1));
	CHECK(!knet_color_wanted(KNET_COLOR_NEVER, 1));
	setenv("NO_COLOR", "1", 1);
	CHECK(!knet_color_wanted(KNET_COLOR_ALWAYS, 1));
	unsetenv("NO_COLOR");
}

static void test_misuse(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_TABLE, .out = stdout};
	static const struct knet_column none[] = {
		{NULL, NULL, KNET_CELL_NONE, 0, 0}};
	struct knet_table *t = NULL;

	CHECK_INT(knet_table_new(none, &o, &t), -EINVAL);
	CHECK_INT(knet_table_new(cols, &o, &t), 0);
	/* no row yet, column out of range */
	CHECK_INT(knet_table_set_str(t, 0, "x"), -EINVAL);
	knet_table_add_row(t);
	CHECK_INT(knet_table_set_str(t, 99, "x"), -EINVAL);
	CHECK_INT(knet_table_set_str(t, 0, "a"), 0);
	CHECK_INT(knet_table_set_str(t, 0, "b"), 0); /* replaced, no leak */
	knet_table_free(t);
	knet_table_free(NULL);
}

int main(void)
{
	test_table();
	test_json_and_names();
	test_stream();
	test_stream_fits_first_row();
	test_humanise();
	test_widths_and_modes();
	test_misuse();
	return unit_done("test-output");
}
