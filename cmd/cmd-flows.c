/* SPDX-License-Identifier: MIT */
/*
 * knet flows [POD | node/NAME]: the live flows of a pod (or a node), as
 * iftop would show them, with Kubernetes names, what gets no answer
 * highlighted, from captured headers or from the node's conntrack.
 *
 * The node pipeline opens the capture in the pod's namespace (and the
 * conntrack sockets in the node's), then drops every privilege before
 * the first packet is read.  A pod on another node is watched by knet
 * run there through the transport, which sends a snapshot of its flow
 * table every second; this side names, draws and writes them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "flows-run.h"
#include "knet/node.h"
#include "node-common.h"

static const struct knet_opt flows_options[] = {
	{"source", 0, KNET_OPT_STRING, "capture|conntrack",
	 "where flows come from: captured headers (default) or the node's "
	 "conntrack table",
	 NULL, 0, 0, NULL},
	{"once", 0, KNET_OPT_NUMBER, "SECONDS",
	 "no screen: watch for SECONDS, print the table (or -o json), exit",
	 NULL, 0.1, 1e6, NULL},
	{"watch", 0, KNET_OPT_FLAG, NULL,
	 "no screen: a JSON Lines snapshot every refresh", NULL, 0, 0, NULL},
	{"max-flows", 0, KNET_OPT_INT, "N",
	 "keep at most N flows, evicting the least recently seen "
	 "(default 100000)",
	 NULL, 1, KNET_FLOWS_MAX_LIMIT, NULL},
	{"keep-packets", 0, KNET_OPT_INT, "N",
	 "keep the first N packets of each flow for `w` (default 1000; "
	 "32 MiB in all)",
	 NULL, 0, 1000000, NULL},
	{"refresh", 0, KNET_OPT_NUMBER, "SECONDS",
	 "seconds between screen updates and snapshots (default 1)", NULL, 0.2,
	 60, NULL},
	{"filter", 0, KNET_OPT_STRING, "BPF",
	 "capture only what the BPF expression (tcpdump's grammar) keeps", NULL,
	 0, 0, NULL},
	{"grep", 0, KNET_OPT_STRING, "TEXT",
	 "show only flows with TEXT in an address, name, state or flag", NULL,
	 0, 0, NULL},
	{"sort", 0, KNET_OPT_STRING, "COLUMN",
	 "bytes (default), packets, rate, rate10, src, dst, proto, state, "
	 "flags, age or last",
	 NULL, 0, 0, NULL},
	{"interface", 'i', KNET_OPT_STRING, "IFACE",
	 "capture on IFACE (default eth0 in a pod, any on a node)", NULL, 0, 0,
	 NULL},
	{"buffer-size", 'B', KNET_OPT_INT, "KIB",
	 "kernel capture buffer in KiB (default 32768)", NULL, 1, 4194304,
	 NULL},
	{"snaplen", 's', KNET_OPT_INT, "BYTES",
	 "bytes kept of each packet (default 256: headers)", NULL, 64, 262144,
	 NULL},
	{"no-names", 0, KNET_OPT_FLAG, NULL, "addresses only, no names", NULL,
	 0, 0, NULL},
	{"stream", 0, KNET_OPT_FLAG, NULL,
	 "print full snapshots as JSON Lines (what a remote run sends)", NULL,
	 0, 0, NULL},
	KNET_NODE_RUN_AS_OPTION,
	KNET_NODE_SELECT_OPTIONS,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/*
 * What the remote run of a pod on another node is told: send full
 * snapshots (an argument, not the environment, which ssh drops).
 */
static const char *const stream_args[] = {"--stream", NULL};

static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct flows_run *run = job->data;
	int r = flows_run_prepare(ctx, run, job->src, job->on_node != NULL);

	if (r)
		return r;
	/* Still privileged, in the node's namespace: conntrack is here. */
	return flows_run_open_conntrack(ctx, run, &job->err);
}

static int open_capture(struct knet_ctx *ctx, struct knet_node_job *job)
{
	(void)ctx;
	return flows_run_open_capture(job->data, &job->err);
}

static int run_flows(struct knet_ctx *ctx, struct knet_node_job *job)
{
	return flows_run_loop(ctx, job->data, job->stop, &job->err);
}

static int summary(struct knet_ctx *ctx, struct knet_node_job *job, int status)
{
	return flows_run_summary(ctx, job->data, status);
}

static int remote_begin(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct flows_run *run = job->data;

	run->remote = true;
	return flows_run_prepare(ctx, run, job->src, job->on_node != NULL);
}

static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	return flows_run_remote_line(ctx, job->data, line, &job->err);
}

static int remote_end(struct knet_ctx *ctx, struct knet_node_job *job,
		      int status)
{
	struct flows_run *run = job->data;

	knet_ui_flows_close(run->ui);
	run->ui = NULL;
	return flows_run_summary(ctx, run, status);
}

