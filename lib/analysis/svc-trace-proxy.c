/* SPDX-License-Identifier: MIT */
/*
 * knet svc trace, the node's layers: kube-proxy's rules for each port
 * against the ready endpoints (a backend missing from the rules, a rule
 * for an endpoint that is gone: kube-proxy stale or down), the shares,
 * masquerading, externalTrafficPolicy Local without a local endpoint on
 * this node; then conntrack's live and stale flows per backend (the
 * conntrack Service view, lib/analysis/ct-service.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "svc-trace-internal.h"

static void lower(const char *in, char *out, size_t size)
{
	size_t i = 0;

	for (; in[i] && i + 1 < size; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32
							     : in[i]);
	out[i] = '\0';
}

/* Ready endpoints of @sp that have no DNAT rule, and rules for others. */
static int compare(struct trace_ctx *c, const struct knet_service_port *sp,
		   const struct knet_kp_path *p, const char *what,
		   int *ret_missing, int *ret_stale)
{
	const struct knet_service_endpoints *se = c->in->se;
	int missing = 0, stale = 0, r = 0;

	for (int i = 0; i < p->nb; i++) {
		struct knet_trace_endpoint *e =
			trace_endpoint(c, p->b[i].ip, p->b[i].port);

		if (!e)
			return -1;
		e->in_rules = true;
		e->share += p->b[i].share;
		if (!e->endpoint || !e->ready) {
			stale++;
			if (r == 0)
				r = trace_find(c, KNET_TRACE_KUBE_PROXY, true,
					       "%s: a rule DNATs to %s:%d, "
					       "which is not a ready endpoint: "
					       "kube-proxy on %s is stale or "
					       "down",
					       what, p->b[i].ip, p->b[i].port,
					       c->in->node);
		}
	}
	for (int i = 0; r == 0 && se && i < se->n; i++) {
		const struct knet_endpoint *e = &se->eps[i];
		bool found = false;

		if (!e->ready || !trace_ep_of_port(e, sp, c->nports))
			continue;
		for (int k = 0; k < p->nb && !found; k++)
			found = p->b[k].port == e->port &&
				!strcmp(p->b[k].ip, e->ip);
		if (!found && !p->local_only) {
			missing++;
			r = trace_find(c, KNET_TRACE_KUBE_PROXY, true,
				       "%s: ready endpoint %s:%d has no rule "
				       "on %s: kube-proxy there is stale or "
				       "down",
				       what, e->ip, e->port, c->in->node);
		}
	}
	*ret_missing = missing;
	*ret_stale = stale;
	return r;
}

/* Ready endpoints of @sp on this node (externalTrafficPolicy Local). */
static int local_ready(struct trace_ctx *c, const struct knet_service_port *sp)
{
	const struct knet_service_endpoints *se = c->in->se;
	int n = 0;

	for (int i = 0; se && i < se->n; i++)
		n += se->eps[i].ready && se->eps[i].node && c->in->node &&
		     !strcmp(se->eps[i].node, c->in->node) &&
		     trace_ep_of_port(&se->eps[i], sp, c->nports);
	return n;
}

static int node_port(struct trace_ctx *c, const struct knet_service_port *sp,
		     const char *proto)
{
	const struct knet_service *s = c->in->svc;
	struct knet_kp_path p;
	bool local = s->external_traffic_policy &&
		     !strcasecmp(s->external_traffic_policy, "Local");
	int r = knet_kp_follow_node_port(c->in->ipt, proto, sp->node_port, &p);

	if (r < 0)
		return r;
	if (!p.found && !p.reject && c->t->ready)
		r = trace_find(c, KNET_TRACE_KUBE_PROXY, true,
			       "nodePort %d: no KUBE-NODEPORTS rule on %s",
			       sp->node_port, c->in->node);
	else if (local && (p.drop || !p.nb) && c->t->ready)
		r = trace_find(c, KNET_TRACE_KUBE_PROXY, true,
			       "externalTrafficPolicy Local and no ready "
			       "endpoint on %s: nodePort %d on this node "
			       "drops what it gets (a black hole; %d ready "
			       "elsewhere)",
			       c->in->node, sp->node_port, c->t->ready);
	else if (local && local_ready(c, sp) != p.nb)
		r = trace_find(c, KNET_TRACE_KUBE_PROXY, true,
			       "nodePort %d: %d local backends in the rules, "
			       "%d ready endpoints on %s",
			       sp->node_port, p.nb, local_ready(c, sp),
			       c->in->node);
	knet_kp_path_clear(&p);
	return r;
}

