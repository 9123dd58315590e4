/* SPDX-License-Identifier: MIT */
/*
 * knet svc trace, the API's layers: the Service, its selector against
 * the pods (and the closest pods when none match), targetPort against
 * the containers' ports, and the endpoints, ready or not and why.  The
 * node's layers (kube-proxy, conntrack) are in svc-trace-proxy.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc-trace-internal.h"

const char *knet_trace_layer_name(enum knet_trace_layer l)
{
	static const char *const names[] = {
		[KNET_TRACE_SERVICE] = "service",
		[KNET_TRACE_SELECTOR] = "selector",
		[KNET_TRACE_TARGETPORT] = "targetPort",
		[KNET_TRACE_ENDPOINTS] = "endpoints",
		[KNET_TRACE_KUBE_PROXY] = "kube-proxy",
		[KNET_TRACE_CONNTRACK] = "conntrack",
	};

	return l < KNET_TRACE_NLAYERS ? names[l] : "?";
}

const char *knet_trace_status_name(enum knet_trace_status s)
{
	switch (s) {
	case KNET_TRACE_OK:
		return "ok";
	case KNET_TRACE_WARN:
		return "warn";
	case KNET_TRACE_FAIL:
		return "fail";
	case KNET_TRACE_SKIPPED:
		return "skipped";
	}
	return "?";
}

int trace_find(struct trace_ctx *c, enum knet_trace_layer l, bool problem,
	       const char *fmt, ...)
{
	struct knet_svc_trace *t = c->t;
	struct knet_trace_finding *f, *g;
	va_list ap;

	g = realloc(t->findings, ((size_t)t->nfindings + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	t->findings = g;
	f = &g[t->nfindings++];
	f->layer = l;
	f->problem = problem;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	/* A layer not checked stays so; the finding says why. */
	if ((problem || t->status[l] != KNET_TRACE_SKIPPED) &&
	    t->status[l] < (problem ? KNET_TRACE_FAIL : KNET_TRACE_WARN))
		t->status[l] = problem ? KNET_TRACE_FAIL : KNET_TRACE_WARN;
	return 0;
}

void trace_set(struct trace_ctx *c, enum knet_trace_layer l,
	       enum knet_trace_status s, const char *fmt, ...)
{
	va_list ap;

	if (s != KNET_TRACE_OK || c->t->status[l] == KNET_TRACE_SKIPPED)
		c->t->status[l] = s;
	va_start(ap, fmt);
	vsnprintf(c->t->detail[l], sizeof(c->t->detail[l]), fmt, ap);
	va_end(ap);
}

bool trace_ep_of_port(const struct knet_endpoint *e,
		      const struct knet_service_port *p, int nports)
{
	if (!e->port)
		return false;
	if (e->port_name && p->name)
		return !strcmp(e->port_name, p->name);
	/* Unnamed: the one port of a one-port Service. */
	return !e->port_name && (!p->name || nports == 1);
}

struct knet_trace_endpoint *trace_endpoint(struct trace_ctx *c, const char *ip,
					   int port)
{
	struct knet_svc_trace *t = c->t;
	struct knet_trace_endpoint *e, *g;

	for (int i = 0; i < t->neps; i++)
		if (t->eps[i].port == port && !strcmp(t->eps[i].ip, ip))
			return &t->eps[i];
	if (t->neps % 64 == 0) {
		g = realloc(t->eps, ((size_t)t->neps + 64) * sizeof(*g));
		if (!g)
			return NULL;
		t->eps = g;
	}
	e = &t->eps[t->neps++];
	memset(e, 0, sizeof(*e));
	snprintf(e->ip, sizeof(e->ip), "%s", ip);
	e->port = port;
	return e;
}