/* POD, node/NAME or nothing (this node); one of them for now. */
static int read_target(struct knet_ctx *ctx, const struct knet_args *args,
		       struct knet_node_job *job, char **ret_node)
{
	struct knet_target *t = NULL;
	struct knet_error err = {0};

	*ret_node = NULL;
	if (!args->npos)
		return 0;
	if (knet_target_parse(args->pos[0], knet_ctx_namespace(ctx), &t, &err) <
	    0)
		return knet_fail(ctx, &err, "read the target", args->pos[0]);
	if (t->kind == KNET_TARGET_NODE) {
		*ret_node = strdup(t->name);
		job->on_node = *ret_node;
	} else if (t->kind == KNET_TARGET_POD) {
		job->so.from = args->pos[0];
	} else {
		knet_target_free(t);
		return knet_usage_error(ctx,
					"'%s': give pods, svc/NAME or "
					"node/NAME",
					args->pos[0]);
	}
	knet_target_free(t);
	return 0;
}

/* Several pods, -l, svc/NAME: the capture session of capture-targets.c. */
static bool many_targets(const struct knet_ctx *ctx,
			 const struct knet_args *args)
{
	return ctx->g.selector || args->npos > 1 ||
	       knet_node_fanout_wanted(args) ||
	       (args->npos == 1 && !strncmp(args->pos[0], "svc/", 4));
}

static int read_options(struct knet_ctx *ctx, const struct knet_args *args,
			struct flows_run *run)
{
	const char *src = knet_args_str(args, "source", "capture");
	const char *sort = knet_args_str(args, "sort", NULL);
	const char *bpf = knet_args_str(args, "filter", NULL);

	if (!strcmp(src, "conntrack"))
		run->source = FLOWS_FROM_CONNTRACK;
	else if (strcmp(src, "capture"))
		return knet_usage_error(ctx,
					"--source is capture or conntrack, not "
					"'%s'",
					src);
	if (sort && knet_flow_sort_parse(sort) < 0)
		return knet_usage_error(ctx, "cannot sort by '%s'", sort);
	if (run->once && run->watch)
		return knet_usage_error(ctx, "--once and --watch: one of them");
	if (ctx->g.format == KNET_FMT_NAME)
		return knet_usage_error(ctx, "flows have no names: -o name "
					     "does not apply");
	if (bpf && run->source == FLOWS_FROM_CONNTRACK)
		return knet_usage_error(ctx, "--filter is for captures");
	if (bpf && !(run->bpf = strdup(bpf)))
		return KNET_EXIT_SYSTEM;
	/* -o json without --once or --watch: snapshots, not a screen. */
	if (ctx->g.format == KNET_FMT_JSON && !run->once)
		run->watch = true;
	/* Snapshots are JSON Lines whatever -o says (a script reads them). */
	if (run->watch)
		ctx->g.format = KNET_FMT_JSON;
	return 0;
}

static int exec_flows(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct flows_run run;
	struct knet_node_job job;
	char *node = NULL;
	int r;

	flows_run_init(&run, ctx, args);
	run.stream = knet_args_has(args, "stream");
	if (run.stream)
		run.tui = run.watch = false;
	knet_node_job_init(&job, ctx, args);
	r = read_options(ctx, args, &run);
	if (r == 0 && knet_node_fanout_wanted(args) && args->npos)
		r = knet_usage_error(ctx, "--all-nodes and --nodes watch whole "
					  "nodes: give no target");
	if (r == 0 && many_targets(ctx, args)) {
		r = run.source == FLOWS_FROM_CONNTRACK
			    ? knet_usage_error(ctx, "--source conntrack takes "
						    "one pod or node/NAME")
			    : flows_many(ctx, &run, args, args->npos);
		goto out;
	}
	if (r == 0)
		r = read_target(ctx, args, &job, &node);
	if (r)
		goto out;
	job.verb = "watch the flows of";
	job.verb_from = "watch the flows in";
	job.find_verb = "find pod";
	job.api_optional = !run.no_names;
	job.prepare = prepare;
	if (run.source == FLOWS_FROM_CAPTURE)
		job.open = open_capture;
	/*
	 * Conntrack as the source is dumped every second, and the kernel
	 * checks CAP_NET_ADMIN on each dump request (as for conntrack -E).
	 */
	job.keep_privileges = run.source == FLOWS_FROM_CONNTRACK;
	job.run = run_flows;
	job.summary = summary;
	job.remote_args = stream_args;
	job.remote_begin = remote_begin;
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.data = &run;
	r = knet_node_run(ctx, &job);
out:
	flows_run_clear(&run);
	knet_node_job_clear(&job);
	free(node);
	return r;
}

const struct knet_cmd knet_cmd_flows = {
	.name = "flows",
	.alias = NULL,
	.group = "node",
	.summary = "live flows of a pod or node, with names and problems",
	.usage = "[options] [POD... | svc/NAME | node/NAME]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM,
	.options = flows_options,
	.complete_args = "target",
	.exec = exec_flows,
};
