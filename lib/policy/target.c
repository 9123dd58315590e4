/* SPDX-License-Identifier: MIT */
/*
 * Targets of `policy check`: pods, svc/NAME (policies apply after DNAT,
 * so each backend pod is checked), node/NAME, IPs and CIDRs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

int knet_policy_split_target(const char *s, char **ret_target, char **ret_port,
			     char ret_proto[8])
{
	const char *colon = NULL, *slash;
	char *target, *port = NULL;
	size_t tlen;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') { /* [IPv6]:PORT */
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (!colon && close[1])
			return -EINVAL;
		target = strndup(s + 1, (size_t)(close - s - 1));
	} else {
		colon = strchr(s, ':');
		/* A bare IPv6 address has colons and no port. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		tlen = colon ? (size_t)(colon - s) : strlen(s);
		target = strndup(s, tlen);
	}
	if (!target)
		return -ENOMEM;
	snprintf(ret_proto, 8, "TCP");
	if (colon) {
		const char *p = colon + 1;

		slash = strchr(p, '/');
		port = strndup(p, slash ? (size_t)(slash - p) : strlen(p));
		if (!port || !*port || !*target)
			goto bad;
		if (slash) {
			if (!strcasecmp(slash + 1, "tcp"))
				snprintf(ret_proto, 8, "TCP");
			else if (!strcasecmp(slash + 1, "udp"))
				snprintf(ret_proto, 8, "UDP");
			else if (!strcasecmp(slash + 1, "sctp"))
				snprintf(ret_proto, 8, "SCTP");
			else
				goto bad;
		}
	}
	if (!*target)
		goto bad;
	*ret_target = target;
	*ret_port = port;
	return 0;
bad:
	free(target);
	free(port);
	return -EINVAL;
}

void knet_policy_target_clear(struct knet_policy_target *t)
{
	if (!t)
		return;
	free(t->ends);
	memset(t, 0, sizeof(*t));
}

static int one_end(struct knet_policy_target *t)
{
	t->ends = calloc(1, sizeof(*t->ends));
	if (!t->ends)
		return -ENOMEM;
	t->n = 1;
	return 0;
}

static int find_pod(const struct knet_policy *p, const char *ns,
		    const char *name)
{
	for (int i = 0; i < p->w.npods; i++) {
		const struct knet_pod *pod = p->w.pods[i];

		if (!strcmp(pod->meta.name, name) && pod->meta.namespace &&
		    !strcmp(pod->meta.namespace, ns))
			return i;
	}
	return -1;
}

/* The number a container port name stands for in @pod, 0 when none. */
static int container_port(const struct knet_pod *pod, const char *name)
{
	for (int i = 0; i < pod->nports; i++)
		if (pod->ports[i].name && !strcmp(pod->ports[i].name, name))
			return pod->ports[i].port;
	return 0;
}

/* The Service's endpoints entry in the world, NULL when there is none. */
static const struct knet_service_endpoints *find_endpoints(
	const struct knet_policy *p, const struct knet_service *svc)
{
	for (int i = 0; i < p->w.nendpoints; i++) {
		const struct knet_service_endpoints *se = p->w.endpoints[i];

		if (!strcmp(se->service, svc->meta.name) &&
		    !strcmp(se->namespace, svc->meta.namespace))
			return se;
	}
	return NULL;
}

static bool same_port_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/*
 * Backends from the endpoints: ready addresses of the service port @sp
 * (every port: NULL), each a pod when a pod has it, once per address.
 */
static void from_endpoints(const struct knet_policy *p,
			   const struct knet_service_endpoints *se,
			   const struct knet_service_port *sp,
			   struct knet_policy_target *t)
{
	for (int i = 0; i < se->n; i++) {
		const struct knet_endpoint *ep = &se->eps[i];
		struct knet_policy_end *e = &t->ends[t->n];
		bool dup = false;
		int pod = -1;

		if (!ep->ready || !ep->ip)
			continue;
		if (sp && (!same_port_name(sp->name, ep->port_name) ||
			   strcmp(sp->protocol, ep->protocol)))
			continue;
		for (int j = 0; j < t->n && !dup; j++)
			dup = t->ends[j].has_addr &&
			      knet_cidr_parse(ep->ip, &e->addr) == 0 &&
			      !memcmp(&t->ends[j].addr, &e->addr,
				      sizeof(e->addr));
		if (dup)
			continue;
		if (ep->pod_ns && ep->pod_name)
			pod = find_pod(p, ep->pod_ns, ep->pod_name);
		for (int j = 0; pod < 0 && j < p->w.npods; j++)
			if (!p->w.pods[j]->host_network &&
			    knet_strv_contains(&p->w.pods[j]->ips, ep->ip))
				pod = j;
		if (pod >= 0) {
			knet_policy_pod_end(p, pod, e);
		} else {
			memset(e, 0, sizeof(*e));
			e->pod = -1;
			e->has_addr = knet_cidr_parse(ep->ip, &e->addr) == 0;
			snprintf(e->label, sizeof(e->label), "%s", ep->ip);
		}
		e->port = sp ? ep->port : 0;
		t->n++;
	}
}

static int resolve_service(const struct knet_policy *p, const char *ns,
			   const char *name, const char *port,
			   struct knet_policy_target *t, struct knet_error *err)
{
	const struct knet_service *svc = NULL;
	const struct knet_service_port *sp = NULL;
	const struct knet_service_endpoints *se;

	for (int i = 0; i < p->w.nservices && !svc; i++)
		if (!strcmp(p->w.services[i]->meta.name, name) &&
		    p->w.services[i]->meta.namespace &&
		    !strcmp(p->w.services[i]->meta.namespace, ns))
			svc = p->w.services[i];
	if (!svc)
		return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				      "no service %s/%s", ns, name);
	if (port) {
		sp = knet_service_find_port(svc, port);
		if (!sp)
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "service %s/%s has no port %s",
					      ns, name, port);
	} else if (svc->nports == 1) {
		sp = &svc->ports[0];
	}
	t->service = svc;
	t->service_port = sp;
	se = find_endpoints(p, svc);
	t->ends =
		calloc((size_t)(se ? se->n : p->w.npods) + 1, sizeof(*t->ends));
	if (!t->ends)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	/* What kube-proxy sends to, when the world has it. */
	if (se) {
		t->backends = se->source ? se->source : "endpoints";
		from_endpoints(p, se, sp, t);
		return 0;
	}
	t->backends = "selector";
	if (!svc->has_selector)
		return 0; /* backends by hand, and no endpoints known */
	for (int i = 0; i < p->w.npods; i++) {
		const struct knet_pod *pod = p->w.pods[i];
		struct knet_policy_end *e = &t->ends[t->n];

		if (!pod->meta.namespace || strcmp(pod->meta.namespace, ns) ||
		    !knet_labels_match(&svc->selector, &pod->meta.labels))
			continue;
		knet_policy_pod_end(p, i, e);
		if (sp && sp->target_port &&
		    strspn(sp->target_port, "0123456789") !=
			    strlen(sp->target_port))
			e->port = container_port(pod, sp->target_port);
		else if (sp && sp->target_port)
			e->port = atoi(sp->target_port);
		else if (sp)
			e->port = sp->port;
		/* A name this pod lacks: no endpoint for it, skip it. */
		if (sp && !e->port)
			continue;
		t->n++;
	}
	return 0;
}

