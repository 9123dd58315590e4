/* SPDX-License-Identifier: MIT */
/*
 * knet traceroute TARGET [--from POD]: the path to a target, every hop
 * named after what owns its address (a node, its pod gateway, a pod, a
 * Service).  Probes leave in waves, lowest TTL first, never past the
 * destination; --report repeats the trace and prints mtr-style loss and
 * RTT statistics per hop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "knet/objects.h"
#include "knet/api.h"
#include "knet/node.h"
#include "knet/probe.h"
#include "node-common.h"

enum { H_HOP, H_ADDR, H_NAME, H_RTT, H_NOTE, H_REACHED, NHOP_COLS };

/*
 * Widths fit what hops usually show ("pod NS/NAME-5f7c9d8b6-x2x9q",
 * three "1.234ms"), so a stream rarely has to print its header again.
 * RTT: raw microseconds in JSON (null for silence), humanised in tables.
 */
static const struct knet_column hop_cols[] = {
	[H_HOP] = {"HOP", "hop", KNET_CELL_INT, KNET_COL_RIGHT, 3},
	[H_ADDR] = {"ADDRESS", "addresses", KNET_CELL_STRLIST, 0, 15},
	[H_NAME] = {"NAME", "name", KNET_CELL_STR, 0, 40},
	[H_RTT] = {"RTT", "rtts_us", KNET_CELL_USECLIST, 0, 25},
	[H_NOTE] = {"NOTE", "note", KNET_CELL_STR, 0, 0},
	[H_REACHED] = {"REACHED", "reached", KNET_CELL_BOOL, KNET_COL_WIDE, 0},
	[NHOP_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	R_HOP,
	R_ADDR,
	R_NAME,
	R_SENT,
	R_LOSS,
	R_LAST,
	R_AVG,
	R_BEST,
	R_WORST,
	R_STDEV,
	NREPORT_COLS,
};

static const struct knet_column report_cols[] = {
	[R_HOP] = {"HOP", "hop", KNET_CELL_INT, KNET_COL_RIGHT, 3},
	[R_ADDR] = {"ADDRESS", "addresses", KNET_CELL_STRLIST, 0, 15},
	[R_NAME] = {"NAME", "name", KNET_CELL_STR, 0, 24},
	[R_SENT] = {"SENT", "sent", KNET_CELL_INT, KNET_COL_RIGHT, 4},
	[R_LOSS] = {"LOSS", "loss_percent", KNET_CELL_PERCENT, KNET_COL_RIGHT,
		    6},
	[R_LAST] = {"LAST", "last_us", KNET_CELL_USEC, KNET_COL_RIGHT, 8},
	[R_AVG] = {"AVG", "avg_us", KNET_CELL_USEC, KNET_COL_RIGHT, 8},
	[R_BEST] = {"BEST", "best_us", KNET_CELL_USEC, KNET_COL_RIGHT, 8},
	[R_WORST] = {"WORST", "worst_us", KNET_CELL_USEC, KNET_COL_RIGHT, 8},
	[R_STDEV] = {"STDEV", "stdev_us", KNET_CELL_USEC, KNET_COL_RIGHT, 8},
	[NREPORT_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static const struct knet_opt tr_options[] = {
	KNET_NODE_SOURCE_OPTIONS("trace"),
	KNET_NODE_RUN_AS_OPTION,
	{"icmp", 'I', KNET_OPT_FLAG, NULL, "probe with ICMP echo", NULL, 0, 0,
	 NULL},
	{"tcp", 'T', KNET_OPT_FLAG, NULL, "probe with TCP SYN", NULL, 0, 0,
	 NULL},
	{"udp", 'U', KNET_OPT_FLAG, NULL, "probe with UDP (the default)", NULL,
	 0, 0, NULL},
	{"port", 'p', KNET_OPT_INT, "PORT", "TCP destination port (default 80)",
	 NULL, 1, 65535, NULL},
	{"max-hops", 'm', KNET_OPT_INT, "N", "largest TTL (default 30)", NULL,
	 1, 255, NULL},
	{"first-ttl", 'f', KNET_OPT_INT, "N", "first TTL (default 1)", NULL, 1,
	 255, NULL},
	{"queries", 'q', KNET_OPT_INT, "N",
	 "probes per hop (default 3, 1 with --report)", NULL, 1, 10, NULL},
	{"wait", 'w', KNET_OPT_NUMBER, "SECONDS",
	 "how long to wait for an answer (default 2)", NULL, 0.01, 60, NULL},
	{"report", 'r', KNET_OPT_FLAG, NULL,
	 "repeat and print per-hop loss and RTT statistics", NULL, 0, 0, NULL},
	{"count", 'c', KNET_OPT_INT, "N", "rounds for --report (default 10)",
	 NULL, 1, 100000, NULL},
	{"interval", 'i', KNET_OPT_NUMBER, "SECONDS",
	 "time between --report rounds (default 1)", NULL, 0.05, 3600, NULL},
	{"no-names", 0, KNET_OPT_FLAG, NULL,
	 "do not ask the API who owns each hop", NULL, 0, 0, NULL},
	{"ipv6", '6', KNET_OPT_FLAG, NULL, "use the target's IPv6 address",
	 NULL, 0, 0, NULL},
	{"ipv4", '4', KNET_OPT_FLAG, NULL, "use the target's IPv4 address",
	 NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* One traceroute, local or remote: what the pipeline's callbacks share. */
struct tr {
	const struct knet_args *args;
	struct knet_trace_opts to;
	int port;
	bool report;
	struct knet_trace *trace;
	struct knet_table *t;
	struct knet_hop_namer *names; /* NULL: no names */
};

static char *hop_name(const struct tr *tr, const char *ip)
{
	return tr->names ? knet_hop_namer_name(tr->names, ip) : NULL;
}

/* --- one trace --- */

static int hop_addrs(const struct knet_trace_result *res, int h,
		     const char **ret, int max)
{
	int n = 0;

	for (int q = 0; q < res->queries; q++) {
		const struct knet_trace_probe *p =
			&res->probes[h * res->queries + q];
		bool seen = false;

		if (p->rtt_us < 0)
			continue;
		for (int k = 0; k < n; k++)
			seen |= !strcmp(ret[k], p->from);
		if (!seen && n < max)
			ret[n++] = p->from;
	}
	return n;
}

static int print_trace(struct tr *tr, const struct knet_trace_result *res)
{
	struct knet_table *t = tr->t;
	int r = 0;

	for (int h = 0; h < res->hops && r == 0; h++) {
		const char *addrs[KNET_HOP_ADDRS];
		int n = hop_addrs(res, h, addrs, KNET_HOP_ADDRS);
		long long rtts[KNET_TRACE_QUERIES_MAX];
		const char *note = "";
		bool reached = false;
		char *name;

		for (int q = 0; q < res->queries; q++) {
			const struct knet_trace_probe *p =
				&res->probes[h * res->queries + q];

			rtts[q] = p->rtt_us < 0 ? -1 : p->rtt_us;
			if (p->note[0])
				note = p->note;
			reached |= p->reached;
		}
		r = knet_table_add_row(t);
		if (r < 0)
			break;
		knet_table_set_int(t, H_HOP, res->first_ttl + h);
		if (n)
			knet_table_set_strlist(t, H_ADDR, addrs, n);
		name = n ? hop_name(tr, addrs[0]) : NULL;
		if (name)
			knet_table_set_str(t, H_NAME, name);
		free(name);
		r = knet_table_set_usec_list(t, H_RTT, rtts, res->queries);
		if (r < 0)
			break;
		if (note[0])
			knet_table_set_str(t, H_NOTE, note);
		knet_table_set_bool(t, H_REACHED, reached);
		r = knet_table_stream_row(t);
	}
	return r;
}

/* --- --report: per-hop statistics over rounds (lib/probe/report.c) --- */

static int print_report(struct tr *tr, const struct knet_trace_report *rep)
{
	struct knet_table *t = tr->t;
	struct knet_hop_summary hs;
	int r = 0;

	for (int h = 0; r == 0 && knet_trace_report_hop(rep, h, &hs); h++) {
		char *name = NULL;

		r = knet_table_add_row(t);
		if (r < 0)
			break;
		knet_table_set_int(t, R_HOP, hs.ttl);
		if (hs.naddrs) {
			const char *list[KNET_HOP_ADDRS + 1];
			char more[32];
			int n = hs.naddrs;

			memcpy(list, hs.addrs, sizeof(*list) * (size_t)n);
			if (hs.naddrs_more) {
				snprintf(more, sizeof(more), "+%d more",
					 hs.naddrs_more);
				list[n++] = more;
			}
			knet_table_set_strlist(t, R_ADDR, list, n);
			name = hop_name(tr, hs.addrs[0]);
		}
		if (name)
			knet_table_set_str(t, R_NAME, name);
		free(name);
		knet_table_set_int(t, R_SENT, hs.sent);
		knet_table_set_percent(t, R_LOSS, hs.loss_percent);
		if (hs.received) {
			knet_table_set_usec(t, R_LAST, hs.last_us);
			knet_table_set_usec(t, R_AVG, hs.avg_us);
			knet_table_set_usec(t, R_BEST, hs.best_us);
			knet_table_set_usec(t, R_WORST, hs.worst_us);
			knet_table_set_usec(t, R_STDEV, hs.stdev_us);
		}
		r = knet_table_stream_row(t);
	}
	return r;
}

/* --- the pipeline's callbacks --- */

static int table_new(struct knet_ctx *ctx, struct tr *tr)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);

	return knet_table_new(tr->report ? report_cols : hop_cols, &o, &tr->t);
}

static int remote_begin(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct tr *tr = job->data;
	struct knet_error err = {0};

	if (table_new(ctx, tr) < 0)
		return KNET_EXIT_SYSTEM;
	/* A remote run without an API sends addresses: named here. */
	if (knet_node_remote_no_api(ctx) && ctx->api &&
	    !knet_args_has(tr->args, "no-names") &&
	    knet_hop_namer_new(ctx->api, &tr->names, &err) < 0)
		knet_warn(ctx, "cannot name the hops: %s", err.reason);
	/* printed with the first hop, if one comes */
	knet_table_stream_header(tr->t);
	return 0;
}

/* A hop the remote run could not name: its first address, named here. */
static int name_hop(const struct tr *tr, cJSON *o)
{
	const cJSON *addrs = cJSON_GetObjectItem(o, "addresses");
	const char *ip = cJSON_GetStringValue(cJSON_GetArrayItem(addrs, 0));
	char *name;
	cJSON *s;

	if (!tr->names || !ip || cJSON_IsString(cJSON_GetObjectItem(o, "name")))
		return 0;
	name = hop_name(tr, ip);
	if (!name)
		return 0;
	s = cJSON_CreateString(name);
	free(name);
	if (!s)
		return -ENOMEM;
	cJSON_DeleteItemFromObject(o, "name");
	cJSON_AddItemToObject(o, "name", s);
	return 0;
}

static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	struct tr *tr = job->data;
	cJSON *o = knet_node_remote_json(line);
	int r;

	(void)ctx;
	if (!o)
		return 0;
	r = name_hop(tr, o);
	if (r == 0)
		r = knet_via_row(tr->t, o);
	if (r == 0)
		r = knet_table_stream_row(tr->t);
	cJSON_Delete(o);
	return r;
}

static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	const struct knet_target *tg = job->tg;
	struct tr *tr = job->data;
	struct knet_error err = {0};

	if (!tr->port && tg->portnum && tr->to.mode == KNET_PROBE_TCP)
		tr->port = tg->portnum;
	if (knet_addr_parse(tg->ip, tr->port, &tr->to.dst, &tr->to.dst_len) < 0)
		return knet_usage_error(ctx, "'%s' is not an IP address",
					tg->ip);
	if (tg->cluster_ip)
		knet_warn(ctx,
			  "%s is a Service ClusterIP: kube-proxy DNATs "
			  "it on the first hop, so the path shown is "
			  "the one to the backend it picked",
			  job->target);
	if (ctx->api && !knet_args_has(tr->args, "no-names") &&
	    knet_hop_namer_new(ctx->api, &tr->names, &err) < 0)
		knet_warn(ctx, "cannot name the hops: %s", err.reason);
	return table_new(ctx, tr) < 0 ? KNET_EXIT_SYSTEM : 0;
}

static int open_trace(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct tr *tr = job->data;

	(void)ctx;
	return knet_trace_new(&tr->to, &tr->trace, &job->err);
}

static void sleep_between(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - floor(seconds)) * 1e9),
	};

	/* A signal ends the wait early, which is what we want. */
	nanosleep(&ts, NULL);
}

