/* SPDX-License-Identifier: MIT */
/*
 * The argument parser: a command line as the shell types it (split by
 * lib/cli's splitter, complete and partial), parsed against a global
 * and a command table with every option type (flag, count, string with
 * choices, ranged int and number, short-only digits), first stopping at
 * the command name as dispatch does, then to the end.  The suggestion
 * for the first word runs too.
 */
#include "knet/cli.h"

#include "fuzz.h"

static const struct knet_opt global[] = {
	{"namespace", 'n', KNET_OPT_STRING, "NS", "namespace", NULL, 0, 0,
	 "ns"},
	{"output", 'o', KNET_OPT_STRING, "FMT", "format",
	 "table|wide|json|name", 0, 0, NULL},
	{"verbose", 'v', KNET_OPT_COUNT, NULL, "more", NULL, 0, 0, NULL},
	{"server", 's', KNET_OPT_STRING, "URL", "server", NULL, 0, 0, NULL},
	{"no-headers", 0, KNET_OPT_FLAG, NULL, "no headers", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

static const struct knet_opt command[] = {
	{"count", 'c', KNET_OPT_INT, "N", "count", NULL, 1, 1000000, NULL},
	{"interval", 'i', KNET_OPT_NUMBER, "S", "interval", NULL, 0.001, 3600,
	 NULL},
	{"size", 's', KNET_OPT_INT, "BYTES", "size", NULL, 0, 65507, NULL},
	{"ipv6", '6', KNET_OPT_FLAG, NULL, "IPv6", NULL, 0, 0, NULL},
	{"all-namespaces", 'A', KNET_OPT_FLAG, NULL, "all", NULL, 0, 0, NULL},
	{"filter", 'f', KNET_OPT_STRING, "EXPR", "filter", NULL, 0, 0, NULL},
	{"timeout", 0, KNET_OPT_NUMBER, "S", "timeout", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

static void parse(char **v, int n)
{
	static const char *const names[] = {"ping", "pods",    "policy",
					    "who",  "capture", "conntrack"};
	const struct knet_opt *const gt[] = {global, NULL};
	const struct knet_opt *const ct[] = {command, global, NULL};
	static struct knet_args args;
	struct knet_error err = {0};
	const char *all[8];
	int next = 0;

	knet_args_init(&args);
	if (knet_args_parse(gt, n, v, true, &args, &next, &err) < 0)
		return;
	if (next < n)
		knet_suggest(v[next], names, 6);
	knet_args_init(&args);
	if (knet_args_parse(ct, n - next, v + next, false, &args, NULL, &err) <
	    0)
		return;
	knet_args_int(&args, "count", 5);
	knet_args_number(&args, "interval", 1);
	knet_args_str(&args, "output", "table");
	knet_args_count(&args, "verbose");
	knet_args_has(&args, "ipv6");
	knet_args_strv(&args, "filter", all, 8);
	knet_opt_find(ct, NULL, 's');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knet_words w;
	struct knet_error err = {0};
	char *line;

	if (size < 1)
		return 0;
	line = fuzz_str(data + 1, size - 1);
	if (!line)
		return 0;
	memset(&w, 0, sizeof(w));
	if (knet_split_line(line, data[0] & 1, &w, &err) == 0) {
		if (w.n > 0)
			parse(w.v, w.n);
	}
	knet_words_free(&w);
	free(line);
	return 0;
}
