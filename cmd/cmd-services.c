/* SPDX-License-Identifier: MIT */
/*
 * knet services (svc): Services with their cluster and external IPs,
 * every port with its node port and target port, and how many of their
 * endpoints are ready.
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
	COL_TYPE,
	COL_CLUSTER_IPS,
	COL_EXTERNAL_IPS,
	COL_PORTS,
	COL_ENDPOINTS,
	COL_READY_EPS,
	COL_TOTAL_EPS,
	COL_SELECTOR,
	COL_AGE,
	COL_HEADLESS,
	COL_EXTERNAL_NAME,
	COL_AFFINITY,
	NCOLS,
};

static const struct knet_column columns[] = {
	[COL_NS] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 0},
	[COL_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 0},
	[COL_TYPE] = {"TYPE", "type", KNET_CELL_STR, 0, 0},
	[COL_CLUSTER_IPS] = {"CLUSTER-IP", "clusterIPs", KNET_CELL_STRLIST, 0,
			     0},
	[COL_EXTERNAL_IPS] = {"EXTERNAL-IP", "externalIPs", KNET_CELL_STRLIST,
			      0, 0},
	[COL_PORTS] = {"PORT(S)", "ports", KNET_CELL_JSON, 0, 0},
	[COL_ENDPOINTS] = {"ENDPOINTS", "", KNET_CELL_STR, KNET_COL_NOJSON, 0},
	[COL_READY_EPS] = {"", "readyEndpoints", KNET_CELL_INT,
			   KNET_COL_NOTABLE, 0},
	[COL_TOTAL_EPS] = {"", "totalEndpoints", KNET_CELL_INT,
			   KNET_COL_NOTABLE, 0},
	[COL_SELECTOR] = {"SELECTOR", "selector", KNET_CELL_JSON, 0, 0},
	[COL_AGE] = {"AGE", "created", KNET_CELL_AGE, 0, 0},
	[COL_HEADLESS] = {"", "headless", KNET_CELL_BOOL, KNET_COL_NOTABLE, 0},
	[COL_EXTERNAL_NAME] = {"EXTERNAL-NAME", "externalName", KNET_CELL_STR,
			       KNET_COL_WIDE, 0},
	[COL_AFFINITY] = {"AFFINITY", "sessionAffinity", KNET_CELL_STR,
			  KNET_COL_WIDE, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* Ports as kubectl writes them, plus the target: 80:30080/TCP->8080. */
static int set_ports(struct knet_table *t, const struct knet_service *s)
{
	cJSON *arr = cJSON_CreateArray();
	char text[1024] = "";
	size_t off = 0;

	if (!arr)
		return -1;
	for (int i = 0; i < s->nports; i++) {
		const struct knet_service_port *p = &s->ports[i];
		cJSON *o = cJSON_CreateObject();
		char np[16] = "";

		if (!o)
			break;
		if (p->name && *p->name)
			cJSON_AddStringToObject(o, "name", p->name);
		else
			cJSON_AddNullToObject(o, "name");
		cJSON_AddStringToObject(o, "protocol", p->protocol);
		cJSON_AddNumberToObject(o, "port", p->port);
		if (p->node_port)
			cJSON_AddNumberToObject(o, "nodePort", p->node_port);
		else
			cJSON_AddNullToObject(o, "nodePort");
		/* An unset targetPort means the same as port. */
		if (p->target_port)
			cJSON_AddStringToObject(o, "targetPort",
						p->target_port);
		else
			cJSON_AddNullToObject(o, "targetPort");
		cJSON_AddItemToArray(arr, o);
		if (p->node_port)
			snprintf(np, sizeof(np), ":%d", p->node_port);
		if (off < sizeof(text))
			off += (size_t)snprintf(
				text + off, sizeof(text) - off, "%s%d%s/%s%s%s",
				i ? "," : "", p->port, np, p->protocol,
				p->target_port ? "->" : "",
				p->target_port ? p->target_port : "");
	}
	return knet_table_set_json(t, COL_PORTS, arr,
				   s->nports ? text : "<none>");
}

/* Ready and total endpoint addresses (each address once, not per port). */
static void count_endpoints(const struct knet_service_endpoints *se, int *ready,
			    int *total)
{
	*ready = *total = 0;
	for (int i = 0; se && i < se->n; i++) {
		bool seen = false;

		for (int k = 0; k < i && !seen; k++)
			seen = !strcmp(se->eps[k].ip, se->eps[i].ip);
		if (seen)
			continue;
		(*total)++;
		*ready += se->eps[i].ready;
	}
}

