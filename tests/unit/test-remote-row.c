/* SPDX-License-Identifier: MIT */
/*
 * knet_via_row: a remote knet's JSON line back into a row, typed by the
 * table's own column declaration, whatever the length of a list.
 */
#include <stdio.h>
#include <stdlib.h>

#include "knet/api.h"
#include "knet/node.h"
#include "knet/output.h"
#include "unit.h"

enum { C_HOP, C_ADDRS, C_RTT, C_OK, C_LOSS, C_NAME, C_DETAIL, NCOLS };

static const struct knet_column cols[] = {
	[C_HOP] = {"HOP", "hop", KNET_CELL_INT, 0, 0},
	[C_ADDRS] = {"ADDRS", "addrs", KNET_CELL_STRLIST, 0, 0},
	[C_RTT] = {"RTT", "rtt_us", KNET_CELL_USEC, 0, 0},
	[C_OK] = {"OK", "ok", KNET_CELL_BOOL, 0, 0},
	[C_LOSS] = {"LOSS", "loss", KNET_CELL_PERCENT, 0, 0},
	[C_NAME] = {"NAME", "name", KNET_CELL_STR, 0, 0},
	[C_DETAIL] = {"DETAIL", "detail", KNET_CELL_JSON, 0, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* A list of 100 addresses comes back whole (it was cut at 64). */
static void test_long_list(void)
{
	struct knet_output_opts o = {.format = KNET_FMT_JSON, .out = stdout};
	struct knet_table *t = NULL;
	cJSON *in = cJSON_CreateObject(), *a = cJSON_CreateArray(), *out;
	char ip[32];

	for (int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "198.19.%d.%d", i / 50, i % 50);
		cJSON_AddItemToArray(a, cJSON_CreateString(ip));
	}
	cJSON_AddItemToObject(in, "addrs", a);
	CHECK_INT(knet_table_new(cols, &o, &t), 0);
	CHECK_INT(knet_via_row(t, in), 0);
	out = knet_table_row_json(t, 0);
	a = cJSON_GetObjectItem(out, "addrs");
	CHECK_INT(cJSON_GetArraySize(a), 100);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(a, 99)),
		  "198.19.1.49");
	cJSON_Delete(out);
	cJSON_Delete(in);
	knet_table_free(t);
}

/* @line through knet_via_row and back out as JSON text (caller frees). */
static char *round_trip(const char *line)
{
	struct knet_output_opts o = {.format = KNET_FMT_JSON, .out = stdout};
	struct knet_table *t = NULL;
	cJSON *in = cJSON_Parse(line), *out = NULL;
	char *text = NULL;

	CHECK(in != NULL);
	CHECK_INT(knet_table_new(cols, &o, &t), 0);
	CHECK_INT(knet_via_row(t, in), 0);
	out = knet_table_row_json(t, 0);
	text = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	cJSON_Delete(in);
	knet_table_free(t);
	return text;
}

/* The declared types decide; wrong JSON types stay missing. */
static void test_types(void)
{
	char *text = round_trip("{\"hop\":2,\"rtt_us\":45,\"addrs\":"
				"[\"198.18.0.11\"],\"name\":null,"
				"\"ok\":false,\"loss\":0}");

	CHECK_STR(text, "{\"hop\":2,\"addrs\":[\"198.18.0.11\"],"
			"\"rtt_us\":45,\"ok\":false,\"loss\":0,"
			"\"name\":null,\"detail\":null}");
	free(text);
	text = round_trip("{\"hop\":\"2\",\"rtt_us\":45,\"ok\":true,"
			  "\"loss\":12.5,\"name\":7,\"detail\":{}}");
	/* JSON columns are the caller's to fill */
	CHECK_STR(text, "{\"hop\":null,\"addrs\":null,\"rtt_us\":45,"
			"\"ok\":true,\"loss\":12.5,\"name\":null,"
			"\"detail\":null}");
	free(text);
}

/* Numbers out of a long long's range stay missing (no UB cast). */
static void test_out_of_range(void)
{
	char *text = round_trip("{\"hop\":1e300,\"rtt_us\":-1e300,"
				"\"loss\":50}");
	long long n = 0;
	cJSON *big = cJSON_CreateNumber(9223372036854775808.0);
	cJSON *ok = cJSON_CreateNumber(-9223372036854775807.0);

	CHECK_STR(text, "{\"hop\":null,\"addrs\":null,\"rtt_us\":null,"
			"\"ok\":null,\"loss\":50,\"name\":null,"
			"\"detail\":null}");
	free(text);
	CHECK(!knet_json_to_ll(big, &n));
	CHECK(knet_json_to_ll(ok, &n));
	CHECK(n < -9223372036854775000LL);
	CHECK(!knet_json_to_ll(NULL, &n));
	cJSON_Delete(big);
	cJSON_Delete(ok);
}

int main(void)
{
	test_long_list();
	test_types();
	test_out_of_range();
	return unit_done("test-remote-row");
}
