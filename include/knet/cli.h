/* SPDX-License-Identifier: MIT */
#ifndef KNET_CLI_H
#define KNET_CLI_H

/*
 * Command-line parsing shared by the global options and every command.
 *
 * Options are declared once, in tables; the same tables drive parsing,
 * `knet help`, the shell and the generated completions.  Parsing follows
 * kubectl: options and arguments may be interleaved, `--opt=v`, `--opt v`,
 * `-o v`, `-ov` and bundled short flags (`-Av`) all work, and `--` ends
 * the options (everything after it is an argument, as for `exec`).
 */

#include <stdbool.h>
#include <stddef.h>

#include "knet/base.h"

enum knet_opt_type {
	KNET_OPT_FLAG,	 /* --no-headers: present or not */
	KNET_OPT_COUNT,	 /* -v -v -v: how many times */
	KNET_OPT_STRING, /* --context NAME */
	KNET_OPT_INT,	 /* -c 5: a whole number, range-checked */
	KNET_OPT_NUMBER, /* -i 0.2: a decimal number, range-checked */
};

struct knet_opt {
	const char *name; /* long name without dashes, NULL ends a table */
	char short_name;  /* 0 when there is none */
	enum knet_opt_type type;
	const char *metavar;  /* shown in help: "NS", "FILE" */
	const char *help;     /* one line for `knet help` */
	const char *choices;  /* "table|wide|json|name" or NULL: enforced */
	double min, max;      /* for INT and NUMBER when min < max */
	const char *complete; /* completion hint: "file", "pod", "ns"... */
};

#define KNET_ARGS_MAX_OPTS 64
#define KNET_ARGS_MAX_POS  256

struct knet_opt_value {
	const struct knet_opt *opt;
	int count;	   /* times given */
	const char *str;   /* last value, points into argv */
	long long integer; /* parsed INT */
	double number;	   /* parsed NUMBER */
};

struct knet_args {
	struct knet_opt_value values[KNET_ARGS_MAX_OPTS];
	int nvalues;
	const char *pos[KNET_ARGS_MAX_POS]; /* positional arguments */
	int npos;
	int dashdash; /* index in pos[] where `--` was seen, -1 if never */
	/* Every option value in order (knet_args_strv). */
	const struct knet_opt *all_opt[KNET_ARGS_MAX_POS];
	const char *all_str[KNET_ARGS_MAX_POS];
	int nall;
};

/*
 * Parse argv[0..argc) against the NULL-terminated list of option tables.
 * With @stop_at_positional, parsing stops at the first positional
 * argument (used to find the command name behind the global options);
 * @ret_next then says where it stopped.  Usage errors return -EINVAL
 * with the reason in @err ("unknown option '--foo'").
 */
int knet_args_parse(const struct knet_opt *const *tables, int argc,
		    char *const *argv, bool stop_at_positional,
		    struct knet_args *args, int *ret_next,
		    struct knet_error *err);

/* Initialise to empty (no options seen, no arguments). */
void knet_args_init(struct knet_args *args);

/* Look up by long name; NULL or 0 when the option was not given. */
const struct knet_opt_value *knet_args_get(const struct knet_args *args,
					   const char *name);
bool knet_args_has(const struct knet_args *args, const char *name);
const char *knet_args_str(const struct knet_args *args, const char *name,
			  const char *fallback);
long long knet_args_int(const struct knet_args *args, const char *name,
			long long fallback);
double knet_args_number(const struct knet_args *args, const char *name,
			double fallback);
int knet_args_count(const struct knet_args *args, const char *name);
/*
 * Every value given to a repeatable option, in order, into @ret (which
 * is NULL-terminated, so at most @max - 1 values); the count, or -E2BIG.
 */
int knet_args_strv(const struct knet_args *args, const char *name,
		   const char **ret, int max);

/* Whether the option takes a value (STRING, INT, NUMBER). */
bool knet_opt_takes_value(const struct knet_opt *o);

/* Find an option in a table by long name, or by short letter. */
const struct knet_opt *knet_opt_find(const struct knet_opt *const *tables,
				     const char *name, char short_name);

/*
 * The closest of @candidates to @word by edit distance, when it is close
 * enough to suggest ("did you mean"), else NULL.
 */
const char *knet_suggest(const char *word, const char *const *candidates,
			 int n);

/* Levenshtein distance, exposed for the tests. */
int knet_edit_distance(const char *a, const char *b);

/* --- the shell's line splitter (lib/cli/split.c) --- */

struct knet_words {
	char **v; /* NULL-terminated, malloc'd words */
	int n;
	int cap;
	char *buf;	/* scratch */
	char quote;	/* partial: the quote left open ('\'', '"', '\\') */
	bool last_open; /* the line ends inside the last word */
	int start;	/* offset in the line where the last word starts */
};

/*
 * Split @line into words as sh quotes them (single and double quotes,
 * backslash), without expansions; a word starting with '#' begins a
 * comment.  An unbalanced quote or a final backslash is -EINVAL, a
 * usage error in @err, unless @partial (completion of a line being
 * typed: the open word is the last one).  Free with knet_words_free.
 */
int knet_split_line(const char *line, bool partial, struct knet_words *ret,
		    struct knet_error *err);
void knet_words_free(struct knet_words *w);

/* --- shell history (lib/cli/history.c) --- */

/*
 * $XDG_STATE_HOME/knet/history, else $HOME/.local/state/knet/history;
 * -ENOENT when neither is set.  @getenv_fn NULL: getenv.
 */
int knet_history_path(char *buf, size_t len,
		      const char *(*getenv_fn)(const char *name));
/*
 * Make the folders (0700) and the file (0600, and made so if it was
 * not: history holds what was typed) of @path.
 */
int knet_history_prepare(const char *path, struct knet_error *err);
/* Keep the last @max lines of @path, rewritten in place atomically. */
int knet_history_cap(const char *path, int max, struct knet_error *err);

#endif
