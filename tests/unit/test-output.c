/* SPDX-License-Identifier: MIT */
/* The output layer: alignment (UTF-8 too), wide, JSON, names, streams. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Print a table of @cols (filled by @fill) in @format to a string. */
static char *capture(const struct knet_column *c, enum knet_format format,
		     bool no_headers, void (*fill)(struct knet_table *t),
		     int *ret_render)
{
	struct knet_output_opts o = {.format = format,
				     .no_headers = no_headers,
				     .kind = "pod",
				     .now = 1000000};
	struct knet_table *t = NULL;
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	if (!o.out)
		return NULL;
	if (knet_table_new(c, &o, &t) == 0) {
		fill(t);
		*ret_render = knet_table_render(t);
	}
	knet_table_free(t);
	fclose(o.out);
	return buf;
}

static void fill_two_rows(struct knet_table *t)
{
	const char *ips[] = {"198.19.1.5", "fd00::5"};

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
}

/* Render a fixed two-row table in @format into a string (caller frees). */
static char *render(enum knet_format format, bool no_headers)
{
	int r = 1;
	char *s = capture(cols, format, no_headers, fill_two_rows, &r);

	CHECK_INT(r, 0);
	return s;
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

/* A fan-out's "errors" beside "items"; nothing of it in a table. */
static void fill_with_member(struct knet_table *t)
{
	cJSON *errs = cJSON_CreateArray(), *e = cJSON_CreateObject();

	fill_two_rows(t);
	cJSON_AddStringToObject(e, "node", "node-b");
	cJSON_AddItemToArray(errs, e);
	knet_table_add_member(t, "errors", cJSON_CreateArray());
	knet_table_add_member(t, "errors", errs); /* replaces the first */
}

static void test_document_member(void)
{
	int r = -1;
	char *s = capture(cols, KNET_FMT_JSON, false, fill_with_member, &r);
	cJSON *doc = s ? cJSON_Parse(s) : NULL, *errs;

	CHECK_INT(r, 0);
	CHECK(doc != NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "items")), 2);
	errs = cJSON_GetObjectItem(doc, "errors");
	CHECK_INT(cJSON_GetArraySize(errs), 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
			  cJSON_GetArrayItem(errs, 0), "node")),
		  "node-b");
	cJSON_Delete(doc);
	free(s);
	s = capture(cols, KNET_FMT_TABLE, false, fill_with_member, &r);
	CHECK(s && !strstr(s, "errors") && !strstr(s, "node-b"));
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

static void fill_mistyped(struct knet_table *t)
{
	knet_table_add_row(t);
	CHECK_INT(knet_table_set_str(t, C_NAME, "web-1"), 0);
	/* READY is an INT column, AGE an AGE one, IPS a string list */
	CHECK_INT(knet_table_set_str(t, C_READY, "1"), -EINVAL);
	CHECK_INT(knet_table_set_int(t, C_AGE, 5), -EINVAL);
	CHECK_INT(knet_table_set_str(t, C_IPS, "198.19.1.5"), -EINVAL);
	/* missing is fine anywhere */
	CHECK_INT(knet_table_set_none(t, C_READY), 0);
}

static void fill_json_shapes(struct knet_table *t)
{
	knet_table_add_row(t);
	/* a value of the column's JSON shape, with a text of its own */
	CHECK_INT(knet_table_set_json(t, C_IPS, cJSON_CreateArray(), "*"), 0);
	CHECK_INT(knet_table_set_json(t, C_NAME, cJSON_CreateString("a"),
				      "<all pods>"),
		  0);
	CHECK_INT(knet_table_set_json(t, C_READY, cJSON_CreateNumber(3), "3!"),
		  0);
}

static void fill_json_misfit(struct knet_table *t)
{
	knet_table_add_row(t);
	CHECK_INT(knet_table_set_json(t, C_IPS, cJSON_CreateString("x"), "x"),
		  -EINVAL);
}

