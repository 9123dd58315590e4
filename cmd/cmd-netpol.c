/* SPDX-License-Identifier: MIT */
/*
 * knet netpol: NetworkPolicies with the pods they select, the directions
 * they isolate and how many rules allow traffic in each; with NAMEs or
 * -o wide, the pods each selects and each rule's peers resolve to now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "knet/objects.h"
#include "knet/policy.h"

enum {
	COL_NS,
	COL_NAME,
	COL_POD_SELECTOR,
	COL_TYPES,
	COL_INGRESS,
	COL_EGRESS,
	COL_AGE,
	COL_SELECTS,
	COL_PEERS,
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
	[COL_SELECTS] = {"SELECTS", "selectedPods", KNET_CELL_STRLIST,
			 KNET_COL_WIDE, 0},
	[COL_PEERS] = {"PEERS", "rulePeers", KNET_CELL_JSON, KNET_COL_WIDE, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* What the wide columns need: the pods and namespaces of the cluster. */
struct netpol_extra {
	struct knet_manifest *m;
	struct knet_policy *p;
	int *idx;
};

static void *fetch_extra(struct knet_cluster_cmd *c)
{
	struct netpol_extra *x;
	struct knet_policy_world w = {0};

	/* Only asked for with names or -o wide/json: two more lists. */
	if (c->o.format == KNET_FMT_TABLE && c->args->npos == 0)
		return NULL;
	if (c->o.format == KNET_FMT_NAME)
		return NULL;
	/* `knet netpol NAME` shows them in the plain table too. */
	if (c->args->npos > 0) {
		c->cols[COL_SELECTS].flags &= ~(unsigned)KNET_COL_WIDE;
		c->cols[COL_PEERS].flags &= ~(unsigned)KNET_COL_WIDE;
	}
	x = calloc(1, sizeof(*x));
	if (!x || !(x->m = knet_manifest_new()))
		goto fail;
	if (knet_manifest_fetch(c->ctx->api, x->m, NULL, &c->err) < 0) {
		knet_warn(c->ctx, "cannot list pods: %s", c->err.reason);
		knet_error_clear(&c->err);
		goto fail;
	}
	w.namespaces = x->m->namespaces.items;
	w.nnamespaces = x->m->namespaces.n;
	w.pods = x->m->pods.items;
	w.npods = x->m->pods.n;
	x->idx = calloc((size_t)w.npods + 1, sizeof(*x->idx));
	if (!x->idx || knet_policy_new(&w, &x->p, &c->err) < 0)
		goto fail;
	return x;
fail:
	if (x) {
		knet_manifest_free(x->m);
		free(x->idx);
	}
	free(x);
	return NULL;
}

static void free_extra(void *extra)
{
	struct netpol_extra *x = extra;

	knet_policy_free(x->p);
	knet_manifest_free(x->m);
	free(x->idx);
	free(x);
}

static const char *pod_label(const struct netpol_extra *x, int i, char *buf,
			     size_t len)
{
	const struct knet_pod *pod = x->m->pods.items[i];

	snprintf(buf, len, "%s/%s", pod->meta.namespace, pod->meta.name);
	return buf;
}

/* One rule's peers now: {"direction","rule","pods":[...]|null,"ipBlocks"}. */
static cJSON *rule_peers(const struct netpol_extra *x,
			 const struct knet_netpol *p, bool ingress, int rule,
			 FILE *text)
{
	const struct knet_netpol_rule *r =
		ingress ? &p->in[rule] : &p->out[rule];
	cJSON *o = cJSON_CreateObject(), *pods, *blocks;
	int n = knet_policy_rule_pods(x->p, p, ingress, rule, x->idx);
	char buf[320];

	cJSON_AddStringToObject(o, "direction", ingress ? "ingress" : "egress");
	cJSON_AddNumberToObject(o, "rule", rule);
	fprintf(text, "%s[%d]: ", ingress ? "in" : "out", rule);
	if (n < 0) {
		cJSON_AddNullToObject(o, "pods");
		fprintf(text, "all");
	} else {
		pods = cJSON_AddArrayToObject(o, "pods");
		for (int i = 0; i < n; i++) {
			pod_label(x, x->idx[i], buf, sizeof(buf));
			cJSON_AddItemToArray(pods, cJSON_CreateString(buf));
			fprintf(text, "%s%s", i ? "," : "", buf);
		}
		if (n == 0)
			fprintf(text, "no pods");
	}
	blocks = cJSON_AddArrayToObject(o, "ipBlocks");
	for (int j = 0; j < r->npeers; j++)
		if (r->peers[j].cidr) {
			cJSON_AddItemToArray(
				blocks, cJSON_CreateString(r->peers[j].cidr));
			fprintf(text, " +%s", r->peers[j].cidr);
		}
	return o;
}

static int add_wide(struct knet_table *t, const struct knet_netpol *p,
		    const struct netpol_extra *x)
{
	int n = knet_policy_selected(x->p, p, x->idx);
	const char **names = calloc((size_t)n + 1, sizeof(*names));
	cJSON *peers = cJSON_CreateArray();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r = -1;

	if (!names || !peers || !f)
		goto out;
	for (int i = 0; i < n; i++) {
		char buf[320];

		names[i] = strdup(pod_label(x, x->idx[i], buf, sizeof(buf)));
		if (!names[i])
			goto out;
	}
	knet_table_set_strlist(t, COL_SELECTS, names, n);
	for (int k = 0; k < 2; k++) {
		bool in = k == 0;
		int nr = in ? (p->ingress ? p->n_in : 0)
			    : (p->egress ? p->n_out : 0);

		for (int j = 0; j < nr; j++) {
			if (ftell(f) > 0)
				fprintf(f, "; ");
			cJSON_AddItemToArray(peers, rule_peers(x, p, in, j, f));
		}
	}
	fclose(f);
	f = NULL;
	r = knet_table_set_json(t, COL_PEERS, peers, *text ? text : "<none>");
	peers = NULL;
out:
	if (f)
		fclose(f);
	for (int i = 0; names && i < n; i++)
		free((char *)names[i]);
	free(names);
	free(text);
	cJSON_Delete(peers);
	return r;
}

static int add_row(struct knet_table *t, const void *obj, const void *extra)
{
	const struct knet_netpol *p = obj;
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
	if (extra)
		return add_wide(t, p, extra);
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
	.extra = fetch_extra,
	.free_extra = free_extra,
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
