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

#define MAX_ADDRS 4 /* distinct answering addresses kept per hop */

enum { H_HOP, H_ADDR, H_NAME, H_RTT, H_NOTE, H_REACHED, NHOP_COLS };

/*
 * Widths fit what hops usually show ("pod NS/NAME-5f7c9d8b6-x2x9q",
 * three "1.234ms"), so a stream rarely has to print its header again.
 * RTT is JSON: raw in JSON, its table text humanised by set_rtts().
 */
static const struct knet_column hop_cols[] = {
	[H_HOP] = {"HOP", "hop", KNET_CELL_INT, KNET_COL_RIGHT, 3},
	[H_ADDR] = {"ADDRESS", "addresses", KNET_CELL_STRLIST, 0, 15},
	[H_NAME] = {"NAME", "name", KNET_CELL_STR, 0, 40},
	[H_RTT] = {"RTT", "rtts_us", KNET_CELL_JSON, 0, 25},
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

/* --- naming hops --- */

struct namer {
	struct knet_hop_namer *hn;
};

static char *hop_name(const struct namer *nm, const char *ip)
{
	return knet_hop_namer_name(nm->hn, ip);
}

static void namer_load(struct knet_ctx *ctx, struct namer *nm)
{
	struct knet_error err = {0};

	if (ctx->api && knet_hop_namer_new(ctx->api, &nm->hn, &err) < 0)
		knet_warn(ctx, "cannot name the hops: %s", err.reason);
}

static void namer_clear(struct namer *nm)
{
	knet_hop_namer_free(nm->hn);
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

static int set_rtts(struct knet_table *t, const cJSON *list)
{
	char text[256] = "";
	size_t len = 0;
	const cJSON *e;

	if (!cJSON_IsArray(list))
		return 0; /* stays "none" */

	cJSON_ArrayForEach(e, list)
	{
		char one[32];

		if (cJSON_IsNumber(e))
			knet_fmt_usec((long long)e->valuedouble, one,
				      sizeof(one));
		else
			snprintf(one, sizeof(one), "*");
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
					len ? "  " : "", one);
		if (len >= sizeof(text))
			break;
	}
	return knet_table_set_json(t, H_RTT, cJSON_Duplicate(list, true), text);
}

static int print_trace(struct knet_table *t, const struct namer *nm,
		       const struct knet_trace_result *res)
{
	int r = 0;

	for (int h = 0; h < res->hops && r == 0; h++) {
		const char *addrs[MAX_ADDRS];
		int n = hop_addrs(res, h, addrs, MAX_ADDRS);
		cJSON *rtts = cJSON_CreateArray();
		const char *note = "";
		bool reached = false;
		char *name;

		for (int q = 0; q < res->queries; q++) {
			const struct knet_trace_probe *p =
				&res->probes[h * res->queries + q];

			cJSON_AddItemToArray(
				rtts, p->rtt_us < 0
					      ? cJSON_CreateNull()
					      : cJSON_CreateNumber(
							(double)p->rtt_us));
			if (p->note[0])
				note = p->note;
			reached |= p->reached;
		}
		r = knet_table_add_row(t);
		if (r < 0) {
			cJSON_Delete(rtts);
			break;
		}
		knet_table_set_int(t, H_HOP, res->first_ttl + h);
		if (n)
			knet_table_set_strlist(t, H_ADDR, addrs, n);
		name = n ? hop_name(nm, addrs[0]) : NULL;
		if (name)
			knet_table_set_str(t, H_NAME, name);
		free(name);
		set_rtts(t, rtts);
		cJSON_Delete(rtts);
		if (note[0])
			knet_table_set_str(t, H_NOTE, note);
		knet_table_set_bool(t, H_REACHED, reached);
		r = knet_table_stream_row(t);
	}
	return r;
}

/* --- --report: per-hop statistics over rounds --- */

struct hopstat {
	struct knet_rtt_stats st;
	long long last_us;
	char addrs[MAX_ADDRS][46];
	int naddrs;
};

static void report_add(struct hopstat *hs, int *nhops,
		       const struct knet_trace_result *res)
{
	for (int h = 0; h < res->hops; h++) {
		struct hopstat *s = &hs[h];

		for (int q = 0; q < res->queries; q++) {
			const struct knet_trace_probe *p =
				&res->probes[h * res->queries + q];
			bool seen = false;

			s->st.sent++;
			if (p->rtt_us < 0)
				continue;
			knet_rtt_stats_add(&s->st, p->rtt_us);
			s->last_us = p->rtt_us;
			for (int k = 0; k < s->naddrs; k++)
				seen |= !strcmp(s->addrs[k], p->from);
			if (!seen && s->naddrs < MAX_ADDRS)
				snprintf(s->addrs[s->naddrs++], 46, "%s",
					 p->from);
		}
	}
	/* Rows up to the destination; without it, one past the last voice. */
	if (res->reached && (*nhops <= 0 || res->hops < *nhops)) {
		*nhops = res->hops;
	} else if (*nhops <= 0) {
		int last = 0;

		for (int h = 0; h < res->hops; h++)
			if (hs[h].st.received)
				last = h + 1;
		*nhops = -(last < res->hops ? last + 1 : last);
	}
}

static int print_report(struct knet_table *t, const struct namer *nm,
			const struct hopstat *hs, int nhops, int first_ttl)
{
	int r = 0;

	for (int h = 0; h < nhops && r == 0; h++) {
		const struct hopstat *s = &hs[h];
		const char *addrs[MAX_ADDRS];
		char *name = NULL;

		r = knet_table_add_row(t);
		if (r < 0)
			break;
		knet_table_set_int(t, R_HOP, first_ttl + h);
		for (int k = 0; k < s->naddrs; k++)
			addrs[k] = s->addrs[k];
		if (s->naddrs) {
			knet_table_set_strlist(t, R_ADDR, addrs, s->naddrs);
			name = hop_name(nm, addrs[0]);
		}
		if (name)
			knet_table_set_str(t, R_NAME, name);
		free(name);
		knet_table_set_int(t, R_SENT, s->st.sent);
		knet_table_set_percent(t, R_LOSS, knet_rtt_stats_loss(&s->st));
		if (s->st.received) {
			knet_table_set_usec(t, R_LAST, s->last_us);
			knet_table_set_usec(
				t, R_AVG, llround(knet_rtt_stats_avg(&s->st)));
			knet_table_set_usec(t, R_BEST, s->st.min_us);
			knet_table_set_usec(t, R_WORST, s->st.max_us);
			knet_table_set_usec(
				t, R_STDEV,
				llround(knet_rtt_stats_mdev(&s->st)));
		}
		r = knet_table_stream_row(t);
	}
	return r;
}

/* --- the remote end --- */

struct remote {
	struct knet_table *t;
	bool report;
};

static int remote_line(const char *line, void *ud)
{
	struct remote *rm = ud;
	cJSON *o = cJSON_Parse(line);
	int r;

	if (!o) {
		if (*line)
			fprintf(stderr, "%s\n", line);
		return 0;
	}
	r = knet_via_row(rm->t, o);
	if (r == 0 && !rm->report)
		r = set_rtts(rm->t, cJSON_GetObjectItem(o, "rtts_us"));
	if (r == 0)
		r = knet_table_stream_row(rm->t);
	cJSON_Delete(o);
	return r;
}

static int run_remote(struct knet_ctx *ctx, struct knet_source *src,
		      const char *target, bool report)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_error err = {0};
	struct remote rm = {.report = report};
	int status = 0, r;

	r = knet_table_new(report ? report_cols : hop_cols, &o, &rm.t);
	/* printed with the first hop, if one comes */
	if (r == 0)
		r = knet_table_stream_header(rm.t);
	if (r == 0 && o.format != KNET_FMT_JSON)
		printf("traceroute to %s from %s on node %s (through the node "
		       "transport)\n",
		       target, src->label, src->remote_node);
	if (r == 0)
		r = knet_via_rerun(ctx->g.via, src->remote_node, remote_line,
				   &rm, &status, &err);
	knet_table_free(rm.t);
	if (r < 0)
		return knet_fail(ctx, &err, "reach node", src->remote_node);
	return status;
}

