/* SPDX-License-Identifier: MIT */
/*
 * The command table: one line per command, in the order `knet help`
 * lists them.  Each command lives in cmd/cmd-<name>.c.
 */
#include <stddef.h>

#include "cmd.h"

extern const struct knet_cmd knet_cmd_help;
extern const struct knet_cmd knet_cmd_version;
extern const struct knet_cmd knet_cmd_completion;
extern const struct knet_cmd knet_cmd_complete;

const struct knet_cmd *const knet_commands[] = {
	/* cluster (API only) */
	/* node (enters the pod's network namespace) */
	/* analysis */
	/* other */
	&knet_cmd_completion,
	&knet_cmd_version,
	&knet_cmd_help,
	&knet_cmd_complete,
	NULL,
};