static int add_row(struct knet_table *t, const void *obj, const void *extra)
{
	const struct knet_service *s = obj;
	const struct knet_endpoints_list *eps = extra;
	const struct knet_service_endpoints *se;
	struct knet_strv ext = {0};
	int ready, total, r = 0;

	if (knet_table_add_row(t) < 0)
		return -1;
	knet_table_set_str(t, COL_NS, s->meta.namespace);
	knet_table_set_str(t, COL_NAME, s->meta.name);
	knet_table_set_str(t, COL_TYPE, s->type);
	if (s->cluster_ips.n)
		knet_table_set_strlist(t, COL_CLUSTER_IPS,
				       (const char *const *)s->cluster_ips.v,
				       s->cluster_ips.n);
	for (int i = 0; i < s->external_ips.n && !r; i++)
		r = knet_strv_push(&ext, s->external_ips.v[i]);
	for (int i = 0; i < s->lb_ingress.n && !r; i++)
		r = knet_strv_push(&ext, s->lb_ingress.v[i]);
	if (!r && s->external_name && !ext.n)
		r = knet_strv_push(&ext, s->external_name);
	if (!r && ext.n)
		r = knet_table_set_strlist(t, COL_EXTERNAL_IPS,
					   (const char *const *)ext.v, ext.n);
	else if (!r && !strcmp(s->type, "LoadBalancer"))
		/* No address yet: still a list in JSON, kubectl's text here. */
		r = knet_table_set_json(t, COL_EXTERNAL_IPS,
					cJSON_CreateArray(), "<pending>");
	knet_strv_clear(&ext);
	if (r < 0 || set_ports(t, s) < 0)
		return -1;
	if (s->external_name)
		knet_table_set_str(t, COL_EXTERNAL_NAME, s->external_name);
	if (s->session_affinity)
		knet_table_set_str(t, COL_AFFINITY, s->session_affinity);
	se = eps ? knet_endpoints_list_find(eps, s->meta.namespace,
					    s->meta.name)
		 : NULL;
	if (eps) {
		count_endpoints(se, &ready, &total);
		knet_table_set_strf(t, COL_ENDPOINTS, "%d/%d", ready, total);
		knet_table_set_int(t, COL_READY_EPS, ready);
		knet_table_set_int(t, COL_TOTAL_EPS, total);
		if (s->has_selector)
			knet_table_set_tone(t, COL_ENDPOINTS,
					    !total	    ? KNET_TONE_BAD
					    : ready < total ? KNET_TONE_WARN
							    : KNET_TONE_GOOD);
	}
	if (s->has_selector) {
		char *text = knet_labels_format(&s->selector);

		r = knet_table_set_json(t, COL_SELECTOR,
					knet_labels_to_json(&s->selector),
					text ? text : "");
		free(text);
		if (r < 0)
			return -1;
	}
	knet_table_set_age(t, COL_AGE, s->meta.created);
	knet_table_set_bool(t, COL_HEADLESS, s->headless);
	return 0;
}

static int list_services(struct knet_cluster_cmd *c, const char *name)
{
	struct knet_service_list *l = NULL;
	int r;

	(void)name;
	r = knet_service_list(c->ctx->api, c->ns, &c->lo, &l, &c->err);
	for (int i = 0; l && i < l->n; i++)
		knet_cluster_keep(c, l->items[i]);
	if (l)
		l->n = 0; /* kept */
	knet_service_list_free(l);
	return r;
}

static int get_service(struct knet_cluster_cmd *c, const char *name,
		       void **ret_obj)
{
	struct knet_service *s = NULL;
	int r = knet_service_get(c->ctx->api, c->ns, name, &s, &c->err);

	*ret_obj = s;
	return r;
}

static void free_service(void *obj)
{
	knet_service_free(obj);
}

/* Endpoint counts are a bonus: without the right, say so, go on. */
static void *service_endpoints(struct knet_cluster_cmd *c)
{
	const struct knet_args *args = c->args;
	struct knet_endpoints_list *eps = NULL;

	if (knet_endpoints_list(c->ctx->api, c->ns,
				args->npos == 1 ? args->pos[0] : NULL, NULL,
				&eps, &c->err) < 0) {
		knet_warn(c->ctx, "cannot count endpoints: %s", c->err.reason);
		knet_error_clear(&c->err);
	}
	return eps;
}

static void free_endpoints(void *extra)
{
	knet_endpoints_list_free(extra);
}

static const struct knet_cluster_kind services_kind = {
	.kind = "service",
	.plural = "services",
	.noun = "service",
	.cols = columns,
	.ns_col = COL_NS,
	.list = list_services,
	.get = get_service,
	.free = free_service,
	.extra = service_endpoints,
	.free_extra = free_endpoints,
	.rows = add_row,
};

static int exec_services(struct knet_ctx *ctx, const struct knet_args *args)
{
	return knet_cluster_run(ctx, args, &services_kind);
}

extern const struct knet_cmd knet_cmd_services_trace;

static const struct knet_cmd *const services_verbs[] = {
	&knet_cmd_services_trace,
	NULL,
};

const struct knet_cmd knet_cmd_services = {
	.name = "services",
	.alias = "svc",
	.group = "cluster",
	.summary = "list Services with their IPs, ports and ready endpoints",
	.usage = "[-n NS | -A] [-l SELECTOR] [-o table|wide|json|name] "
		 "[NAME...]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_API,
	.options = NULL,
	.complete_args = "service",
	.exec = exec_services,
	.verbs = services_verbs,
};
