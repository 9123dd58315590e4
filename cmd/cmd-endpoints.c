/* SPDX-License-Identifier: MIT */
/*
 * knet endpoints (ep) [SVC]: every endpoint of every Service (or of one),
 * one row per address and port, with the pod behind it, its node and
 * whether it is ready.  Read from EndpointSlices, or the core Endpoints
 * where slices are not served or not allowed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "knet/objects.h"

enum {
	COL_NS,
	COL_SERVICE,
	COL_ENDPOINT,
	COL_IP,
	COL_PORT,
	COL_PROTOCOL,
	COL_PORT_NAME,
	COL_POD,
	COL_NODE,
	COL_READY,
	COL_SERVING,
	COL_TERMINATING,
	COL_HOSTNAME,
	COL_SOURCE,
	NCOLS,
};

static const struct knet_column columns[] = {
	[COL_NS] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 0},
	[COL_SERVICE] = {"SERVICE", "service", KNET_CELL_STR, KNET_COL_NAME, 0},
	[COL_ENDPOINT] = {"ENDPOINT", "", KNET_CELL_STR, KNET_COL_NOJSON, 0},
	[COL_IP] = {"", "ip", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[COL_PORT] = {"", "port", KNET_CELL_INT, KNET_COL_NOTABLE, 0},
	[COL_PROTOCOL] = {"", "protocol", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[COL_PORT_NAME] = {"PORT-NAME", "portName", KNET_CELL_STR,
			   KNET_COL_WIDE, 0},
	[COL_POD] = {"POD", "pod", KNET_CELL_STR, 0, 0},
	[COL_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[COL_READY] = {"READY", "ready", KNET_CELL_BOOL, 0, 0},
	[COL_SERVING] = {"SERVING", "serving", KNET_CELL_BOOL, KNET_COL_WIDE,
			 0},
	[COL_TERMINATING] = {"TERMINATING", "terminating", KNET_CELL_BOOL,
			     KNET_COL_WIDE, 0},
	[COL_HOSTNAME] = {"HOSTNAME", "hostname", KNET_CELL_STR, KNET_COL_WIDE,
			  0},
	[COL_SOURCE] = {"SOURCE", "source", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static int add_row(struct knet_table *t,
		   const struct knet_service_endpoints *se,
		   const struct knet_endpoint *e)
{
	if (knet_table_add_row(t) < 0)
		return -1;
	knet_table_set_str(t, COL_NS, se->namespace);
	knet_table_set_str(t, COL_SERVICE, se->service);
	knet_table_set_str(t, COL_SOURCE, se->source);
	if (!e) /* a Service with no endpoint at all */
		return 0;
	if (e->port)
		knet_table_set_strf(t, COL_ENDPOINT,
				    strchr(e->ip, ':') ? "[%s]:%d/%s"
						       : "%s:%d/%s",
				    e->ip, e->port, e->protocol);
	else
		knet_table_set_str(t, COL_ENDPOINT, e->ip);
	knet_table_set_str(t, COL_IP, e->ip);
	if (e->port) {
		knet_table_set_int(t, COL_PORT, e->port);
		knet_table_set_str(t, COL_PROTOCOL, e->protocol);
	}
	if (e->port_name)
		knet_table_set_str(t, COL_PORT_NAME, e->port_name);
	if (e->pod_name)
		knet_table_set_str(t, COL_POD, e->pod_name);
	if (e->node)
		knet_table_set_str(t, COL_NODE, e->node);
	knet_table_set_bool(t, COL_READY, e->ready);
	knet_table_set_tone(t, COL_READY,
			    e->ready ? KNET_TONE_GOOD : KNET_TONE_BAD);
	knet_table_set_bool(t, COL_SERVING, e->serving);
	knet_table_set_bool(t, COL_TERMINATING, e->terminating);
	if (e->hostname)
		knet_table_set_str(t, COL_HOSTNAME, e->hostname);
	return 0;
}

/* One row per endpoint, or one for a Service with none. */
static int endpoint_rows(struct knet_table *t, const void *obj,
			 const void *extra)
{
	const struct knet_service_endpoints *se = obj;

	(void)extra;
	if (!se->n)
		return add_row(t, se, NULL);
	for (int k = 0; k < se->n; k++)
		if (add_row(t, se, &se->eps[k]) < 0)
			return -1;
	return 0;
}

/* Every Service's endpoints, or those of @svc (there is no "get"). */
static int list_endpoints(struct knet_cluster_cmd *c, const char *svc)
{
	struct knet_endpoints_list *l = NULL;
	int r;

	r = knet_endpoints_list(c->ctx->api, c->ns, svc, &c->lo, &l, &c->err);
	if (r < 0)
		return r;
	knet_log(c->ctx, 1, "endpoints read from %s", l->source);
	if (svc && l->n == 0)
		r = knet_error_set(&c->err, -ENOENT, KNET_EXIT_NOT_FOUND,
				   "no endpoints for service \"%s\" (no such "
				   "service, or it has no selector)",
				   svc);
	for (int i = 0; i < l->n; i++)
		knet_cluster_keep(c, l->items[i]);
	l->n = 0; /* kept */
	knet_endpoints_list_free(l);
	return r;
}

static void free_service_endpoints(void *obj)
{
	knet_service_endpoints_free(obj);
}

static const struct knet_cluster_kind endpoints_kind = {
	.kind = "endpoints",
	.plural = "endpoints",
	.noun = "endpoints",
	.cols = columns,
	.ns_col = COL_NS,
	.list = list_endpoints,
	.get = NULL,
	.free = free_service_endpoints,
	.rows = endpoint_rows,
};

static int exec_endpoints(struct knet_ctx *ctx, const struct knet_args *args)
{
	return knet_cluster_run(ctx, args, &endpoints_kind);
}

const struct knet_cmd knet_cmd_endpoints = {
	.name = "endpoints",
	.alias = "ep",
	.group = "cluster",
	.summary = "list every endpoint of Services with its pod, node and "
		   "readiness",
	.usage = "[-n NS | -A] [-l SELECTOR] [-o table|wide|json|name] [SVC]",
	.min_args = 0,
	.max_args = 1,
	.flags = KNET_CMD_API,
	.options = NULL,
	.complete_args = "service",
	.exec = exec_endpoints,
};
