/* SPDX-License-Identifier: MIT */
/*
 * Names for the hops of a path.  A hop is a node (its InternalIP), a
 * node's pod gateway (the first address of its pod CIDR, where pods'
 * packets are routed), or a pod; anything else is asked of the general
 * who lookup.  Loading every pod of a large cluster to name three hops
 * would cost more than the trace, so pods are asked one address at a
 * time (a field selector on status.podIP) and the answers cached.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/objects.h"
#include "knet/node.h"

#define CACHE_MAX 64

struct knet_hop_namer {
	struct knet_api *api;
	struct knet_node_list *nodes;
	struct {
		char ip[46];
		char *name; /* NULL: nobody owns it */
	} cache[CACHE_MAX];
	int ncache;
};

int knet_hop_namer_new(struct knet_api *api, struct knet_hop_namer **ret,
		       struct knet_error *err)
{
	struct knet_hop_namer *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	n->api = api;
	r = knet_node_list(api, NULL, &n->nodes, err);
	/* A namespaced viewer may not list nodes: pods still get names. */
	if (r < 0 && r != -EPERM) {
		free(n);
		return r;
	}
	*ret = n;
	return 0;
}

void knet_hop_namer_free(struct knet_hop_namer *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->ncache; i++)
		free(n->cache[i].name);
	knet_node_list_free(n->nodes);
	free(n);
}

static bool is_gateway(const char *cidr, const struct in_addr *a)
{
	struct in_addr net;
	char buf[64], *slash;
	int bits;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	bits = atoi(slash + 1);
	if (inet_pton(AF_INET, buf, &net) != 1 || bits < 1 || bits > 30)
		return false;
	return ntohl(a->s_addr) == ntohl(net.s_addr) + 1;
}

static char *node_name(const struct knet_hop_namer *n, const char *ip)
{
	struct in_addr a;
	bool v4 = inet_pton(AF_INET, ip, &a) == 1;
	char *s = NULL;

	for (int i = 0; n->nodes && i < n->nodes->n && !s; i++) {
		const struct knet_node *nd = n->nodes->items[i];

		if (knet_strv_contains(&nd->internal_ips, ip) ||
		    knet_strv_contains(&nd->external_ips, ip)) {
			if (asprintf(&s, "node %s", nd->meta.name) < 0)
				s = NULL;
			break;
		}
		for (int j = 0; v4 && j < nd->pod_cidrs.n && !s; j++)
			if (is_gateway(nd->pod_cidrs.v[j], &a) &&
			    asprintf(&s, "node %s (pod gateway)",
				     nd->meta.name) < 0)
				s = NULL;
	}
	return s;
}

static char *pod_name(const struct knet_hop_namer *n, const char *ip)
{
	struct knet_list_opts o = {0};
	struct knet_pod_list *pods = NULL;
	char fs[80], *s = NULL;

	snprintf(fs, sizeof(fs), "status.podIP=%s", ip);
	o.field_selector = fs;
	if (knet_pod_list(n->api, NULL, &o, &pods, NULL) < 0)
		return NULL;
	for (int i = 0; i < pods->n && !s; i++) {
		const struct knet_pod *p = pods->items[i];

		/* Host-network pods share the node's address: the node. */
		if (!p->host_network &&
		    asprintf(&s, "pod %s/%s", p->meta.namespace, p->meta.name) <
			    0)
			s = NULL;
	}
	knet_pod_list_free(pods);
	return s;
}

static char *who_name(const struct knet_hop_namer *n, const char *ip)
{
	struct knet_who *w = NULL;
	char *s = NULL;

	if (knet_who(n->api, ip, &w, NULL) < 0)
		return NULL;
	if (w->n > 0 &&
	    asprintf(&s, "%s %s%s%s",
		     w->m[0].kind == KNET_WHO_SERVICE
			     ? "svc"
			     : knet_who_kind_name(w->m[0].kind),
		     w->m[0].namespace ? w->m[0].namespace : "",
		     w->m[0].namespace ? "/" : "", w->m[0].name) < 0)
		s = NULL;
	knet_who_free(w);
	return s;
}

char *knet_hop_namer_name(struct knet_hop_namer *n, const char *ip)
{
	char *s;
	int i;

	if (!n || !ip || !*ip)
		return NULL;
	for (i = 0; i < n->ncache; i++)
		if (!strcmp(n->cache[i].ip, ip))
			return n->cache[i].name ? strdup(n->cache[i].name)
						: NULL;
	s = node_name(n, ip);
	if (!s)
		s = pod_name(n, ip);
	if (!s)
		s = who_name(n, ip);
	if (n->ncache < CACHE_MAX) {
		snprintf(n->cache[n->ncache].ip, sizeof(n->cache[0].ip), "%s",
			 ip);
		n->cache[n->ncache].name = s ? strdup(s) : NULL;
		n->ncache++;
	}
	return s;
}
