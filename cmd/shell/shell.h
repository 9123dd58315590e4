/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_SHELL_H
#define KNET_CMD_SHELL_H

/* The interactive shell (cmd/shell): the only place readline is used. */

#include <stdbool.h>
#include <stddef.h>

#include "../cmd.h"

/* The run-time readline version ("8.2") into @buf. */
void knet_shell_readline_version(char *buf, size_t len);

/* What `use` set, owned (strdup'd) by the shell. */
struct knet_shell {
	struct knet_ctx ctx; /* one for every line: it keeps the API client */
	struct knet_use use;
	bool errexit; /* -e */
	bool xtrace;  /* -x */
	bool interactive;
	bool done;     /* `exit` */
	int last;      /* the last line's exit status */
	int exit_code; /* `exit N` */
};

/* knet shell: the loop; returns the exit status of the shell. */
int knet_shell_main(struct knet_ctx *outer, bool errexit, bool xtrace);

/*
 * A shell builtin (use, unuse, status, exit) when words[0] names one:
 * true, with its exit status in *@ret.
 */
bool knet_shell_builtin(struct knet_shell *sh, int argc, char **argv, int *ret);
/* The prompt: "knet context/namespace(/pod)> ". */
void knet_shell_prompt(const struct knet_shell *sh, char *buf, size_t len);

/* Run a KNET_CMD_ROOT/TTY command in a child (ctx->isolate). */
int knet_shell_spawn(struct knet_ctx *ctx, int argc, char **argv);

/* History: load it and cap it (history.c). */
void knet_shell_history_open(struct knet_shell *sh);
void knet_shell_history_add(const char *line);
void knet_shell_history_close(void);

/* Tab completion (complete.c) and its cache of live names (cache.c). */
void knet_shell_complete_init(struct knet_shell *sh);
void knet_shell_complete_stop(void);

typedef void (*knet_shell_word_fn)(const char *word, void *userdata);
/* Start watching every completion kind of the context in @use. */
void knet_shell_cache_start(const struct knet_use *use);
void knet_shell_cache_stop(void);
/*
 * Offer each cached name of @kind (in @ns for namespaced kinds; pods
 * elsewhere as NS/NAME) that, behind @prefix, starts with @text.  Sets
 * *@loading when the kind is not listed yet.  Returns how many.
 */
int knet_shell_cache_match(const char *kind, const char *ns, const char *prefix,
			   const char *text, knet_shell_word_fn add_word,
			   void *userdata, bool *loading);

#endif