/* A setter must match the column's declared type; rendering says so. */
static void test_declared_types(void)
{
	static const struct knet_column untyped[] = {
		{"NAME", "name", KNET_CELL_NONE, 0, 0},
		{NULL, NULL, KNET_CELL_NONE, 0, 0},
	};
	struct knet_output_opts o = {.format = KNET_FMT_TABLE, .out = stdout};
	struct knet_table *t = NULL;
	int r = 1;
	char *s;

	/* a column must say what it holds */
	CHECK_INT(knet_table_new(untyped, &o, &t), -EINVAL);

	s = capture(cols, KNET_FMT_TABLE, false, fill_mistyped, &r);
	CHECK_INT(r, -EINVAL);
	CHECK_STR(s, ""); /* nothing half-filled is printed */
	free(s);
	r = 1;
	s = capture(cols, KNET_FMT_JSON, false, fill_json_shapes, &r);
	CHECK_INT(r, 0);
	CHECK(s && strstr(s, "\"ips\":\t[]") != NULL);
	CHECK(s && strstr(s, "\"name\":\t\"a\"") != NULL);
	free(s);
	s = capture(cols, KNET_FMT_TABLE, false, fill_json_shapes, &r);
	CHECK_INT(r, 0);
	CHECK_STR(s, "NAME         READY   AGE      IPS\n"
		     "<all pods>      3!   <none>   *\n");
	free(s);
	s = capture(cols, KNET_FMT_TABLE, false, fill_json_misfit, &r);
	CHECK_INT(r, -EINVAL);
	free(s);
}

static void fill_hostile(struct knet_table *t)
{
	const char *ips[] = {"198.19.1.5", "\x1b]0;owned\x07"};

	knet_table_add_row(t);
	knet_table_set_str(t, C_NAME, "web\x1b[2J-1");
	knet_table_set_int(t, C_READY, 1);
	knet_table_set_age(t, C_AGE, 1000000 - 300);
	knet_table_set_strlist(t, C_IPS, ips, 2);
	knet_table_set_json(t, C_NODE, cJSON_CreateString("n\x9b"),
			    "node\xc2\x9b-a\x7f");
}

/* Text from outside cannot drive the terminal, in any format. */
static void test_escaped_cells(void)
{
	enum knet_format fmts[] = {KNET_FMT_TABLE, KNET_FMT_WIDE, KNET_FMT_NAME,
				   KNET_FMT_JSON};
	cJSON *doc, *first;
	int r = 1;
	char *s;

	for (size_t i = 0; i < sizeof(fmts) / sizeof(*fmts); i++) {
		s = capture(cols, fmts[i], false, fill_hostile, &r);
		CHECK_INT(r, 0);
		CHECK(s && !strchr(s, '\x1b') && !strchr(s, '\x07') &&
		      !strchr(s, '\x7f') && !strstr(s, "\xc2\x9b") &&
		      !strchr(s, '\x9b'));
		free(s);
	}
	s = capture(cols, KNET_FMT_WIDE, true, fill_hostile, &r);
	CHECK_STR(s, "web\\x1b[2J-1   1   5m0s   "
		     "198.19.1.5,\\x1b]0;owned\\x07   node\\xc2\\x9b-a\\x7f\n");
	free(s);
	s = capture(cols, KNET_FMT_NAME, false, fill_hostile, &r);
	CHECK_STR(s, "pod/web\\x1b[2J-1\n");
	free(s);
	/* JSON: cJSON writes \u001b; the value itself is kept */
	s = capture(cols, KNET_FMT_JSON, false, fill_hostile, &r);
	CHECK(s && strstr(s, "web\\u001b[2J-1") != NULL);
	CHECK(s && strstr(s, "\\u001b]0;owned\\u0007") != NULL);
	/* C1 controls and bytes that are not UTF-8 are escaped too */
	CHECK(s && strstr(s, "\"n\\ufffd\"") != NULL);
	doc = s ? cJSON_Parse(s) : NULL;
	first = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "items"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(first, "name")),
		  "web\x1b[2J-1");
	cJSON_Delete(doc);
	free(s);
}

static void test_json_print_escapes(void)
{
	cJSON *o = cJSON_CreateObject();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cJSON_AddStringToObject(o, "m",
				"a\x7f"
				"b\xc2\x9b"
				"c\xc3\xa9");
	CHECK_INT(knet_json_print(f, o), 0);
	fclose(f);
	CHECK_STR(buf, "{\n\t\"m\":\t\"a\\u007fb\\u009bc\xc3\xa9\"\n}\n");
	free(buf);
	cJSON_Delete(o);
}

/* Microsecond timestamps print as digits; the caller's tree is kept. */
static void test_json_print_whole_numbers(void)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cJSON_AddNumberToObject(o, "ts_us", 1764601234567000.0);
	cJSON_AddItemToObject(o, "a", a);
	cJSON_AddItemToArray(a, cJSON_CreateNumber(-1764600000000000.0));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(1e20));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(0.5));
	CHECK_INT(knet_json_print(f, o), 0);
	fclose(f);
	CHECK_STR(buf, "{\n\t\"ts_us\":\t1764601234567000,\n\t\"a\":\t"
		       "[-1764600000000000, 1e+20, 0.5]\n}\n");
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(o, "ts_us")));
	free(buf);
	cJSON_Delete(o);
}

