/* SPDX-License-Identifier: MIT */
/* The remote command line of a pods/exec run: see k8s-remote.h. */
#include <stdlib.h>
#include <string.h>

#include "k8s-remote.h"

void knet_k8s_remote_argv(char **argv, int *n)
{
	int out = 1;

	argv[0] = getenv("KNET_AGENT_KNET") ?: "knet";
	for (int i = 1; i < *n; i++) {
		if (!strcmp(argv[i], "--"))
			for (; i < *n; i++)
				argv[out++] = argv[i];
		if (i >= *n)
			break;
		if (!strcmp(argv[i], "--token")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--token=", 8))
			continue;
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*n = out;
}

struct knet_agent_opts knet_k8s_agent_opts(void)
{
	struct knet_agent_opts o = {
		.namespace = getenv("KNET_AGENT_NAMESPACE"),
		.image = getenv("KNET_AGENT_IMAGE"),
	};

	return o;
}
