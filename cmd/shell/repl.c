/* SPDX-License-Identifier: MIT */
/*
 * The loop of `knet shell`: read a line (readline on a terminal, plain
 * lines from a runbook), split it as sh would, run a builtin or the
 * command through the same dispatch as `knet ...`, remember its status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knet/cli.h"
#include "lazy-readline.h"
#include "shell.h"

static volatile sig_atomic_t interrupted;

static void on_prompt_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * Ctrl-C at the prompt: readline's read returns EINTR and calls this;
 * the line is dropped and a fresh prompt drawn, as bash does.
 */
static int prompt_signal_hook(void)
{
	if (!interrupted)
		return 0;
	interrupted = 0;
	rl_replace_line("", 0);
	rl_crlf();
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

static void prompt_signals(void)
{
	/* No SA_RESTART: the read wakes up with EINTR. */
	struct sigaction sa = {.sa_handler = on_prompt_sigint};

	sigaction(SIGINT, &sa, NULL);
}

static int run_words(struct knet_shell *sh, int argc, char **argv)
{
	volatile sig_atomic_t *stop;
	int r;

	if (knet_shell_builtin(sh, argc, argv, &r))
		return r;
	if (strcmp(argv[0], "shell") == 0) {
		fprintf(stderr, "knet: already in the shell; "
				"try 'knet help shell'\n");
		return KNET_EXIT_USAGE;
	}
	/* Ctrl-C during a command stops it (the probe loops poll the flag),
	 * not the shell. */
	stop = knet_catch_stop();
	r = knet_dispatch(&sh->ctx, argc, argv);
	/* After "^C", the prompt starts on a line of its own. */
	if (sh->interactive && *stop)
		putchar('\n');
	fflush(stdout);
	if (sh->interactive)
		prompt_signals();
	return r;
}

/* One line; returns its status, or -1 for a blank or comment line. */
static int run_line(struct knet_shell *sh, const char *line)
{
	struct knet_error err = {0};
	struct knet_words w = {0};
	int r;

	if (knet_split_line(line, false, &w, &err) < 0) {
		fprintf(stderr,
			"knet: cannot read line: %s; try 'knet help "
			"shell'\n",
			err.reason);
		return err.exit ? (int)err.exit : KNET_EXIT_USAGE;
	}
	if (w.n == 0) {
		knet_words_free(&w);
		return -1;
	}
	if (sh->xtrace)
		fprintf(stderr, "+ %s\n", line);
	r = run_words(sh, w.n, w.v);
	knet_words_free(&w);
	return r;
}

static void interactive_loop(struct knet_shell *sh)
{
	char prompt[512];
	char *line;

	/* Loaded here, not linked (lazy-readline.h); without it, plain
	 * lines after the prompt. */
	if (knet_shell_readline_load()) {
		rl_readline_name = "knet";
		rl_catch_signals = 0; /* ours: Ctrl-C clears the line */
		rl_signal_event_hook = prompt_signal_hook;
	} else {
		fprintf(stderr, "knet: warning: no line editing: %s\n",
			knet_shell_readline_error());
	}
	prompt_signals();
	knet_shell_history_open(sh);
	knet_shell_complete_init(sh);
	while (!sh->done) {
		int r;

		knet_shell_prompt(sh, prompt, sizeof(prompt));
		line = readline(prompt);
		if (!line) { /* Ctrl-D */
			putchar('\n');
			break;
		}
		knet_shell_history_add(line);
		r = run_line(sh, line);
		free(line);
		if (r >= 0)
			sh->last = r;
	}
	knet_shell_complete_stop();
	knet_shell_history_close();
}

static void script_loop(struct knet_shell *sh)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while (!sh->done && (n = getline(&line, &cap, stdin)) >= 0) {
		int r;

		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		r = run_line(sh, line);
		if (r < 0)
			continue;
		sh->last = r;
		if (sh->errexit && r != 0)
			break;
	}
	free(line);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int knet_shell_main(struct knet_ctx *outer, bool errexit, bool xtrace)
{
	struct knet_shell sh = {0};
	int code;

	sh.ctx.argv0 = outer->argv0;
	sh.ctx.use = &sh.use;
	sh.ctx.keep_api = true;
	sh.ctx.isolate = knet_shell_spawn;
	/* `knet --context X -n NS shell`: the starting `use`. */
	sh.use.kubeconfig = dup_or_null(outer->g.kubeconfig);
	sh.use.context = dup_or_null(outer->g.context);
	sh.use.namespace = dup_or_null(outer->g.namespace);
	sh.use.node = dup_or_null(outer->g.node);
	sh.errexit = errexit;
	sh.xtrace = xtrace;
	sh.interactive = isatty(STDIN_FILENO);
	if (sh.interactive) {
		/* The prompt names the context from the start (a broken
		 * kubeconfig says so now, and again at each command). */
		sh.ctx.g.kubeconfig = sh.use.kubeconfig;
		sh.ctx.g.context = sh.use.context;
		sh.ctx.keep_api = true;
		if (knet_ctx_api_ready(&sh.ctx) != 0)
			knet_ctx_release(&sh.ctx);
	}
	/* A runbook's SIGPIPE (| head) ends the shell as it ends knet. */
	if (sh.interactive)
		interactive_loop(&sh);
	else
		script_loop(&sh);
	code = sh.done ? sh.exit_code : sh.last;
	knet_ctx_release(&sh.ctx);
	free((char *)sh.use.kubeconfig);
	free((char *)sh.use.context);
	free((char *)sh.use.namespace);
	free((char *)sh.use.pod);
	free((char *)sh.use.node);
	return code;
}
