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
	[COL_NS] = {"NAMESPACE", "namespace", 0, 0},
	[COL_NAME] = {"NAME", "name", KNET_COL_NAME, 0},
	[COL_POD_SELECTOR] = {"POD-SELECTOR", "podSelector", 0, 0},
	[COL_TYPES] = {"POLICY-TYPES", "policyTypes", 0, 0},
	[COL_INGRESS] = {"INGRESS-RULES", "ingressRules", KNET_COL_RIGHT, 0},
	[COL_EGRESS] = {"EGRESS-RULES", "egressRules", KNET_COL_RIGHT, 0},
	[COL_AGE] = {"AGE", "created", 0, 0},
	[NCOLS] = {NULL, NULL, 0, 0},
};

static int add_row(struct knet_table *t, const struct knet_netpol *p)
{
	const char *types[2];
	int n = 0;

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

static int exec_netpol(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_netpol_list *l = NULL;
	struct knet_cluster_cmd c;
	int r;

	r = knet_cluster_begin(&c, ctx, args, "networkpolicy",
			       "network policies", columns, COL_NS);
	if (r)
		return r;
	if (args->npos == 0 &&
	    knet_netpol_list(ctx->api, c.ns, &c.lo, &l, &c.err) < 0)
		knet_cluster_fail(&c, "list network policies", NULL);
	for (int i = 0; l && i < l->n; i++)
		if (add_row(c.t, l->items[i]) < 0)
			knet_cluster_oom(&c);
	for (int i = 0; i < args->npos; i++) {
		struct knet_netpol *p = NULL;

		if (knet_netpol_get(ctx->api, c.ns, args->pos[i], &p, &c.err) <
		    0)
			knet_cluster_fail(&c, "get network policy",
					  args->pos[i]);
		else if (add_row(c.t, p) < 0)
			knet_cluster_oom(&c);
		knet_netpol_free(p);
	}
	knet_netpol_list_free(l);
	return knet_cluster_end(&c);
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