#define MANY_COLS 100

static struct knet_column many_cols[MANY_COLS + 1];
static char many_names[MANY_COLS][16];
static int many_n;

static void fill_many(struct knet_table *t)
{
	knet_table_add_row(t);
	for (int i = 0; i < many_n; i++)
		CHECK_INT(knet_table_set_int(t, i, i), 0);
}

/* No cap on columns: 40 (a command's table) and 100 (a stream). */
static void test_many_columns(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_TABLE};
	struct knet_table *t = NULL;
	char *buf = NULL, *s, *last;
	size_t len = 0;
	int r = 1;

	for (int i = 0; i < MANY_COLS; i++) {
		snprintf(many_names[i], sizeof(many_names[i]), "C%d", i);
		many_cols[i] = (struct knet_column){
			many_names[i], many_names[i], KNET_CELL_INT, 0, 0};
	}
	/* 40 columns: the cluster commands were capped at 31 */
	many_cols[40].header = NULL;
	many_n = 40;
	s = capture(many_cols, KNET_FMT_JSON, false, fill_many, &r);
	CHECK_INT(r, 0);
	CHECK(s && strstr(s, "\"C39\":\t39") != NULL);
	free(s);
	many_cols[40] = (struct knet_column){many_names[40], many_names[40],
					     KNET_CELL_INT, 0, 0};
	/* 100 in a stream: streams were capped at 64 */
	o.out = open_memstream(&buf, &len);
	CHECK_INT(knet_table_new(many_cols, &o, &t), 0);
	CHECK_INT(knet_table_stream_header(t), 0);
	knet_table_add_row(t);
	for (int i = 0; i < MANY_COLS; i++)
		knet_table_set_int(t, i, i);
	CHECK_INT(knet_table_stream_row(t), 0);
	knet_table_free(t);
	fclose(o.out);
	last = buf ? strrchr(buf, 'C') : NULL;
	CHECK(last && !strncmp(last, "C99\n", 4));
	CHECK(buf && strstr(buf, "   99\n") != NULL);
	free(buf);
}

static void fill_long(struct knet_table *t)
{
	static char big[5000];
	const char *items[100];
	char item[100][24];

	memset(big, 'x', sizeof(big) - 1);
	for (int i = 0; i < 100; i++) {
		snprintf(item[i], sizeof(item[i]), "198.19.0.%d", i);
		items[i] = item[i];
	}
	knet_table_add_row(t);
	knet_table_set_str(t, C_NAME, big);
	knet_table_set_strlist(t, C_IPS, items, 100);
}

/* Long cells print whole (they were cut at 4096 bytes, 256 in streams). */
/* KNET_CELL_USECLIST: traceroute's RTTs, made without cJSON. */
static const struct knet_column rtt_cols[] = {
	{"HOP", "hop", KNET_CELL_INT, 0, 0},
	{"RTT", "rtts_us", KNET_CELL_USECLIST, 0, 0},
	{NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static void fill_rtts(struct knet_table *t)
{
	const long long us[] = {1200, -1, 45};

	knet_table_add_row(t);
	knet_table_set_int(t, 0, 1);
	CHECK_INT(knet_table_set_usec_list(t, 1, us, 3), 0);
	knet_table_add_row(t);
	knet_table_set_int(t, 0, 2);
	CHECK_INT(knet_table_set_usec_list(t, 1, us, 0), 0);
}

static void fill_rtts_wrong(struct knet_table *t)
{
	const long long us[] = {1};

	knet_table_add_row(t);
	/* not a USECLIST column, and a negative count */
	CHECK_INT(knet_table_set_usec_list(t, 0, us, 1), -EINVAL);
	CHECK_INT(knet_table_set_usec_list(t, 1, us, -1), -EINVAL);
}

static void test_usec_list(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_JSON};
	struct knet_table *t = NULL;
	const long long us[] = {7, -1};
	cJSON *doc, *items, *a;
	char *s, *buf = NULL;
	size_t len = 0;
	int r = 1;

	s = capture(rtt_cols, KNET_FMT_TABLE, true, fill_rtts, &r);
	CHECK_INT(r, 0);
	CHECK(s && strstr(s, "1.200ms  *  45us\n"));
	CHECK(s && strstr(s, "<none>"));
	free(s);
	s = capture(rtt_cols, KNET_FMT_JSON, false, fill_rtts, &r);
	CHECK_INT(r, 0);
	doc = s ? cJSON_Parse(s) : NULL;
	items = cJSON_GetObjectItem(doc, "items");
	a = cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "rtts_us");
	CHECK_INT(cJSON_GetArraySize(a), 3);
	CHECK_INT(cJSON_GetNumberValue(cJSON_GetArrayItem(a, 0)), 1200);
	CHECK(cJSON_IsNull(cJSON_GetArrayItem(a, 1)));
	CHECK_INT(cJSON_GetNumberValue(cJSON_GetArrayItem(a, 2)), 45);
	a = cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "rtts_us");
	CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 0);
	cJSON_Delete(doc);
	free(s);
	s = capture(rtt_cols, KNET_FMT_TABLE, true, fill_rtts_wrong, &r);
	CHECK_INT(r, -EINVAL);
	free(s);
	/* a streamed JSON row writes the numbers itself */
	o.out = open_memstream(&buf, &len);
	if (o.out && knet_table_new(rtt_cols, &o, &t) == 0) {
		knet_table_add_row(t);
		knet_table_set_int(t, 0, 3);
		knet_table_set_usec_list(t, 1, us, 2);
		CHECK_INT(knet_table_stream_row(t), 0);
	}
	knet_table_free(t);
	if (o.out)
		fclose(o.out);
	CHECK_STR(buf, "{\"hop\":3,\"rtts_us\":[7,null]}\n");
	free(buf);
}