int trace_ports(struct trace_ctx *c,
		int (*one)(struct trace_ctx *c,
			   const struct knet_service_port *sp, char *detail,
			   size_t size),
		const char *sep, char *all, size_t size)
{
	size_t o = 0;
	int r = 0;

	all[0] = '\0';
	for (int i = 0; r == 0 && i < c->nports; i++) {
		char detail[256];
		int n;

		detail[0] = '\0';
		r = one(c, c->ports[i], detail, sizeof(detail));
		n = snprintf(all + o, size - o, "%s%s", i ? sep : "", detail);
		if (n > 0 && (size_t)n < size - o)
			o += (size_t)n;
	}
	return r;
}

/* --- 1. the Service --- */

static void service_layer(struct trace_ctx *c)
{
	const struct knet_service *s = c->in->svc;
	char ports[256] = "", *sel = knet_labels_format(&s->selector);
	size_t o = 0;

	for (int i = 0; i < c->nports && o < sizeof(ports); i++) {
		const struct knet_service_port *p = c->ports[i];
		int n = snprintf(ports + o, sizeof(ports) - o, "%s%s%s%d/%s",
				 i ? ", " : "", p->name ? p->name : "",
				 p->name ? " " : "", p->port, p->protocol);

		if (n > 0)
			o += (size_t)n;
		if (o < sizeof(ports) && p->target_port)
			o += (size_t)snprintf(ports + o, sizeof(ports) - o,
					      "->%s", p->target_port);
		if (o < sizeof(ports) && p->node_port)
			o += (size_t)snprintf(ports + o, sizeof(ports) - o,
					      " nodePort %d", p->node_port);
	}
	trace_set(c, KNET_TRACE_SERVICE, KNET_TRACE_OK,
		  "%s %s, %s; selector %s; sessionAffinity %s%s%s",
		  s->type ? s->type : "ClusterIP",
		  s->headless	     ? "headless"
		  : s->cluster_ips.n ? s->cluster_ips.v[0]
		  : s->external_name ? s->external_name
				     : "-",
		  ports, s->has_selector && sel && *sel ? sel : "none",
		  s->session_affinity ? s->session_affinity : "None",
		  s->external_traffic_policy ? ", externalTrafficPolicy " : "",
		  s->external_traffic_policy ? s->external_traffic_policy : "");
	free(sel);
	if (s->external_name)
		trace_find(c, KNET_TRACE_SERVICE, false,
			   "ExternalName %s: a DNS CNAME, no endpoints and no "
			   "kube-proxy rules to trace",
			   s->external_name);
}

/* --- 2. the selector --- */

static bool selected(const struct knet_service *s, const struct knet_pod *p)
{
	return s->has_selector && s->selector.n &&
	       knet_labels_match(&s->selector, &p->meta.labels);
}

