/* SPDX-License-Identifier: MIT */
#ifndef KNET_AGENT_H
#define KNET_AGENT_H

/*
 * The agent pod of a node: where `--via k8s` runs knet on that node
 * (doc/transport-k8s.md).  lib/agent implements it (branch h-agent);
 * until that lands, lib/agent/fallback-env.c stands in for tests.
 */

#include <stdbool.h>

#include "knet/api.h"
#include "knet/base.h"

struct knet_agent_ref {
	char ns[64];
	char pod[254];
	char container[64];
	bool ephemeral; /* made for this run, deleted after its TTL */
};

struct knet_agent_opts {
	const char *namespace; /* default "knet-system" */
	const char *image;     /* default "knet-agent:VERSION" */
	long wait_ms;	       /* how long to wait for Running */
};

/*
 * The installed DaemonSet's pod on @node when Running there; else an
 * ephemeral agent pod on @node, reused while its TTL lasts, made when
 * there is none (and waited for).  Errors in words: RBAC (exit 4),
 * image pull (4), node NotReady or unknown (3/4).
 */
int knet_agent_for_node(struct knet_api *api, const char *node,
			const struct knet_agent_opts *o,
			struct knet_agent_ref *ret, struct knet_error *err);

#endif
