/* SPDX-License-Identifier: MIT */
/*
 * knet ping TARGET [--from POD]: ICMP echo (or TCP connect / UDP) from the
 * node or from inside a pod's network namespace.
 *
 * Order matters: resolve everything through the API, enter the
 * namespace, open the socket, come back, drop every capability, and only
 * then start probing and parsing what the network sends back.
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

struct run {
	struct knet_ctx *ctx;
	struct knet_table *replies;
	struct knet_table *summary;
	const struct knet_source *src;
	struct knet_error gone; /* set when the namespace vanished */
	int remote_events;
	int remote_replies;
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
	struct run *run = ud;
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
	if (run->src->has_ns && knet_netns_check(&run->src->ns, &run->gone) < 0)
		return -ENOENT;
	return 0;
}

static void add_summary(struct run *run, const struct knet_target *tg,
			const char *mode, const struct knet_rtt_stats *st)
{
	struct knet_table *t = run->summary;

	if (knet_table_add_row(t) < 0)
		return;
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
	knet_table_set_str(t, SUM_SOURCE, run->src->label);
	knet_table_set_str(t, SUM_MODE, mode);
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
				    llround(knet_rtt_stats_avg(st)));
		knet_table_set_usec(t, SUM_MAX, st->max_us);
		knet_table_set_usec(t, SUM_MDEV,
				    llround(knet_rtt_stats_mdev(st)));
	}
	knet_table_stream_header(t);
	knet_table_stream_row(t);
}

/* A line from the remote knet: one reply or the summary, as JSON. */
static int remote_line(const char *line, void *ud)
{
	struct run *run = ud;
	cJSON *o = cJSON_Parse(line);
	const char *ev;
	int r = 0;

	if (!o) {
		/* Not ours (a banner from ssh?): pass it on, to stderr. */
		if (*line)
			fprintf(stderr, "%s\n", line);
		return 0;
	}
	ev = cJSON_GetStringValue(cJSON_GetObjectItem(o, "event"));
	if (ev && !strcmp(ev, "summary")) {
		if (knet_via_row(run->summary, o) == 0) {
			knet_table_stream_header(run->summary);
			knet_table_stream_row(run->summary);
		}
	} else if (ev && !strcmp(ev, "reply")) {
		r = knet_via_row(run->replies, o);
		if (r == 0)
			r = knet_table_stream_row(run->replies);
	}
	cJSON_Delete(o);
	return r;
}

struct plan {
	struct knet_ping_opts po;
	struct knet_target *tg;
	const char *mode;
};

/* With --df, the one line a person needs: what fits and who said so. */
static void mtu_report(const struct plan *pl, const struct run *run)
{
	/* IP header plus the 8 of ICMP or UDP in front of the payload */
	int hdr = pl->po.dst.ss_family == AF_INET6 ? 48 : 28;

	fprintf(stderr,
		"knet: packet too big: %d-byte packets do not fit the path "
		"MTU %d%s%s; the largest -s that fits is %d\n",
		pl->po.size + hdr, run->mtu,
		run->mtu_from[0] ? " reported by " : "", run->mtu_from,
		run->mtu - hdr);
}

static int pick_mode(struct knet_ctx *ctx, const struct knet_args *args,
		     struct plan *pl)
{
	struct knet_target *tg = pl->tg;
	bool tcp = knet_args_has(args, "tcp"), udp = knet_args_has(args, "udp");
	int port = 0;

	if (tcp && udp)
		return knet_usage_error(ctx, "give --tcp or --udp, not both");
	pl->po.mode = KNET_PROBE_ICMP;
	if (tcp || (tg->portnum && !udp && !tg->udp)) {
		pl->po.mode = KNET_PROBE_TCP;
		port = tcp ? (int)knet_args_int(args, "tcp", 0) : tg->portnum;
	} else if (udp || tg->portnum) {
		pl->po.mode = KNET_PROBE_UDP;
		port = udp ? (int)knet_args_int(args, "udp", 0) : tg->portnum;
	}
	if (pl->po.mode == KNET_PROBE_ICMP && tg->cluster_ip) {
		/*
		 * kube-proxy only DNATs the Service's ports: the ClusterIP
		 * itself answers nothing, so plain ICMP would be 100% loss
		 * that says nothing about the Service.
		 */
		if (!tg->svc_tcp_port) {
			knet_warn(ctx,
				  "svc/%s/%s is a Service ClusterIP (%s): "
				  "kube-proxy does not answer ICMP for "
				  "it, and it has no TCP port to probe "
				  "instead",
				  tg->ns, tg->name, tg->ip);
		} else {
			fprintf(stderr,
				"knet: note: svc/%s/%s is a Service ClusterIP "
				"(%s): kube-proxy does not answer ICMP for "
				"it; probing TCP port %d instead\n",
				tg->ns, tg->name, tg->ip, tg->svc_tcp_port);
			pl->po.mode = KNET_PROBE_TCP;
			port = tg->svc_tcp_port;
		}
	}
	pl->mode = pl->po.mode == KNET_PROBE_TCP   ? "tcp"
		   : pl->po.mode == KNET_PROBE_UDP ? "udp"
						   : "icmp";
	if (knet_addr_parse(tg->ip, port, &pl->po.dst, &pl->po.dst_len) < 0)
		return knet_usage_error(ctx, "'%s' is not an IP address",
					tg->ip);
	return 0;
}

