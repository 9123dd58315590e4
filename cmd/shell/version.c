/* SPDX-License-Identifier: MIT */
/* The readline in use at run time, for `knet version`. */
#include <stdio.h>

#include "lazy-readline.h"
#include "shell.h"

void knet_shell_readline_version(char *buf, size_t len)
{
	/* Loads it (lazy-readline.h): `knet version` says what the
	 * shell would get. */
	if (!knet_shell_readline_load()) {
		snprintf(buf, len, "unavailable");
		return;
	}
	snprintf(buf, len, "%d.%d", rl_readline_version >> 8,
		 rl_readline_version & 0xff);
}
