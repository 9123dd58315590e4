/* SPDX-License-Identifier: MIT */
/*
 * knet diagnose FROM TO[:PORT[/PROTO]]: does FROM reach TO, and if not,
 * which layer is broken.  The layers are lib/'s (the resolver model,
 * the policy engine, svc trace, ingress match, ping, traceroute,
 * conntrack, capture and decode), run in order on the node pipeline,
 * each within a share of --timeout; knet_diag_verdict() says which one
 * explains what happened.  This file: the command and the checklist;
 * diagnose-api.c: the layers that ask the API; diagnose-node.c: the
 * layers from FROM's namespace and node.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "diagnose.h"
#include "knet/node.h"
#include "knet/objects.h"

enum {
	COL_LAYER,
	COL_STATUS,
	COL_TIME,
	COL_EVIDENCE,
	NCOLS,
};

static const struct knet_column cols[] = {
	[COL_LAYER] = {"LAYER", "layer", KNET_CELL_STR, 0, 0},
	[COL_STATUS] = {"STATUS", "status", KNET_CELL_STR, 0, 0},
	[COL_TIME] = {"TIME", "time_us", KNET_CELL_USEC, KNET_COL_RIGHT, 0},
	[COL_EVIDENCE] = {"EVIDENCE", "evidence", KNET_CELL_STR, 0, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static const struct knet_opt diagnose_options[] = {
	{"timeout", 0, KNET_OPT_NUMBER, "SECONDS",
	 "total time budget, shared by the layers (default 8)", NULL, 0.5, 600,
	 NULL},
	{"no-capture", 0, KNET_OPT_FLAG, NULL, "no packet capture on failure",
	 NULL, 0, 0, NULL},
	{"layers", 0, KNET_OPT_STRING, "LIST",
	 "only these layers (resolve,dns,policy,service,reachability,path,"
	 "conntrack,packets)",
	 NULL, 0, 0, NULL},
	KNET_NODE_RUN_AS_OPTION,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

bool diag_wants(const struct diag *d, enum knet_diag_layer l)
{
	return d->layers & (1u << l);
}

long long diag_left_us(const struct diag *d)
{
	long long left = d->deadline - knet_mono_us();

	return left > 0 ? left : 0;
}

void diag_set(struct diag *d, enum knet_diag_layer l, enum knet_diag_status st,
	      long long t0, const char *fmt, ...)
{
	struct knet_diag_result *r = &d->in.r[l];
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->evidence, sizeof(r->evidence), fmt, ap);
	va_end(ap);
	r->time_us = t0 ? knet_mono_us() - t0 : 0;
	d->done[l] = true;
}

/* --layers LIST into a mask; -EINVAL names the unknown layer. */
static int parse_layers(struct knet_ctx *ctx, const char *list, unsigned *ret)
{
	char *copy, *save = NULL;
	int r = 0;

	*ret = (1u << KNET_DIAG_NLAYERS) - 1;
	if (!list)
		return 0;
	copy = strdup(list);
	if (!copy)
		return KNET_EXIT_SYSTEM;
	*ret = 1u << KNET_DIAG_RESOLVE; /* what every other layer needs */
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int l = knet_diag_layer_parse(t);

		if (l < 0) {
			r = knet_usage_error(ctx, "unknown layer '%s'", t);
			break;
		}
		*ret |= 1u << l;
	}
	free(copy);
	return r;
}

/* --- the checklist --- */

