/* SPDX-License-Identifier: MIT */
/* Who owns an address: pods, Services, endpoints and nodes searched. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/objects.h"

struct knet_who_index {
	struct knet_pod_list *pods;
	struct knet_service_list *services;
	struct knet_endpoints_list *endpoints;
	struct knet_node_list *nodes;
	bool borrowed; /* a manifest's lists: not ours to free */
};

/* An address in binary, so that "::1" and "0::1" compare equal. */
struct addr {
	int family;
	unsigned char b[16];
};

static bool addr_parse(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

static bool addr_is(const struct addr *a, const char *s)
{
	struct addr b;

	return s && addr_parse(s, &b) && b.family == a->family &&
	       !memcmp(a->b, b.b, sizeof(b.b));
}

static bool strv_has(const struct knet_strv *sv, const struct addr *a)
{
	for (int i = 0; i < sv->n; i++)
		if (addr_is(a, sv->v[i]))
			return true;
	return false;
}

const char *knet_who_kind_name(enum knet_who_kind kind)
{
	switch (kind) {
	case KNET_WHO_POD:
		return "pod";
	case KNET_WHO_SERVICE:
		return "service";
	case KNET_WHO_ENDPOINT:
		return "endpoint";
	case KNET_WHO_NODE:
		return "node";
	}
	return "unknown";
}

void knet_who_free(struct knet_who *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++) {
		free(w->m[i].namespace);
		free(w->m[i].name);
		free(w->m[i].node);
		free(w->m[i].detail);
	}
	free(w->m);
	free(w->ip);
	free(w);
}

