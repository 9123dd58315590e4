/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_K8S_REMOTE_H
#define KNET_CMD_K8S_REMOTE_H

/*
 * The command line a pods/exec run of knet gets in the agent pod, from
 * the one the node transport made (SELF ARGS...): SELF becomes "knet",
 * the image's (KNET_AGENT_KNET, a test hook, names another program),
 * and --token goes (it would be in the exec URL and in ps there; the
 * remote run needs no API).  @argv (@*n words, NULL-terminated) is
 * changed in place; the words are not freed.  __k8s-exec and the
 * fan-out's in-process streams (node-fanout.c) both use it.
 */
void knet_k8s_remote_argv(char **argv, int *n);

#endif