static int run_trace(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct tr *tr = job->data;
	int rounds = tr->report ? (int)knet_args_int(tr->args, "count", 10) : 1;
	double interval = knet_args_number(tr->args, "interval", 1.0);
	struct knet_trace_result *res = NULL;
	struct knet_trace_report *rep = NULL;
	bool reached = false;
	int r;

	if (ctx->g.format != KNET_FMT_JSON)
		printf("traceroute to %s (%s) from %s, %d hops max, %s\n",
		       job->target, job->tg->ip, job->src->label,
		       tr->to.max_hops,
		       tr->to.mode == KNET_PROBE_ICMP  ? "icmp"
		       : tr->to.mode == KNET_PROBE_TCP ? "tcp syn"
						       : "udp");
	r = knet_trace_report_new(tr->to.max_hops, &rep);
	for (int i = 0; r == 0 && i < rounds && !*job->stop; i++) {
		if (i)
			sleep_between(interval);
		if (*job->stop)
			break;
		r = knet_trace_run(tr->trace, job->stop, &res, &job->err);
		if (r < 0)
			break;
		reached |= res->reached;
		if (tr->report) {
			knet_trace_report_add(rep, res);
		} else {
			knet_table_stream_header(tr->t);
			r = print_trace(tr, res);
		}
		knet_trace_result_free(res);
		res = NULL;
	}
	/* The report is the summary: printed after Ctrl-C too. */
	if (r == 0 && tr->report) {
		knet_table_stream_header(tr->t);
		r = print_report(tr, rep);
	}
	knet_trace_report_free(rep);
	if (r < 0)
		return r;
	return reached ? KNET_EXIT_OK : KNET_EXIT_PROBLEM;
}

