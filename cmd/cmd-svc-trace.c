/* SPDX-License-Identifier: MIT */
/*
 * knet services trace SVC[:PORT] (knet svc trace): the chain from a
 * Service to the packets, layer by layer: the Service, selector -> pods,
 * targetPort -> container ports, endpoints, kube-proxy's rules on the
 * node, conntrack there.  The analysis is lib/analysis's
 * (knet_svc_trace_run); this file reads the API and the node's state and
 * prints.
 *
 * The node is this one, or --on NODE: another node is traced by knet run
 * there through the node transport (the node pipeline), and its JSON
 * Lines are drawn here.  iptables-save and the conntrack dump request
 * run privileged in prepare(); everything after is unprivileged.
 *
 * Through a transport whose other end has no API (k8s) the remote run
 * only reads its node and sends what it read raw (the rules, the NAT
 * entries); this end judges them with its own API objects, one node at
 * a time, the same analysis and printing as a local trace.  A fan-out
 * (--all-nodes, --nodes) does that for every node, this one's answer
 * (knet itself, with the API) already judged: see doc/design-notes.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "ct-raw.h"
#include "knet/analysis.h"
#include "knet/netlink.h"
#include "knet/node.h"
#include "knet/objects.h"
#include "kube-proxy.h"
#include "node-common.h"
#include "node-fanout.h"

enum {
	SUM_EVENT,
	SUM_SERVICE,
	SUM_STATUS,
	SUM_BROKEN,
	SUM_NODE,
	SUM_TEXT,
	NSUM_COLS,
};

static const struct knet_column sum_cols[] = {
	[SUM_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[SUM_SERVICE] = {"SERVICE", "service", KNET_CELL_STR, KNET_COL_NOTABLE,
			 0},
	[SUM_STATUS] = {"STATUS", "status", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[SUM_BROKEN] = {"BROKEN", "broken_layer", KNET_CELL_STR,
			KNET_COL_NOTABLE, 0},
	[SUM_NODE] = {"NODE", "node", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[SUM_TEXT] = {"SUMMARY", "summary", KNET_CELL_STR, 0, 0},
	[NSUM_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	LAY_EVENT,
	LAY_NODE,
	LAY_NUM,
	LAY_LAYER,
	LAY_STATUS,
	LAY_DETAIL,
	NLAY_COLS,
};

static const struct knet_column lay_cols[] = {
	[LAY_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	/* a fan-out's: which node's rules and conntrack (shown only then) */
	[LAY_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[LAY_NUM] = {"#", "n", KNET_CELL_INT, KNET_COL_RIGHT, 1},
	[LAY_LAYER] = {"LAYER", "layer", KNET_CELL_STR, 0, 10},
	[LAY_STATUS] = {"STATUS", "status", KNET_CELL_STR, 0, 7},
	[LAY_DETAIL] = {"DETAIL", "detail", KNET_CELL_STR, 0, 0},
	[NLAY_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	EP_EVENT,
	EP_ON,
	EP_ADDRESS,
	EP_PORT,
	EP_POD,
	EP_NODE,
	EP_READY,
	EP_SERVING,
	EP_TERMINATING,
	EP_ENDPOINT,
	EP_IN_RULES,
	EP_SHARE,
	EP_FLOWS,
	EP_STALE,
	NEP_COLS,
};

static const struct knet_column ep_cols[] = {
	[EP_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	/* fan-out: whose rules (NODE is the endpoint's own) */
	[EP_ON] = {"ON", "on_node", KNET_CELL_STR, 0, 0},
	[EP_ADDRESS] = {"ADDRESS", "ip", KNET_CELL_STR, 0, 15},
	[EP_PORT] = {"PORT", "port", KNET_CELL_INT, KNET_COL_RIGHT, 5},
	[EP_POD] = {"POD", "pod", KNET_CELL_STR, 0, 20},
	[EP_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 6},
	[EP_READY] = {"READY", "ready", KNET_CELL_BOOL, 0, 5},
	[EP_SERVING] = {"SERVING", "serving", KNET_CELL_BOOL, KNET_COL_WIDE, 7},
	[EP_TERMINATING] = {"TERMINATING", "terminating", KNET_CELL_BOOL,
			    KNET_COL_WIDE, 11},
	[EP_ENDPOINT] = {"ENDPOINT", "endpoint", KNET_CELL_BOOL, 0, 8},
	[EP_IN_RULES] = {"IN-RULES", "in_rules", KNET_CELL_BOOL, 0, 8},
	[EP_SHARE] = {"SHARE", "share_percent", KNET_CELL_PERCENT,
		      KNET_COL_RIGHT, 6},
	[EP_FLOWS] = {"FLOWS", "flows", KNET_CELL_INT, KNET_COL_RIGHT, 5},
	[EP_STALE] = {"STALE", "stale", KNET_CELL_INT, KNET_COL_RIGHT, 5},
	[NEP_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	FIND_EVENT,
	FIND_NODE,
	FIND_SEVERITY,
	FIND_LAYER,
	FIND_TEXT,
	NFIND_COLS,
};

static const struct knet_column find_cols[] = {
	[FIND_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[FIND_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[FIND_SEVERITY] = {"SEVERITY", "severity", KNET_CELL_STR, 0, 8},
	[FIND_LAYER] = {"LAYER", "layer", KNET_CELL_STR, 0, 10},
	[FIND_TEXT] = {"FINDING", "finding", KNET_CELL_STR, 0, 0},
	[NFIND_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/*
 * A fan-out's node that did not answer, in JSON (its line on stderr);
 * in knet_node_fanout_error_row()'s order.
 */
enum { ERR_EVENT, ERR_NODE, ERR_REASON, NERR_COLS };

static const struct knet_column err_cols[] = {
	[ERR_EVENT] = {"EVENT", "event", KNET_CELL_STR, 0, 0},
	[ERR_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[ERR_REASON] = {"REASON", "reason", KNET_CELL_STR, 0, 0},
	[NERR_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static const struct knet_opt trace_options[] = {
	{"on", 0, KNET_OPT_STRING, "NODE",
	 "read kube-proxy's rules and conntrack on NODE (default: this node)",
	 NULL, 0, 0, "node"},
	{"no-conntrack", 0, KNET_OPT_FLAG, NULL,
	 "do not read the node's conntrack table", NULL, 0, 0, NULL},
	KNET_NODE_RUN_AS_OPTION,
	KNET_NODE_FANOUT_OPTIONS,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

struct run {
	const struct knet_args *args;
	char *ns, *name, *port;
	struct knet_service *svc;
	struct knet_pod_list *pods;
	struct knet_endpoints_list *eps;
	char *node; /* whose rules */
	struct kube_proxy_rules kp;
	struct knet_ct *ct;
	struct knet_ct_service *cs;
	struct knet_svc_trace *trace;
	struct knet_table *sum, *layers, *ept, *findings;
	int nlines[4];
	/* --all-nodes, --nodes: every node's trace, the node in each row */
	bool fanout;
	struct knet_column c_sum[NSUM_COLS + 1], c_lay[NLAY_COLS + 1];
	struct knet_column c_ep[NEP_COLS + 1], c_find[NFIND_COLS + 1];
	/*
	 * Through a transport without an API: the remote run only reads
	 * the node (raw: rules, NAT entries) and this end analyses it.
	 */
	bool node_only;	 /* that remote run: --no-api */
	bool judge_here; /* this end of it */
	struct knet_table *raw_ct;
	/*
	 * This end, the node being answered: raw lines came (judged at
	 * its end), or judged ones (this node's own run in a fan-out).
	 */
	bool judging, passed;
	const char *row_node; /* a fan-out's: whose rows these are */
	const char *fed_node; /* whose lines judging and passed are about */
	struct knet_table *errors;
};

static int tables_new(struct knet_ctx *ctx, struct run *run)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	const int off = KNET_COL_NOTABLE | KNET_COL_NOJSON;
	int r;

	/* The node of each row: a fan-out's only, where it is shown. */
	memcpy(run->c_sum, sum_cols, sizeof(run->c_sum));
	memcpy(run->c_lay, lay_cols, sizeof(run->c_lay));
	memcpy(run->c_ep, ep_cols, sizeof(run->c_ep));
	memcpy(run->c_find, find_cols, sizeof(run->c_find));
	if (run->fanout) {
		run->c_sum[SUM_NODE].flags &= ~KNET_COL_NOTABLE;
	} else {
		run->c_lay[LAY_NODE].flags |= off;
		run->c_ep[EP_ON].flags |= off;
		run->c_find[FIND_NODE].flags |= off;
	}
	r = knet_table_new(run->c_sum, &o, &run->sum);
	if (r == 0)
		r = knet_table_new(err_cols, &o, &run->errors);
	if (r == 0)
		r = knet_table_new(run->c_lay, &o, &run->layers);
	if (r == 0)
		r = knet_table_new(run->c_ep, &o, &run->ept);
	if (r == 0)
		r = knet_table_new(run->c_find, &o, &run->findings);
	return r;
}

/* "web", "web:http", "NS/web", "svc/web", "svc/NS/web:80". */
static int split_target(struct run *run, const char *s, const char *def_ns)
{
	const char *slash, *colon;

	if (!strncmp(s, "svc/", 4))
		s += 4;
	else if (!strncmp(s, "service/", 8))
		s += 8;
	colon = strrchr(s, ':');
	slash = strchr(s, '/');
	if (slash && colon && colon < slash)
		colon = NULL;
	run->ns = slash ? strndup(s, (size_t)(slash - s))
			: strdup(def_ns ? def_ns : "default");
	s = slash ? slash + 1 : s;
	run->name = colon ? strndup(s, (size_t)(colon - s)) : strdup(s);
	run->port = colon && colon[1] ? strdup(colon + 1) : NULL;
	if (!run->ns || !run->name || (colon && colon[1] && !run->port))
		return -ENOMEM;
	return *run->name && !strchr(run->name, '/') ? 0 : -EINVAL;
}

/*
 * The API's layers: the Service, its namespace's pods, its endpoints;
 * and the port asked for is one of the Service's.
 */
static int read_api(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_error err = {0};
	int r;

	if (run->svc)
		return 0; /* read before a fan-out started */
	r = knet_service_get(ctx->api, run->ns, run->name, &run->svc, &err);
	if (r == 0)
		r = knet_pod_list(ctx->api, run->ns, NULL, &run->pods, &err);
	if (r == 0)
		r = knet_endpoints_list(ctx->api, run->ns, run->name, NULL,
					&run->eps, &err);
	if (r < 0) {
		char subject[256];

		snprintf(subject, sizeof(subject), "svc/%s/%s", run->ns,
			 run->name);
		return knet_fail(ctx, &err, "trace", subject);
	}
	if (run->port && !knet_service_find_port(run->svc, run->port)) {
		knet_error_set(&err, -ENOENT, KNET_EXIT_NOT_FOUND,
			       "svc %s/%s has no such port", run->ns,
			       run->name);
		return knet_fail(ctx, &err, "trace port", run->port);
	}
	return 0;
}

/* The conntrack dump request goes now, privileged; read after. */
static void open_conntrack(struct knet_ctx *ctx, struct run *run)
{
	struct knet_ct_filter f;
	struct knet_error err = {0};
	int r;

	if (knet_args_has(run->args, "no-conntrack"))
		return;
	memset(&f, 0, sizeof(f));
	r = knet_ct_filter_set(&f, "nat", NULL, &err);
	if (r == 0 && run->svc)
		r = knet_ct_service_new(
			run->svc,
			knet_endpoints_list_find(run->eps, run->ns, run->name),
			run->port, &run->cs, &err);
	if (r == 0)
		r = knet_ct_new(&run->ct, &err);
	if (r == 0)
		r = knet_ct_dump_begin(run->ct, &f, &err);
	if (r < 0) {
		knet_warn(ctx, "conntrack on %s is not read: %s", run->node,
			  err.reason);
		knet_ct_free(run->ct);
		run->ct = NULL;
		knet_ct_service_free(run->cs);
		run->cs = NULL;
	}
}

/*
 * A remote run without an API (--no-api): this node's part only, read
 * as root now and sent raw by run_trace; the caller has the Service.
 */
static int prepare_node_only(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct run *run = job->data;

	run->node_only = true;
	run->node = strdup(job->on_node	 ? job->on_node
			   : ctx->g.node ? ctx->g.node
					 : "");
	if (!run->node || knet_table_new(ct_raw_cols, &o, &run->raw_ct) < 0)
		return -ENOMEM;
	kube_proxy_read(ctx, run->node, &run->kp);
	open_conntrack(ctx, run);
	return 0;
}

static int send_entry(const struct knet_ct_entry *e, void *ud)
{
	struct knet_table *t = ud;
	int r = ct_raw_row(t, "ct", e);

	return r < 0 ? r : knet_table_stream_row(t);
}

/* The rules as read, then every NAT entry, as raw JSON Lines. */
static int send_node(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	int r = kube_proxy_send(ctx, &run->kp);

	if (r == 0 && run->ct &&
	    knet_ct_dump_finish(run->ct, send_entry, run->raw_ct, &job->err) <
		    0) {
		knet_warn(ctx, "conntrack on %s: %s", run->node,
			  job->err.reason);
		knet_error_clear(&job->err);
	}
	return r;
}

static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_error err = {0};
	int r;

	if (ctx->g.no_api)
		return prepare_node_only(ctx, job);
	r = ctx->api ? 0 : knet_ctx_api_setup(ctx);
	if (r == 0)
		r = read_api(ctx, job);
	if (r)
		return r;
	if (tables_new(ctx, run) < 0)
		return -ENOMEM;
	if (job->on_node)
		run->node = strdup(job->on_node);
	else if (knet_node_self(ctx->api, ctx->g.node, &run->node, &err) < 0) {
		knet_warn(ctx,
			  "not on a node (%s): kube-proxy and conntrack are "
			  "not read; give --on NODE",
			  err.reason);
		return 0;
	}
	kube_proxy_read(ctx, run->node, &run->kp);
	open_conntrack(ctx, run);
	return 0;
}

static int classify(const struct knet_ct_entry *e, void *ud)
{
	struct knet_ct_verdict v;

	return knet_ct_service_classify(ud, e, &v);
}

/*
 * A row is done: streamed, or in a fan-out's table kept for
 * render_fanout() (each part once, whole); a fan-out's rows say whose.
 */
static int stream(struct knet_ctx *ctx, struct run *run, int which,
		  struct knet_table *t)
{
	static const int node_col[] = {SUM_NODE, LAY_NODE, EP_ON, FIND_NODE};
	int r = 0;

	if (run->fanout && run->row_node) {
		r = knet_table_set_str(t, node_col[which], run->row_node);
		if (r < 0 || ctx->g.format != KNET_FMT_JSON)
			return r;
	}
	if (run->nlines[which]++ == 0) {
		if (which && ctx->g.format != KNET_FMT_JSON)
			printf("\n");
		if (which)
			r = knet_table_stream_header(t);
	}
	return r < 0 ? r : knet_table_stream_row(t);
}

static int print_summary(struct knet_ctx *ctx, struct run *run)
{
	const struct knet_svc_trace *tr = run->trace;
	struct knet_table *t = run->sum;

	if (knet_table_add_row(t) < 0)
		return -ENOMEM;
	knet_table_set_str(t, SUM_EVENT, "summary");
	knet_table_set_strf(t, SUM_SERVICE, "%s/%s", run->ns, run->name);
	knet_table_set_str(t, SUM_STATUS, tr->first_broken < 0 ? "ok" : "fail");
	if (tr->first_broken >= 0)
		knet_table_set_str(t, SUM_BROKEN,
				   knet_trace_layer_name(tr->first_broken));
	if (run->node)
		knet_table_set_str(t, SUM_NODE, run->node);
	knet_table_set_str(t, SUM_TEXT, tr->summary);
	knet_table_set_tone(t, SUM_TEXT,
			    tr->first_broken < 0 ? KNET_TONE_GOOD
						 : KNET_TONE_BAD);
	return stream(ctx, run, 0, t);
}

static int print_layers(struct knet_ctx *ctx, struct run *run)
{
	const struct knet_svc_trace *tr = run->trace;
	struct knet_table *t = run->layers;
	int r = 0;

	for (int l = 0; r == 0 && l < KNET_TRACE_NLAYERS; l++) {
		enum knet_trace_status s = tr->status[l];

		if (knet_table_add_row(t) < 0)
			return -ENOMEM;
		knet_table_set_str(t, LAY_EVENT, "layer");
		knet_table_set_int(t, LAY_NUM, l + 1);
		knet_table_set_str(t, LAY_LAYER, knet_trace_layer_name(l));
		knet_table_set_str(t, LAY_STATUS, knet_trace_status_name(s));
		knet_table_set_tone(t, LAY_STATUS,
				    s == KNET_TRACE_OK	   ? KNET_TONE_GOOD
				    : s == KNET_TRACE_WARN ? KNET_TONE_WARN
				    : s == KNET_TRACE_FAIL ? KNET_TONE_BAD
							   : KNET_TONE_DIM);
		knet_table_set_str(t, LAY_DETAIL, tr->detail[l]);
		r = stream(ctx, run, 1, t);
	}
	return r;
}

static int print_endpoints(struct knet_ctx *ctx, struct run *run)
{
	const struct knet_svc_trace *tr = run->trace;
	struct knet_table *t = run->ept;
	bool rules = run->kp.mode && !strcmp(run->kp.mode, "iptables");
	int r = 0;

	for (int i = 0; r == 0 && i < tr->neps; i++) {
		const struct knet_trace_endpoint *e = &tr->eps[i];

		if (knet_table_add_row(t) < 0)
			return -ENOMEM;
		knet_table_set_str(t, EP_EVENT, "endpoint");
		knet_table_set_str(t, EP_ADDRESS, e->ip);
		knet_table_set_int(t, EP_PORT, e->port);
		if (e->pod[0])
			knet_table_set_str(t, EP_POD, e->pod);
		if (e->node[0])
			knet_table_set_str(t, EP_NODE, e->node);
		knet_table_set_bool(t, EP_READY, e->ready);
		knet_table_set_tone(t, EP_READY,
				    e->ready ? KNET_TONE_GOOD : KNET_TONE_BAD);
		knet_table_set_bool(t, EP_SERVING, e->serving);
		knet_table_set_bool(t, EP_TERMINATING, e->terminating);
		knet_table_set_bool(t, EP_ENDPOINT, e->endpoint);
		if (rules) {
			knet_table_set_bool(t, EP_IN_RULES, e->in_rules);
			if (e->in_rules)
				knet_table_set_percent(t, EP_SHARE,
						       e->share * 100);
		}
		if (run->cs) {
			knet_table_set_int(t, EP_FLOWS, (long long)e->flows);
			knet_table_set_int(t, EP_STALE, (long long)e->stale);
		}
		r = stream(ctx, run, 2, t);
	}
	return r;
}

static int print_findings(struct knet_ctx *ctx, struct run *run)
{
	const struct knet_svc_trace *tr = run->trace;
	struct knet_table *t = run->findings;
	int r = 0;

	for (int i = 0; r == 0 && i < tr->nfindings; i++) {
		const struct knet_trace_finding *f = &tr->findings[i];

		if (knet_table_add_row(t) < 0)
			return -ENOMEM;
		knet_table_set_str(t, FIND_EVENT, "finding");
		knet_table_set_str(t, FIND_SEVERITY,
				   f->problem ? "problem" : "warning");
		knet_table_set_tone(t, FIND_SEVERITY,
				    f->problem ? KNET_TONE_BAD
					       : KNET_TONE_WARN);
		knet_table_set_str(t, FIND_LAYER,
				   knet_trace_layer_name(f->layer));
		knet_table_set_str(t, FIND_TEXT, f->text);
		r = stream(ctx, run, 3, t);
	}
	return r;
}

static int analyse(struct knet_ctx *ctx, struct knet_node_job *job,
		   struct knet_svc_trace_in *in);
static int run_trace_here(struct knet_ctx *ctx, struct knet_node_job *job);

static int run_trace(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;

	if (run->node_only)
		return send_node(ctx, job);
	return run_trace_here(ctx, job);
}

static int run_trace_here(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_svc_trace_in in = {
		.svc = run->svc,
		.port = run->port,
		.pods = run->pods,
		.se = knet_endpoints_list_find(run->eps, run->ns, run->name),
		.node = run->node,
		.proxy_mode = run->kp.mode,
		.ipt = run->kp.ipt,
	};

	if (run->ct &&
	    knet_ct_dump_finish(run->ct, classify, run->cs, &job->err) < 0) {
		knet_warn(ctx, "conntrack on %s: %s", run->node,
			  job->err.reason);
		knet_error_clear(&job->err);
		knet_ct_service_free(run->cs);
		run->cs = NULL;
	}
	return analyse(ctx, job, &in);
}

/* The analysis of what was read, here or by a remote run, printed. */
static int analyse(struct knet_ctx *ctx, struct knet_node_job *job,
		   struct knet_svc_trace_in *in)
{
	struct run *run = job->data;
	int r;

	in->ct = run->cs;
	knet_svc_trace_free(run->trace); /* a fan-out's previous node's */
	run->trace = NULL;
	r = knet_svc_trace_run(in, &run->trace, &job->err);
	if (r < 0)
		return r;
	r = print_summary(ctx, run);
	if (r == 0)
		r = print_layers(ctx, run);
	if (r == 0)
		r = print_endpoints(ctx, run);
	if (r == 0)
		r = print_findings(ctx, run);
	if (r < 0)
		return r;
	return run->trace->first_broken >= 0 ? KNET_EXIT_PROBLEM : 0;
}

static int remote_begin(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	int r;

	if (tables_new(ctx, run) < 0)
		return KNET_EXIT_SYSTEM;
	if (!knet_node_remote_no_api(ctx))
		return 0;
	/* The other end reads its node only: the API's part is ours. */
	run->judge_here = true;
	r = read_api(ctx, job);
	return r;
}

/*
 * A node's raw answer begins: what the previous node left goes, and
 * its NAT entries are classified against a fresh Service view.
 */
static int judge_node(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	const char *node = job->node_name ? job->node_name : job->on_node;
	struct knet_error err = {0};

	run->judging = true;
	kube_proxy_clear(&run->kp);
	knet_ct_service_free(run->cs);
	run->cs = NULL;
	free(run->node);
	run->node = strdup(node ? node : "");
	if (!run->node)
		return -ENOMEM;
	if (!knet_args_has(run->args, "no-conntrack") &&
	    knet_ct_service_new(
		    run->svc,
		    knet_endpoints_list_find(run->eps, run->ns, run->name),
		    run->port, &run->cs, &err) < 0)
		knet_warn(ctx, "conntrack on %s is not read: %s", run->node,
			  err.reason);
	return 0;
}

/* A remote NAT entry, classified against the Service here. */
static int take_entry(struct run *run, const cJSON *o)
{
	struct knet_ct_entry e;

	if (!run->cs || ct_raw_entry(o, &e) < 0)
		return 0;
	return classify(&e, run->cs);
}

/*
 * A fan-out's next node: a node whose lines were not all read (out of
 * memory) leaves nothing for the next one.
 */
static void next_node(struct run *run, const struct knet_node_job *job)
{
	if (run->fed_node == job->node_name)
		return;
	run->fed_node = job->node_name;
	run->judging = false;
	run->passed = false;
}

static int remote_end(struct knet_ctx *ctx, struct knet_node_job *job,
		      int status)
{
	struct run *run = job->data;
	struct knet_svc_trace_in in = {0};
	bool passed;
	int r;

	next_node(run, job);
	passed = run->passed;
	run->passed = false;
	/* Judged there (not raw), or a run that failed: its status. */
	if (!run->judge_here || status || passed)
		return status;
	if (!run->judging && judge_node(ctx, job) < 0)
		return KNET_EXIT_SYSTEM;
	run->judging = false;
	in.svc = run->svc;
	in.port = run->port;
	in.pods = run->pods;
	in.se = knet_endpoints_list_find(run->eps, run->ns, run->name);
	in.node = run->node;
	in.proxy_mode = run->kp.mode;
	in.ipt = run->kp.ipt;
	run->row_node = job->node_name;
	r = analyse(ctx, job, &in);
	if (r < 0) {
		if (!job->err.reason[0])
			knet_error_set(&job->err, r, KNET_EXIT_SYSTEM, "%s",
				       strerror(-r));
		/* A fan-out names the node in its own failure line. */
		if (job->node_name)
			return KNET_EXIT_SYSTEM;
		return knet_fail(ctx, &job->err, "trace on", run->node);
	}
	return r;
}

/* The rules and the NAT entries of a node that had no API. */
static int take_raw(struct knet_ctx *ctx, struct knet_node_job *job,
		    const char *ev, const cJSON *o)
{
	struct run *run = job->data;
	int r = 0;

	if (!run->judging)
		r = judge_node(ctx, job);
	if (r == 0 && !strcmp(ev, "rules"))
		r = kube_proxy_take(&run->kp, o);
	else if (r == 0)
		r = take_entry(run, o);
	return r;
}

static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	static const char *const events[] = {"summary", "layer", "endpoint",
					     "finding"};
	struct run *run = job->data;
	struct knet_table *tables[] = {run->sum, run->layers, run->ept,
				       run->findings};
	cJSON *o = knet_node_remote_json(line);
	const char *ev;
	int r = 0;

	if (!o)
		return 0;
	next_node(run, job);
	ev = cJSON_GetStringValue(cJSON_GetObjectItem(o, "event"));
	if (run->judge_here && ev &&
	    (!strcmp(ev, "rules") || !strcmp(ev, "ct"))) {
		r = take_raw(ctx, job, ev, o);
		cJSON_Delete(o);
		return r;
	}
	/* Judged there: this node's own run in a fan-out, with its API. */
	run->row_node = job->node_name;
	for (int i = 0; ev && i < 4; i++)
		if (!strcmp(ev, events[i])) {
			run->passed = true;
			r = knet_via_row(tables[i], o);
			if (r == 0)
				r = stream(ctx, run, i, tables[i]);
			break;
		}
	cJSON_Delete(o);
	return r;
}

/* Fan-out: a node that did not answer is a JSON line too. */
static int remote_failed(struct knet_ctx *ctx, struct knet_node_job *job,
			 const char *node, const char *reason)
{
	struct run *run = job->data;

	if (ctx->g.format != KNET_FMT_JSON || !run->errors)
		return 0; /* its line on stderr says it */
	return knet_node_fanout_error_row(run->errors, node, reason);
}

/* A fan-out in a table: every node's summary, layers, endpoints... */
static int render_fanout(const struct run *run)
{
	const struct knet_table *t[] = {run->sum, run->layers, run->ept,
					run->findings};
	int r = 0;

	for (int i = 0, shown = 0; r == 0 && i < 4; i++) {
		if (!knet_table_nrows(t[i]))
			continue;
		if (shown++)
			printf("\n");
		r = knet_table_render(t[i]);
	}
	return r;
}

static void run_free(struct run *run)
{
	knet_table_free(run->sum);
	knet_table_free(run->layers);
	knet_table_free(run->ept);
	knet_table_free(run->findings);
	knet_table_free(run->raw_ct);
	knet_table_free(run->errors);
	knet_svc_trace_free(run->trace);
	knet_ct_free(run->ct);
	knet_ct_service_free(run->cs);
	kube_proxy_clear(&run->kp);
	knet_service_free(run->svc);
	knet_pod_list_free(run->pods);
	knet_endpoints_list_free(run->eps);
	free(run->node);
	free(run->ns);
	free(run->name);
	free(run->port);
}

static int exec_trace(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct run run = {.args = args};
	struct knet_node_job job;
	struct knet_error err = {0};
	int r;

	r = split_target(&run, args->pos[0], knet_ctx_namespace(ctx));
	if (r < 0) {
		run_free(&run);
		return r == -ENOMEM ? KNET_EXIT_SYSTEM
				    : knet_usage_error(ctx,
						       "'%s' is not a Service "
						       "(NAME, NS/NAME, "
						       "svc/NAME, with :PORT)",
						       args->pos[0]);
	}
	if (run.port && knet_service_port_check(run.port, &err) < 0) {
		run_free(&run);
		return knet_usage_error(ctx, "%s", err.reason);
	}
	knet_node_job_init(&job, ctx, args);
	run.fanout = job.fanout;
	if (run.fanout && knet_args_has(args, "on")) {
		run_free(&run);
		return knet_usage_error(ctx, "give --on NODE or --all-nodes "
					     "/ --nodes, not both");
	}
	job.data = &run;
	/*
	 * A fan-out reads the API's layers first, once: an unknown Service
	 * or port is one error line and no node runs.  Through k8s these
	 * objects judge every node's raw rules (remote_end).
	 */
	if (run.fanout) {
		r = ctx->api ? 0 : knet_ctx_api_setup(ctx);
		if (r == 0)
			r = read_api(ctx, &job);
		if (r) {
			run_free(&run);
			knet_node_job_clear(&job);
			return r;
		}
	}
	job.verb = "trace";
	job.verb_from = "trace on";
	job.find_verb = "find the node";
	job.on_node = knet_args_str(args, "on", NULL);
	job.api_optional = true;
	job.prepare = prepare;
	job.run = run_trace;
	job.remote_begin = remote_begin;
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.remote_failed = remote_failed;
	r = knet_node_run(ctx, &job);
	if (run.fanout && ctx->g.format != KNET_FMT_JSON && run.sum &&
	    (r == 0 || r == KNET_EXIT_PROBLEM))
		r = render_fanout(&run) < 0 ? KNET_EXIT_SYSTEM : r;
	run_free(&run);
	knet_node_job_clear(&job);
	return r;
}

const struct knet_cmd knet_cmd_services_trace = {
	.name = "services trace",
	.alias = "svc trace",
	.group = "analysis",
	.summary = "trace a Service layer by layer: selector, targetPort, "
		   "endpoints, kube-proxy rules, conntrack",
	.usage = "[options] SVC[:PORT] [--on NODE]",
	.min_args = 1,
	.max_args = 1,
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM,
	.options = trace_options,
	.complete_args = "service",
	.exec = exec_trace,
};
