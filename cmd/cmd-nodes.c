/* SPDX-License-Identifier: MIT */
/*
 * knet nodes: nodes with their readiness, addresses, pod CIDRs and how
 * many pods run on each (pods that have not finished).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "knet/objects.h"

enum {
	COL_NAME,
	COL_STATUS,
	COL_READY,
	COL_UNSCHEDULABLE,
	COL_INTERNAL_IPS,
	COL_POD_CIDRS,
	COL_PODS,
	COL_AGE,
	COL_EXTERNAL_IPS,
	COL_ROLES,
	COL_VERSION,
	COL_HOSTNAME,
	NCOLS,
};

static const struct knet_column columns[] = {
	[COL_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 0},
	[COL_STATUS] = {"STATUS", "status", KNET_CELL_STR, 0, 0},
	[COL_READY] = {"", "ready", KNET_CELL_BOOL, KNET_COL_NOTABLE, 0},
	[COL_UNSCHEDULABLE] = {"", "unschedulable", KNET_CELL_BOOL,
			       KNET_COL_NOTABLE, 0},
	[COL_INTERNAL_IPS] = {"INTERNAL-IP", "internalIPs", KNET_CELL_STRLIST,
			      0, 0},
	[COL_POD_CIDRS] = {"POD-CIDR", "podCIDRs", KNET_CELL_STRLIST, 0, 0},
	[COL_PODS] = {"PODS", "pods", KNET_CELL_INT, KNET_COL_RIGHT, 0},
	[COL_AGE] = {"AGE", "created", KNET_CELL_AGE, 0, 0},
	[COL_EXTERNAL_IPS] = {"EXTERNAL-IP", "externalIPs", KNET_CELL_STRLIST,
			      KNET_COL_WIDE, 0},
	[COL_ROLES] = {"ROLES", "roles", KNET_CELL_STRLIST, KNET_COL_WIDE, 0},
	[COL_VERSION] = {"VERSION", "kubeletVersion", KNET_CELL_STR,
			 KNET_COL_WIDE, 0},
	[COL_HOSTNAME] = {"HOSTNAME", "hostname", KNET_CELL_STR, KNET_COL_WIDE,
			  0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static void set_strv(struct knet_table *t, int col, const struct knet_strv *sv)
{
	if (sv->n)
		knet_table_set_strlist(t, col, (const char *const *)sv->v,
				       sv->n);
}

static int add_row(struct knet_table *t, const void *obj, const void *extra)
{
	const struct knet_node *n = obj;
	const struct knet_pod_list *pods = extra;
	int count = 0;

	if (knet_table_add_row(t) < 0)
		return -1;
	knet_table_set_str(t, COL_NAME, n->meta.name);
	knet_table_set_strf(t, COL_STATUS, "%s%s",
			    n->ready ? "Ready" : n->ready_reason ?: "NotReady",
			    n->unschedulable ? ",SchedulingDisabled" : "");
	knet_table_set_tone(t, COL_STATUS,
			    n->ready ? KNET_TONE_GOOD : KNET_TONE_BAD);
	knet_table_set_bool(t, COL_READY, n->ready);
	knet_table_set_bool(t, COL_UNSCHEDULABLE, n->unschedulable);
	set_strv(t, COL_INTERNAL_IPS, &n->internal_ips);
	set_strv(t, COL_POD_CIDRS, &n->pod_cidrs);
	set_strv(t, COL_EXTERNAL_IPS, &n->external_ips);
	set_strv(t, COL_ROLES, &n->roles);
	if (pods) {
		for (int i = 0; i < pods->n; i++)
			count += pods->items[i]->node &&
				 !strcmp(pods->items[i]->node, n->meta.name);
		knet_table_set_int(t, COL_PODS, count);
	}
	knet_table_set_age(t, COL_AGE, n->meta.created);
	if (n->kubelet_version)
		knet_table_set_str(t, COL_VERSION, n->kubelet_version);
	if (n->hostname)
		knet_table_set_str(t, COL_HOSTNAME, n->hostname);
	return 0;
}

static int list_nodes(struct knet_cluster_cmd *c, const char *name)
{
	struct knet_node_list *l = NULL;
	int r;

	(void)name;
	r = knet_node_list(c->ctx->api, &c->lo, &l, &c->err);
	for (int i = 0; l && i < l->n; i++)
		knet_cluster_keep(c, l->items[i]);
	if (l)
		l->n = 0; /* kept */
	knet_node_list_free(l);
	return r;
}

static int get_node(struct knet_cluster_cmd *c, const char *name,
		    void **ret_obj)
{
	struct knet_node *n = NULL;
	int r = knet_node_get(c->ctx->api, name, &n, &c->err);

	*ret_obj = n;
	return r;
}

static void free_node(void *obj)
{
	knet_node_free(obj);
}

/* Pod counts need the right to list pods everywhere. */
static void *node_pods(struct knet_cluster_cmd *c)
{
	struct knet_list_opts po = {
		.field_selector = "status.phase!=Succeeded,"
				  "status.phase!=Failed",
	};
	struct knet_pod_list *pods = NULL;

	if (c->o.format == KNET_FMT_NAME)
		return NULL;
	if (knet_pod_list(c->ctx->api, NULL, &po, &pods, &c->err) < 0) {
		knet_warn(c->ctx, "cannot count pods: %s", c->err.reason);
		knet_error_clear(&c->err);
	}
	return pods;
}

static void free_pods(void *extra)
{
	knet_pod_list_free(extra);
}

static const struct knet_cluster_kind nodes_kind = {
	.kind = "node",
	.plural = "nodes",
	.noun = "node",
	.cols = columns,
	.ns_col = -1,
	.list = list_nodes,
	.get = get_node,
	.free = free_node,
	.extra = node_pods,
	.free_extra = free_pods,
	.rows = add_row,
};

static int exec_nodes(struct knet_ctx *ctx, const struct knet_args *args)
{
	return knet_cluster_run(ctx, args, &nodes_kind);
}

const struct knet_cmd knet_cmd_nodes = {
	.name = "nodes",
	.alias = "no",
	.group = "cluster",
	.summary = "list nodes with their addresses, pod CIDRs and pods",
	.usage = "[-l SELECTOR] [-o table|wide|json|name] [NAME...]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_API,
	.options = NULL,
	.complete_args = "node",
	.exec = exec_nodes,
};
