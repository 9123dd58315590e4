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
	KNET_NODE_RUN_AS_OPTION,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* The remote run streams raw packets when this is set (see remote_begin). */
#define STREAM_ENV "KNET_CAPTURE_STREAM"

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

	capture_run_describe(run, job->src);
	return capture_run_outputs(ctx, run);
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
	 * The remote run (same command line, -o json) streams raw
	 * packets instead of writing or decoding: the file and the names
	 * are made here.
	 */
	if (setenv(STREAM_ENV, "1", 1) < 0)
		return -errno;
	capture_run_describe(run, job->src);
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
	r = capture_run_remote_json(ctx, run, o, &job->err);
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

static int exec_capture(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct capture_run run;
	struct knet_node_job job;
	const char *read = knet_args_str(args, "read", NULL);
	int r;

	capture_run_init(&run, ctx, args);
	run.remote_stream = getenv(STREAM_ENV) != NULL;
	if (!read && args->npos < 1)
		return knet_usage_error(ctx,
					"give a pod to capture, or -r FILE");
	run.filter = join_filter(args, read ? 0 : 1);
	if (!run.filter)
		return KNET_EXIT_SYSTEM;
	run.copts.filter = run.filter;
	if (read) {
		r = capture_run_offline(ctx, &run, read);
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
	.summary = "capture a pod's packets, decoded or as pcap/pcapng",
	.usage = "[options] POD|-r FILE [FILTER...]",
	.min_args = 0,
	.max_args = -1,
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM,
	.options = capture_options,
	.complete_args = "pod",
	.exec = exec_capture,
};
