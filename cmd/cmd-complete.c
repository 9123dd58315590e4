/* SPDX-License-Identifier: MIT */
/*
 * knet __complete KIND (hidden): the words shell completion offers for
 * an argument of that kind, one per line.  Silent on errors: a prompt is
 * no place for an error message.
 */
#include <string.h>

#include "cmd.h"

static int exec_complete(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *kind = args->pos[0];
	const struct knet_cmd *const *c;

	(void)ctx;
	if (strcmp(kind, "command") == 0) {
		for (c = knet_commands; *c; c++)
			if (!((*c)->flags & KNET_CMD_HIDDEN))
				printf("%s\n", (*c)->name);
		return 0;
	}
	if (strcmp(kind, "shell") == 0) {
		printf("bash\nzsh\nfish\n");
		return 0;
	}
	return 0;
}

const struct knet_cmd knet_cmd_complete = {
	.name = "__complete",
	.group = "other",
	.summary = "list completion words of a kind",
	.usage = "KIND",
	.min_args = 1,
	.max_args = 1,
	.flags = KNET_CMD_HIDDEN,
	.exec = exec_complete,
};
