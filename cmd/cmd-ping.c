/* SPDX-License-Identifier: MIT */
/*
 * knet ping TARGET [--from POD]: ICMP echo (or TCP connect / UDP) from the
 * node or from inside a pod's network namespace.
 *
 * The node pipeline (node-common.h) does the order that matters:
 * resolve everything through the API, enter the namespace, open the
 * socket, come back, drop root and every capability, and only then
 * probe and parse what the network sends back.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "knet/node.h"
#include "knet/probe.h"
#include "node-common.h"

enum {
	COL_EVENT,
	COL_SEQ,
	COL_FROM,
	COL_BYTES,
	COL_TTL,
	COL_RTT,
	COL_STATUS,
	COL_MTU,
	COL_NOTE,
	NREPLY_COLS,
};

static const struct knet_column reply_cols[] = {
	[COL_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[COL_SEQ] = {"SEQ", "seq", KNET_CELL_INT, KNET_COL_RIGHT, 3},
	[COL_FROM] = {"FROM", "from", KNET_CELL_STR, 0, 15},
	[COL_BYTES] = {"BYTES", "bytes", KNET_CELL_INT, KNET_COL_RIGHT, 5},
	[COL_TTL] = {"TTL", "ttl", KNET_CELL_INT, KNET_COL_RIGHT, 3},
	[COL_RTT] = {"RTT", "rtt_us", KNET_CELL_USEC, KNET_COL_RIGHT, 9},
	/* as wide as "unreachable", the longest status */
	[COL_STATUS] = {"STATUS", "status", KNET_CELL_STR, 0, 11},
	[COL_MTU] = {"MTU", "mtu", KNET_CELL_INT, KNET_COL_WIDE, 0},
	[COL_NOTE] = {"NOTE", "note", KNET_CELL_STR, 0, 0},
	[NREPLY_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	SUM_EVENT,
	SUM_TARGET,
	SUM_IP,
	SUM_SOURCE,
	SUM_MODE,
	SUM_SENT,
	SUM_RECEIVED,
	SUM_LOSS,
	SUM_MIN,
	SUM_AVG,
	SUM_MAX,
	SUM_MDEV,
	NSUM_COLS,
};

