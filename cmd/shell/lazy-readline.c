/* SPDX-License-Identifier: MIT */
/*
 * The readline functions cmd/shell calls, forwarded to libreadline
 * loaded by knet_shell_readline_load() (lazy-readline.h), each with
 * the prototype of <readline/readline.h> or <readline/history.h>, and
 * the addresses of the variables it uses.  The loader is lib/lazy's
 * (knet/lazy.h); only the list of names lives here, next to the one
 * folder that may include readline's headers.  Without readline,
 * readline() prints the prompt and reads a plain line, and the other
 * functions do nothing: the shell checks before it uses them.
 */
#include <errno.h>
#include <stdlib.h>

#include "lazy-readline.h"

/* Debian 12's readline 8.2; -DKNET_LIBREADLINE_SONAME= for others. */
#ifndef KNET_LIBREADLINE_SONAME
#define KNET_LIBREADLINE_SONAME "libreadline.so.8"
#endif

enum {
	READLINE = KNET_RL_NVARS, /* the variables' slots come first */
	REPLACE_LINE,
	CRLF,
	ON_NEW_LINE,
	REDISPLAY,
	ADD_HISTORY,
	APPEND_HISTORY,
	HISTORY_GET,
	READ_HISTORY,
	STIFLE_HISTORY,
	NSYMS,
};

static const char *const sonames[] = {KNET_LIBREADLINE_SONAME, NULL};
static const char *const symbols[NSYMS + 1] = {
	[KNET_RL_ATTEMPTED_COMPLETION_FUNCTION] =
		"rl_attempted_completion_function",
	[KNET_RL_ATTEMPTED_COMPLETION_OVER] = "rl_attempted_completion_over",
	[KNET_RL_COMPLETER_WORD_BREAK_CHARACTERS] =
		"rl_completer_word_break_characters",
	[KNET_RL_LINE_BUFFER] = "rl_line_buffer",
	[KNET_RL_OUTSTREAM] = "rl_outstream",
	[KNET_RL_CATCH_SIGNALS] = "rl_catch_signals",
	[KNET_RL_READLINE_NAME] = "rl_readline_name",
	[KNET_RL_SIGNAL_EVENT_HOOK] = "rl_signal_event_hook",
	[KNET_RL_READLINE_VERSION] = "rl_readline_version",
	[KNET_RL_HISTORY_BASE] = "history_base",
	[KNET_RL_HISTORY_LENGTH] = "history_length",
	[READLINE] = "readline",
	[REPLACE_LINE] = "rl_replace_line",
	[CRLF] = "rl_crlf",
	[ON_NEW_LINE] = "rl_on_new_line",
	[REDISPLAY] = "rl_redisplay",
	[ADD_HISTORY] = "add_history",
	[APPEND_HISTORY] = "append_history",
	[HISTORY_GET] = "history_get",
	[READ_HISTORY] = "read_history",
	[STIFLE_HISTORY] = "stifle_history",
	[NSYMS] = NULL,
};

/* The loader fills it; the variables' addresses are its first slots. */
void *knet_shell_rl_slot[NSYMS];
static struct knet_lazy_set lib =
	KNET_LAZY_SET(sonames, symbols, knet_shell_rl_slot);

#define FN(T, i) ((T)knet_shell_rl_slot[i])
#define LOADED() knet_lazy_is_open(&lib)

bool knet_shell_readline_load(void)
{
	return knet_lazy_open(&lib);
}

bool knet_shell_readline_loaded(void)
{
	return LOADED();
}

const char *knet_shell_readline_error(void)
{
	return knet_shell_readline_load() ? "" : lib.error;
}

/* No readline: the prompt and a plain line, as readline returns it. */
static char *plain_line(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	for (;;) {
		fputs(prompt, stdout);
		fflush(stdout);
		errno = 0;
		n = getline(&line, &cap, stdin);
		if (n >= 0)
			break;
		if (errno != EINTR) { /* end of input */
			free(line);
			return NULL;
		}
		clearerr(stdin); /* Ctrl-C: a fresh prompt, as readline */
		fputc('\n', stdout);
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

char *readline(const char *prompt)
{
	if (!LOADED())
		return plain_line(prompt);
	return FN(char *(*)(const char *), READLINE)(prompt);
}

void rl_replace_line(const char *text, int clear_undo)
{
	if (LOADED())
		FN(void (*)(const char *, int), REPLACE_LINE)(text, clear_undo);
}

int rl_crlf(void)
{
	return LOADED() ? FN(int (*)(void), CRLF)() : 0;
}

int rl_on_new_line(void)
{
	return LOADED() ? FN(int (*)(void), ON_NEW_LINE)() : 0;
}

void rl_redisplay(void)
{
	if (LOADED())
		FN(void (*)(void), REDISPLAY)();
}

void add_history(const char *line)
{
	if (LOADED())
		FN(void (*)(const char *), ADD_HISTORY)(line);
}

int append_history(int n, const char *file)
{
	return LOADED()
		       ? FN(int (*)(int, const char *), APPEND_HISTORY)(n, file)
		       : ENOSYS;
}

HIST_ENTRY *history_get(int offset)
{
	return LOADED() ? FN(HIST_ENTRY * (*)(int), HISTORY_GET)(offset) : NULL;
}

int read_history(const char *file)
{
	return LOADED() ? FN(int (*)(const char *), READ_HISTORY)(file)
			: ENOSYS;
}

void stifle_history(int max)
{
	if (LOADED())
		FN(void (*)(int), STIFLE_HISTORY)(max);
}
