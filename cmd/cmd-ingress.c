/* SPDX-License-Identifier: MIT */
/*
 * knet ingress: Ingresses with their class, hosts, address and every
 * rule as "host/path -> service:port".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "knet/objects.h"

enum {
	COL_NS,
	COL_NAME,
	COL_CLASS,
	COL_HOSTS,
	COL_ADDRESS,
	COL_RULES,
	COL_TLS,
	COL_AGE,
	NCOLS,
};

static const struct knet_column columns[] = {
	[COL_NS] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 0},
	[COL_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 0},
	[COL_CLASS] = {"CLASS", "class", KNET_CELL_STR, 0, 0},
	[COL_HOSTS] = {"HOSTS", "hosts", KNET_CELL_STRLIST, 0, 0},
	[COL_ADDRESS] = {"ADDRESS", "addresses", KNET_CELL_STRLIST, 0, 0},
	[COL_RULES] = {"RULES", "rules", KNET_CELL_JSON, 0, 0},
	[COL_TLS] = {"TLS-HOSTS", "tlsHosts", KNET_CELL_STRLIST, KNET_COL_WIDE,
		     0},
	[COL_AGE] = {"AGE", "created", KNET_CELL_AGE, 0, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* [{"host","path","pathType","service","port","resource"}] and text. */
static int set_rules(struct knet_table *t, const struct knet_ingress *in)
{
	cJSON *arr = cJSON_CreateArray();
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!arr)
		return -1;
	f = open_memstream(&text, &len);
	if (!f) {
		cJSON_Delete(arr);
		return -1;
	}
	for (int i = 0; i < in->npaths; i++) {
		const struct knet_ingress_path *p = &in->paths[i];
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		add_str(o, "host", p->host);
		add_str(o, "path", p->path);
		add_str(o, "pathType", p->path_type);
		add_str(o, "service", p->service);
		add_str(o, "port", p->port);
		add_str(o, "resource", p->resource);
		cJSON_AddBoolToObject(o, "default",
				      !p->host && !p->path && !p->path_type);
		cJSON_AddItemToArray(arr, o);
		fprintf(f, "%s%s%s -> ", i ? ", " : "", p->host ? p->host : "*",
			p->path ? p->path : (p->path_type ? "/" : ""));
		if (p->service)
			fprintf(f, "%s:%s", p->service,
				p->port ? p->port : "?");
		else
			fprintf(f, "%s", p->resource ? p->resource : "?");
	}
	fclose(f);
	r = knet_table_set_json(t, COL_RULES, arr,
				in->npaths ? text : "<none>");
	free(text);
	return r;
}

static int add_row(struct knet_table *t, const void *obj, const void *extra)
{
	const struct knet_ingress *in = obj;

	(void)extra;
	if (knet_table_add_row(t) < 0)
		return -1;
	knet_table_set_str(t, COL_NS, in->meta.namespace);
	knet_table_set_str(t, COL_NAME, in->meta.name);
	if (in->class_name)
		knet_table_set_str(t, COL_CLASS, in->class_name);
	if (in->hosts.n)
		knet_table_set_strlist(t, COL_HOSTS,
				       (const char *const *)in->hosts.v,
				       in->hosts.n);
	else if (knet_table_set_json(t, COL_HOSTS, cJSON_CreateArray(), "*") <
		 0)
		return -1;
	if (in->addresses.n)
		knet_table_set_strlist(t, COL_ADDRESS,
				       (const char *const *)in->addresses.v,
				       in->addresses.n);
	if (in->tls_hosts.n)
		knet_table_set_strlist(t, COL_TLS,
				       (const char *const *)in->tls_hosts.v,
				       in->tls_hosts.n);
	knet_table_set_age(t, COL_AGE, in->meta.created);
	return set_rules(t, in);
}

static int list_ingresses(struct knet_cluster_cmd *c, const char *name)
{
	struct knet_ingress_list *l = NULL;
	int r;

	(void)name;
	r = knet_ingress_list(c->ctx->api, c->ns, &c->lo, &l, &c->err);
	for (int i = 0; l && i < l->n; i++)
		knet_cluster_keep(c, l->items[i]);
	if (l)
		l->n = 0; /* kept */
	knet_ingress_list_free(l);
	return r;
}

static int get_ingress(struct knet_cluster_cmd *c, const char *name,
		       void **ret_obj)
{
	struct knet_ingress *in = NULL;
	int r = knet_ingress_get(c->ctx->api, c->ns, name, &in, &c->err);

	*ret_obj = in;
	return r;
}

static void free_ingress(void *obj)
{
	knet_ingress_free(obj);
}

static const struct knet_cluster_kind ingress_kind = {
	.kind = "ingress",
	.plural = "ingresses",
	.noun = "ingress",
	.cols = columns,
	.ns_col = COL_NS,
	.list = list_ingresses,
	.get = get_ingress,
	.free = free_ingress,
	.rows = add_row,
};

static int exec_ingress(struct knet_ctx *ctx, const struct knet_args *args)
{
	return knet_cluster_run(ctx, args, &ingress_kind);
}

extern const struct knet_cmd knet_cmd_ingress_match;

static const struct knet_cmd *const ingress_verbs[] = {
	&knet_cmd_ingress_match,
	NULL,
};

const struct knet_cmd knet_cmd_ingress = {
	.name = "ingress",
	.alias = "ing",
	.group = "cluster",
	.summary = "list Ingresses with their hosts and path -> backend rules",
	.usage = "[-n NS | -A] [-l SELECTOR] [-o table|wide|json|name] "
		 "[NAME...]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_API,
	.options = NULL,
	.complete_args = "ingress",
	.exec = exec_ingress,
	.verbs = ingress_verbs,
};
