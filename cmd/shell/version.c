/* SPDX-License-Identifier: MIT */
/* The readline in use at run time, for `knet version`. */
#include <stdio.h>
#include <readline/readline.h>

#include "shell.h"

void knet_shell_readline_version(char *buf, size_t len)
{
	snprintf(buf, len, "%d.%d", rl_readline_version >> 8,
		 rl_readline_version & 0xff);
}