static int common_prefix(const char *a, const char *b)
{
	int n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

/*
 * How close @p is to @sel: the pairs it has, then (a tie-break) the
 * keys it has with another value and how alike the values are
 * ("web" is closer to "web-v2" than "idle").  @why says what differs.
 */
static int closeness(const struct knet_labels *sel, const struct knet_pod *p,
		     char *why, size_t size)
{
	size_t o = 0;
	int same = 0;

	why[0] = '\0';
	for (int i = 0; i < sel->n; i++) {
		const char *v =
			knet_labels_get(&p->meta.labels, sel->kv[i].key);
		int n = 0;

		if (v && !strcmp(v, sel->kv[i].value)) {
			same += 10000;
			continue;
		}
		if (v)
			same += 100 + common_prefix(v, sel->kv[i].value);
		if (v)
			n = snprintf(why + o, size - o, "%s%s=%s, not %s",
				     o ? "; " : "", sel->kv[i].key, v,
				     sel->kv[i].value);
		else
			n = snprintf(why + o, size - o, "%sno label %s",
				     o ? "; " : "", sel->kv[i].key);
		if (n > 0 && (size_t)n < size - o)
			o += (size_t)n;
	}
	return same;
}

static int selector_layer(struct trace_ctx *c)
{
	const struct knet_service *s = c->in->svc;
	const struct knet_pod_list *pods = c->in->pods;
	char *sel = knet_labels_format(&s->selector);
	int n = 0, best = -1, r = 0;
	const struct knet_pod *closest = NULL;
	char why[256] = "", w[256];

	if (!s->has_selector || !s->selector.n) {
		trace_set(c, KNET_TRACE_SELECTOR, KNET_TRACE_SKIPPED,
			  "no selector: the endpoints are written by hand");
		free(sel);
		return 0;
	}
	for (int i = 0; pods && i < pods->n; i++) {
		const struct knet_pod *p = pods->items[i];
		int k;

		if (selected(s, p)) {
			n++;
			continue;
		}
		k = closeness(&s->selector, p, w, sizeof(w));
		if (k > best) {
			best = k;
			closest = p;
			snprintf(why, sizeof(why), "%s", w);
		}
	}
	trace_set(c, KNET_TRACE_SELECTOR, KNET_TRACE_OK, "%d %s %s", n,
		  n == 1 ? "pod matches" : "pods match", sel ? sel : "");
	if (n == 0 && closest)
		r = trace_find(c, KNET_TRACE_SELECTOR, true,
			       "no pod in namespace %s matches %s; closest: "
			       "%s/%s (%s)",
			       s->meta.namespace, sel ? sel : "",
			       closest->meta.namespace, closest->meta.name,
			       why);
	else if (n == 0)
		r = trace_find(c, KNET_TRACE_SELECTOR, true,
			       "no pod in namespace %s matches %s, and the "
			       "namespace has no pods",
			       s->meta.namespace, sel ? sel : "");
	free(sel);
	return r;
}

/* --- 3. targetPort --- */

static const struct knet_container_port *named_port(const struct knet_pod *p,
						    const char *name)
{
	for (int i = 0; i < p->nports; i++)
		if (p->ports[i].name && !strcmp(p->ports[i].name, name))
			return &p->ports[i];
	return NULL;
}

static const struct knet_container_port *number_port(const struct knet_pod *p,
						     int port)
{
	for (int i = 0; i < p->nports; i++)
		if (p->ports[i].port == port)
			return &p->ports[i];
	return NULL;
}

static bool is_number(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int targetport_one(struct trace_ctx *c,
			  const struct knet_service_port *sp, char *detail,
			  size_t size)
{
	const struct knet_pod_list *pods = c->in->pods;
	const char *tp = sp->target_port;
	bool named = tp && !is_number(tp);
	int want = tp && !named ? atoi(tp) : sp->port;
	int pods_n = 0, missing = 0, proto_bad = 0, number = 0, r = 0;
	const char *example = NULL, *bad_proto = NULL;

	for (int i = 0; pods && i < pods->n; i++) {
		const struct knet_pod *p = pods->items[i];
		const struct knet_container_port *cp;

		if (!selected(c->in->svc, p))
			continue;
		pods_n++;
		cp = named ? named_port(p, tp) : number_port(p, want);
		if (!cp) {
			missing++;
			example = example ? example : p->meta.name;
			continue;
		}
		if (!number)
			number = cp->port;
		if (strcasecmp(cp->protocol, sp->protocol)) {
			proto_bad++;
			bad_proto = cp->protocol;
		}
	}
	snprintf(detail, size, "%s -> %s%s%s", sp->name ? sp->name : "port",
		 named ? tp : "", named ? " " : "", "");
	if (named && number)
		snprintf(detail, size, "%d -> %s (port %d)", sp->port, tp,
			 number);
	else if (named)
		snprintf(detail, size, "%d -> %s (no such port)", sp->port, tp);
	else
		snprintf(detail, size, "%d -> %d", sp->port, want);
	if (!pods_n)
		return 0;
	if (named && missing)
		r = trace_find(c, KNET_TRACE_TARGETPORT, true,
			       "targetPort '%s' of port %d is a port name no "
			       "container defines in %d of %d pods (%s/%s)",
			       tp, sp->port, missing, pods_n,
			       c->in->svc->meta.namespace, example);
	else if (missing)
		r = trace_find(c, KNET_TRACE_TARGETPORT, false,
			       "targetPort %d of port %d is declared by no "
			       "container in %d of %d pods (%s/%s): it works "
			       "only if something listens there",
			       want, sp->port, missing, pods_n,
			       c->in->svc->meta.namespace, example);
	if (r == 0 && proto_bad)
		r = trace_find(c, KNET_TRACE_TARGETPORT, true,
			       "port %d is %s, the container port is %s in %d "
			       "pods",
			       sp->port, sp->protocol, bad_proto, proto_bad);
	return r;
}

static int targetport_layer(struct trace_ctx *c)
{
	char all[512];
	int r;

	if (c->t->status[KNET_TRACE_SELECTOR] == KNET_TRACE_SKIPPED) {
		trace_set(c, KNET_TRACE_TARGETPORT, KNET_TRACE_SKIPPED,
			  "no selector: no pods to check");
		return 0;
	}
	r = trace_ports(c, targetport_one, ", ", all, sizeof(all));
	trace_set(c, KNET_TRACE_TARGETPORT, KNET_TRACE_OK, "%s", all);
	return r;
}

/* --- 4. endpoints --- */

static bool pod_is_endpoint(const struct knet_service_endpoints *se,
			    const struct knet_pod *p)
{
	for (int i = 0; se && i < se->n; i++)
		if (knet_strv_contains(&p->ips, se->eps[i].ip))
			return true;
	return false;
}

static int endpoints_layer(struct trace_ctx *c)
{
	const struct knet_service_endpoints *se = c->in->se;
	const struct knet_pod_list *pods = c->in->pods;
	int ready = 0, notready = 0, terminating = 0, r = 0;

	for (int i = 0; se && i < se->n; i++) {
		const struct knet_endpoint *e = &se->eps[i];
		struct knet_trace_endpoint *t;
		bool wanted = false;

		for (int k = 0; k < c->nports && !wanted; k++)
			wanted = trace_ep_of_port(e, c->ports[k], c->nports) ||
				 (!e->port && k == 0);
		if (!wanted)
			continue;
		t = trace_endpoint(c, e->ip, e->port);
		if (!t)
			return -ENOMEM;
		if (t->endpoint)
			continue;
		t->endpoint = true;
		t->ready = e->ready;
		t->serving = e->serving;
		t->terminating = e->terminating;
		snprintf(t->port_name, sizeof(t->port_name), "%s",
			 e->port_name ? e->port_name : "");
		if (e->pod_name)
			snprintf(t->pod, sizeof(t->pod), "%s/%s",
				 e->pod_ns ? e->pod_ns : "", e->pod_name);
		snprintf(t->node, sizeof(t->node), "%s",
			 e->node ? e->node : "");
		ready += e->ready;
		notready += !e->ready;
		terminating += e->terminating;
	}
	c->t->ready = ready;
	trace_set(c, KNET_TRACE_ENDPOINTS, KNET_TRACE_OK,
		  "%d ready, %d not ready%s%s (%s)", ready, notready,
		  terminating ? ", terminating " : "",
		  terminating ? "some" : "",
		  se ? se->source : "no EndpointSlice or Endpoints object");
	/* Pods that match but are not (ready) endpoints, and why. */
	for (int i = 0; r == 0 && pods && i < pods->n; i++) {
		const struct knet_pod *p = pods->items[i];

		if (!selected(c->in->svc, p))
			continue;
		if (!p->ips.n)
			r = trace_find(c, KNET_TRACE_ENDPOINTS, false,
				       "pod %s/%s matches but has no IP yet "
				       "(%s)",
				       p->meta.namespace, p->meta.name,
				       p->status ? p->status : "Pending");
		else if (!p->ready)
			r = trace_find(c, KNET_TRACE_ENDPOINTS, false,
				       "pod %s/%s matches but is not ready "
				       "(Ready condition false, %d/%d "
				       "containers ready): not a ready "
				       "endpoint",
				       p->meta.namespace, p->meta.name,
				       p->containers_ready, p->containers);
		else if (!pod_is_endpoint(se, p))
			r = trace_find(c, KNET_TRACE_ENDPOINTS, false,
				       "pod %s/%s is ready and matches but is "
				       "no endpoint yet (the endpoints "
				       "controller lags?)",
				       p->meta.namespace, p->meta.name);
	}
	if (r == 0 && !ready && !c->in->svc->external_name)
		r = trace_find(c, KNET_TRACE_ENDPOINTS, true,
			       "no ready endpoint%s: connections to the "
			       "Service are refused",
			       notready ? " (all not ready)" : "");
	return r;
}

/* --- the summary line --- */

static void summarise(struct trace_ctx *c)
{
	struct knet_svc_trace *t = c->t;
	const struct knet_service *s = c->in->svc;
	const char *first = NULL;

	t->first_broken = -1;
	for (int l = 0; l < KNET_TRACE_NLAYERS && t->first_broken < 0; l++)
		if (t->status[l] == KNET_TRACE_FAIL)
			t->first_broken = l;
	for (int i = 0; t->first_broken >= 0 && i < t->nfindings && !first; i++)
		if (t->findings[i].problem &&
		    (int)t->findings[i].layer == t->first_broken)
			first = t->findings[i].text;
	if (t->first_broken >= 0) {
		snprintf(t->summary, sizeof(t->summary),
			 "svc/%s/%s: broken at %s: %s", s->meta.namespace,
			 s->meta.name, knet_trace_layer_name(t->first_broken),
			 first ? first : t->detail[t->first_broken]);
		return;
	}
	snprintf(t->summary, sizeof(t->summary),
		 "svc/%s/%s: %d endpoint%s ready, kube-proxy%s%s %s, %s",
		 s->meta.namespace, s->meta.name, t->ready,
		 t->ready == 1 ? "" : "s", c->in->node ? " on " : "",
		 c->in->node ? c->in->node : "",
		 t->status[KNET_TRACE_KUBE_PROXY] == KNET_TRACE_SKIPPED
			 ? "not checked"
		 : t->status[KNET_TRACE_KUBE_PROXY] == KNET_TRACE_OK
			 ? "in sync"
			 : "with warnings",
		 t->nfindings ? "OK with warnings" : "OK");
}

int knet_svc_trace_run(const struct knet_svc_trace_in *in,
		       struct knet_svc_trace **ret, struct knet_error *err)
{
	struct trace_ctx c = {.in = in};
	const struct knet_service_port *only = NULL;
	int r = 0;

	if (in->port && !(only = knet_service_find_port(in->svc, in->port)))
		return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				      "svc %s/%s has no port %s",
				      in->svc->meta.namespace,
				      in->svc->meta.name, in->port);
	c.t = calloc(1, sizeof(*c.t));
	c.ports = calloc((size_t)in->svc->nports + 1, sizeof(*c.ports));
	if (!c.t || !c.ports)
		goto nomem;
	for (int i = 0; i < in->svc->nports; i++)
		if (!only || only == &in->svc->ports[i])
			c.ports[c.nports++] = &in->svc->ports[i];
	for (int l = KNET_TRACE_SERVICE; l < KNET_TRACE_NLAYERS; l++)
		c.t->status[l] = KNET_TRACE_OK;
	service_layer(&c);
	r = selector_layer(&c);
	if (r == 0)
		r = targetport_layer(&c);
	if (r == 0)
		r = endpoints_layer(&c);
	if (r == 0)
		r = trace_kube_proxy(&c);
	if (r < 0)
		goto nomem;
	trace_conntrack(&c);
	summarise(&c);
	free(c.ports);
	*ret = c.t;
	return 0;
nomem:
	free(c.ports);
	knet_svc_trace_free(c.t);
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

void knet_svc_trace_free(struct knet_svc_trace *t)
{
	if (!t)
		return;
	free(t->findings);
	free(t->eps);
	free(t);
}
