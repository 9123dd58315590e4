/* SPDX-License-Identifier: MIT */
/* knet shell: the readline REPL over the command table (cmd/shell/). */
#include "cmd.h"
#include "shell/shell.h"

static const struct knet_opt options[] = {
	{"errexit", 'e', KNET_OPT_FLAG, NULL,
	 "stop at the first command that fails (not at a prompt)", NULL, 0, 0,
	 NULL},
	{"xtrace", 'x', KNET_OPT_FLAG, NULL,
	 "echo each command to stderr before running it", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

static int exec_shell(struct knet_ctx *ctx, const struct knet_args *args)
{
	return knet_shell_main(ctx, knet_args_has(args, "errexit"),
			       knet_args_has(args, "xtrace"));
}

const struct knet_cmd knet_cmd_shell = {
	.name = "shell",
	.group = "other",
	.summary = "an interactive prompt for knet commands, or a runbook "
		   "on stdin",
	.usage = "[-e] [-x] [< RUNBOOK]",
	.min_args = 0,
	.max_args = 0,
	.options = options,
	.exec = exec_shell,
};