/* --- the command --- */

static int read_options(struct knet_ctx *ctx, struct tr *tr)
{
	const struct knet_args *args = tr->args;
	struct knet_trace_opts *to = &tr->to;
	int modes = knet_args_has(args, "icmp") + knet_args_has(args, "tcp") +
		    knet_args_has(args, "udp");

	tr->report = knet_args_has(args, "report");
	if (modes > 1)
		return knet_usage_error(ctx, "give one of --icmp, --tcp, "
					     "--udp");
	to->mode = knet_args_has(args, "icmp")	? KNET_PROBE_ICMP
		   : knet_args_has(args, "tcp") ? KNET_PROBE_TCP
						: KNET_PROBE_UDP;
	to->first_ttl = (int)knet_args_int(args, "first-ttl", 1);
	to->max_hops = (int)knet_args_int(args, "max-hops", 30);
	/* Routers answer about one probe a second per source after a
	 * burst: one query per round keeps a long report honest. */
	to->queries = (int)knet_args_int(args, "queries", tr->report ? 1 : 3);
	to->timeout = knet_args_number(args, "wait", 2.0);
	to->size = 32;
	if (to->first_ttl > to->max_hops)
		return knet_usage_error(ctx, "--first-ttl is larger than "
					     "--max-hops");
	if ((knet_args_has(args, "count") || knet_args_has(args, "interval")) &&
	    !tr->report)
		return knet_usage_error(ctx, "-c and -i go with --report");
	tr->port = (int)knet_args_int(args, "port",
				      to->mode == KNET_PROBE_TCP ? 80 : 0);
	return 0;
}