static void test_long_cells(void)
{
	int r = 1;
	char *s = capture(cols, KNET_FMT_TABLE, true, fill_long, &r);

	CHECK_INT(r, 0);
	CHECK(s && strlen(s) > 4999 + 1200);
	CHECK(s && strstr(s, ",198.19.0.99\n") != NULL);
	free(s);
}

/* Stream rows of (SEQ, FROM, NOTE) into a string. */
static char *stream_rows(bool no_headers, const char *const *from,
			 const char *const *note, int n)
{
	static const struct knet_column c[] = {
		{"SEQ", "seq", KNET_CELL_INT, KNET_COL_RIGHT, 3},
		{"FROM", "from", KNET_CELL_STR, 0, 10},
		{"NOTE", "note", KNET_CELL_STR, 0, 0},
		{NULL, NULL, KNET_CELL_NONE, 0, 0},
	};
	struct knet_output_opts o = {.format = KNET_FMT_TABLE,
				     .no_headers = no_headers};
	struct knet_table *t;
	char *buf = NULL;
	size_t len = 0;

	o.out = open_memstream(&buf, &len);
	if (!o.out || knet_table_new(c, &o, &t) < 0)
		return NULL;
	knet_table_stream_header(t);
	for (int i = 0; i < n; i++) {
		knet_table_add_row(t);
		knet_table_set_int(t, 0, i);
		knet_table_set_str(t, 1, from[i]);
		knet_table_set_str(t, 2, note[i]);
		CHECK_INT(knet_table_stream_row(t), 0);
	}
	knet_table_free(t);
	fclose(o.out);
	return buf;
}

/*
 * Streams: a missing cell is "-", never "<none>"; a wider cell grows its
 * column and the header comes again.
 */
static void test_stream_rule(void)
{
	const char *from[] = {"10.0.0.1", NULL, "fd00:1234:5678::1",
			      "10.0.0.2"};
	const char *note[] = {NULL, "no reply", "a much longer note", NULL};
	char *s = stream_rows(false, from, note, 4);

	CHECK_STR(s, "SEQ   FROM         NOTE\n"
		     "  0   10.0.0.1     -\n"
		     "  1   -            no reply\n"
		     "SEQ   FROM                NOTE\n"
		     "  2   fd00:1234:5678::1   a much longer note\n"
		     "  3   10.0.0.2            -\n");
	free(s);
	/* without headers, the column grows all the same */
	s = stream_rows(true, from, note, 4);
	CHECK_STR(s, "  0   10.0.0.1     -\n"
		     "  1   -            no reply\n"
		     "  2   fd00:1234:5678::1   a much longer note\n"
		     "  3   10.0.0.2            -\n");
	free(s);
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
	test_document_member();
	test_stream();
	test_stream_fits_first_row();
	test_humanise();
	test_widths_and_modes();
	test_misuse();
	test_declared_types();
	test_escaped_cells();
	test_json_print_escapes();
	test_json_print_whole_numbers();
	test_many_columns();
	test_long_cells();
	test_usec_list();
	test_stream_rule();
	return unit_done("test-output");
}
