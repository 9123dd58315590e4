/* SPDX-License-Identifier: MIT */
/*
 * knet netns [POD]: the network namespaces of this node and the pods
 * they belong to, with one process in each, the path to enter it and
 * how it was found (a cgroup carrying the pod's UID, the pod's IP, a
 * /var/run/netns file).
 *
 * Only the scan is root's (reading /proc/PID/ns, entering each namespace
 * for its addresses); the API's answers are read, matched and printed
 * as nobody, in every form: the list and --netns/--pid drop privileges
 * once the namespaces are read, POD through the node pipeline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "knet/objects.h"
#include "knet/api.h"
#include "knet/node.h"
#include "node-common.h"

enum { C_POD, C_IPS, C_PID, C_PATH, C_FOUND, C_NODE, C_INODE, C_UID, NCOLS };

static const struct knet_column cols[] = {
	[C_POD] = {"POD", "pod", KNET_CELL_STR, KNET_COL_NAME, 0},
	[C_IPS] = {"IPS", "ips", KNET_CELL_STRLIST, 0, 0},
	[C_PID] = {"PID", "pid", KNET_CELL_INT, KNET_COL_RIGHT, 0},
	[C_PATH] = {"PATH", "path", KNET_CELL_STR, 0, 0},
	[C_FOUND] = {"FOUND", "found_by", KNET_CELL_STR, 0, 0},
	[C_NODE] = {"NODE", "node", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[C_INODE] = {"INODE", "inode", KNET_CELL_INT,
		     KNET_COL_WIDE | KNET_COL_RIGHT, 0},
	/* What a run without an API hands the caller to name the pod by. */
	[C_UID] = {"UID", "pod_uid", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static const struct knet_opt netns_options[] = {
	{"all", 'a', KNET_OPT_FLAG, NULL,
	 "also namespaces of no pod on this node (the node's own...)", NULL, 0,
	 0, NULL},
	{"netns", 0, KNET_OPT_STRING, "PATH",
	 "show this network namespace file (and its pod)", NULL, 0, 0, "file"},
	{"pid", 0, KNET_OPT_INT, "PID",
	 "show the network namespace of this process (and its pod)", NULL, 1,
	 4194304, NULL},
	KNET_NODE_FANOUT_OPTIONS,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

static int add_row(struct knet_table *t, const struct knet_netns_info *ns,
		   const struct knet_pod *pod, const char *how)
{
	int r = knet_table_add_row(t);

	if (r < 0)
		return r;
	if (pod)
		knet_table_set_strf(t, C_POD, "%s/%s", pod->meta.namespace,
				    pod->meta.name);
	knet_table_set_strlist(t, C_IPS, (const char *const *)ns->addrs,
			       ns->naddrs);
	if (ns->pid)
		knet_table_set_int(t, C_PID, ns->pid);
	knet_table_set_str(t, C_PATH, ns->path);
	knet_table_set_str(t, C_FOUND, how);
	if (pod && pod->node)
		knet_table_set_str(t, C_NODE, pod->node);
	knet_table_set_int(t, C_INODE, (long long)ns->ino);
	if (ns->pod_uid)
		knet_table_set_str(t, C_UID, ns->pod_uid);
	return 0;
}

static const struct knet_pod *pod_by_uid(const struct knet_pod_list *pl,
					 const char *uid)
{
	for (int i = 0; pl && uid && i < pl->n; i++)
		if (pl->items[i]->meta.uid &&
		    !strcmp(pl->items[i]->meta.uid, uid))
			return pl->items[i];
	return NULL;
}

/* By IP, skipping host-network pods: they share the node's addresses. */
static const struct knet_pod *pod_by_ip(const struct knet_pod_list *pl,
					const struct knet_netns_info *ns)
{
	for (int i = 0; pl && i < ns->naddrs; i++) {
		const struct knet_pod *p =
			knet_pod_list_find_ip(pl, ns->addrs[i]);

		if (p && !p->host_network)
			return p;
	}
	return NULL;
}

static int list_all(struct knet_ctx *ctx, struct knet_table *t, bool all)
{
	struct knet_netns_list *l = NULL;
	struct knet_pod_list *pods = NULL;
	struct knet_error err = {0};
	char *self = NULL;
	int r;

	r = knet_netns_scan(&l, &err);
	if (r < 0) {
		r = knet_fail(ctx, &err, "list network namespaces", NULL);
		goto out;
	}
	r = knet_node_drop(ctx, NULL);
	if (r)
		goto out;
	if (ctx->api) {
		struct knet_list_opts lo = {0};
		char fs[300];

		if (knet_node_self(ctx->api, ctx->g.node, &self, &err) < 0)
			knet_warn(ctx, "%s: listing every node's pods",
				  err.reason);
		/* Only this node's pods, unless asked for everything. */
		if (self && !all) {
			snprintf(fs, sizeof(fs), "spec.nodeName=%s", self);
			lo.field_selector = fs;
		}
		if (knet_pod_list(ctx->api, NULL, &lo, &pods, &err) < 0)
			knet_warn(ctx, "cannot list pods: %s", err.reason);
	}
	for (int i = 0; i < l->n; i++) {
		const struct knet_netns_info *ns = &l->items[i];
		const struct knet_pod *pod = pod_by_uid(pods, ns->pod_uid);
		const char *how = ns->self ? "self" : ns->how;

		if (!pod && !ns->self) {
			pod = pod_by_ip(pods, ns);
			if (pod)
				how = "ip";
		}
		/* Other nodes' pods show up where mounts are shared. */
		if (!all &&
		    (!pod || (self && pod->node && strcmp(pod->node, self))))
			continue;
		r = add_row(t, ns, pod, how);
		if (r < 0)
			break;
	}
	r = r < 0 ? KNET_EXIT_SYSTEM : 0;
out:
	knet_netns_list_free(l);
	knet_pod_list_free(pods);
	free(self);
	return r;
}

/* One pod's row; the remote run prints one JSON document, over lines. */
struct one {
	struct knet_table *t;
	char *buf;
	size_t len;
	cJSON *errors; /* fan-out: the nodes that did not answer */
	/*
	 * Fan-out without an API there: the pods, to name rows here, of
	 * the node whose rows these are (@pods_node; the nodes come one
	 * after the other), or of every node with --all.
	 */
	struct knet_pod_list *pods;
	char *pods_node;
	bool pods_listed, all;
};

/*
 * The pods of @node, as that node's own run lists them (a field
 * selector): a node's list is a small answer where one of every pod
 * would be the whole cluster's, each time, however few nodes answer.
 */
static void list_node_pods(struct knet_ctx *ctx, struct one *one,
			   const char *node)
{
	struct knet_list_opts lo = {0};
	struct knet_error err = {0};
	char fs[300];

	if (one->pods_listed &&
	    (one->all || (one->pods_node && !strcmp(one->pods_node, node))))
		return;
	knet_pod_list_free(one->pods);
	one->pods = NULL;
	free(one->pods_node);
	one->pods_node = strdup(node);
	one->pods_listed = true;
	if (!one->all) {
		snprintf(fs, sizeof(fs), "spec.nodeName=%s", node);
		lo.field_selector = fs;
	}
	if (knet_pod_list(ctx->api, NULL, &lo, &one->pods, &err) < 0)
		knet_warn(ctx, "cannot list pods: %s", err.reason);
}

/*
 * A row a run without an API sent (no pod name, its UID and IPs): named
 * here as list_all() names its own, and kept as it keeps them: pods of
 * @node (everything with --all).  False to
 * drop it; *@ret_pod is its pod, NULL when none is known.
 */
static bool name_row(struct knet_ctx *ctx, struct one *one, const cJSON *it,
		     const char *node, const struct knet_pod **ret_pod)
{
	struct knet_netns_info ns = {0};
	const struct knet_pod *pod;
	const cJSON *ip;
	const char *how =
		cJSON_GetStringValue(cJSON_GetObjectItem(it, "found_by"));
	char *addrs[16];

	list_node_pods(ctx, one, node);
	ns.pod_uid = cJSON_GetStringValue(cJSON_GetObjectItem(it, "pod_uid"));
	cJSON_ArrayForEach(ip, cJSON_GetObjectItem(it, "ips"))
	{
		if (cJSON_IsString(ip) && ns.naddrs < 16)
			addrs[ns.naddrs++] = ip->valuestring;
	}
	ns.addrs = addrs;
	pod = pod_by_uid(one->pods, ns.pod_uid);
	if (!pod && !(how && !strcmp(how, "self")))
		pod = pod_by_ip(one->pods, &ns);
	*ret_pod = pod;
	return one->all || (pod && (!pod->node || !strcmp(pod->node, node)));
}

static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	struct one *one = job->data;
	size_t l = strlen(line);
	char *nb = realloc(one->buf, one->len + l + 2);

	(void)ctx;
	if (!nb)
		return -ENOMEM;
	one->buf = nb;
	memcpy(one->buf + one->len, line, l);
	one->len += l;
	one->buf[one->len++] = '\n';
	one->buf[one->len] = '\0';
	return 0;
}

static int remote_end(struct knet_ctx *ctx, struct knet_node_job *job,
		      int status)
{
	struct one *one = job->data;
	cJSON *doc, *items, *it;
	int r = 0;

	const char *node =
		job->node_name ? job->node_name : job->src->remote_node;

	(void)ctx;
	if (status != 0)
		return status; /* its error line came through stderr */
	doc = one->buf ? cJSON_Parse(one->buf) : NULL;
	/* A fan-out gives the next node's lines to the same buffer. */
	free(one->buf);
	one->buf = NULL;
	one->len = 0;
	if (!doc) {
		knet_error_set(&job->err, -EBADMSG, KNET_EXIT_SYSTEM,
			       "node %s sent no JSON document", node);
		if (job->node_name)
			return KNET_EXIT_SYSTEM; /* said by the fan-out */
		return knet_fail(ctx, &job->err, "list network namespaces on",
				 node);
	}
	/* {"kind":"...List","items":[...]} or a bare array. */
	items = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItem(doc, "items");
	cJSON_ArrayForEach(it, items)
	{
		const struct knet_pod *pod = NULL;

		if (job->node_name && ctx->api &&
		    !cJSON_GetStringValue(cJSON_GetObjectItem(it, "pod")) &&
		    !name_row(ctx, one, it, node, &pod))
			continue;
		r = knet_via_row(one->t, it);
		if (r == 0 && pod)
			r = knet_table_set_strf(one->t, C_POD, "%s/%s",
						pod->meta.namespace,
						pod->meta.name);
		/* Fan-out: the node it was found on, that answered. */
		if (r == 0 && job->node_name)
			r = knet_table_set_str(one->t, C_NODE, job->node_name);
		if (r < 0)
			break;
	}
	cJSON_Delete(doc);
	return r < 0 ? KNET_EXIT_SYSTEM : 0;
}

static int remote_failed(struct knet_ctx *ctx, struct knet_node_job *job,
			 const char *node, const char *reason)
{
	struct one *one = job->data;
	cJSON *e = cJSON_CreateObject();

	(void)ctx;
	if (!e || !cJSON_AddStringToObject(e, "node", node) ||
	    !cJSON_AddStringToObject(e, "reason", reason)) {
		cJSON_Delete(e);
		return -ENOMEM;
	}
	cJSON_AddItemToArray(one->errors, e);
	return 0;
}

/*
 * --all-nodes, --nodes: every node's list, through the pipeline's
 * fan-out; NODE is the node that answered, and the JSON document says
 * which nodes did not in "errors" (empty when all did).
 */
static int all_nodes(struct knet_ctx *ctx, struct knet_table *t,
		     const struct knet_args *args)
{
	struct one one = {.t = t,
			  .errors = cJSON_CreateArray(),
			  .all = knet_args_has(args, "all")};
	struct knet_node_job job;
	int r;

	if (!one.errors)
		return KNET_EXIT_SYSTEM;
	knet_node_job_init(&job, ctx, args);
	job.verb = "list the network namespaces of";
	job.verb_from = job.verb;
	job.find_verb = "find";
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.remote_failed = remote_failed;
	job.fanout_names = true; /* remote_end() names them: one pod list */
	job.data = &one;
	r = knet_node_run(ctx, &job);
	free(one.buf);
	knet_pod_list_free(one.pods);
	free(one.pods_node);
	knet_node_job_clear(&job);
	/* Some nodes answered (1): theirs are shown all the same. */
	if ((r == 0 || r == KNET_EXIT_PROBLEM) &&
	    (knet_table_add_member(t, "errors", one.errors) < 0 ||
	     knet_table_render(t) < 0))
		return KNET_EXIT_SYSTEM;
	if (r != 0 && r != KNET_EXIT_PROBLEM)
		cJSON_Delete(one.errors);
	return r;
}

static int run_one(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct one *one = job->data;
	const struct knet_source *src = job->src;

	(void)ctx;
	return add_row(one->t, &src->ns, src->place->pod, src->ns.how) < 0
		       ? KNET_EXIT_SYSTEM
		       : 0;
}

static int one_pod(struct knet_ctx *ctx, struct knet_table *t,
		   const struct knet_args *args)
{
	struct one one = {.t = t};
	struct knet_node_job job;
	int r;

	knet_node_job_init(&job, ctx, args);
	job.so.from = args->pos[0];
	job.so.netns = NULL;
	job.so.pid = 0;
	job.verb = "list the network namespace of";
	job.verb_from = job.verb;
	job.find_verb = "find the network namespace of";
	job.run = run_one;
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.data = &one;
	r = knet_node_run(ctx, &job);
	free(one.buf);
	knet_node_job_clear(&job);
	return r;
}

/* Without a cluster the list still shows the namespaces, unnamed. */
static void api_quiet(struct knet_ctx *ctx)
{
	struct knet_error err = {0};

	ctx->api = knet_node_api_optional(ctx->g.kubeconfig, ctx->g.context,
					  ctx->g.request_timeout, &err);
	if (!ctx->api)
		knet_warn(ctx,
			  "no cluster (%s): namespaces are not matched "
			  "to pods",
			  err.reason);
}

/* --netns PATH or --pid PID: that namespace, and its pod if known. */
static int one_ns(struct knet_ctx *ctx, struct knet_table *t,
		  const struct knet_args *args)
{
	const char *path = knet_args_str(args, "netns", NULL);
	struct knet_pod_list *pods = NULL;
	struct knet_netns_info ns = {0};
	struct knet_error err = {0};
	const struct knet_pod *pod = NULL;
	int r;

	if (path)
		r = knet_netns_from_path(path, &ns, &err);
	else
		r = knet_netns_from_pid((pid_t)knet_args_int(args, "pid", 0),
					&ns, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "read the network namespace",
				 path ? path : knet_args_str(args, "pid", ""));
	r = knet_node_drop(ctx, NULL);
	if (r) {
		knet_netns_info_clear(&ns);
		return r;
	}
	if (ctx->api && knet_pod_list(ctx->api, NULL, NULL, &pods, &err) == 0)
		pod = ns.pod_uid ? pod_by_uid(pods, ns.pod_uid)
				 : pod_by_ip(pods, &ns);
	r = add_row(t, &ns, pod, ns.how) < 0 ? KNET_EXIT_SYSTEM : 0;
	knet_pod_list_free(pods);
	knet_netns_info_clear(&ns);
	return r;
}

static int exec_netns(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_output_opts o = knet_ctx_output(ctx, "netns");
	struct knet_column fan_cols[NCOLS + 1];
	bool fanout = knet_node_fanout_wanted(args);
	struct knet_table *t = NULL;
	int r;

	/* The fan-out's NODE is the node that answered: shown. */
	memcpy(fan_cols, cols, sizeof(fan_cols));
	fan_cols[C_NODE].flags &= ~KNET_COL_WIDE;
	if (!fanout && knet_args_has(args, "max-parallel"))
		return knet_usage_error(ctx, "--max-parallel goes with "
					     "--all-nodes or --nodes");
	if (fanout && (args->npos || knet_args_has(args, "netns") ||
		       knet_args_has(args, "pid")))
		return knet_usage_error(ctx, "--all-nodes and --nodes list "
					     "whole nodes: give no POD, "
					     "--netns or --pid");
	/* One pod: the node pipeline sets the API up; a fan-out needs it. */
	if (!args->npos && !fanout && !ctx->g.no_api)
		api_quiet(ctx);
	if (knet_table_new(fanout ? fan_cols : cols, &o, &t) < 0)
		return KNET_EXIT_SYSTEM;
	if (fanout) {
		r = all_nodes(ctx, t, args);
		knet_table_free(t);
		return r;
	}
	if (knet_args_has(args, "netns") && knet_args_has(args, "pid"))
		r = knet_usage_error(ctx, "give --netns or --pid, not both");
	else if (args->npos &&
		 (knet_args_has(args, "netns") || knet_args_has(args, "pid")))
		r = knet_usage_error(ctx, "give a pod or --netns/--pid");
	else if (knet_args_has(args, "netns") || knet_args_has(args, "pid"))
		r = one_ns(ctx, t, args);
	else if (args->npos)
		r = one_pod(ctx, t, args);
	else
		r = list_all(ctx, t, knet_args_has(args, "all") || !ctx->api);
	if (r == 0 && knet_table_render(t) < 0)
		r = KNET_EXIT_SYSTEM;
	knet_table_free(t);
	return r;
}

const struct knet_cmd knet_cmd_netns = {
	.name = "netns",
	.alias = NULL,
	.group = "node",
	.summary = "list this node's pod network namespaces",
	.usage = "[options] [POD]",
	.min_args = 0,
	.max_args = 1,
	.flags = KNET_CMD_ROOT,
	.options = netns_options,
	.complete_args = "pod",
	.exec = exec_netns,
};
