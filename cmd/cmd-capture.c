/* SPDX-License-Identifier: MIT */
/*
 * knet capture POD [BPF filter]: packets inside a pod's network
 * namespace, decoded in Kubernetes words or written as pcap / pcapng.
 *
 * The node pipeline opens the libpcap handle in the pod's namespace and
 * drops every privilege before the first packet is read.  A pod on
 * another node is captured by knet run there through the transport: it
 * streams the raw packets back as JSON Lines (base64, so a binary file
 * survives any transport), and this side decodes and writes them, so
 * that names, files and summaries are made in one place.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "capture-run.h"
#include "capture-targets.h"
#include "cmd.h"
#include "knet/node.h"
#include "node-common.h"

static const struct knet_opt capture_options[] = {
	{"interface", 'i', KNET_OPT_STRING, "IFACE",
	 "capture on IFACE in the pod (default eth0; 'any' for all)", NULL, 0,
	 0, NULL},
	{"snaplen", 's', KNET_OPT_INT, "BYTES",
	 "bytes kept of each packet (default 262144)", NULL, 1, 262144, NULL},
	{"buffer-size", 'B', KNET_OPT_INT, "KIB",
	 "kernel buffer in KiB (default 32768)", NULL, 1, 4194304, NULL},
	{"count", 'c', KNET_OPT_INT, "N", "stop after N packets", NULL, 1, 1e15,
	 NULL},
	{"duration", 0, KNET_OPT_NUMBER, "SECONDS", "stop after SECONDS", NULL,
	 0.001, 1e9, NULL},
	{"write", 'w', KNET_OPT_STRING, "FILE",
	 "write the packets to FILE ('-': stdout) instead of decoding them",
	 NULL, 0, 0, "file"},
	{"pcapng", 0, KNET_OPT_FLAG, NULL,
	 "write pcapng (also for a .pcapng FILE), with the pod in each "
	 "interface",
	 NULL, 0, 0, NULL},
	{"packet-buffered", 'U', KNET_OPT_FLAG, NULL,
	 "with -w, write each packet as it comes", NULL, 0, 0, NULL},
	{"read", 'r', KNET_OPT_STRING, "FILE",
	 "decode a pcap or pcapng FILE instead of capturing", NULL, 0, 0,
	 "file"},
	{"hex", 'x', KNET_OPT_FLAG, NULL, "print each packet in hex too", NULL,
	 0, 0, NULL},
	{"hex-ascii", 'X', KNET_OPT_FLAG, NULL,
	 "print each packet in hex and ASCII too", NULL, 0, 0, NULL},
	{"file-size", 'C', KNET_OPT_NUMBER, "MB",
	 "with -w, start a new file past MB million bytes (as tcpdump)", NULL,
	 0.001, 1e6, NULL},
	{"rotate-seconds", 'G', KNET_OPT_INT, "SECONDS",
	 "with -w, a new file every SECONDS (FILE is strftime'd)", NULL, 1, 1e8,
	 NULL},
	{"file-count", 'W', KNET_OPT_INT, "COUNT",
	 "with -C, reuse COUNT files; with -G, stop after COUNT", NULL, 1, 1e6,
	 NULL},
	{"stream", 0, KNET_OPT_FLAG, NULL,
	 "print raw packets as JSON Lines (base64; what a remote run sends)",
	 NULL, 0, 0, NULL},
	KNET_NODE_RUN_AS_OPTION,
	KNET_NODE_SELECT_OPTIONS,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* What the remote run of a pod on another node is told (remote_begin). */
static const char *const stream_args[] = {"--stream", NULL};

/* The one pod's interface (iface 0), named after it. */
static int describe_pod(struct capture_run *run, const struct knet_source *src)
{
	char *name, *desc;
	int r;

	capture_run_describe(&run->copts, src, &name, &desc);
	r = name ? capture_run_add_iface(run, name, desc, 1, run->copts.snaplen)
		 : -ENOMEM;
	free(name);
	free(desc);
	return r < 0 ? r : 0;
}

static int open_capture(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct capture_run *run = job->data;

	(void)ctx;
	return knet_capture_open(&run->copts, &run->cap, &job->err);
}

/* After the resolution, before entering: the output, the names. */
static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct capture_run *run = job->data;

	return describe_pod(run, job->src) ? -ENOMEM
					   : capture_run_outputs(ctx, run);
}

static int run_capture(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct capture_run *run = job->data;

	return capture_run_loop(ctx, run, job->stop, &job->err);
}

static int summary(struct knet_ctx *ctx, struct knet_node_job *job, int status)
{
	return capture_run_summary(ctx, job->data, status);
}