static const struct knet_column sum_cols[] = {
	[SUM_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[SUM_TARGET] = {"TARGET", "target", KNET_CELL_STR, 0, 20},
	[SUM_IP] = {"IP", "ip", KNET_CELL_STR, 0, 15},
	[SUM_SOURCE] = {"SOURCE", "source", KNET_CELL_STR, KNET_COL_WIDE, 20},
	[SUM_MODE] = {"MODE", "mode", KNET_CELL_STR, KNET_COL_WIDE, 4},
	[SUM_SENT] = {"SENT", "sent", KNET_CELL_INT, KNET_COL_RIGHT, 4},
	[SUM_RECEIVED] = {"RECEIVED", "received", KNET_CELL_INT, KNET_COL_RIGHT,
			  8},
	[SUM_LOSS] = {"LOSS", "loss_percent", KNET_CELL_PERCENT, KNET_COL_RIGHT,
		      6},
	[SUM_MIN] = {"MIN", "min_us", KNET_CELL_USEC, KNET_COL_RIGHT, 9},
	[SUM_AVG] = {"AVG", "avg_us", KNET_CELL_USEC, KNET_COL_RIGHT, 9},
	[SUM_MAX] = {"MAX", "max_us", KNET_CELL_USEC, KNET_COL_RIGHT, 9},
	[SUM_MDEV] = {"MDEV", "mdev_us", KNET_CELL_USEC, KNET_COL_RIGHT, 9},
	[NSUM_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static const struct knet_opt ping_options[] = {
	KNET_NODE_SOURCE_OPTIONS("probe"),
	KNET_NODE_RUN_AS_OPTION,
	{"count", 'c', KNET_OPT_INT, "N", "stop after N probes (default 5)",
	 NULL, 1, 1000000, NULL},
	{"interval", 'i', KNET_OPT_NUMBER, "SECONDS",
	 "time between probes (default 1)", NULL, 0.001, 3600, NULL},
	{"size", 's', KNET_OPT_INT, "BYTES", "payload bytes (default 56)", NULL,
	 0, 65507, NULL},
	{"timeout", 'W', KNET_OPT_NUMBER, "SECONDS",
	 "how long to wait for each answer (default 2)", NULL, 0.001, 3600,
	 NULL},
	{"ttl", 't', KNET_OPT_INT, "N", "IP time to live", NULL, 1, 255, NULL},
	{"df", 0, KNET_OPT_FLAG, NULL,
	 "don't fragment: report the path MTU when too big", NULL, 0, 0, NULL},
	{"tcp", 0, KNET_OPT_INT, "PORT", "time TCP connects to PORT instead",
	 NULL, 1, 65535, NULL},
	{"udp", 0, KNET_OPT_INT, "PORT", "send UDP datagrams to PORT instead",
	 NULL, 1, 65535, NULL},
	{"ipv6", '6', KNET_OPT_FLAG, NULL, "use the target's IPv6 address",
	 NULL, 0, 0, NULL},
	{"ipv4", '4', KNET_OPT_FLAG, NULL, "use the target's IPv4 address",
	 NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* One ping, local or remote: what the pipeline's callbacks share. */
struct run {
	const struct knet_args *args;
	struct knet_table *replies;
	struct knet_table *summary;
	struct knet_ping_opts po;
	struct knet_ping *p;
	struct knet_rtt_stats st;
	const char *mode;
	int mtu;	   /* smallest path MTU reported, 0 none */
	char mtu_from[46]; /* who reported it */
};

static const char *status_note(const struct knet_ping_event *ev, char *buf,
			       size_t len)
{
	switch (ev->status) {
	case KNET_PING_TOO_BIG:
		if (ev->mtu > 0)
			snprintf(buf, len,
				 "packet too big for the path: MTU %d%s%s",
				 ev->mtu, ev->from[0] ? " at " : "", ev->from);
		else
			snprintf(buf, len, "packet too big for the path");
		return buf;
	case KNET_PING_UNREACH:
		snprintf(buf, len, "destination unreachable (ICMP %d/%d)",
			 ev->icmp_type, ev->icmp_code);
		return buf;
	case KNET_PING_TTL:
		snprintf(buf, len, "time to live exceeded");
		return buf;
	case KNET_PING_ERROR:
		snprintf(buf, len, "%s", strerror(-ev->err));
		return buf;
	case KNET_PING_REFUSED:
		snprintf(buf, len, "port closed, host up");
		return buf;
	default:
		return NULL;
	}
}

static int on_event(const struct knet_ping_event *ev, void *ud)
{
	struct knet_node_job *job = ud;
	struct run *run = job->data;
	struct knet_table *t = run->replies;
	char note[160];
	const char *n;
	int r;

	r = knet_table_add_row(t);
	if (r < 0)
		return r;
	knet_table_set_str(t, COL_EVENT, "reply");
	knet_table_set_int(t, COL_SEQ, ev->seq);
	if (ev->from[0])
		knet_table_set_str(t, COL_FROM, ev->from);
	if (ev->bytes > 0)
		knet_table_set_int(t, COL_BYTES, ev->bytes);
	if (ev->ttl >= 0)
		knet_table_set_int(t, COL_TTL, ev->ttl);
	if (ev->rtt_us >= 0)
		knet_table_set_usec(t, COL_RTT, ev->rtt_us);
	knet_table_set_str(t, COL_STATUS, knet_ping_status_name(ev->status));
	knet_table_set_tone(t, COL_STATUS,
			    ev->status == KNET_PING_REPLY     ? KNET_TONE_GOOD
			    : ev->status == KNET_PING_REFUSED ? KNET_TONE_WARN
							      : KNET_TONE_BAD);
	if (ev->mtu > 0) {
		knet_table_set_int(t, COL_MTU, ev->mtu);
		if (!run->mtu || ev->mtu < run->mtu) {
			run->mtu = ev->mtu;
			snprintf(run->mtu_from, sizeof(run->mtu_from), "%s",
				 ev->from);
		}
	}
	n = status_note(ev, note, sizeof(note));
	if (n)
		knet_table_set_str(t, COL_NOTE, n);
	r = knet_table_stream_row(t);
	if (r < 0)
		return r;
	/* A pod deleted under us: stop cleanly rather than time out. */
	return knet_node_check(job);
}

static int add_summary(struct knet_node_job *job)
{
	const struct knet_target *tg = job->tg;
	struct run *run = job->data;
	const struct knet_rtt_stats *st = &run->st;
	struct knet_table *t = run->summary;
	int r;

	r = knet_table_add_row(t);
	if (r < 0)
		return r;
	knet_table_set_str(t, SUM_EVENT, "summary");
	if (tg->kind == KNET_TARGET_IP)
		knet_table_set_str(t, SUM_TARGET, tg->ip);
	else
		knet_table_set_strf(t, SUM_TARGET, "%s/%s%s%s",
				    tg->kind == KNET_TARGET_SERVICE ? "svc"
				    : tg->kind == KNET_TARGET_NODE  ? "node"
								    : "pod",
				    tg->ns ? tg->ns : "", tg->ns ? "/" : "",
				    tg->name);
	knet_table_set_str(t, SUM_IP, tg->ip);
	knet_table_set_str(t, SUM_SOURCE, job->src->label);
	knet_table_set_str(t, SUM_MODE, run->mode);
	knet_table_set_int(t, SUM_SENT, st->sent);
	knet_table_set_int(t, SUM_RECEIVED, st->received);
	knet_table_set_percent(t, SUM_LOSS, knet_rtt_stats_loss(st));
	knet_table_set_tone(t, SUM_LOSS,
			    st->received == st->sent ? KNET_TONE_GOOD
			    : st->received	     ? KNET_TONE_WARN
						     : KNET_TONE_BAD);
	if (st->received) {
		knet_table_set_usec(t, SUM_MIN, st->min_us);
		knet_table_set_usec(t, SUM_AVG,
				    knet_llround(knet_rtt_stats_avg(st)));
		knet_table_set_usec(t, SUM_MAX, st->max_us);
		knet_table_set_usec(t, SUM_MDEV,
				    knet_llround(knet_rtt_stats_mdev(st)));
	}
	r = knet_table_stream_header(t);
	return r < 0 ? r : knet_table_stream_row(t);
}

/* With --df, the one line a person needs: what fits and who said so. */
static void mtu_report(const struct run *run)
{
	int family = run->po.dst.ss_family;

	fprintf(stderr,
		"knet: packet too big: %d-byte packets do not fit the path "
		"MTU %d%s%s; the largest -s that fits is %d\n",
		run->po.size + knet_ping_header_bytes(family), run->mtu,
		run->mtu_from[0] ? " reported by " : "", run->mtu_from,
		knet_ping_df_max_size(family, run->mtu));
}

static int tables_new(struct knet_ctx *ctx, struct run *run)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	int r = knet_table_new(reply_cols, &o, &run->replies);

	if (r == 0)
		r = knet_table_new(sum_cols, &o, &run->summary);
	return r;
}

/* The mode, and why when it is not what was asked (a ClusterIP). */
static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	const struct knet_target *tg = job->tg;
	struct run *run = job->data;
	struct knet_ping_mode m;
	int r;

	r = knet_target_ping_mode(tg, (int)knet_args_int(run->args, "tcp", 0),
				  (int)knet_args_int(run->args, "udp", 0), &m,
				  &job->err);
	if (r < 0)
		return knet_usage_error(ctx, "%s", job->err.reason);
	if (m.cluster_ip_no_tcp)
		knet_warn(ctx,
			  "svc/%s (namespace %s) is a Service ClusterIP (%s): "
			  "kube-proxy does not answer ICMP for it, and it "
			  "has no TCP port to probe instead",
			  tg->name, tg->ns, tg->ip);
	if (m.cluster_ip_tcp)
		fprintf(stderr,
			"knet: note: svc/%s (namespace %s) is a Service "
			"ClusterIP (%s): kube-proxy does not answer ICMP for "
			"it; probing TCP port %d instead\n",
			tg->name, tg->ns, tg->ip, m.port);
	run->po.mode = (enum knet_probe_mode)m.mode;
	run->mode = run->po.mode == KNET_PROBE_TCP   ? "tcp"
		    : run->po.mode == KNET_PROBE_UDP ? "udp"
						     : "icmp";
	if (knet_addr_parse(tg->ip, m.port, &run->po.dst, &run->po.dst_len) < 0)
		return knet_usage_error(ctx, "'%s' is not an IP address",
					tg->ip);
	return tables_new(ctx, run) < 0 ? KNET_EXIT_SYSTEM : 0;
}

static int open_probe(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;

	(void)ctx;
	return knet_ping_new(&run->po, &run->p, &job->err);
}

static int run_ping(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	int r;

	if (ctx->g.format != KNET_FMT_JSON)
		printf("PING %s (%s) from %s: %d bytes, %s (%s socket)\n",
		       job->target, job->tg->ip, job->src->label, run->po.size,
		       run->mode, knet_ping_socket_kind(run->p));
	knet_table_stream_header(run->replies);
	r = knet_ping_run(run->p, on_event, job, job->stop, &run->st,
			  &job->err);
	return r < 0 ? r : 0;
}

static int summary(struct knet_ctx *ctx, struct knet_node_job *job, int status)
{
	struct run *run = job->data;

	(void)status;
	if (ctx->g.format != KNET_FMT_JSON)
		printf("\n");
	if (add_summary(job) < 0)
		return KNET_EXIT_SYSTEM;
	if (run->mtu)
		mtu_report(run);
	return run->st.received > 0 ? KNET_EXIT_OK : KNET_EXIT_PROBLEM;
}

static int remote_begin(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;

	if (tables_new(ctx, run) < 0)
		return KNET_EXIT_SYSTEM;
	/* printed with the first reply, if one comes */
	knet_table_stream_header(run->replies);
	return 0;
}

/* A line from the remote knet: one reply or the summary, as JSON. */
static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	struct run *run = job->data;
	cJSON *o = knet_node_remote_json(line);
	const char *ev;
	int r = 0;

	(void)ctx;
	if (!o)
		return 0;
	ev = cJSON_GetStringValue(cJSON_GetObjectItem(o, "event"));
	if (ev && !strcmp(ev, "summary")) {
		r = knet_via_row(run->summary, o);
		if (r == 0)
			r = knet_table_stream_header(run->summary);
		if (r == 0)
			r = knet_table_stream_row(run->summary);
	} else if (ev && !strcmp(ev, "reply")) {
		r = knet_via_row(run->replies, o);
		if (r == 0)
			r = knet_table_stream_row(run->replies);
	}
	cJSON_Delete(o);
	return r;
}

static void read_options(const struct knet_args *args,
			 struct knet_ping_opts *po)
{
	po->count = (int)knet_args_int(args, "count", 5);
	po->interval = knet_args_number(args, "interval", 1.0);
	po->size = (int)knet_args_int(args, "size", 56);
	po->timeout = knet_args_number(args, "timeout", 2.0);
	po->ttl = (int)knet_args_int(args, "ttl", 0);
	po->df = knet_args_has(args, "df");
}

static int exec_ping(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct run run = {.args = args};
	struct knet_node_job job;
	int r;

	if (knet_args_has(args, "tcp") && knet_args_has(args, "udp"))
		return knet_usage_error(ctx, "give --tcp or --udp, not both");
	knet_node_job_init(&job, ctx, args);
	job.verb = "ping";
	job.verb_from = "ping from";
	job.find_verb = "find the source";
	job.target = args->pos[0];
	job.remote_banner = "PING";
	job.prepare = prepare;
	job.open = open_probe;
	job.run = run_ping;
	job.summary = summary;
	job.remote_begin = remote_begin;
	job.remote_line = remote_line;
	job.data = &run;
	read_options(args, &run.po);
	r = knet_node_run(ctx, &job);
	knet_table_free(run.replies);
	knet_table_free(run.summary);
	knet_ping_free(run.p);
	knet_node_job_clear(&job);
	return r;
}

const struct knet_cmd knet_cmd_ping = {
	.name = "ping",
	.alias = NULL,
	.group = "node",
	.summary = "ping a pod, Service, node or IP, from the node or a pod",
	.usage = "[options] TARGET [--from POD]",
	.min_args = 1,
	.max_args = 1,
	/* Its output is lib/output's: the environment's locale would only
	 * cost setlocale()'s 165 K instructions at every start. */
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM | KNET_CMD_C_LOCALE,
	.options = ping_options,
	.complete_args = "target",
	.exec = exec_ping,
};
