/* SPDX-License-Identifier: MIT */
/*
 * History across sessions, in $XDG_STATE_HOME/knet/history (0600):
 * loaded at start, each line appended as it is typed (a shell killed
 * in an incident keeps what was typed), capped at start and at exit.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "knet/cli.h"
#include "lazy-readline.h"
#include "shell.h"

/* Lines kept; KNET_HISTSIZE overrides (the tests use a small one). */
#define HISTORY_MAX 2000

static char path[PATH_MAX];
static int max_lines = HISTORY_MAX;

void knet_shell_history_open(struct knet_shell *sh)
{
	struct knet_error err = {0};
	const char *env = getenv("KNET_HISTSIZE");

	(void)sh;
	if (!knet_shell_readline_loaded())
		return; /* plain lines: no history to load or keep */
	if (env && atoi(env) > 0)
		max_lines = atoi(env);
	stifle_history(max_lines);
	if (knet_history_path(path, sizeof(path), NULL) < 0 ||
	    knet_history_prepare(path, &err) < 0) {
		if (err.reason[0])
			fprintf(stderr, "knet: warning: no history: %s\n",
				err.reason);
		path[0] = '\0';
		return;
	}
	knet_history_cap(path, max_lines, &err);
	read_history(path);
}

void knet_shell_history_add(const char *line)
{
	HIST_ENTRY *last;

	if (!knet_shell_readline_loaded())
		return;
	last = history_length ? history_get(history_base + history_length - 1)
			      : NULL;
	/* No blank lines, no repeats of the line just before. */
	if (!*line || (last && strcmp(last->line, line) == 0))
		return;
	add_history(line);
	if (path[0])
		append_history(1, path);
}

void knet_shell_history_close(void)
{
	struct knet_error err = {0};

	if (path[0])
		knet_history_cap(path, max_lines, &err);
}
