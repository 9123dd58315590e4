/* SPDX-License-Identifier: MIT */
/*
 * knet netpol: NetworkPolicies with the pods they select, the directions
 * they isolate and how many rules allow traffic in each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "knet/objects.h"

enum {
	COL_NS,
	COL_NAME,
	COL_POD_SELECTOR,
	COL_TYPES,
	COL_INGRESS,
	COL_EGRESS,
	COL_AGE,
	NCOLS,
};

static const struct knet_column columns[] = {
	[COL_NS] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 0},
	[COL_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 0},
	[COL_POD_SELECTOR] = {"POD-SELECTOR", "podSelector", KNET_CELL_STR, 0,
			      0},
	[COL_TYPES] = {"POLICY-TYPES", "policyTypes", KNET_CELL_STRLIST, 0, 0},
	[COL_INGRESS] = {"INGRESS-RULES", "ingressRules", KNET_CELL_INT,
			 KNET_COL_RIGHT, 0},
	[COL_EGRESS] = {"EGRESS-RULES", "egressRules", KNET_CELL_INT,
			KNET_COL_RIGHT, 0},
	[COL_AGE] = {"AGE", "created", KNET_CELL_AGE, 0, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static int add_row(struct knet_table *t, const void *obj, const void *extra)
{
	const struct knet_netpol *p = obj;
	const char *types[2];
	int n = 0;

	(void)extra;
	if (knet_table_add_row(t) < 0)
		return -1;
	knet_table_set_str(t, COL_NS, p->meta.namespace);
	knet_table_set_str(t, COL_NAME, p->meta.name);
	/* The empty selector selects every pod of the namespace. */
	if (knet_table_set_json(
		    t, COL_POD_SELECTOR, cJSON_CreateString(p->pod_selector),
		    *p->pod_selector ? p->pod_selector : "<all pods>") < 0)
		return -1;
	if (p->ingress)
		types[n++] = "Ingress";
	if (p->egress)
		types[n++] = "Egress";
	knet_table_set_strlist(t, COL_TYPES, types, n);
	/* An isolated direction with no rule denies all: worth a colour. */
	if (p->ingress_rules >= 0) {
		knet_table_set_int(t, COL_INGRESS, p->ingress_rules);
		if (!p->ingress_rules)
			knet_table_set_tone(t, COL_INGRESS, KNET_TONE_WARN);
	}
	if (p->egress_rules >= 0) {
		knet_table_set_int(t, COL_EGRESS, p->egress_rules);
		if (!p->egress_rules)
			knet_table_set_tone(t, COL_EGRESS, KNET_TONE_WARN);
	}
	knet_table_set_age(t, COL_AGE, p->meta.created);
	return 0;
}

static int list_netpols(struct knet_cluster_cmd *c, const char *name)
{
	struct knet_netpol_list *l = NULL;
	int r;

	(void)name;
	r = knet_netpol_list(c->ctx->api, c->ns, &c->lo, &l, &c->err);
	for (int i = 0; l && i < l->n; i++)
		knet_cluster_keep(c, l->items[i]);
	if (l)
		l->n = 0; /* kept */
	knet_netpol_list_free(l);
	return r;
}

static int get_netpol(struct knet_cluster_cmd *c, const char *name,
		      void **ret_obj)
{
	struct knet_netpol *p = NULL;
	int r = knet_netpol_get(c->ctx->api, c->ns, name, &p, &c->err);

	*ret_obj = p;
	return r;
}

static void free_netpol(void *obj)
{
	knet_netpol_free(obj);
}

static const struct knet_cluster_kind netpol_kind = {
	.kind = "networkpolicy",
	.plural = "network policies",
	.noun = "network policy",
	.cols = columns,
	.ns_col = COL_NS,
	.list = list_netpols,
	.get = get_netpol,
	.free = free_netpol,
	.rows = add_row,
};

static int exec_netpol(struct knet_ctx *ctx, const struct knet_args *args)
{
	return knet_cluster_run(ctx, args, &netpol_kind);
}

const struct knet_cmd knet_cmd_netpol = {
	.name = "netpol",
	.alias = NULL,
	.group = "cluster",
	.summary = "list NetworkPolicies: selected pods, types, rule counts",
	.usage = "[-n NS | -A] [-l SELECTOR] [-o table|wide|json|name] "
		 "[NAME...]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_API,
	.options = NULL,
	.complete_args = "netpol",
	.exec = exec_netpol,
};
