/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_CLUSTER_H
#define KNET_CMD_CLUSTER_H

/*
 * What the cluster listing commands (pods, services, endpoints, nodes,
 * netpol, ingress, who) share.  A kind of object is one descriptor (what
 * to list or get, how to fill its rows, its columns, its name for -o
 * name); knet_cluster_run() does the rest the same way for every kind:
 * namespace and selector from the globals, a NAMESPACE column only with
 * -A, list or get each name, error lines that keep the exit status, and
 * "no X found" instead of an empty table.
 */

#include "cmd.h"
#include "knet/api.h"

struct knet_cluster_cmd;

struct knet_cluster_kind {
	const char *kind;   /* "pod": -o name prints pod/NAME, JSON PodList */
	const char *plural; /* "pods": "cannot list pods", "no pods found" */
	const char *noun;   /* "pod": "cannot get pod 'web/x'" */
	const struct knet_column *cols;
	int ns_col; /* the NAMESPACE column, -1 for cluster-scoped kinds */
	/*
	 * Fetch every object and hand each to knet_cluster_keep().  Kinds
	 * without @get take the one name given (endpoints SVC) here.
	 * Returns 0 or a negative errno with c->err set.
	 */
	int (*list)(struct knet_cluster_cmd *c, const char *name);
	/* One object by name, or NULL (see @list). */
	int (*get)(struct knet_cluster_cmd *c, const char *name,
		   void **ret_obj);
	void (*free)(void *obj);
	/*
	 * Optional: what the rows need beside the objects (endpoint or pod
	 * counts), fetched once there are objects.  NULL when it cannot be
	 * had: the kind warns and the rows go without.
	 */
	void *(*extra)(struct knet_cluster_cmd *c);
	void (*free_extra)(void *extra);
	/* Add the row (or rows) of one object. */
	int (*rows)(struct knet_table *t, const void *obj, const void *extra);
};

struct knet_cluster_cmd {
	struct knet_ctx *ctx;
	const struct knet_args *args;
	const struct knet_cluster_kind *kind;
	const char *ns; /* NULL with -A (or for cluster-scoped kinds) */
	struct knet_list_opts lo;
	struct knet_output_opts o;
	struct knet_column *cols; /* the kind's, NAMESPACE hidden without -A */
	struct knet_table *t;
	struct knet_error err;
	int status;
	void **objs; /* what list and get fetched, in order */
	int nobjs, cap;
};

/* `knet <kind>`: list or get, rows, render; returns the exit status. */
int knet_cluster_run(struct knet_ctx *ctx, const struct knet_args *args,
		     const struct knet_cluster_kind *kind);

/*
 * Set @c up for @kind (knet_cluster_run does this; pods --watch calls it
 * itself).  Returns 0, or an exit status after printing the error (names
 * given with -A, out of memory).
 */
int knet_cluster_begin(struct knet_cluster_cmd *c, struct knet_ctx *ctx,
		       const struct knet_args *args,
		       const struct knet_cluster_kind *kind);

/* Take @obj (freed with kind->free, also when out of memory). */
void knet_cluster_keep(struct knet_cluster_cmd *c, void *obj);

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