static int read_options(const struct knet_args *args, struct knet_ping_opts *po)
{
	po->count = (int)knet_args_int(args, "count", 5);
	po->interval = knet_args_number(args, "interval", 1.0);
	po->size = (int)knet_args_int(args, "size", 56);
	po->timeout = knet_args_number(args, "timeout", 2.0);
	po->ttl = (int)knet_args_int(args, "ttl", 0);
	po->df = knet_args_has(args, "df");
	return 0;
}

static int open_probe(struct knet_ctx *ctx, const struct knet_source *src,
		      struct plan *pl, struct knet_ping **ret_p)
{
	struct knet_netns_saved saved;
	struct knet_error err = {0};
	int r;

	r = knet_source_enter(src, &saved, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "enter the network namespace of",
				 src->label);
	r = knet_ping_new(&pl->po, ret_p, &err);
	knet_netns_leave(&saved);
	if (r < 0)
		return knet_fail(ctx, &err, "ping", pl->tg->ip);
	/* From here on nothing needs a privilege. */
	r = knet_privs_drop(&err);
	if (r < 0) {
		knet_ping_free(*ret_p);
		*ret_p = NULL;
		return knet_fail(ctx, &err, "drop privileges", NULL);
	}
	return 0;
}

static int run_remote(struct knet_ctx *ctx, struct knet_source *src,
		      const char *target)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_error err = {0};
	struct run run = {.ctx = ctx, .src = src};
	int status = 0, r;

	knet_log(ctx, 1, "%s runs on node %s: going through '%s'", src->label,
		 src->remote_node, ctx->g.via ? ctx->g.via : "");
	r = knet_table_new(reply_cols, &o, &run.replies);
	if (r == 0)
		r = knet_table_new(sum_cols, &o, &run.summary);
	/* printed with the first reply, if one comes */
	if (r == 0)
		r = knet_table_stream_header(run.replies);
	if (r == 0 && o.format != KNET_FMT_JSON)
		printf("PING %s from %s on node %s (through the node "
		       "transport)\n",
		       target, src->label, src->remote_node);
	if (r == 0)
		r = knet_via_rerun(ctx->g.via, src->remote_node, remote_line,
				   &run, &status, &err);
	knet_table_free(run.replies);
	knet_table_free(run.summary);
	if (r < 0)
		return knet_fail(ctx, &err, "reach node", src->remote_node);
	return status;
}

static int exec_ping(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_source_opts so = {
		.from = knet_args_str(args, "from", NULL),
		.default_ns = knet_ctx_namespace(ctx),
		.netns = knet_args_str(args, "netns", NULL),
		.pid = knet_args_int(args, "pid", 0),
		.node = ctx->g.node,
	};
	struct knet_error err = {0};
	struct knet_source *src = NULL;
	struct knet_ping *p = NULL;
	struct knet_rtt_stats st;
	struct plan pl = {0};
	struct run run = {.ctx = ctx};
	int family = AF_UNSPEC, r;
	bool need_api;

	read_options(args, &pl.po);
	if (knet_args_has(args, "ipv6"))
		family = AF_INET6;
	else if (knet_args_has(args, "ipv4"))
		family = AF_INET;
	/* An IP from the node's own namespace needs no cluster at all. */
	r = knet_target_parse(args->pos[0], so.default_ns, &pl.tg, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "ping", args->pos[0]);
	need_api = so.from || pl.tg->kind != KNET_TARGET_IP;
	knet_target_free(pl.tg);
	pl.tg = NULL;
	if (need_api) {
		r = knet_ctx_api_setup(ctx);
		if (r)
			return r;
	}
	so.default_ns = knet_ctx_namespace(ctx);
	r = knet_source_resolve(ctx->api, &so, &src, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "find the source",
				 so.from ? so.from : so.netns);
	if (src->remote_node) {
		r = run_remote(ctx, src, args->pos[0]);
		goto out;
	}
	r = knet_target_resolve(ctx->api, args->pos[0], so.default_ns, family,
				&pl.tg, &err);
	if (r < 0) {
		r = knet_fail(ctx, &err, "resolve", args->pos[0]);
		goto out;
	}
	r = pick_mode(ctx, args, &pl);
	if (r)
		goto out;
	r = open_probe(ctx, src, &pl, &p);
	if (r)
		goto out;
	run.src = src;
	r = knet_table_new(reply_cols, &o, &run.replies);
	if (r == 0)
		r = knet_table_new(sum_cols, &o, &run.summary);
	if (r < 0) {
		r = KNET_EXIT_SYSTEM;
		goto out;
	}
	if (o.format != KNET_FMT_JSON)
		printf("PING %s (%s) from %s: %d bytes, %s (%s socket)\n",
		       args->pos[0], pl.tg->ip, src->label, pl.po.size, pl.mode,
		       knet_ping_socket_kind(p));
	knet_table_stream_header(run.replies);
	r = knet_ping_run(p, on_event, &run, knet_catch_stop(), &st, &err);
	if (r < 0 && run.gone.code) {
		r = knet_fail(ctx, &run.gone, "ping from", src->label);
		goto out;
	}
	if (r < 0) {
		r = knet_fail(ctx, &err, "ping", pl.tg->ip);
		goto out;
	}
	if (o.format != KNET_FMT_JSON)
		printf("\n");
	add_summary(&run, pl.tg, pl.mode, &st);
	if (run.mtu)
		mtu_report(&pl, &run);
	r = st.received > 0 ? KNET_EXIT_OK : KNET_EXIT_PROBLEM;
out:
	knet_table_free(run.replies);
	knet_table_free(run.summary);
	knet_ping_free(p);
	knet_target_free(pl.tg);
	knet_source_free(src);
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
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM,
	.options = ping_options,
	.complete_args = "target",
	.exec = exec_ping,
};