/* --- the command --- */

static int read_options(struct knet_ctx *ctx, const struct knet_args *args,
			struct knet_trace_opts *to, int *ret_port)
{
	int modes = knet_args_has(args, "icmp") + knet_args_has(args, "tcp") +
		    knet_args_has(args, "udp");
	bool report = knet_args_has(args, "report");

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
	to->queries = (int)knet_args_int(args, "queries", report ? 1 : 3);
	to->timeout = knet_args_number(args, "wait", 2.0);
	to->size = 32;
	if (to->first_ttl > to->max_hops)
		return knet_usage_error(ctx, "--first-ttl is larger than "
					     "--max-hops");
	if ((knet_args_has(args, "count") || knet_args_has(args, "interval")) &&
	    !report)
		return knet_usage_error(ctx, "-c and -i go with --report");
	*ret_port = (int)knet_args_int(args, "port",
				       to->mode == KNET_PROBE_TCP ? 80 : 0);
	return 0;
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

static int trace(struct knet_ctx *ctx, const struct knet_args *args,
		 struct knet_trace *tr, const struct knet_trace_opts *to,
		 volatile sig_atomic_t *stop)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	bool report = knet_args_has(args, "report");
	int rounds = report ? (int)knet_args_int(args, "count", 10) : 1;
	double interval = knet_args_number(args, "interval", 1.0);
	struct knet_error err = {0};
	struct knet_trace_result *res = NULL;
	struct knet_table *t = NULL;
	struct hopstat *hs = NULL;
	struct namer nm = {0};
	int nhops = 0, r, reached = 0;