static int add(struct knet_who *w, enum knet_who_kind kind, const char *ns,
	       const char *name, const char *node, const char *detail,
	       bool ready)
{
	struct knet_who_match *m, *nm;

	nm = realloc(w->m, ((size_t)w->n + 1) * sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	w->m = nm;
	m = &w->m[w->n++];
	m->kind = kind;
	m->namespace = ns ? strdup(ns) : NULL;
	m->name = strdup(name);
	m->node = node ? strdup(node) : NULL;
	m->detail = detail ? strdup(detail) : NULL;
	m->ready = ready;
	if (!m->name || (ns && !m->namespace) || (node && !m->node) ||
	    (detail && !m->detail))
		return -ENOMEM;
	return 0;
}

static int match_pods(const struct knet_who_index *idx, const struct addr *a,
		      struct knet_who *w)
{
	for (int i = 0; idx->pods && i < idx->pods->n; i++) {
		const struct knet_pod *p = idx->pods->items[i];

		if (strv_has(&p->ips, a) &&
		    add(w, KNET_WHO_POD, p->meta.namespace, p->meta.name,
			p->node, p->host_network ? "hostNetwork" : "podIP",
			p->ready) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int match_services(const struct knet_who_index *idx,
			  const struct addr *a, struct knet_who *w)
{
	for (int i = 0; idx->services && i < idx->services->n; i++) {
		const struct knet_service *s = idx->services->items[i];
		const char *how = strv_has(&s->cluster_ips, a)	  ? "clusterIP"
				  : strv_has(&s->external_ips, a) ? "externalIP"
				  : strv_has(&s->lb_ingress, a) ? "loadBalancer"
								: NULL;

		if (how && add(w, KNET_WHO_SERVICE, s->meta.namespace,
			       s->meta.name, NULL, how, true) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int match_endpoints(const struct knet_who_index *idx,
			   const struct addr *a, struct knet_who *w)
{
	for (int i = 0; idx->endpoints && i < idx->endpoints->n; i++) {
		const struct knet_service_endpoints *se =
			idx->endpoints->items[i];

		/* One match per Service, whatever the number of ports. */
		for (int k = 0; k < se->n; k++) {
			const struct knet_endpoint *e = &se->eps[k];

			if (!addr_is(a, e->ip))
				continue;
			if (add(w, KNET_WHO_ENDPOINT, se->namespace,
				se->service, e->node, e->pod_name,
				e->ready) < 0)
				return -ENOMEM;
			break;
		}
	}
	return 0;
}

static int match_nodes(const struct knet_who_index *idx, const struct addr *a,
		       struct knet_who *w)
{
	for (int i = 0; idx->nodes && i < idx->nodes->n; i++) {
		const struct knet_node *n = idx->nodes->items[i];
		const char *how = strv_has(&n->internal_ips, a)	  ? "InternalIP"
				  : strv_has(&n->external_ips, a) ? "ExternalIP"
								  : NULL;

		if (how && add(w, KNET_WHO_NODE, NULL, n->meta.name,
			       n->meta.name, how, n->ready) < 0)
			return -ENOMEM;
	}
	return 0;
}

int knet_who_index_lookup(const struct knet_who_index *idx, const char *ip,
			  struct knet_who **ret)
{
	struct knet_who *w;
	struct addr a;
	int r;

	if (!addr_parse(ip, &a))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->ip = strdup(ip))) {
		free(w);
		return -ENOMEM;
	}
	r = match_pods(idx, &a, w);
	if (!r)
		r = match_services(idx, &a, w);
	if (!r)
		r = match_endpoints(idx, &a, w);
	if (!r)
		r = match_nodes(idx, &a, w);
	if (r < 0) {
		knet_who_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

void knet_who_index_free(struct knet_who_index *idx)
{
	if (!idx)
		return;
	if (idx->borrowed) {
		free(idx);
		return;
	}
	knet_pod_list_free(idx->pods);
	knet_service_list_free(idx->services);
	knet_endpoints_list_free(idx->endpoints);
	knet_node_list_free(idx->nodes);
	free(idx);
}

/* Load the index; @pod_ip narrows the pods to one address (knet_who). */
static int index_load(struct knet_api *api, const char *pod_ip,
		      struct knet_who_index **ret, struct knet_error *err)
{
	const char *ns = knet_api_namespace(api);
	struct knet_list_opts popts = {0};
	struct knet_who_index *idx;
	char *fs = NULL;
	int r;

	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	if (pod_ip) {
		if (asprintf(&fs, "status.podIP=%s", pod_ip) < 0) {
			r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					   "out of memory");
			goto cleanup;
		}
		popts.field_selector = fs;
	}
	/*
	 * What the user may not list cluster-wide (a namespaced viewer) is
	 * looked for in the context's namespace, and what they may not
	 * list at all is left out; only when nothing could be read is it
	 * an error.
	 */
	r = knet_pod_list(api, NULL, &popts, &idx->pods, err);
	if (r == -EPERM)
		r = knet_pod_list(api, ns, &popts, &idx->pods, err);
	if (r == -EPERM || !r)
		r = knet_service_list(api, NULL, NULL, &idx->services, err);
	if (r == -EPERM)
		r = knet_service_list(api, ns, NULL, &idx->services, err);
	if (r == -EPERM || !r)
		r = knet_endpoints_list(api, NULL, NULL, NULL, &idx->endpoints,
					err);
	if (r == -EPERM)
		r = knet_endpoints_list(api, ns, NULL, NULL, &idx->endpoints,
					err);
	if (r == -EPERM || !r)
		r = knet_node_list(api, NULL, &idx->nodes, err);
	if (r == -EPERM &&
	    (idx->pods || idx->services || idx->endpoints || idx->nodes))
		r = 0;
	else if (r == -EPERM)
		r = knet_error_set(err, r, KNET_EXIT_API,
				   "these credentials may not list pods, "
				   "Services, endpoints or nodes in namespace "
				   "\"%s\" or cluster-wide (try -n)",
				   ns);
	if (!r)
		knet_error_clear(err);
	if (r < 0)
		goto cleanup;
	*ret = idx;
	idx = NULL;
cleanup:
	free(fs);
	knet_who_index_free(idx);
	return r;
}

int knet_who_index_of_manifest(const struct knet_manifest *m,
			       struct knet_who_index **ret)
{
	struct knet_who_index *idx = calloc(1, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	/* The lists are read only here; the casts do not write them. */
	idx->pods = (struct knet_pod_list *)&m->pods;
	idx->services = (struct knet_service_list *)&m->services;
	idx->endpoints = (struct knet_endpoints_list *)&m->endpoints;
	idx->nodes = (struct knet_node_list *)&m->nodes;
	idx->borrowed = true;
	*ret = idx;
	return 0;
}

int knet_who_index_new(struct knet_api *api, struct knet_who_index **ret,
		       struct knet_error *err)
{
	return index_load(api, NULL, ret, err);
}

int knet_who(struct knet_api *api, const char *ip, struct knet_who **ret,
	     struct knet_error *err)
{
	struct knet_who_index *idx = NULL;
	struct addr a;
	int r;

	if (!addr_parse(ip, &a))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "not an IP address");
	r = index_load(api, ip, &idx, err);
	if (r < 0)
		return r;
	r = knet_who_index_lookup(idx, ip, ret);
	knet_who_index_free(idx);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}

char *knet_who_index_label(const struct knet_who_index *idx, const char *ip)
{
	static const struct {
		enum knet_who_kind kind;
		bool host_network;
		const char *prefix;
	} pref[] = {
		{KNET_WHO_POD, false, "pod"},
		{KNET_WHO_SERVICE, false, "svc"},
		{KNET_WHO_NODE, false, "node"},
		{KNET_WHO_POD, true, "pod"},
		{KNET_WHO_ENDPOINT, false, "endpoint"},
	};
	struct knet_who *w = NULL;
	char *label = NULL;

	if (knet_who_index_lookup(idx, ip, &w) < 0)
		return NULL;
	for (size_t p = 0; p < sizeof(pref) / sizeof(*pref) && !label; p++) {
		for (int i = 0; i < w->n && !label; i++) {
			const struct knet_who_match *m = &w->m[i];
			bool hn =
				m->detail && !strcmp(m->detail, "hostNetwork");

			if (m->kind != pref[p].kind ||
			    (m->kind == KNET_WHO_POD &&
			     hn != pref[p].host_network))
				continue;
			if (asprintf(&label, "%s %s%s%s", pref[p].prefix,
				     m->namespace ? m->namespace : "",
				     m->namespace ? "/" : "", m->name) < 0)
				label = NULL;
		}
	}
	knet_who_free(w);
	return label;
}

/* Whether Service @s has port @port (0 or no ports: any). */
static bool service_port(const struct knet_service *s, int port)
{
	if (!port || !s->nports)
		return true;
	for (int i = 0; i < s->nports; i++)
		if (s->ports[i].port == port)
			return true;
	return false;
}

static const struct knet_service_endpoints *endpoints_of(
	const struct knet_who_index *idx, const struct knet_service *s)
{
	for (int i = 0; idx->endpoints && i < idx->endpoints->n; i++) {
		const struct knet_service_endpoints *se =
			idx->endpoints->items[i];

		if (se->namespace && se->service &&
		    !strcmp(se->namespace, s->meta.namespace) &&
		    !strcmp(se->service, s->meta.name))
			return se;
	}
	return NULL;
}

char *knet_who_index_backend_label(const struct knet_who_index *idx,
				   const char *svc_ip, int svc_port,
				   const char *ip, int port)
{
	struct addr sa, a;
	char *label = NULL;

	if (!idx || !addr_parse(svc_ip, &sa) || !addr_parse(ip, &a))
		return NULL;
	for (int i = 0; idx->services && i < idx->services->n && !label; i++) {
		const struct knet_service *s = idx->services->items[i];
		const struct knet_service_endpoints *se;

		if (!(strv_has(&s->cluster_ips, &sa) ||
		      strv_has(&s->external_ips, &sa) ||
		      strv_has(&s->lb_ingress, &sa)) ||
		    !service_port(s, svc_port) || !(se = endpoints_of(idx, s)))
			continue;
		for (int k = 0; k < se->n && !label; k++) {
			const struct knet_endpoint *e = &se->eps[k];
			int r;

			if (!addr_is(&a, e->ip) ||
			    (port && e->port && e->port != port))
				continue;
			if (e->pod_name)
				r = asprintf(&label, "pod %s/%s",
					     e->pod_ns ? e->pod_ns
						       : se->namespace,
					     e->pod_name);
			else
				r = asprintf(&label, "endpoint %s/%s",
					     se->namespace, se->service);
			if (r < 0)
				label = NULL;
		}
	}
	return label;
}
