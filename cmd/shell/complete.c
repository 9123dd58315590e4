/* SPDX-License-Identifier: MIT */
#include "shell.h"
void knet_shell_complete_init(struct knet_shell *sh) { (void)sh; }
void knet_shell_complete_stop(void) {}