	if (!knet_args_has(args, "no-names"))
		namer_load(ctx, &nm);
	hs = calloc((size_t)to->max_hops, sizeof(*hs));
	for (int h = 0; hs && h < to->max_hops; h++)
		knet_rtt_stats_init(&hs[h].st);
	r = hs ? knet_table_new(report ? report_cols : hop_cols, &o, &t)
	       : -ENOMEM;
	if (r < 0) {
		r = KNET_EXIT_SYSTEM;
		goto out;
	}
	for (int i = 0; i < rounds && !*stop; i++) {
		if (i)
			sleep_between(interval);
		if (*stop)
			break;
		r = knet_trace_run(tr, stop, &res, &err);
		if (r < 0) {
			r = knet_fail(ctx, &err, "trace", args->pos[0]);
			goto out;
		}
		reached |= res->reached;
		if (report) {
			report_add(hs, &nhops, res);
		} else {
			knet_table_stream_header(t);
			print_trace(t, &nm, res);
		}
		knet_trace_result_free(res);
		res = NULL;
	}
	if (report) {
		knet_table_stream_header(t);
		print_report(t, &nm, hs, nhops < 0 ? -nhops : nhops,
			     to->first_ttl);
	}
	r = reached ? KNET_EXIT_OK : KNET_EXIT_PROBLEM;
out:
	knet_trace_result_free(res);
	knet_table_free(t);
	free(hs);
	namer_clear(&nm);
	return r;
}

/* Names for the hops of an IP trace are a nicety: go on without them. */
static void api_quiet(struct knet_ctx *ctx)
{
	struct knet_error err = {0};

	ctx->api = knet_node_api_optional(ctx->g.kubeconfig, ctx->g.context,
					  ctx->g.request_timeout, &err);
	if (!ctx->api)
		knet_log(ctx, 1, "no names for the hops: %s", err.reason);
}

