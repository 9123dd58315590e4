/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_SHELL_H
#define KNET_CMD_SHELL_H

/* The interactive shell (cmd/shell): the only place readline is used. */

#include <stddef.h>

/* The run-time readline version ("8.2") into @buf. */
void knet_shell_readline_version(char *buf, size_t len);

#endif
