/* SPDX-License-Identifier: MIT */
/*
 * knet diagnose FROM TO[:PORT[/PROTO]]: does FROM reach TO, and if not,
 * which layer is broken.  The layers are lib/'s (the resolver model,
 * the policy engine, svc trace, ingress match, ping, traceroute,
 * conntrack, capture and decode), run in order on the node pipeline,
 * each within a share of --timeout; knet_diag_verdict() says which one
 * explains what happened.  This file: the command, the API layers and
 * the checklist; diagnose-node.c: the layers from FROM's namespace.
 */
#include <arpa/inet.h>
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

/* --- the API layers --- */

static void split_ns(const char *spec, const char *def, char **ret_ns,
		     char **ret_name)
{
	const char *slash = strchr(spec, '/');

	*ret_ns = slash ? strndup(spec, (size_t)(slash - spec)) : strdup(def);
	*ret_name = strdup(slash ? slash + 1 : spec);
}

/* TO a URL: the Service the Ingress rule that wins sends it to. */
static int to_from_url(struct knet_ctx *ctx, struct diag *d)
{
	struct knet_ingress_list *l = NULL;
	struct knet_ingress_match *m = NULL;
	struct knet_error err = {0};
	struct knet_url u;
	int r;

	if (knet_url_parse(d->to, &u, &err) < 0)
		return knet_usage_error(ctx, "%s", err.reason);
	r = knet_ingress_list(ctx->api, NULL, NULL, &l, &err);
	if (r == 0)
		r = knet_ingress_match(
			(const struct knet_ingress *const *)l->items, l->n,
			NULL, NULL, &u, &m, &err);
	if (r < 0) {
		knet_ingress_list_free(l);
		return knet_fail(ctx, &err, "match", d->to);
	}
	if (m->winner < 0 ||
	    !m->c[m->winner].ing->paths[m->c[m->winner].path].service) {
		knet_error_set(&err, -ENOENT, KNET_EXIT_NOT_FOUND,
			       "no Ingress rule sends it to a Service");
		r = knet_fail(ctx, &err, "match", d->to);
	} else {
		const struct knet_ingress_candidate *c = &m->c[m->winner];
		const struct knet_ingress_path *p = &c->ing->paths[c->path];

		d->svc_ns = strdup(c->ing->meta.namespace);
		d->svc_name = strdup(p->service);
		d->port = p->port ? strdup(p->port) : NULL;
		knet_log(ctx, 1, "%s: Ingress %s/%s -> svc/%s:%s", d->to,
			 c->ing->meta.namespace, c->ing->meta.name, p->service,
			 p->port ? p->port : "");
		r = 0;
	}
	knet_ingress_match_free(m);
	knet_ingress_list_free(l);
	return r;
}

/*
 * What TO names, before the pipeline: a URL or a DNS name becomes the
 * Service it stands for (so policy, service and the probes see it), a
 * name that is no cluster name is probed at whatever DNS answers.
 */