static cJSON *doc_of(const struct diag *d, struct knet_table *t)
{
	cJSON *doc = cJSON_CreateObject(), *layers = cJSON_CreateArray();
	cJSON *v = cJSON_CreateObject();

	if (!doc || !layers || !v) {
		cJSON_Delete(doc);
		cJSON_Delete(layers);
		cJSON_Delete(v);
		return NULL;
	}
	cJSON_AddStringToObject(doc, "kind", "Diagnosis");
	cJSON_AddStringToObject(doc, "from", d->from);
	cJSON_AddStringToObject(doc, "to", d->to);
	/* null: not probed (--layers, or the ends did not resolve). */
	if (!d->done[KNET_DIAG_REACH] ||
	    d->in.r[KNET_DIAG_REACH].status == KNET_DIAG_SKIP)
		cJSON_AddNullToObject(doc, "reachable");
	else
		cJSON_AddBoolToObject(doc, "reachable",
				      d->in.r[KNET_DIAG_REACH].status !=
					      KNET_DIAG_FAIL);
	for (int i = 0; i < knet_table_nrows(t); i++)
		cJSON_AddItemToArray(layers, knet_table_row_json(t, i));
	cJSON_AddItemToObject(doc, "layers", layers);
	if (d->v.layer >= 0)
		cJSON_AddStringToObject(v, "layer",
					knet_diag_layer_name(d->v.layer));
	else
		cJSON_AddNullToObject(v, "layer");
	cJSON_AddStringToObject(v, "reason", d->v.reason);
	cJSON_AddStringToObject(v, "next", d->v.next);
	cJSON_AddBoolToObject(v, "contradiction", d->v.contradiction);
	cJSON_AddItemToObject(doc, "verdict", v);
	cJSON_AddNumberToObject(doc, "time_us",
				(double)(knet_mono_us() - d->t0));
	/* A name outside the cluster: the address FROM's DNS gave. */
	if (d->external && d->ext_ip[0])
		cJSON_AddStringToObject(doc, "external_ip", d->ext_ip);
	return doc;
}

static int print_result(struct knet_ctx *ctx, struct diag *d)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_table *t = NULL;
	int r;

	if (knet_table_new(cols, &o, &t) < 0)
		return KNET_EXIT_SYSTEM;
	for (int l = 0; l < KNET_DIAG_NLAYERS; l++) {
		const struct knet_diag_result *res = &d->in.r[l];
		enum knet_diag_status st =
			d->done[l] ? res->status : KNET_DIAG_SKIP;

		knet_table_add_row(t);
		knet_table_set_str(t, COL_LAYER, knet_diag_layer_name(l));
		knet_table_set_str(t, COL_STATUS, knet_diag_status_name(st));
		knet_table_set_tone(t, COL_STATUS,
				    st == KNET_DIAG_OK	   ? KNET_TONE_GOOD
				    : st == KNET_DIAG_WARN ? KNET_TONE_WARN
				    : st == KNET_DIAG_FAIL ? KNET_TONE_BAD
							   : KNET_TONE_DIM);
		knet_table_set_usec(t, COL_TIME, res->time_us);
		knet_table_set_str(t, COL_EVIDENCE,
				   d->done[l] ? res->evidence : "");
	}
	if (ctx->g.format == KNET_FMT_JSON) {
		/* One line: it also travels as a JSON line (transport). */
		cJSON *doc = doc_of(d, t);
		char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;

		r = s ? 0 : -ENOMEM;
		if (s)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(doc);
	} else {
		r = knet_table_render(t);
		if (r == 0 && d->remote_node)
			printf("\n(%s runs on node %s: the checks ran there, "
			       "through the node transport)\n",
			       d->from, d->remote_node);
		if (r == 0 && d->v.layer >= 0)
			printf("\nverdict: %s: %s\nnext: %s\n",
			       knet_diag_layer_name(d->v.layer), d->v.reason,
			       d->v.next);
		else if (r == 0)
			printf("\nverdict: %s reaches %s (%.0f ms)\n", d->from,
			       d->to, (double)(knet_mono_us() - d->t0) / 1000);
	}
	knet_table_free(t);
	if (r < 0)
		return KNET_EXIT_SYSTEM;
	return d->v.problem ? KNET_EXIT_PROBLEM : KNET_EXIT_OK;
}

static int summary(struct knet_ctx *ctx, struct knet_node_job *job, int status)
{
	struct diag *d = job->data;

	if (status)
		return status;
	if (d->node_only && kube_proxy_send(ctx, &d->kp) < 0)
		return KNET_EXIT_SYSTEM;
	for (int l = 0; l < KNET_DIAG_NLAYERS; l++)
		if (!d->done[l])
			d->in.r[l].status = KNET_DIAG_SKIP;
	knet_diag_verdict(&d->in, &d->v);
	return print_result(ctx, d);
}