static int exec_traceroute(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct tr tr = {.args = args};
	struct knet_node_job job;
	int r;

	r = read_options(ctx, &tr);
	if (r)
		return r;
	knet_node_job_init(&job, ctx, args);
	job.verb = "trace";
	job.verb_from = "trace from";
	job.find_verb = "find the source";
	job.target = args->pos[0];
	job.remote_banner = "traceroute to";
	/* Names for the hops of an IP trace are a nicety. */
	job.api_optional = !knet_args_has(args, "no-names");
	job.prepare = prepare;
	job.open = open_trace;
	job.run = run_trace;
	job.remote_begin = remote_begin;
	job.remote_line = remote_line;
	job.data = &tr;
	r = knet_node_run(ctx, &job);
	knet_table_free(tr.t);
	knet_trace_free(tr.trace);
	knet_hop_namer_free(tr.names);
	knet_node_job_clear(&job);
	return r;
}

const struct knet_cmd knet_cmd_traceroute = {
	.name = "traceroute",
	.alias = "trace",
	.group = "node",
	.summary = "trace the path to a target, naming every hop",
	.usage = "[options] TARGET [--from POD]",
	.min_args = 1,
	.max_args = 1,
	/* Its output is lib/output's: the environment's locale would only
	 * cost setlocale()'s 165 K instructions at every start. */
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM | KNET_CMD_C_LOCALE,
	.options = tr_options,
	.complete_args = "target",
	.exec = exec_traceroute,
};