static int interpret_to(struct knet_ctx *ctx, struct diag *d)
{
	const char *t = d->to_target;
	const char *ns = knet_ctx_namespace(ctx);
	int r;

	if (strstr(d->to, "://")) {
		r = to_from_url(ctx, d);
		if (r)
			return r;
	} else if (!strncmp(t, "svc/", 4)) {
		split_ns(t + 4, ns, &d->svc_ns, &d->svc_name);
	} else if (!strchr(t, '/') && strchr(t, '.') &&
		   knet_addr_parse(t, 0, &(struct sockaddr_storage){0},
				   &(socklen_t){0}) < 0) {
		struct knet_dns_intent in;

		d->dns_name = strdup(t);
		knet_dns_intent_of(t, d->from_ns, "cluster.local", &in);
		if (in.kind == KNET_DNS_NAME_SERVICE) {
			d->svc_ns = strdup(in.ns);
			d->svc_name = strdup(in.svc);
		} else if (in.kind != KNET_DNS_NAME_POD) {
			return knet_usage_error(
				ctx,
				"'%s' is not a cluster name (a Service or a "
				"pod's name under svc.cluster.local or "
				"pod.cluster.local)",
				t);
		}
		if (in.kind == KNET_DNS_NAME_POD &&
		    asprintf(&d->probe, "%s", in.pod_ip) < 0)
			return KNET_EXIT_SYSTEM;
	}
	if (d->svc_name) {
		snprintf(d->svc_label, sizeof(d->svc_label), "%s/%s", d->svc_ns,
			 d->svc_name);
		d->in.svc = d->svc_label;
		if (asprintf(&d->probe, "svc/%s/%s", d->svc_ns, d->svc_name) <
		    0)
			return KNET_EXIT_SYSTEM;
	} else if (!d->probe && !(d->probe = strdup(t))) {
		return KNET_EXIT_SYSTEM;
	}
	if (d->port || strcmp(d->proto, "TCP")) {
		char *p;

		if (asprintf(&p, "%s:%s%s", d->probe, d->port ? d->port : "",
			     strcmp(d->proto, "UDP") ? "" : "/udp") < 0)
			return KNET_EXIT_SYSTEM;
		free(d->probe);
		d->probe = p;
	}
	d->in.name = d->dns_name;
	return 0;
}

/* FROM: a pod that runs, with an IP; TO: what the pipeline resolved. */
static int layer_resolve(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	const struct knet_pod *p = job->src->place->pod;
	const struct knet_target *tg = job->tg;
	/* The pipeline resolved both ends: their time is this layer's. */
	long long t0 = d->t0;
	enum knet_diag_status st = KNET_DIAG_OK;
	char to[256] = "", port[24] = "";

	snprintf(d->from_ip, sizeof(d->from_ip), "%s",
		 p->ips.n ? p->ips.v[0] : "");
	snprintf(d->from_node, sizeof(d->from_node), "%s",
		 p->node ? p->node : "");
	if (tg->kind == KNET_TARGET_POD) {
		struct knet_pod *tp = NULL;
		struct knet_error err = {0};

		snprintf(d->to_pod, sizeof(d->to_pod), "%s/%s", tg->ns,
			 tg->name);
		d->in.to_pod = d->to_pod;

		if (knet_pod_get(ctx->api, tg->ns, tg->name, &tp, &err) == 0) {
			snprintf(to, sizeof(to), "pod %s/%s %s on %s%s", tg->ns,
				 tg->name, tg->ip, tp->node ? tp->node : "?",
				 tp->ready ? "" : " (not Ready)");
			if (!tp->ready)
				st = KNET_DIAG_WARN;
		}
		knet_pod_free(tp);
	} else if (tg->kind == KNET_TARGET_SERVICE) {
		snprintf(to, sizeof(to), "svc %s/%s %s (%s)", tg->ns, tg->name,
			 tg->ip, tg->via ? tg->via : "");
	} else {
		snprintf(to, sizeof(to), "%s", tg->ip);
	}
	if (!p->ready)
		st = KNET_DIAG_WARN;
	if (tg->portnum)
		snprintf(port, sizeof(port), ":%d%s", tg->portnum,
			 tg->udp ? "/udp" : "");
	diag_set(d, KNET_DIAG_RESOLVE, st, t0, "%s/%s %s on %s%s -> %s%s",
		 p->meta.namespace, p->meta.name, d->from_ip, d->from_node,
		 p->ready ? "" : " (not Ready)", to, port);
	return 0;
}

/* The first denial of a half, as evidence. */
static void denial_text(const struct knet_policy_verdict *v, char *buf,
			size_t len)
{
	const struct knet_policy_half *h =
		!v->egress.allowed ? &v->egress : &v->ingress;

	if (h->ndenied)
		snprintf(buf, len, "%s denied by %s/%s: %s",
			 h == &v->egress ? "egress" : "ingress",
			 h->denied[0].policy->meta.namespace,
			 h->denied[0].policy->meta.name,
			 h->denied[0].reason ? h->denied[0].reason : "");
	else
		snprintf(buf, len, "%s denied",
			 h == &v->egress ? "egress" : "ingress");
}