static int exec_traceroute(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_source_opts so = {
		.from = knet_args_str(args, "from", NULL),
		.default_ns = knet_ctx_namespace(ctx),
		.netns = knet_args_str(args, "netns", NULL),
		.pid = knet_args_int(args, "pid", 0),
		.node = ctx->g.node,
	};
	volatile sig_atomic_t *stop;
	struct knet_trace_opts to = {0};
	struct knet_error err = {0};
	struct knet_netns_saved saved;
	struct knet_source *src = NULL;
	struct knet_target *tg = NULL;
	struct knet_trace *tr = NULL;
	int family = AF_UNSPEC, port = 0, r;

	r = read_options(ctx, args, &to, &port);
	if (r)
		return r;
	if (knet_args_has(args, "ipv6"))
		family = AF_INET6;
	else if (knet_args_has(args, "ipv4"))
		family = AF_INET;
	r = knet_target_parse(args->pos[0], so.default_ns, &tg, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "trace", args->pos[0]);
	if (so.from || tg->kind != KNET_TARGET_IP) {
		r = knet_ctx_api_setup(ctx);
		if (r)
			goto out;
	} else if (!knet_args_has(args, "no-names")) {
		api_quiet(ctx);
	}
	so.default_ns = knet_ctx_namespace(ctx);
	knet_target_free(tg);
	tg = NULL;
	r = knet_source_resolve(ctx->api, &so, &src, &err);
	if (r < 0) {
		r = knet_fail(ctx, &err, "find the source",
			      so.from ? so.from : so.netns);
		goto out;
	}
	if (src->remote_node) {
		r = run_remote(ctx, src, args->pos[0],
			       knet_args_has(args, "report"));
		goto out;
	}
	r = knet_target_resolve(ctx->api, args->pos[0], so.default_ns, family,
				&tg, &err);
	if (r < 0) {
		r = knet_fail(ctx, &err, "resolve", args->pos[0]);
		goto out;
	}
	if (!port && tg->portnum && to.mode == KNET_PROBE_TCP)
		port = tg->portnum;
	if (knet_addr_parse(tg->ip, port, &to.dst, &to.dst_len) < 0) {
		r = knet_usage_error(ctx, "'%s' is not an IP address", tg->ip);
		goto out;
	}
	if (tg->cluster_ip)
		knet_warn(ctx,
			  "%s is a Service ClusterIP: kube-proxy DNATs "
			  "it on the first hop, so the path shown is "
			  "the one to the backend it picked",
			  args->pos[0]);
	r = knet_source_enter(src, &saved, &err);
	if (r < 0) {
		r = knet_fail(ctx, &err, "enter the network namespace of",
			      src->label);
		goto out;
	}
	r = knet_trace_new(&to, &tr, &err);
	knet_netns_leave(&saved);
	if (r < 0) {
		r = knet_fail(ctx, &err, "trace", tg->ip);
		goto out;
	}
	r = knet_privs_drop(&err);
	if (r < 0) {
		r = knet_fail(ctx, &err, "drop privileges", NULL);
		goto out;
	}
	stop = knet_catch_stop();
	if (ctx->g.format != KNET_FMT_JSON)
		printf("traceroute to %s (%s) from %s, %d hops max, %s\n",
		       args->pos[0], tg->ip, src->label, to.max_hops,
		       to.mode == KNET_PROBE_ICMP  ? "icmp"
		       : to.mode == KNET_PROBE_TCP ? "tcp syn"
						   : "udp");
	r = trace(ctx, args, tr, &to, stop);
	if (r == 0 && src->has_ns && knet_netns_check(&src->ns, &err) < 0)
		r = knet_fail(ctx, &err, "trace from", src->label);
out:
	knet_trace_free(tr);
	knet_target_free(tg);
	knet_source_free(src);
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
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM,
	.options = tr_options,
	.complete_args = "target",
	.exec = exec_traceroute,
};
