/* SPDX-License-Identifier: MIT */
/*
 * knet diagnose, the layers that ask only the API: what TO names (a URL
 * through ingress match, a DNS name through the resolver model), that
 * FROM and TO run, the policy verdict and svc trace's findings.  Each
 * is lib/'s call; this file gathers its objects and fills the row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diagnose.h"
#include "kube-proxy.h"
#include "knet/node.h"
#include "knet/objects.h"

void diag_split_ns(const char *spec, const char *def, char **ret_ns,
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

/* A name that ends in ".svc" or ".svc." and more says it is the cluster's. */
static bool says_svc(const char *name)
{
	for (const char *p = name; (p = strstr(p, ".svc")); p += 4)
		if (p[4] == '\0' || p[4] == '.')
			return true;
	return false;
}

/*
 * Whether a name the search list would read as a Service is one: it
 * says so (".svc"), or the Service is there.  "example.com" reads as
 * Service "example" in namespace "com" and, when the cluster has none,
 * is a name outside it.  1 a Service, 0 not, or minus the exit status
 * when the API failed (said).
 */
static int cluster_service(struct knet_ctx *ctx, const char *name,
			   const struct knet_dns_intent *in)
{
	struct knet_service *svc = NULL;
	struct knet_error err = {0};
	int r;

	if (says_svc(name))
		return 1;
	/* A remote run without an API: the caller decided, and sent a
	 * target only for a cluster name. */
	if (!ctx->api)
		return ctx->g.target_fact ? 1 : 0;
	r = knet_service_get(ctx->api, in->ns, in->svc, &svc, &err);
	knet_service_free(svc);
	if (r == 0)
		return 1;
	if (r == -ENOENT || err.code == KNET_EXIT_NOT_FOUND ||
	    err.code == KNET_EXIT_USAGE)
		return 0;
	return -knet_fail(ctx, &err, "look up Service", in->svc);
}

/*
 * What TO names, before the pipeline: a URL or a DNS name becomes the
 * Service it stands for (so policy, service and the probes see it); a
 * name outside the cluster is looked up from FROM and probed at its
 * answer.
 */
int diag_interpret_to(struct knet_ctx *ctx, struct diag *d)
{
	const char *t = d->to_target;
	const char *ns = knet_ctx_namespace(ctx);
	int r;

	if (strstr(d->to, "://")) {
		r = to_from_url(ctx, d);
		if (r)
			return r;
	} else if (!strncmp(t, "svc/", 4)) {
		diag_split_ns(t + 4, ns, &d->svc_ns, &d->svc_name);
	} else if (!strchr(t, '/') && strchr(t, '.') &&
		   knet_addr_parse(t, 0, &(struct sockaddr_storage){0},
				   &(socklen_t){0}) < 0) {
		struct knet_dns_intent in;

		d->dns_name = strdup(t);
		knet_dns_intent_of(t, d->from_ns, "cluster.local", &in);
		r = in.kind == KNET_DNS_NAME_SERVICE
			    ? cluster_service(ctx, t, &in)
			    : 0;
		if (r < 0)
			return -r;
		if (r > 0) {
			d->svc_ns = strdup(in.ns);
			d->svc_name = strdup(in.svc);
		} else if (in.kind == KNET_DNS_NAME_POD) {
			if (asprintf(&d->probe, "%s", in.pod_ip) < 0)
				return KNET_EXIT_SYSTEM;
		} else {
			/* Resolved from FROM in prepare, as it would. */
			d->external = true;
			d->in.name = d->dns_name;
			return 0;
		}
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
	} else if (d->external) {
		snprintf(to, sizeof(to), "%s %s (from FROM's DNS)", d->dns_name,
			 tg->ip);
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
	const char *nss[2];
	int allowed = 0, denied = 0, nns = 0, r;
	char why[512] = "";
	char spec[320];

	if (!m)
		return -ENOMEM;
	/*
	 * FROM's and TO's namespaces are all a verdict between them reads:
	 * listing every pod of a large cluster would cost seconds.  An IP
	 * may be any namespace's pod: then the whole cluster.
	 */
	nss[nns++] = job->src->place->pod->meta.namespace;
	if (d->svc_name)
		nss[nns++] = d->svc_ns;
	else if (job->tg->kind == KNET_TARGET_POD)
		nss[nns++] = job->tg->ns;
	if (nns == 2)
		r = knet_manifest_fetch_in(ctx->api, m, nss, nns, &missing,
					   &err);
	else
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
			.node = d->from_node,
		};

		/* Here, in FROM's node's namespace, as root: its rules;
		 * or those a remote run without an API read there. */
		if (!d->kp_given)
			kube_proxy_read(ctx, d->from_node, &d->kp);
		in.proxy_mode = d->kp.mode;
		in.ipt = d->kp.ipt;

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
int diag_ends_run(struct knet_ctx *ctx, struct diag *d)
{
	struct knet_target *t = NULL;
	struct knet_error err = {0};
	char *ns = NULL, *name = NULL;
	int r;

	diag_split_ns(d->from, knet_ctx_namespace(ctx), &ns, &name);
	r = ns && name ? pod_runs(ctx, d, ns, name, "FROM") : 0;
	if (r == 0 && !d->svc_name && d->probe &&
	    knet_target_parse(d->probe, knet_ctx_namespace(ctx), &t, &err) ==
		    0 &&
	    t->kind == KNET_TARGET_POD)
		r = pod_runs(ctx, d, t->ns, t->name, "TO");
	knet_target_free(t);
	free(ns);
	free(name);
	return r;
}