static int layer_policy(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct knet_manifest *m = knet_manifest_new();
	struct knet_policy *p = NULL;
	struct knet_policy_target from = {0}, to = {0};
	struct knet_error err = {0};
	long long t0 = knet_mono_us();
	unsigned missing = 0;
	int allowed = 0, denied = 0, r;
	char why[512] = "";
	char spec[320];

	if (!m)
		return -ENOMEM;
	r = knet_manifest_fetch(ctx->api, m, &missing, &err);
	if (r == 0)
		r = knet_policy_new_manifest(m, &p, &err);
	snprintf(spec, sizeof(spec), "%s/%s",
		 job->src->place->pod->meta.namespace,
		 job->src->place->pod->meta.name);
	if (r == 0)
		r = knet_policy_resolve(p, spec, d->from_ns, NULL, &from, &err);
	if (r == 0) {
		if (d->svc_name)
			snprintf(spec, sizeof(spec), "svc/%s/%s", d->svc_ns,
				 d->svc_name);
		else if (job->tg->kind == KNET_TARGET_POD)
			snprintf(spec, sizeof(spec), "%s/%s", job->tg->ns,
				 job->tg->name);
		else
			snprintf(spec, sizeof(spec), "%s", job->tg->ip);
		r = knet_policy_resolve(p, spec, d->from_ns, d->port, &to,
					&err);
	}
	for (int i = 0; r == 0 && i < from.n; i++)
		for (int j = 0; r == 0 && j < to.n; j++) {
			struct knet_policy_verdict v = {0};
			char port[16];

			/* A Service's backends: their target port. */
			snprintf(port, sizeof(port), "%d",
				 to.ends[j].port ? to.ends[j].port
						 : job->tg->portnum);
			r = knet_policy_check(
				p, &from.ends[i], &to.ends[j],
				to.ends[j].port || job->tg->portnum ? port
								    : NULL,
				d->proto, &v, &err);
			if (r == 0 && v.allowed)
				allowed++;
			else if (r == 0 && !denied++)
				denial_text(&v, why, sizeof(why));
			knet_policy_verdict_clear(&v);
		}
	if (r < 0)
		diag_set(d, KNET_DIAG_POLICY, KNET_DIAG_WARN, t0,
			 "not judged: %s", err.reason);
	else if (!to.n)
		diag_set(d, KNET_DIAG_POLICY, KNET_DIAG_SKIP, t0,
			 "no backends to judge");
	else if (denied && !allowed) {
		d->in.policy_denies = true;
		diag_set(d, KNET_DIAG_POLICY, KNET_DIAG_FAIL, t0, "%s", why);
	} else if (denied)
		diag_set(d, KNET_DIAG_POLICY, KNET_DIAG_WARN, t0,
			 "%d of %d backends denied: %s", denied,
			 denied + allowed, why);
	else
		diag_set(d, KNET_DIAG_POLICY, KNET_DIAG_OK, t0,
			 "allowed (%d pair%s)", allowed,
			 allowed == 1 ? "" : "s");
	knet_policy_target_clear(&from);
	knet_policy_target_clear(&to);
	knet_policy_free(p);
	knet_manifest_free(m);
	return 0;
}

