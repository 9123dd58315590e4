/* SPDX-License-Identifier: MIT */
/*
 * A Service's conntrack entries: which entries are to the Service (its
 * ClusterIP, a NodePort, an external or load-balancer IP, on one of its
 * ports), which backend each was DNAT'd to, and which are stale: DNAT'd
 * to an address that is no longer a ready endpoint (after a rollout the
 * kernel keeps sending a live connection to the old pod's IP), or UDP to
 * the ClusterIP that never got an answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "knet/analysis.h"

struct bin_addr {
	uint8_t family;
	unsigned char b[16];
};

struct knet_ct_service {
	const struct knet_service *svc;
	const struct knet_service_port **ports; /* the ones that count */
	int nports;
	struct bin_addr *cluster, *external, *lb;
	int ncluster, nexternal, nlb;
	struct knet_ct_backend *backends;
	int nbackends;
};

static int addrs_parse(const struct knet_strv *sv, struct bin_addr **ret,
		       int *ret_n)
{
	struct bin_addr *a = calloc((size_t)sv->n + 1, sizeof(*a));
	int n = 0;

	if (!a)
		return -ENOMEM;
	for (int i = 0; i < sv->n; i++) {
		if (inet_pton(AF_INET, sv->v[i], a[n].b) == 1)
			a[n++].family = AF_INET;
		else if (inet_pton(AF_INET6, sv->v[i], a[n].b) == 1)
			a[n++].family = AF_INET6;
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

static bool addr_in(const struct bin_addr *a, int n, uint8_t family,
		    const unsigned char *addr)
{
	for (int i = 0; i < n; i++)
		if (a[i].family == family &&
		    !memcmp(a[i].b, addr, family == AF_INET ? 4 : 16))
			return true;
	return false;
}

static uint8_t proto_of(const char *protocol)
{
	if (!strcmp(protocol, "UDP"))
		return IPPROTO_UDP;
	if (!strcmp(protocol, "SCTP"))
		return IPPROTO_SCTP;
	return IPPROTO_TCP;
}

static bool same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Endpoints of the ports that count, once per address and port. */
static int add_endpoints(struct knet_ct_service *s,
			 const struct knet_service_endpoints *se)
{
	for (int i = 0; se && i < se->n; i++) {
		const struct knet_endpoint *ep = &se->eps[i];
		struct knet_ct_backend *b, *nb;
		bool wanted = false, dup = false;

		for (int k = 0; k < s->nports && !wanted; k++)
			wanted = !ep->port ||
				 same_name(ep->port_name, s->ports[k]->name);
		for (int k = 0; k < s->nbackends && !dup; k++)
			dup = !strcmp(s->backends[k].ip, ep->ip) &&
			      s->backends[k].port == ep->port;
		if (!wanted || dup)
			continue;
		nb = realloc(s->backends,
			     ((size_t)s->nbackends + 1) * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		s->backends = nb;
		b = &nb[s->nbackends++];
		memset(b, 0, sizeof(*b));
		snprintf(b->ip, sizeof(b->ip), "%s", ep->ip);
		b->port = ep->port;
		b->endpoint = true;
		b->ready = ep->ready;
		if (ep->pod_name &&
		    asprintf(&b->pod, "%s/%s",
			     ep->pod_ns ? ep->pod_ns : se->namespace,
			     ep->pod_name) < 0) {
			b->pod = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

int knet_ct_service_new(const struct knet_service *svc,
			const struct knet_service_endpoints *se,
			const char *port, struct knet_ct_service **ret,
			struct knet_error *err)
{
	const struct knet_service_port *only = NULL;
	struct knet_ct_service *s;
	int r = -ENOMEM;

	if (port) {
		only = knet_service_find_port(svc, port);
		if (!only)
			return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
					      "service %s/%s has no port '%s'",
					      svc->meta.namespace,
					      svc->meta.name, port);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->svc = svc;
	s->ports = calloc((size_t)svc->nports + 1, sizeof(*s->ports));
	if (!s->ports)
		goto fail;
	for (int i = 0; i < svc->nports; i++)
		if (!only || only == &svc->ports[i])
			s->ports[s->nports++] = &svc->ports[i];
	if (!svc->headless &&
	    addrs_parse(&svc->cluster_ips, &s->cluster, &s->ncluster) < 0)
		goto fail;
	if (addrs_parse(&svc->external_ips, &s->external, &s->nexternal) < 0 ||
	    addrs_parse(&svc->lb_ingress, &s->lb, &s->nlb) < 0)
		goto fail;
	r = add_endpoints(s, se);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	knet_ct_service_free(s);
	return knet_error_set(err, r, KNET_EXIT_SYSTEM, "out of memory");
}

void knet_ct_service_free(struct knet_ct_service *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nbackends; i++)
		free(s->backends[i].pod);
	free(s->backends);
	free(s->ports);
	free(s->cluster);
	free(s->external);
	free(s->lb);
	free(s);
}

static enum knet_ct_svc_how match(const struct knet_ct_service *s,
				  const struct knet_ct_entry *e)
{
	const unsigned char *dst = e->orig.dst;
	uint16_t dport = e->orig.dport;

	for (int i = 0; i < s->nports; i++) {
		const struct knet_service_port *p = s->ports[i];

		if (proto_of(p->protocol) != e->proto)
			continue;
		if (dport == p->port &&
		    addr_in(s->cluster, s->ncluster, e->family, dst))
			return KNET_CT_SVC_CLUSTER_IP;
		if (dport == p->port &&
		    addr_in(s->external, s->nexternal, e->family, dst))
			return KNET_CT_SVC_EXTERNAL_IP;
		if (dport == p->port && addr_in(s->lb, s->nlb, e->family, dst))
			return KNET_CT_SVC_LOAD_BALANCER;
		/* kube-proxy DNATs a NodePort on every local address. */
		if (p->node_port && dport == p->node_port)
			return KNET_CT_SVC_NODE_PORT;
	}
	return KNET_CT_SVC_NONE;
}

/* The backend @e was DNAT'd to, added (not an endpoint) when unknown. */
static int backend_of(struct knet_ct_service *s, const struct knet_ct_entry *e)
{
	struct knet_ct_backend *nb, *b;
	char ip[46];

	if (!inet_ntop(e->family, e->reply.src, ip, sizeof(ip)))
		return -EINVAL;
	for (int i = 0; i < s->nbackends; i++)
		if (!strcmp(s->backends[i].ip, ip) &&
		    (!s->backends[i].port ||
		     s->backends[i].port == e->reply.sport))
			return i;
	nb = realloc(s->backends, ((size_t)s->nbackends + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	s->backends = nb;
	b = &nb[s->nbackends];
	memset(b, 0, sizeof(*b));
	memcpy(b->ip, ip, sizeof(ip));
	b->port = e->reply.sport;
	return s->nbackends++;
}

int knet_ct_service_classify(struct knet_ct_service *s,
			     const struct knet_ct_entry *e,
			     struct knet_ct_verdict *ret)
{
	struct knet_ct_verdict v = {.backend = -1};
	int b;

	v.how = match(s, e);
	if (v.how == KNET_CT_SVC_NONE) {
		*ret = v;
		return 0;
	}
	if (knet_ct_nat(e) & KNET_CT_NAT_DNAT) {
		b = backend_of(s, e);
		if (b == -ENOMEM)
			return b;
		v.backend = b < 0 ? -1 : b;
		if (b >= 0 && !s->backends[b].ready)
			v.stale = KNET_CT_STALE_NOT_READY;
	}
	if (!v.stale && e->proto == IPPROTO_UDP && knet_ct_unreplied(e) &&
	    v.how == KNET_CT_SVC_CLUSTER_IP)
		v.stale = KNET_CT_STALE_UNREPLIED_UDP;
	if (v.backend >= 0) {
		if (v.stale)
			s->backends[v.backend].stale++;
		else
			s->backends[v.backend].flows++;
	}
	*ret = v;
	return 0;
}

const struct knet_ct_backend *knet_ct_service_backends(
	const struct knet_ct_service *s, int *ret_n)
{
	*ret_n = s->nbackends;
	return s->backends;
}

const char *knet_ct_svc_how_name(enum knet_ct_svc_how how)
{
	switch (how) {
	case KNET_CT_SVC_CLUSTER_IP:
		return "clusterIP";
	case KNET_CT_SVC_NODE_PORT:
		return "nodePort";
	case KNET_CT_SVC_EXTERNAL_IP:
		return "externalIP";
	case KNET_CT_SVC_LOAD_BALANCER:
		return "loadBalancer";
	default:
		return NULL;
	}
}

const char *knet_ct_stale_reason(int stale)
{
	switch (stale) {
	case KNET_CT_STALE_NOT_READY:
		return "DNAT target is not a ready endpoint";
	case KNET_CT_STALE_UNREPLIED_UDP:
		return "UDP to the ClusterIP never answered";
	default:
		return NULL;
	}
}
