/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_K8S_REMOTE_H
#define KNET_CMD_K8S_REMOTE_H

#include "knet/agent.h"

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

/*
 * Where the agents are and what an ephemeral one runs, from the
 * environment: KNET_AGENT_NAMESPACE (default knet-system) and
 * KNET_AGENT_IMAGE (default knet-agent:VERSION; a real cluster's nodes
 * pull it from a registry, so it names REGISTRY/knet-agent:VERSION).
 * The strings are the environment's.
 */
struct knet_agent_opts knet_k8s_agent_opts(void);

#endif