static int layer_service(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct knet_pod_list *pods = NULL;
	struct knet_svc_trace *t = NULL;
	struct knet_error err = {0};
	long long t0 = knet_mono_us();
	int r;

	r = knet_service_get(ctx->api, d->svc_ns, d->svc_name, &d->svc, &err);
	if (r == 0)
		r = knet_pod_list(ctx->api, d->svc_ns, NULL, &pods, &err);
	if (r == 0)
		r = knet_endpoints_list(ctx->api, d->svc_ns, d->svc_name, NULL,
					&d->eps, &err);
	if (r == 0) {
		struct knet_svc_trace_in in = {
			.svc = d->svc,
			.port = d->port,
			.pods = pods,
			.se = knet_endpoints_list_find(d->eps, d->svc_ns,
						       d->svc_name),
		};

		r = knet_svc_trace_run(&in, &t, &err);
	}
	if (r < 0) {
		diag_set(d, KNET_DIAG_SERVICE, KNET_DIAG_WARN, t0,
			 "not traced: %s", err.reason);
	} else if (t->first_broken >= 0) {
		const char *text = t->detail[t->first_broken];

		for (int i = 0; i < t->nfindings; i++)
			if (t->findings[i].problem) {
				text = t->findings[i].text;
				break;
			}
		diag_set(d, KNET_DIAG_SERVICE, KNET_DIAG_FAIL, t0, "%s: %s",
			 knet_trace_layer_name(t->first_broken), text);
	} else {
		const char *warn = NULL;

		/* A warning says more than the summary line. */
		for (int i = 0; i < t->nfindings && !warn; i++)
			if (!t->findings[i].problem)
				warn = t->findings[i].text;
		diag_set(d, KNET_DIAG_SERVICE,
			 warn ? KNET_DIAG_WARN : KNET_DIAG_OK, t0, "%s",
			 warn ? warn : t->summary);
	}
	knet_svc_trace_free(t);
	knet_pod_list_free(pods);
	knet_error_clear(&err);
	return 0;
}

int diag_api_layers(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	int r = layer_resolve(ctx, job);

	if (r == 0 && diag_wants(d, KNET_DIAG_POLICY))
		r = layer_policy(ctx, job);
	if (r == 0 && d->svc_name && diag_wants(d, KNET_DIAG_SERVICE))
		r = layer_service(ctx, job);
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
	cJSON_AddBoolToObject(doc, "reachable",
			      d->in.r[KNET_DIAG_REACH].status == KNET_DIAG_OK);
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
	return print_result(ctx, d);
}

/* Before entering: the API layers, then the node's own handles. */
static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	int r = diag_api_layers(ctx, job);

	return r ? r : diag_node_prepare(ctx, job);
}

static void diag_free(struct diag *d)
{
	diag_node_free(d);
	knet_ct_service_free(d->cts);
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

/*
 * A pod that exists but does not run (Pending, no IP): the resolve
 * layer's FAIL and the verdict, not the pipeline's error.  1 when it
 * said so, 0 to go on (an unknown pod is the pipeline's exit 3).
 */
static int pod_runs(struct knet_ctx *ctx, struct diag *d, const char *ns,
		    const char *name, const char *what)
{
	struct knet_pod *p = NULL;
	struct knet_error err = {0};
	int r = 0;

	if (knet_pod_get(ctx->api, ns, name, &p, &err) < 0)
		return 0;
	if (strcmp(p->phase ? p->phase : "", "Running") || !p->ips.n) {
		diag_set(d, KNET_DIAG_RESOLVE, KNET_DIAG_FAIL, d->t0,
			 "%s %s/%s is %s%s%s", what, ns, name,
			 p->phase ? p->phase : "in no phase",
			 p->ips.n ? "" : ", without an IP",
			 p->node ? "" : ", on no node");
		r = 1;
	}
	knet_pod_free(p);
	return r;
}

/* FROM (and a pod TO) before the pipeline, which needs them running. */
static int ends_run(struct knet_ctx *ctx, struct diag *d)
{
	struct knet_target *t = NULL;
	struct knet_error err = {0};
	char *ns = NULL, *name = NULL;
	int r;

	split_ns(d->from, knet_ctx_namespace(ctx), &ns, &name);
	r = ns && name ? pod_runs(ctx, d, ns, name, "FROM") : 0;
	if (r == 0 && !d->svc_name &&
	    knet_target_parse(d->probe, knet_ctx_namespace(ctx), &t, &err) ==
		    0 &&
	    t->kind == KNET_TARGET_POD)
		r = pod_runs(ctx, d, t->ns, t->name, "TO");
	knet_target_free(t);
	free(ns);
	free(name);
	return r;
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
	r = knet_ctx_api_setup(ctx);
	if (r)
		goto out;
	split_ns(d.from, knet_ctx_namespace(ctx), &d.from_ns, &ignored);
	free(ignored);
	r = interpret_to(ctx, &d);
	if (r)
		goto out;
	if (ends_run(ctx, &d)) {
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