/* The other node's knet ran every layer: its document is the result. */
static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	struct diag *d = job->data;
	cJSON *o = knet_node_remote_json(line);

	(void)ctx;
	if (o && d->judge_here &&
	    !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "event")) ?: "",
		    "rules")) {
		d->kp_given = true;
		if (kube_proxy_take(&d->kp, o) < 0)
			knet_error_set(&job->err, -ENOMEM, KNET_EXIT_SYSTEM,
				       "out of memory");
		cJSON_Delete(o);
		return job->err.code;
	}
	if (o && cJSON_GetObjectItem(o, "verdict")) {
		cJSON_Delete(d->remote);
		d->remote = o;
	} else {
		cJSON_Delete(o);
	}
	return 0;
}

/* A layer row and the verdict of the remote document, back into @d. */
static void from_remote(struct diag *d)
{
	const cJSON *row, *v = cJSON_GetObjectItem(d->remote, "verdict");
	const char *s;

	cJSON_ArrayForEach(row, cJSON_GetObjectItem(d->remote, "layers"))
	{
		int l = knet_diag_layer_parse(
			cJSON_GetStringValue(cJSON_GetObjectItem(row, "layer"))
				?: "");
		int st = knet_diag_status_parse(
			cJSON_GetStringValue(cJSON_GetObjectItem(row, "status"))
				?: "");
		const cJSON *us = cJSON_GetObjectItem(row, "time_us");

		if (l < 0 || st < 0)
			continue;
		s = cJSON_GetStringValue(cJSON_GetObjectItem(row, "evidence"));
		snprintf(d->in.r[l].evidence, sizeof(d->in.r[l].evidence), "%s",
			 s ? s : "");
		d->in.r[l].status = (enum knet_diag_status)st;
		d->in.r[l].time_us =
			cJSON_IsNumber(us) ? (long long)us->valuedouble : 0;
		d->done[l] = st != KNET_DIAG_SKIP;
	}
	s = cJSON_GetStringValue(cJSON_GetObjectItem(v, "layer"));
	d->v.layer = s ? knet_diag_layer_parse(s) : -1;
	d->v.problem = d->v.layer >= 0;
	snprintf(d->v.reason, sizeof(d->v.reason), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(v, "reason")) ?: "");
	snprintf(d->v.next, sizeof(d->v.next), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(v, "next")) ?: "");
	d->v.contradiction =
		cJSON_IsTrue(cJSON_GetObjectItem(v, "contradiction"));
}

static int remote_end(struct knet_ctx *ctx, struct knet_node_job *job,
		      int status)
{
	struct diag *d = job->data;

	if (!d->remote || status > KNET_EXIT_PROBLEM)
		return status ? status : KNET_EXIT_SYSTEM;
	from_remote(d);
	d->remote_node = job->src->remote_node;
	/* An external TO: the address the remote run's lookup found. */
	const char *ip = cJSON_GetStringValue(
		cJSON_GetObjectItem(d->remote, "external_ip"));

	if (d->external && ip)
		snprintf(d->ext_ip, sizeof(d->ext_ip), "%s", ip);
	if (d->judge_here) {
		/* Its layers had no API: ours, with its node's rules, and
		 * the verdict over all of them.  An external TO is probed
		 * at the address it found (none: its dns layer says why). */
		int r = 0;

		if (d->external && ip && diag_external_target(ctx, job) < 0)
			return knet_fail(ctx, &job->err, "resolve", ip);
		if (!d->external || ip)
			r = diag_api_layers(ctx, job);
		if (r)
			return r;
		for (int l = 0; l < KNET_DIAG_NLAYERS; l++)
			if (!d->done[l])
				d->in.r[l].status = KNET_DIAG_SKIP;
		knet_diag_verdict(&d->in, &d->v);
	}
	return print_result(ctx, d);
}

/*
 * A remote run without an API: FROM as the caller found it, this node's
 * rules for the caller's service layer (read as root, now), then the
 * node's own handles.  The API layers are the caller's.
 */
static int prepare_node_only(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	const struct knet_pod *p = job->src->place->pod;

	snprintf(d->from_ip, sizeof(d->from_ip), "%s",
		 p->ips.n ? p->ips.v[0] : "");
	snprintf(d->from_node, sizeof(d->from_node), "%s",
		 p->node ? p->node : "");
	if (diag_wants(d, KNET_DIAG_SERVICE) &&
	    job->tg->kind == KNET_TARGET_SERVICE)
		kube_proxy_read(ctx, d->from_node, &d->kp);
	return diag_node_prepare(ctx, job);
}