static int remote_begin(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct capture_run *run = job->data;

	/*
	 * The remote run (same command line, -o json, --stream, from
	 * job->remote_args) streams raw packets instead of writing or
	 * decoding: the file and the names are made here.
	 */
	if (describe_pod(run, job->src))
		return -ENOMEM;
	capture_feed_init(&run->feed, job->src->remote_node, NULL);
	run->feed.single = 0;
	return capture_run_outputs(ctx, run);
}

static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	struct capture_run *run = job->data;
	cJSON *o = knet_node_remote_json(line);
	int r;

	if (!o)
		return 0;
	r = capture_run_remote_json(ctx, run, &run->feed, o, &job->err);
	cJSON_Delete(o);
	return r;
}

static int remote_end(struct knet_ctx *ctx, struct knet_node_job *job,
		      int status)
{
	struct capture_run *run = job->data;

	if (status)
		capture_run_close(run, NULL);
	return status ? status : capture_run_summary(ctx, run, 0);
}

/* The BPF filter: every argument after the target, joined by blanks. */
static char *join_filter(const struct knet_args *args, int first)
{
	size_t n = 1;
	char *s;

	for (int i = first; i < args->npos; i++)
		n += strlen(args->pos[i]) + 1;
	s = calloc(1, n);
	for (int i = first; s && i < args->npos; i++) {
		if (i > first)
			strcat(s, " ");
		strcat(s, args->pos[i]);
	}
	return s;
}

/* Rotation is for files: -C, -G, -W need -w FILE (tcpdump's rules). */
static int check_rotation(struct knet_ctx *ctx, const struct capture_run *run)
{
	const struct knet_dump_files_opts *f = &run->fopts;

	if ((f->size_mb > 0 || f->seconds || f->count) &&
	    (!run->write || !strcmp(run->write, "-")))
		return knet_usage_error(ctx, "-C, -G and -W need -w FILE");
	if (f->count && !f->size_mb && !f->seconds)
		return knet_usage_error(ctx, "-W needs -C or -G");
	return 0;
}

/* Several pods, -l, svc/NAME, node/NAME: merged in time order. */
static int capture_many(struct knet_ctx *ctx, struct capture_run *run,
			const struct knet_args *args, int ntargets)
{
	struct capture_targets t;
	int r;

	r = capture_targets_collect(ctx, args, ntargets, run->remote_stream,
				    &t);
	if (r) {
		capture_targets_clear(&t);
		return r;
	}
	r = capture_run_outputs(ctx, run);
	if (r == 0)
		r = capture_targets_run(ctx, run, &t);
	capture_targets_clear(&t);
	return r;
}

static int exec_capture(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct capture_run run;
	struct knet_node_job job;
	const char *read = knet_args_str(args, "read", NULL);
	bool fanout = knet_node_fanout_wanted(args);
	/* With --all-nodes every word is the filter's. */
	int ntargets = read || ctx->g.selector || fanout
			       ? 0
			       : capture_targets_count(args);
	int r;

	capture_run_init(&run, ctx, args);
	run.remote_stream = knet_args_has(args, "stream");
	if (!read && args->npos < 1 && !ctx->g.selector && !fanout)
		return knet_usage_error(ctx,
					"give a pod to capture, or -r FILE");
	if (read && fanout)
		return knet_usage_error(ctx, "-r reads a file: give no "
					     "--all-nodes or --nodes");

	r = check_rotation(ctx, &run);
	if (r)
		return r;
	run.filter = join_filter(args, ntargets);
	if (!run.filter)
		return KNET_EXIT_SYSTEM;
	run.copts.filter = run.filter;
	if (read) {
		r = capture_run_offline(ctx, &run, read);
		capture_run_clear(&run);
		return r;
	}
	if (fanout || ntargets != 1 || !strncmp(args->pos[0], "svc/", 4) ||
	    !strncmp(args->pos[0], "node/", 5)) {
		r = capture_many(ctx, &run, args, ntargets);
		capture_run_clear(&run);
		return r;
	}
	knet_node_job_init(&job, ctx, args);
	job.verb = "capture";
	job.verb_from = "capture in";
	job.find_verb = "find pod";
	job.so.from = args->pos[0];
	job.api_optional = true;
	job.prepare = prepare;
	job.open = open_capture;
	job.run = run_capture;
	job.summary = summary;
	job.remote_begin = remote_begin;
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.remote_args = stream_args;
	job.data = &run;
	r = knet_node_run(ctx, &job);
	capture_run_clear(&run);
	knet_node_job_clear(&job);
	return r;
}

const struct knet_cmd knet_cmd_capture = {
	.name = "capture",
	.alias = NULL,
	.group = "node",
	.summary = "capture pods' packets, decoded or as pcap/pcapng",
	.usage = "[options] TARGET...|-r FILE [FILTER...]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM,
	.options = capture_options,
	.complete_args = "pod",
	.exec = exec_capture,
};
