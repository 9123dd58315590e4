/* SPDX-License-Identifier: MIT */
/*
 * knet pods: the pods of a namespace (or all, -A), like kubectl get pods,
 * with every pod IP and, in wide, the host IP, container ports and the
 * controller that owns the pod.
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
	COL_READY,
	COL_READY_N,
	COL_CONTAINERS,
	COL_IS_READY,
	COL_STATUS,
	COL_PHASE,
	COL_RESTARTS,
	COL_IPS,
	COL_NODE,
	COL_AGE,
	COL_HOST_IP,
	COL_PORTS,
	COL_OWNER,
	COL_HOST_NET,
	COL_UID,
	COL_LABELS,
	COL_EVENT,
	NCOLS,
};

/*
 * EVENT shows only with --watch, which clears its flags.  The widths are
 * for --watch (rows printed as they come): STATUS fits
 * "ContainerCreating".
 */
static const struct knet_column columns[] = {
	[COL_NS] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 12},
	[COL_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 36},
	[COL_READY] = {"READY", "readyText", KNET_CELL_STR, KNET_COL_NOJSON, 5},
	[COL_READY_N] = {"", "readyContainers", KNET_CELL_INT, KNET_COL_NOTABLE,
			 0},
	[COL_CONTAINERS] = {"", "containers", KNET_CELL_INT, KNET_COL_NOTABLE,
			    0},
	[COL_IS_READY] = {"", "ready", KNET_CELL_BOOL, KNET_COL_NOTABLE, 0},
	[COL_STATUS] = {"STATUS", "status", KNET_CELL_STR, 0, 17},
	[COL_PHASE] = {"", "phase", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[COL_RESTARTS] = {"RESTARTS", "restarts", KNET_CELL_INT, KNET_COL_RIGHT,
			  8},
	[COL_IPS] = {"IP", "ips", KNET_CELL_STRLIST, 0, 15},
	[COL_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 10},
	[COL_AGE] = {"AGE", "created", KNET_CELL_AGE, 0, 5},
	[COL_HOST_IP] = {"HOST IP", "hostIP", KNET_CELL_STR, KNET_COL_WIDE, 15},
	[COL_PORTS] = {"PORTS", "ports", KNET_CELL_JSON, KNET_COL_WIDE, 10},
	[COL_OWNER] = {"OWNER", "owner", KNET_CELL_JSON, KNET_COL_WIDE, 30},
	[COL_HOST_NET] = {"", "hostNetwork", KNET_CELL_BOOL, KNET_COL_NOTABLE,
			  0},
	[COL_UID] = {"", "uid", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[COL_LABELS] = {"", "labels", KNET_CELL_JSON, KNET_COL_NOTABLE, 0},
	[COL_EVENT] = {"EVENT", "event", KNET_CELL_STR,
		       KNET_COL_NOTABLE | KNET_COL_NOJSON, 9},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* [{"container","name","port","hostPort","protocol"}], "8080/TCP,..." */
static int set_ports(struct knet_table *t, const struct knet_pod *p)
{
	cJSON *arr = cJSON_CreateArray();
	char text[512] = "";
	size_t off = 0;

	if (!arr)
		return -1;
	for (int i = 0; i < p->nports; i++) {
		const struct knet_container_port *cp = &p->ports[i];
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		cJSON_AddStringToObject(o, "container", cp->container);
		if (cp->name)
			cJSON_AddStringToObject(o, "name", cp->name);
		else
			cJSON_AddNullToObject(o, "name");
		cJSON_AddNumberToObject(o, "port", cp->port);
		if (cp->host_port)
			cJSON_AddNumberToObject(o, "hostPort", cp->host_port);
		cJSON_AddStringToObject(o, "protocol", cp->protocol);
		cJSON_AddItemToArray(arr, o);
		if (off < sizeof(text))
			off += (size_t)snprintf(text + off, sizeof(text) - off,
						"%s%d/%s", i ? "," : "",
						cp->port, cp->protocol);
	}
	return knet_table_set_json(t, COL_PORTS, arr,
				   p->nports ? text : "<none>");
}

static int set_owner(struct knet_table *t, const struct knet_pod *p)
{
	cJSON *o;
	char *text = NULL;
	int r;

	if (!p->owner_kind)
		return knet_table_set_none(t, COL_OWNER);
	o = cJSON_CreateObject();
	/* A kind and a 253-byte name: sized to fit, never cut. */
	if (!o ||
	    asprintf(&text, "%s/%s", p->owner_kind, p->owner_name ?: "") < 0) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	cJSON_AddStringToObject(o, "kind", p->owner_kind);
	cJSON_AddStringToObject(o, "name", p->owner_name ?: "");
	r = knet_table_set_json(t, COL_OWNER, o, text);
	free(text);
	return r;
}

static void set_str0(struct knet_table *t, int col, const char *s)
{
	if (s && *s)
		knet_table_set_str(t, col, s);
}

static int add_row(struct knet_table *t, const void *obj, const void *extra)
{
	const struct knet_pod *p = obj;
	enum knet_tone tone = KNET_TONE_PLAIN;

	(void)extra;
	if (knet_table_add_row(t) < 0)
		return -1;
	knet_table_set_str(t, COL_NS, p->meta.namespace);
	knet_table_set_str(t, COL_NAME, p->meta.name);
	knet_table_set_strf(t, COL_READY, "%d/%d", p->containers_ready,
			    p->containers);
	knet_table_set_int(t, COL_READY_N, p->containers_ready);
	knet_table_set_int(t, COL_CONTAINERS, p->containers);
	knet_table_set_bool(t, COL_IS_READY, p->ready);
	knet_table_set_str(t, COL_STATUS, p->status);
	set_str0(t, COL_PHASE, p->phase);
	knet_table_set_int(t, COL_RESTARTS, p->restarts);
	if (p->ips.n)
		knet_table_set_strlist(t, COL_IPS,
				       (const char *const *)p->ips.v, p->ips.n);
	set_str0(t, COL_NODE, p->node);
	knet_table_set_age(t, COL_AGE, p->meta.created);
	set_str0(t, COL_HOST_IP, p->host_ip);
	knet_table_set_bool(t, COL_HOST_NET, p->host_network);
	set_str0(t, COL_UID, p->meta.uid);
	if (set_ports(t, p) < 0 || set_owner(t, p) < 0 ||
	    knet_table_set_json(t, COL_LABELS,
				knet_labels_to_json(&p->meta.labels), "") < 0)
		return -1;
	if (!strcmp(p->status, "Running") && p->ready)
		tone = KNET_TONE_GOOD;
	else if (strcmp(p->status, "Completed") &&
		 strcmp(p->status, "Succeeded"))
		tone = strcmp(p->status, "Running") ? KNET_TONE_BAD
						    : KNET_TONE_WARN;
	knet_table_set_tone(t, COL_STATUS, tone);
	knet_table_set_tone(t, COL_READY,
			    p->containers_ready == p->containers
				    ? KNET_TONE_PLAIN
				    : KNET_TONE_WARN);
	return 0;
}

static const struct knet_opt pods_options[] = {
	{"watch", 'w', KNET_OPT_FLAG, NULL,
	 "after the list, print each change as it happens", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* --watch: rows stream out, with the event that brought each. */
struct watch {
	struct knet_cluster_cmd *c;
	int status;
};

static int stream(struct watch *w, const char *event, const cJSON *item)
{
	struct knet_pod *p = NULL;

	if (knet_pod_from_json(item, &p) < 0)
		return -ENOMEM;
	if (add_row(w->c->t, p, NULL) < 0 ||
	    knet_table_set_str(w->c->t, COL_EVENT, event) < 0) {
		knet_pod_free(p);
		return -ENOMEM;
	}
	knet_pod_free(p);
	/* A closed stdout (| head) ends the watch. */
	return knet_table_stream_row(w->c->t) < 0 ? -EPIPE : 0;
}

static int on_listed(const cJSON *item, void *userdata)
{
	return stream(userdata, "ADDED", item);
}

static int on_event(const char *type, const cJSON *obj, void *userdata)
{
	if (!strcmp(type, "BOOKMARK"))
		return 0;
	return stream(userdata, type, obj);
}

static int relist(struct knet_api *api, char **ret_rv, void *userdata,
		  struct knet_error *err)
{
	struct watch *w = userdata;
	struct knet_list_opts lo = w->c->lo;
	char path[512];
	int r = knet_api_path(path, sizeof(path), "v1", w->c->ns, "pods", NULL,
			      err);

	if (r < 0)
		return r;
	lo.model = true; /* items go through knet_pod_from_json only */
	return knet_api_list(api, path, &lo, on_listed, w, ret_rv, err);
}

static int watch_pods(struct knet_ctx *ctx, struct knet_cluster_cmd *c)
{
	struct watch w = {.c = c};
	char path[512];
	int r;

	/* A bad namespace is said before any header is printed. */
	r = knet_api_path(path, sizeof(path), "v1", c->ns, "pods", NULL,
			  &c->err);
	if (r < 0) {
		knet_cluster_fail(c, "watch pods", NULL);
		return knet_cluster_end(c);
	}
	/* The event column shows only in watch mode. */
	c->cols[COL_EVENT].flags = 0;
	knet_table_free(c->t);
	c->t = NULL;
	/* Each event as it happens, into a pipe too (jq, a runbook). */
	c->o.flush = true;
	if (knet_table_new(c->cols, &c->o, &c->t) < 0 ||
	    knet_table_stream_header(c->t) < 0) {
		knet_cluster_oom(c);
		return knet_cluster_end(c);
	}
	/* Ctrl-C ends the watch, with status 0 as kubectl's does. */
	knet_api_set_stop(ctx->api, knet_catch_stop());
	c->lo.model = true; /* events go through knet_pod_from_json only */
	r = knet_api_watch(ctx->api, path, &c->lo, NULL, on_event, relist, &w,
			   &c->err);
	knet_api_set_stop(ctx->api, NULL);
	if (r < 0 && r != -EPIPE && r != -EINTR)
		knet_cluster_fail(c, "watch pods", NULL);
	/* Every row is printed: no table, no "no pods found" at the end. */
	knet_table_free(c->t);
	c->t = NULL;
	return knet_cluster_end(c);
}

static int list_pods(struct knet_cluster_cmd *c, const char *name)
{
	struct knet_pod_list *l = NULL;
	int r;

	(void)name;
	r = knet_pod_list(c->ctx->api, c->ns, &c->lo, &l, &c->err);
	for (int i = 0; l && i < l->n; i++)
		knet_cluster_keep(c, l->items[i]);
	if (l)
		l->n = 0; /* kept */
	knet_pod_list_free(l);
	return r;
}

static int get_pod(struct knet_cluster_cmd *c, const char *name, void **ret_obj)
{
	struct knet_pod *p = NULL;
	int r = knet_pod_get(c->ctx->api, c->ns, name, &p, &c->err);

	*ret_obj = p;
	return r;
}

static void free_pod(void *obj)
{
	knet_pod_free(obj);
}

static const struct knet_cluster_kind pods_kind = {
	.kind = "pod",
	.plural = "pods",
	.noun = "pod",
	.cols = columns,
	.ns_col = COL_NS,
	.list = list_pods,
	.get = get_pod,
	.free = free_pod,
	.rows = add_row,
};

static int exec_pods(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_cluster_cmd c;
	int r;

	if (!knet_args_has(args, "watch"))
		return knet_cluster_run(ctx, args, &pods_kind);
	if (args->npos > 0)
		return knet_usage_error(ctx, "--watch takes no names (use -l)");
	r = knet_cluster_begin(&c, ctx, args, &pods_kind);
	if (r)
		return r;
	return watch_pods(ctx, &c);
}

const struct knet_cmd knet_cmd_pods = {
	.name = "pods",
	.alias = "po",
	.group = "cluster",
	.summary = "list pods with their IPs, nodes and readiness",
	.usage = "[-n NS | -A] [-l SELECTOR] [-o table|wide|json|name] [-w] "
		 "[NAME...]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_API,
	.options = pods_options,
	.complete_args = "pod",
	.exec = exec_pods,
};