static int resolve_node(const struct knet_policy *p, const char *name,
			struct knet_policy_target *t, struct knet_error *err)
{
	for (int i = 0; i < p->w.nnodes; i++) {
		const struct knet_node *n = p->w.nodes[i];

		if (strcmp(n->meta.name, name))
			continue;
		if (one_end(t) < 0)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		t->ends[0].pod = -1;
		t->ends[0].has_addr = n->internal_ips.n > 0 &&
				      knet_cidr_parse(n->internal_ips.v[0],
						      &t->ends[0].addr) == 0;
		snprintf(t->ends[0].label, sizeof(t->ends[0].label), "node/%s",
			 name);
		return 0;
	}
	return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND, "no node %s",
			      name);
}

int knet_policy_resolve(const struct knet_policy *p, const char *spec,
			const char *default_ns, const char *port,
			struct knet_policy_target *ret, struct knet_error *err)
{
	struct knet_policy_target t = {0};
	struct knet_cidr c;
	const char *slash = strchr(spec, '/');
	char ns[256];
	int r, i;

	if (!strncmp(spec, "svc/", 4) || !strncmp(spec, "service/", 8)) {
		const char *rest = strchr(spec, '/') + 1;
		const char *s2 = strchr(rest, '/');

		/* svc/NAME, or svc/NS/NAME */
		snprintf(ns, sizeof(ns), "%.*s", s2 ? (int)(s2 - rest) : 255,
			 s2 ? rest : default_ns);
		r = resolve_service(p, ns, s2 ? s2 + 1 : rest, port, &t, err);
	} else if (!strncmp(spec, "node/", 5)) {
		r = resolve_node(p, spec + 5, &t, err);
	} else if (knet_cidr_parse(spec, &c) == 0) {
		r = one_end(&t);
		if (r < 0)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "out of memory");
		t.ends[0].pod = -1;
		t.ends[0].addr = c;
		t.ends[0].has_addr = true;
		snprintf(t.ends[0].label, sizeof(t.ends[0].label), "%s", spec);
		/* An address a pod has is that pod. */
		for (i = 0;
		     c.bits == (c.family == 4 ? 32 : 128) && i < p->w.npods;
		     i++) {
			const struct knet_pod *pod = p->w.pods[i];

			if (!pod->host_network &&
			    knet_strv_contains(&pod->ips, spec)) {
				knet_policy_pod_end(p, i, &t.ends[0]);
				break;
			}
		}
	} else {
		if (!strncmp(spec, "pod/", 4))
			spec += 4;
		slash = strchr(spec, '/');
		snprintf(ns, sizeof(ns), "%.*s",
			 slash ? (int)(slash - spec) : 255,
			 slash ? spec : default_ns);
		i = find_pod(p, ns, slash ? slash + 1 : spec);
		if (i < 0)
			return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
					      "no pod %s/%s", ns,
					      slash ? slash + 1 : spec);
		r = one_end(&t);
		if (r < 0)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "out of memory");
		knet_policy_pod_end(p, i, &t.ends[0]);
	}
	if (r < 0) {
		knet_policy_target_clear(&t);
		return r;
	}
	*ret = t;
	return 0;
}
