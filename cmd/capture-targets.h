/* SPDX-License-Identifier: MIT */
#ifndef KNET_CAPTURE_TARGETS_H
#define KNET_CAPTURE_TARGETS_H

/*
 * Many capture targets at once: pods, `-l SELECTOR` (every matching pod
 * of -n NS), `svc/NAME` (its ready backends, from EndpointSlices or
 * Endpoints) and `node/NAME` (the node's own interfaces).  Local ones
 * are opened here, each in its namespace, before the privileges go;
 * each other node runs knet itself through the transport with
 * `--stream` (the same targets: it keeps those on its own node), and a
 * knet_capture_session merges everything in time order into the
 * capture_run's outputs (or its sink).
 */

#include "capture-run.h"
#include "cmd.h"

struct capture_target {
	char *ns, *name; /* a pod */
	char *node;	 /* node/NAME: its own interfaces */
};

struct capture_targets {
	struct capture_target *v;
	int n;
	bool fanout; /* --all-nodes / --nodes: the remote runs are told */
};

/*
 * How many of the leading positional arguments name targets (pods,
 * svc/NAME, node/NAME); the rest is the BPF filter.  The first is always
 * one (a pod named like a filter word still works alone); later ones
 * stop at the first word of pcap-filter(7)'s language.
 */
int capture_targets_count(const struct knet_args *args);

/*
 * Expand @words (pods, svc/, node/) and the -l selector into pods and
 * nodes, each once.  Prints the error line and returns its exit status:
 * 3 when a Service has no ready backend or a selector matches no pod.
 */
int capture_targets_resolve(struct knet_ctx *ctx, const char *const *words,
			    int n, struct capture_targets *ret);
void capture_targets_clear(struct capture_targets *t);
/*
 * --all-nodes, --nodes SELECTOR of @args (nothing without them): node/NAME
 * of every selected node (the pipeline's node selection).  A remote
 * --stream run (@stream) is one node of it and adds its own (--node),
 * which needs no API.  Prints the error line, returns its exit status.
 */
int capture_targets_add_fanout(struct knet_ctx *ctx,
			       const struct knet_args *args, bool stream,
			       struct capture_targets *t);

/*
 * What capture and flows take: the API set up, then the targets in
 * @args (its first @n words) and the fan-out's nodes.  A fan-out member
 * through a transport without an API (--no-api, --stream, no words)
 * captures its own node, which --node names: it asks nothing.
 */
int capture_targets_collect(struct knet_ctx *ctx, const struct knet_args *args,
			    int n, bool stream, struct capture_targets *ret);

/* Capture @t into @run (outputs prepared by the caller); exit status. */
int capture_targets_run(struct knet_ctx *ctx, struct capture_run *run,
			const struct capture_targets *t);

#endif
