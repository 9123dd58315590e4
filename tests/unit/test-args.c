/* SPDX-License-Identifier: MIT */
/* The option parser: kubectl-style spellings, bad input, suggestions. */
#include <errno.h>

#include "knet/cli.h"
#include "unit.h"

static const struct knet_opt globals[] = {
	{"namespace", 'n', KNET_OPT_STRING, "NS", "ns", NULL, 0, 0, NULL},
	{"all-namespaces", 'A', KNET_OPT_FLAG, NULL, "all", NULL, 0, 0, NULL},
	{"output", 'o', KNET_OPT_STRING, "FORMAT", "out",
	 "table|wide|json|name", 0, 0, NULL},
	{"verbose", 'v', KNET_OPT_COUNT, NULL, "v", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

static const struct knet_opt ping_opts[] = {
	{"count", 'c', KNET_OPT_INT, "N", "count", NULL, 1, 1000000, NULL},
	{"interval", 'i', KNET_OPT_NUMBER, "S", "interval", NULL, 0.002, 60,
	 NULL},
	{"df", 0, KNET_OPT_FLAG, NULL, "df", NULL, 0, 0, NULL},
	{"ipv6", '6', KNET_OPT_FLAG, NULL, "v6", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

static const struct knet_opt *const tables[] = {globals, ping_opts, NULL};

/* Parse a NULL-terminated word list into @a; returns the parser's code. */
static int parse(struct knet_args *a, struct knet_error *err, char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	knet_args_init(a);
	knet_error_clear(err);
	return knet_args_parse(tables, argc, argv, false, a, NULL, err);
}

static void test_spellings(void)
{
	struct knet_args a;
	struct knet_error err;
	char *v1[] = {"--namespace=web", "pod-1", "-o", "json", NULL};
	char *v2[] = {"-nweb", "-ojson", "-Avvv", NULL};
	char *v3[] = {"-c", "5", "--interval", "0.5", "--df", "x", NULL};
	char *v4[] = {"-o=wide", "--", "-c", "ls", "--df", NULL};

	CHECK_INT(parse(&a, &err, v1), 0);
	CHECK_STR(knet_args_str(&a, "namespace", NULL), "web");
	CHECK_STR(knet_args_str(&a, "output", NULL), "json");
	CHECK_INT(a.npos, 1);
	CHECK_STR(a.pos[0], "pod-1");

	CHECK_INT(parse(&a, &err, v2), 0);
	CHECK_STR(knet_args_str(&a, "namespace", NULL), "web");
	CHECK_STR(knet_args_str(&a, "output", NULL), "json");
	CHECK(knet_args_has(&a, "all-namespaces"));
	CHECK_INT(knet_args_count(&a, "verbose"), 3);

	CHECK_INT(parse(&a, &err, v3), 0);
	CHECK_INT(knet_args_int(&a, "count", 0), 5);
	CHECK(knet_args_number(&a, "interval", 0) == 0.5);
	CHECK(knet_args_has(&a, "df"));
	CHECK_INT(a.npos, 1);

	/* everything after -- is an argument, even if it looks like one */
	CHECK_INT(parse(&a, &err, v4), 0);
	CHECK_STR(knet_args_str(&a, "output", NULL), "wide");
	CHECK_INT(a.npos, 3);
	CHECK_INT(a.dashdash, 0);
	CHECK_STR(a.pos[0], "-c");
	CHECK(!knet_args_has(&a, "count"));
	CHECK(!knet_args_has(&a, "df"));
}

/* A digit is an option only where a table declares it (ping's -6). */
static void test_digits(void)
{
	struct knet_args a;
	struct knet_error err;
	char *v6[] = {"-6", "host", NULL};
	char *neg[] = {"-5", "-", NULL};
	char *value[] = {"-c", "-6", NULL};

	CHECK_INT(parse(&a, &err, v6), 0);
	CHECK(knet_args_has(&a, "ipv6"));
	CHECK_INT(a.npos, 1);
	CHECK_INT(parse(&a, &err, neg), 0);
	CHECK_INT(a.npos, 2);
	CHECK_STR(a.pos[0], "-5");
	CHECK_STR(a.pos[1], "-");
	/* an option's value is taken as it is, even if it looks like one */
	CHECK_INT(parse(&a, &err, value), -EINVAL);
	CHECK_STR(err.reason,
		  "value -6 for -c/--count is out of range (1 to 1000000)");
	CHECK(!knet_args_has(&a, "ipv6"));
}

static void test_bad_input(void)
{
	struct knet_args a;
	struct knet_error err;
	char *unknown_long[] = {"--nope", NULL};
	char *unknown_short[] = {"-Z", NULL};
	char *missing[] = {"pods", "-n", NULL};
	char *missing_long[] = {"--namespace", NULL};
	char *yaml[] = {"-o", "yaml", NULL};
	char *not_int[] = {"-c", "five", NULL};
	char *range[] = {"-c", "0", NULL};
	char *not_num[] = {"-i", "1x", NULL};
	char *small[] = {"--interval=0.0001", NULL};
	char *flag_value[] = {"--df=yes", NULL};

	CHECK_INT(parse(&a, &err, unknown_long), -EINVAL);
	CHECK_STR(err.reason, "unknown option '--nope'");
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	CHECK_INT(parse(&a, &err, unknown_short), -EINVAL);
	CHECK_STR(err.reason, "unknown option '-Z'");
	CHECK_INT(parse(&a, &err, missing), -EINVAL);
	CHECK_STR(err.reason, "option '-n' needs a value");
	CHECK_INT(parse(&a, &err, missing_long), -EINVAL);
	CHECK_STR(err.reason, "option '--namespace' needs a value");
	CHECK_INT(parse(&a, &err, yaml), -EINVAL);
	CHECK_STR(err.reason, "invalid value 'yaml' for -o/--output "
			      "(expected table|wide|json|name)");
	CHECK_INT(parse(&a, &err, not_int), -EINVAL);
	CHECK_STR(err.reason,
		  "invalid value 'five' for -c/--count (expected a whole "
		  "number)");
	CHECK_INT(parse(&a, &err, range), -EINVAL);
	CHECK_STR(err.reason,
		  "value 0 for -c/--count is out of range (1 to 1000000)");
	CHECK_INT(parse(&a, &err, not_num), -EINVAL);
	CHECK_INT(parse(&a, &err, small), -EINVAL);
	CHECK_INT(parse(&a, &err, flag_value), -EINVAL);
	CHECK_STR(err.reason, "option '--df' takes no value");
}

static void test_stop_at_command(void)
{
	struct knet_args a;
	struct knet_error err = {0};
	char *argv[] = {"-n", "web", "-v", "ping", "-c", "3", NULL};
	int next = -1;

	knet_args_init(&a);
	CHECK_INT(knet_args_parse(tables, 6, argv, true, &a, &next, &err), 0);
	CHECK_INT(next, 3);
	CHECK_STR(knet_args_str(&a, "namespace", NULL), "web");
	CHECK(!knet_args_has(&a, "count"));
}

static void test_suggest(void)
{
	const char *names[] = {"pods",	  "ping",     "traceroute",
			       "version", "services", "svc"};

	CHECK_STR(knet_suggest("verison", names, 6), "version");
	CHECK_STR(knet_suggest("pign", names, 6), "ping");
	CHECK_STR(knet_suggest("tracer", names, 6), "traceroute");
	CHECK(knet_suggest("nosuch", names, 6) == NULL);
	CHECK(knet_suggest("x", names, 6) == NULL);
	CHECK_INT(knet_edit_distance("kitten", "sitting"), 3);
	CHECK_INT(knet_edit_distance("", "abc"), 3);
}

int main(void)
{
	test_spellings();
	test_digits();
	test_bad_input();
	test_stop_at_command();
	test_suggest();
	return unit_done("test-args");
}
