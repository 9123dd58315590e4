/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/cli.h"

/*
 * Only what is read past the counts is cleared: pos[] (commands read
 * pos[1] of a one-word line as NULL).  values[] is cleared slot by slot
 * as options arrive and all_*[] are read below nall only: clearing all
 * 8.7 KB, a few times per command line, was 9 K instructions of every
 * start (callgrind of `knet traceroute`).
 */
void knet_args_init(struct knet_args *args)
{
	memset(args->pos, 0, sizeof(args->pos));
	args->nvalues = args->npos = args->nall = 0;
	args->dashdash = -1;
}

const struct knet_opt *knet_opt_find(const struct knet_opt *const *tables,
				     const char *name, char short_name)
{
	for (; *tables; tables++) {
		const struct knet_opt *o;

		for (o = *tables; o->name; o++) {
			if (name && strcmp(o->name, name) == 0)
				return o;
			if (!name && short_name && o->short_name == short_name)
				return o;
		}
	}
	return NULL;
}

static struct knet_opt_value *value_slot(struct knet_args *args,
					 const struct knet_opt *opt)
{
	int i;

	for (i = 0; i < args->nvalues; i++)
		if (args->values[i].opt == opt)
			return &args->values[i];
	if (args->nvalues >= KNET_ARGS_MAX_OPTS)
		return NULL;
	memset(&args->values[args->nvalues], 0, sizeof(*args->values));
	args->values[args->nvalues].opt = opt;
	return &args->values[args->nvalues++];
}

/* Is @value one of the '|'-separated @choices? */
static int in_choices(const char *choices, const char *value)
{
	size_t len = strlen(value);
	const char *p = choices;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && strncmp(p, value, n) == 0)
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

/* Spelling of an option for messages: "--count" or "-c/--count". */
static void opt_label(const struct knet_opt *o, char *buf, size_t len)
{
	if (o->short_name)
		snprintf(buf, len, "-%c/--%s", o->short_name, o->name);
	else
		snprintf(buf, len, "--%s", o->name);
}

static int store_value(struct knet_args *args, struct knet_opt_value *v,
		       const char *value, struct knet_error *err)
{
	const struct knet_opt *o = v->opt;
	char label[64], *end;
	bool ranged = o->min < o->max;

	opt_label(o, label, sizeof(label));
	if (o->choices && !in_choices(o->choices, value))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "invalid value '%s' for %s (expected %s)",
				      value, label, o->choices);
	if (o->type == KNET_OPT_INT) {
		long long n;

		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno || end == value || *end)
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "invalid value '%s' for %s "
					      "(expected a whole number)",
					      value, label);
		if (ranged && (n < o->min || n > o->max))
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "value %lld for %s is out of "
					      "range (%.0f to %.0f)",
					      n, label, o->min, o->max);
		v->integer = n;
	} else if (o->type == KNET_OPT_NUMBER) {
		double d;

		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(d))
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "invalid value '%s' for %s "
					      "(expected a number)",
					      value, label);
		if (ranged && (d < o->min || d > o->max))
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "value %s for %s is out of "
					      "range (%g to %g)",
					      value, label, o->min, o->max);
		v->number = d;
	}
	/* Every value in order too, for repeatable options (--as-group). */
	if (args->nall >= KNET_ARGS_MAX_POS)
		return knet_error_set(err, -E2BIG, KNET_EXIT_USAGE,
				      "too many options");
	args->all_opt[args->nall] = o;
	args->all_str[args->nall++] = value;
	v->str = value;
	v->count++;
	return 0;
}

bool knet_opt_takes_value(const struct knet_opt *o)
{
	return o->type == KNET_OPT_STRING || o->type == KNET_OPT_INT ||
	       o->type == KNET_OPT_NUMBER;
}

static int add_positional(struct knet_args *args, const char *a,
			  struct knet_error *err)
{
	if (args->npos >= KNET_ARGS_MAX_POS)
		return knet_error_set(err, -E2BIG, KNET_EXIT_USAGE,
				      "too many arguments");
	args->pos[args->npos++] = a;
	return 0;
}

/* "--name", "--name=value" at argv[*i]; may consume argv[*i + 1]. */
static int parse_long(const struct knet_opt *const *tables, int argc,
		      char *const *argv, int *i, struct knet_args *args,
		      struct knet_error *err)
{
	const char *a = argv[*i] + 2;
	const char *eq = strchr(a, '=');
	char name[64];
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	const struct knet_opt *o;
	struct knet_opt_value *v;

	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, a, n);
	name[n] = '\0';
	o = knet_opt_find(tables, name, 0);
	if (!o)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "unknown option '--%s'", name);
	v = value_slot(args, o);
	if (!v)
		return knet_error_set(err, -E2BIG, KNET_EXIT_USAGE,
				      "too many options");
	if (!knet_opt_takes_value(o)) {
		if (eq)
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "option '--%s' takes no value",
					      name);
		v->count++;
		return 0;
	}
	if (eq)
		return store_value(args, v, eq + 1, err);
	if (*i + 1 >= argc)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "option '--%s' needs a value", name);
	(*i)++;
	return store_value(args, v, argv[*i], err);
}

