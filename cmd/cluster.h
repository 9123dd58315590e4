/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_CLUSTER_H
#define KNET_CMD_CLUSTER_H

/*
 * What the cluster listing commands (pods, services, endpoints, nodes,
 * netpol, ingress, who) share: namespace and selector from the globals,
 * a NAMESPACE column only with -A, error lines that keep the exit status,
 * and "no X found" instead of an empty table.
 */

#include "cmd.h"
#include "knet/api.h"

#define KNET_CLUSTER_MAX_COLS 32

struct knet_cluster_cmd {
	struct knet_ctx *ctx;
	const char *ns; /* NULL with -A (or for cluster-scoped kinds) */
	const char *plural;
	struct knet_list_opts lo;
	struct knet_output_opts o;
	struct knet_column cols[KNET_CLUSTER_MAX_COLS];
	struct knet_table *t;
	struct knet_error err;
	int status;
};

/*
 * Set up @c.  @ns_col is the NAMESPACE column (shown only with -A), or -1
 * for cluster-scoped kinds.  Returns 0, or an exit status after printing
 * the error (names given with -A, out of memory).
 */
int knet_cluster_begin(struct knet_cluster_cmd *c, struct knet_ctx *ctx,
		       const struct knet_args *args, const char *kind,
		       const char *plural, const struct knet_column *cols,
		       int ns_col);

/*
 * Print the error line for c->err: "cannot <verb> '<ns>/<name>'" (or
 * '<ns>', or no subject with -A) and keep the worst exit status.
 */
void knet_cluster_fail(struct knet_cluster_cmd *c, const char *verb,
		       const char *name);
/* Out of memory while building rows. */
void knet_cluster_oom(struct knet_cluster_cmd *c);

/* Render the table (or say nothing was found), free it, return status. */
int knet_cluster_end(struct knet_cluster_cmd *c);

#endif