/*
 * Before entering: an external TO's address (the verdict when it has
 * none), the API layers, then the node's own handles.
 */
static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	int r = 0;

	if (d->external) {
		r = diag_external_resolve(ctx, job);
		if (r > 0)
			return summary(ctx, job, 0);
	}
	if (r == 0 && d->node_only)
		return prepare_node_only(ctx, job);
	if (r == 0)
		r = diag_api_layers(ctx, job);
	return r ? r : diag_node_prepare(ctx, job);
}

static void diag_free(struct diag *d)
{
	diag_node_free(d);
	knet_ct_service_free(d->cts);
	kube_proxy_clear(&d->kp);
	knet_endpoints_list_free(d->eps);
	knet_service_free(d->svc);
	cJSON_Delete(d->remote);
	free(d->to_target);
	free(d->port);
	free(d->svc_ns);
	free(d->svc_name);
	free(d->dns_name);
	free(d->probe);
	free(d->from_ns);
}

static int exec_diagnose(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct diag d = {.args = args, .in.reach = KNET_PING_TIMEOUT};
	struct knet_node_job job;
	char *ignored = NULL;
	int r;

	if (ctx->g.format == KNET_FMT_NAME)
		return knet_usage_error(ctx, "a diagnosis has no names to "
					     "print: use -o table, wide or "
					     "json");
	d.t0 = knet_mono_us();
	d.from = args->pos[0];
	d.to = args->pos[1];
	d.in.from = d.from;
	d.in.to = d.to;
	d.budget = knet_args_number(args, "timeout", 8.0);
	d.deadline = d.t0 + (long long)(d.budget * 1e6);
	d.no_capture = knet_args_has(args, "no-capture");
	r = parse_layers(ctx, knet_args_str(args, "layers", NULL), &d.layers);
	if (r)
		return r;
	if (strstr(d.to, "://")) {
		d.to_target = strdup(d.to);
		snprintf(d.proto, sizeof(d.proto), "TCP");
	} else if (knet_policy_split_target(d.to, &d.to_target, &d.port,
					    d.proto) < 0) {
		return knet_usage_error(
			ctx, "'%s' is not TARGET[:PORT[/PROTO]]", d.to);
	}
	/*
	 * The caller found what TO means: its target fact says it.  A URL
	 * names an Ingress (the API's); the rest reads without one here.
	 */
	d.node_only = ctx->g.no_api;
	if (d.node_only && strstr(d.to, "://") &&
	    !(d.probe = strdup(d.to_target))) {
		r = KNET_EXIT_SYSTEM;
		goto out;
	}
	r = d.node_only ? 0 : knet_ctx_api_setup(ctx);
	if (r)
		goto out;
	diag_split_ns(d.from, knet_ctx_namespace(ctx), &d.from_ns, &ignored);
	free(ignored);
	r = d.probe ? 0 : diag_interpret_to(ctx, &d);
	if (r)
		goto out;
	d.judge_here = knet_node_remote_no_api(ctx);
	if (!d.node_only && diag_ends_run(ctx, &d)) {
		knet_diag_verdict(&d.in, &d.v);
		r = print_result(ctx, &d);
		goto out;
	}
	knet_node_job_init(&job, ctx, args);
	job.verb = "diagnose";
	job.verb_from = "diagnose from";
	job.find_verb = "find the source";
	job.so.from = d.from;
	job.target = d.probe;
	job.prepare = prepare;
	job.open = diag_node_open;
	job.run = diag_node_run;
	job.summary = summary;
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.data = &d;
	r = knet_node_run(ctx, &job);
	knet_node_job_clear(&job);
out:
	diag_free(&d);
	return r;
}

const struct knet_cmd knet_cmd_diagnose = {
	.name = "diagnose",
	.alias = NULL,
	.group = "analysis",
	.summary = "does FROM reach TO, and if not, which layer is broken",
	.usage = "[options] FROM TO[:PORT[/PROTO]]",
	.min_args = 2,
	.max_args = 2,
	.flags = KNET_CMD_ROOT,
	.options = diagnose_options,
	.complete_args = "target",
	.exec = exec_diagnose,
};
