/* SPDX-License-Identifier: MIT */
#ifndef KNET_NODE_FANOUT_H
#define KNET_NODE_FANOUT_H

/*
 * The fan-out of the node pipeline (--all-nodes, --nodes SELECTOR): see
 * node-fanout.c.  knet_node_run() comes here when the job asks for it.
 */

#include "node-common.h"

/* Run @job on every selected node, merged; returns the exit status. */
int knet_node_fanout(struct knet_ctx *ctx, struct knet_node_job *job);

/*
 * A JSON Lines command's line for a node of its fan-out that did not
 * answer ({"type":"error","node":...,"reason":...}, conntrack; svc
 * trace names its kind "event"), streamed from @t, whose columns are
 * the kind, the node and the reason, in this order.  0 or -ENOMEM.
 */
int knet_node_fanout_error_row(struct knet_table *t, const char *node,
			       const char *reason);

#endif