/* "-A", "-Av", "-n web", "-nweb", "-o=json"; may consume argv[*i + 1]. */
static int parse_short(const struct knet_opt *const *tables, int argc,
		       char *const *argv, int *i, struct knet_args *args,
		       struct knet_error *err)
{
	const char *p = argv[*i] + 1;

	for (; *p; p++) {
		const struct knet_opt *o = knet_opt_find(tables, NULL, *p);
		struct knet_opt_value *v;

		if (!o)
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "unknown option '-%c'", *p);
		v = value_slot(args, o);
		if (!v)
			return knet_error_set(err, -E2BIG, KNET_EXIT_USAGE,
					      "too many options");
		if (!knet_opt_takes_value(o)) {
			v->count++;
			continue;
		}
		if (p[1])
			return store_value(args, v, p[1] == '=' ? p + 2 : p + 1,
					   err);
		if (*i + 1 >= argc)
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "option '-%c' needs a value", *p);
		(*i)++;
		return store_value(args, v, argv[*i], err);
	}
	return 0;
}

/*
 * A lone "-" is an argument, and so is a negative number ("-5"), unless
 * a table declares that digit as a short option (ping's -4 and -6).
 */
static int looks_like_option(const struct knet_opt *const *tables,
			     const char *a)
{
	if (a[0] != '-' || a[1] == '\0')
		return 0;
	if (a[1] >= '0' && a[1] <= '9')
		return knet_opt_find(tables, NULL, a[1]) != NULL;
	return 1;
}

int knet_args_parse(const struct knet_opt *const *tables, int argc,
		    char *const *argv, bool stop_at_positional,
		    struct knet_args *args, int *ret_next,
		    struct knet_error *err)
{
	int i, r;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			if (stop_at_positional)
				break;
			args->dashdash = args->npos;
			for (i++; i < argc; i++) {
				r = add_positional(args, argv[i], err);
				if (r < 0)
					return r;
			}
			break;
		}
		if (!looks_like_option(tables, a)) {
			if (stop_at_positional)
				break;
			r = add_positional(args, a, err);
		} else if (a[1] == '-') {
			r = parse_long(tables, argc, argv, &i, args, err);
		} else {
			r = parse_short(tables, argc, argv, &i, args, err);
		}
		if (r < 0)
			return r;
	}
	if (ret_next)
		*ret_next = i;
	return 0;
}

const struct knet_opt_value *knet_args_get(const struct knet_args *args,
					   const char *name)
{
	int i;

	for (i = 0; i < args->nvalues; i++)
		if (strcmp(args->values[i].opt->name, name) == 0 &&
		    args->values[i].count > 0)
			return &args->values[i];
	return NULL;
}

bool knet_args_has(const struct knet_args *args, const char *name)
{
	return knet_args_get(args, name) != NULL;
}

const char *knet_args_str(const struct knet_args *args, const char *name,
			  const char *fallback)
{
	const struct knet_opt_value *v = knet_args_get(args, name);

	return v && v->str ? v->str : fallback;
}

long long knet_args_int(const struct knet_args *args, const char *name,
			long long fallback)
{
	const struct knet_opt_value *v = knet_args_get(args, name);

	return v ? v->integer : fallback;
}

double knet_args_number(const struct knet_args *args, const char *name,
			double fallback)
{
	const struct knet_opt_value *v = knet_args_get(args, name);

	return v ? v->number : fallback;
}

int knet_args_strv(const struct knet_args *args, const char *name,
		   const char **ret, int max)
{
	int n = 0;

	for (int i = 0; i < args->nall; i++) {
		if (strcmp(args->all_opt[i]->name, name) != 0)
			continue;
		if (n >= max - 1)
			return -E2BIG;
		ret[n++] = args->all_str[i];
	}
	ret[n] = NULL;
	return n;
}

int knet_args_count(const struct knet_args *args, const char *name)
{
	const struct knet_opt_value *v = knet_args_get(args, name);

	return v ? v->count : 0;
}

/*
 * Optimal string alignment distance: edits plus swaps of neighbours, so
 * that "pign" is one step from "ping", as typos usually are.
 */
int knet_edit_distance(const char *a, const char *b)
{
	int d[65][65];
	int la = (int)strlen(a), lb = (int)strlen(b), i, j;

	/* Long words are never "close" to a command name. */
	if (la > 64 || lb > 64)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *knet_suggest(const char *word, const char *const *candidates, int n)
{
	const char *best = NULL;
	int best_d = 99, i;
	size_t len = strlen(word);

	for (i = 0; i < n; i++) {
		int d;

		if (!candidates[i])
			continue;
		d = knet_edit_distance(word, candidates[i]);
		/* a prefix of a command ("tracer") is a fine suggestion */
		if (len >= 3 && strncmp(candidates[i], word, len) == 0)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* Allow one edit in short words, two in longer ones (like git). */
	if (best && best_d <= (len <= 4 ? 1 : 2))
		return best;
	return NULL;
}
