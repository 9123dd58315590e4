/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_SHELL_LAZY_READLINE_H
#define KNET_CMD_SHELL_LAZY_READLINE_H

/*
 * readline, loaded by the shell when it needs it (lazy-readline.c):
 * knet does not link it, so no other command maps readline and libtinfo
 * (~340 KiB of RSS and two libraries to relocate at every start).
 * cmd/shell includes this instead of <readline/...>.  The functions the
 * shell calls are defined in lazy-readline.c with readline's own
 * prototypes; the variables it reads and sets are reached through the
 * addresses dlsym() gave, with their uses written as before (see
 * KNET_LAZY_VAR).  Nothing here may be used before
 * knet_shell_readline_load() said yes, but readline() itself, which
 * then reads a plain line.
 */

#include <stdbool.h>
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

#include "knet/lazy.h"

/* Load readline now (once): whether it is there. */
bool knet_shell_readline_load(void);
/* Whether it is loaded, without loading it. */
bool knet_shell_readline_loaded(void);
/* Why it could not be loaded, or "". */
const char *knet_shell_readline_error(void);

/* The slots of readline's variables, first in lazy-readline.c's. */
enum {
	KNET_RL_ATTEMPTED_COMPLETION_FUNCTION,
	KNET_RL_ATTEMPTED_COMPLETION_OVER,
	KNET_RL_COMPLETER_WORD_BREAK_CHARACTERS,
	KNET_RL_LINE_BUFFER,
	KNET_RL_OUTSTREAM,
	KNET_RL_CATCH_SIGNALS,
	KNET_RL_READLINE_NAME,
	KNET_RL_SIGNAL_EVENT_HOOK,
	KNET_RL_READLINE_VERSION,
	KNET_RL_HISTORY_BASE,
	KNET_RL_HISTORY_LENGTH,
	KNET_RL_NVARS,
};
extern void *knet_shell_rl_slot[];

#define KNET_RL_VAR(var, i) KNET_LAZY_VAR(var, knet_shell_rl_slot[i])
#define rl_attempted_completion_function                                       \
	KNET_RL_VAR(rl_attempted_completion_function,                          \
		    KNET_RL_ATTEMPTED_COMPLETION_FUNCTION)
#define rl_attempted_completion_over                                           \
	KNET_RL_VAR(rl_attempted_completion_over,                              \
		    KNET_RL_ATTEMPTED_COMPLETION_OVER)
#define rl_completer_word_break_characters                                     \
	KNET_RL_VAR(rl_completer_word_break_characters,                        \
		    KNET_RL_COMPLETER_WORD_BREAK_CHARACTERS)
#define rl_line_buffer	 KNET_RL_VAR(rl_line_buffer, KNET_RL_LINE_BUFFER)
#define rl_outstream	 KNET_RL_VAR(rl_outstream, KNET_RL_OUTSTREAM)
#define rl_catch_signals KNET_RL_VAR(rl_catch_signals, KNET_RL_CATCH_SIGNALS)
#define rl_readline_name KNET_RL_VAR(rl_readline_name, KNET_RL_READLINE_NAME)
#define rl_signal_event_hook                                                   \
	KNET_RL_VAR(rl_signal_event_hook, KNET_RL_SIGNAL_EVENT_HOOK)
#define rl_readline_version                                                    \
	KNET_RL_VAR(rl_readline_version, KNET_RL_READLINE_VERSION)
#define history_base   KNET_RL_VAR(history_base, KNET_RL_HISTORY_BASE)
#define history_length KNET_RL_VAR(history_length, KNET_RL_HISTORY_LENGTH)

#endif