static int one_port(struct trace_ctx *c, const struct knet_service_port *sp,
		    char *detail, size_t size)
{
	const struct knet_service *s = c->in->svc;
	char proto[8], what[96], shares[160] = "";
	struct knet_kp_path p;
	int r, missing = 0, stale = 0;
	size_t o = 0;

	lower(sp->protocol, proto, sizeof(proto));
	if (s->headless || !s->cluster_ips.n) {
		snprintf(detail, size,
			 "headless: no rules (DNS answers the "
			 "pods' addresses)");
		return 0;
	}
	snprintf(what, sizeof(what), "%s:%d/%s", s->cluster_ips.v[0], sp->port,
		 proto);
	r = knet_kp_follow_cluster_ip(c->in->ipt, s->cluster_ips.v[0], proto,
				      sp->port, &p);
	if (r < 0)
		return r;
	if (!c->t->ready && p.reject) {
		snprintf(detail, size, "%s: REJECT (\"has no endpoints\")",
			 what);
	} else if (!p.found && c->t->ready) {
		r = trace_find(c, KNET_TRACE_KUBE_PROXY, true,
			       "%s: no KUBE-SERVICES rule on %s: kube-proxy "
			       "there has not seen the Service (stale or "
			       "down)",
			       what, c->in->node);
		snprintf(detail, size, "%s: no rule", what);
	} else {
		r = compare(c, sp, &p, what, &missing, &stale);
		for (int i = 0; i < p.nb && i < 4 && o < sizeof(shares); i++)
			o += (size_t)snprintf(shares + o, sizeof(shares) - o,
					      "%s%.0f%%", i ? " " : "",
					      p.b[i].share * 100);
		/* (truncated if it must: a detail line, not data) */
		if (snprintf(detail, size,
			     "%s -> %s: %d backend%s (%s%s)%s%s%s", what,
			     p.svc_chain[0] ? p.svc_chain : "?", p.nb,
			     p.nb == 1 ? "" : "s", shares,
			     p.nb > 4 ? " ..." : "",
			     p.masquerade ? ", masquerade off-cluster sources"
					  : "",
			     missing || stale ? ", NOT in sync" : ", in sync",
			     p.truncated ? " (too many rules to follow whole: "
					   "a part read)"
					 : "") < 0)
			detail[0] = '\0';
	}
	knet_kp_path_clear(&p);
	if (r == 0 && sp->node_port)
		r = node_port(c, sp, proto);
	return r;
}

int trace_kube_proxy(struct trace_ctx *c)
{
	const char *mode = c->in->proxy_mode;
	char all[512];
	int r;

	if (!mode) {
		trace_set(c, KNET_TRACE_KUBE_PROXY, KNET_TRACE_SKIPPED,
			  "not read");
		return 0;
	}
	if (c->in->svc->external_name) {
		trace_set(c, KNET_TRACE_KUBE_PROXY, KNET_TRACE_SKIPPED,
			  "ExternalName: no rules");
		return 0;
	}
	if (strcmp(mode, "iptables")) {
		trace_set(c, KNET_TRACE_KUBE_PROXY, KNET_TRACE_SKIPPED,
			  "%s mode on %s: not supported yet", mode,
			  c->in->node);
		return trace_find(c, KNET_TRACE_KUBE_PROXY, false,
				  "kube-proxy on %s runs in %s mode, which "
				  "knet does not read yet",
				  c->in->node, mode);
	}
	if (!knet_ipt_kube_proxy(c->in->ipt)) {
		trace_set(c, KNET_TRACE_KUBE_PROXY, KNET_TRACE_FAIL,
			  "no KUBE-SERVICES chain on %s", c->in->node);
		return trace_find(c, KNET_TRACE_KUBE_PROXY, true,
				  "no KUBE-SERVICES chain in the nat table "
				  "on %s: kube-proxy is not running there "
				  "(or not in iptables mode)",
				  c->in->node);
	}
	r = trace_ports(c, one_port, "; ", all, sizeof(all));
	trace_set(c, KNET_TRACE_KUBE_PROXY, KNET_TRACE_OK,
		  "iptables mode on %s: %s", c->in->node, all);
	return r;
}

void trace_conntrack(struct trace_ctx *c)
{
	const struct knet_ct_backend *b;
	unsigned long flows = 0, stale = 0;
	int n;

	if (!c->in->ct) {
		trace_set(c, KNET_TRACE_CONNTRACK, KNET_TRACE_SKIPPED,
			  "not read");
		return;
	}
	b = knet_ct_service_backends(c->in->ct, &n);
	for (int i = 0; i < n; i++) {
		struct knet_trace_endpoint *e;

		flows += b[i].flows;
		stale += b[i].stale;
		if (!b[i].flows && !b[i].stale)
			continue;
		e = trace_endpoint(c, b[i].ip, b[i].port);
		if (!e)
			continue;
		e->flows = b[i].flows;
		e->stale = b[i].stale;
	}
	trace_set(c, KNET_TRACE_CONNTRACK, KNET_TRACE_OK,
		  "on %s: %lu live flow%s, %lu stale", c->in->node, flows,
		  flows == 1 ? "" : "s", stale);
	if (stale)
		trace_find(c, KNET_TRACE_CONNTRACK, false,
			   "%lu stale conntrack entr%s on %s (to an address "
			   "that is no longer a ready endpoint): knet "
			   "conntrack svc/%s/%s --stale shows them",
			   stale, stale == 1 ? "y" : "ies", c->in->node,
			   c->in->svc->meta.namespace, c->in->svc->meta.name);
}
