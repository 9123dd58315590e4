/* SPDX-License-Identifier: MIT */
/*
 * Endpoints of Services: EndpointSlices (discovery.k8s.io v1, else
 * v1beta1 as in Kubernetes 1.20), else the core Endpoints, flattened to
 * one entry per address and port.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

#define SERVICE_NAME_LABEL "kubernetes.io/service-name"
#define HOSTNAME_TOPOLOGY  "kubernetes.io/hostname"

static void endpoint_clear(struct knet_endpoint *e)
{
	free(e->ip);
	free(e->hostname);
	free(e->node);
	free(e->pod_ns);
	free(e->pod_name);
	free(e->port_name);
}

void knet_service_endpoints_free(struct knet_service_endpoints *se)
{
	if (!se)
		return;
	for (int i = 0; i < se->n; i++)
		endpoint_clear(&se->eps[i]);
	free(se->eps);
	free(se->namespace);
	free(se->service);
	free(se);
}

void knet_endpoints_list_free(struct knet_endpoints_list *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n; i++)
		knet_service_endpoints_free(l->items[i]);
	free(l->items);
	free(l);
}

static struct knet_endpoint *grow(struct knet_service_endpoints *se, int add)
{
	struct knet_endpoint *n;

	n = realloc(se->eps, ((size_t)se->n + (size_t)add) * sizeof(*n));
	if (!n)
		return NULL;
	memset(n + se->n, 0, (size_t)add * sizeof(*n));
	se->eps = n;
	return n + se->n;
}

/*
 * Add one address for every port (or once, without a port): @addr is
 * the address object (v1/v1beta1 endpoint or core EndpointAddress).
 */
static int add_address(struct knet_service_endpoints *se, const char *ip,
		       const cJSON *addr, const char *node, bool ready,
		       bool serving, bool terminating, const cJSON *ports)
{
	int nports = cJSON_GetArraySize(ports), k = 0;
	const cJSON *ref = knet_json_get(addr, "targetRef");
	const char *kind = knet_json_str(ref, "kind");
	struct knet_endpoint *e;
	const cJSON *port;

	e = grow(se, nports ? nports : 1);
	if (!e)
		return -ENOMEM;
	for (k = 0; k < (nports ? nports : 1); k++) {
		struct knet_endpoint *x = &e[k];
		const char *proto;

		se->n++;
		x->ip = strdup(ip);
		x->hostname = knet_json_strdup(addr, "hostname");
		x->node = knet_strdup0(node);
		if (kind && !strcmp(kind, "Pod")) {
			x->pod_ns = knet_json_strdup(ref, "namespace");
			x->pod_name = knet_json_strdup(ref, "name");
		}
		x->ready = ready;
		x->serving = serving;
		x->terminating = terminating;
		port = nports ? cJSON_GetArrayItem(ports, k) : NULL;
		x->port = (int)knet_json_int(port, "port", 0);
		x->port_name = knet_json_strdup(port, "name");
		if (x->port_name && !*x->port_name) {
			free(x->port_name);
			x->port_name = NULL;
		}
		proto = knet_json_str(port, "protocol");
		snprintf(x->protocol, sizeof(x->protocol), "%s",
			 proto ? proto : "TCP");
		if (!x->ip)
			return -ENOMEM;
	}
	return 0;
}

int knet_endpoints_add_slice(struct knet_service_endpoints *se,
			     const cJSON *slice)
{
	const cJSON *ports = knet_json_get(slice, "ports"), *ep, *a;

	se->source = "EndpointSlice";
	cJSON_ArrayForEach(ep, knet_json_get(slice, "endpoints"))
	{
		const cJSON *cond = knet_json_get(ep, "conditions");
		/* A missing ready condition means ready (API contract). */
		bool ready = knet_json_bool(cond, "ready", true);
		bool serving = knet_json_bool(cond, "serving", ready);
		bool term = knet_json_bool(cond, "terminating", false);
		const char *node = knet_json_str(ep, "nodeName");

		if (!node)
			node = knet_json_str(knet_json_get(ep, "topology"),
					     HOSTNAME_TOPOLOGY);
		cJSON_ArrayForEach(a, knet_json_get(ep, "addresses"))
		{
			if (!cJSON_IsString(a))
				continue;
			if (add_address(se, a->valuestring, ep, node, ready,
					serving, term, ports) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int knet_endpoints_add_endpoints(struct knet_service_endpoints *se,
				 const cJSON *endpoints)
{
	const cJSON *sub, *a;

	se->source = "Endpoints";
	cJSON_ArrayForEach(sub, knet_json_get(endpoints, "subsets"))
	{
		const cJSON *ports = knet_json_get(sub, "ports");

		for (int ready = 1; ready >= 0; ready--) {
			cJSON_ArrayForEach(
				a,
				knet_json_get(sub, ready ? "addresses"
							 : "notReadyAddresses"))
			{
				const char *ip = knet_json_str(a, "ip");

				if (ip &&
				    add_address(se, ip, a,
						knet_json_str(a, "nodeName"),
						ready, ready, false, ports) < 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

struct gather {
	struct knet_endpoints_list *l;
	int cap;
	bool slices;
};

static struct knet_service_endpoints *entry(struct gather *g, const char *ns,
					    const char *svc)
{
	struct knet_endpoints_list *l = g->l;
	struct knet_service_endpoints *se;

	/* Slices of one Service usually come one after another. */
	for (int i = l->n - 1; i >= 0; i--)
		if (!strcmp(l->items[i]->service, svc) &&
		    !strcmp(l->items[i]->namespace, ns))
			return l->items[i];
	if (l->n == g->cap) {
		int cap = g->cap ? g->cap * 2 : 32;
		void *nv = realloc(l->items, (size_t)cap * sizeof(*l->items));

		if (!nv)
			return NULL;
		l->items = nv;
		g->cap = cap;
	}
	se = calloc(1, sizeof(*se));
	if (!se)
		return NULL;
	se->namespace = strdup(ns);
	se->service = strdup(svc);
	se->source = g->slices ? "EndpointSlice" : "Endpoints";
	if (!se->namespace || !se->service) {
		knet_service_endpoints_free(se);
		return NULL;
	}
	l->items[l->n++] = se;
	return se;
}

static int gather_one(const cJSON *item, void *userdata)
{
	struct gather *g = userdata;
	const cJSON *md = knet_json_get(item, "metadata");
	const char *ns = knet_json_str(md, "namespace") ?: "";
	const char *svc;
	struct knet_service_endpoints *se;

	svc = g->slices ? knet_json_str(knet_json_get(md, "labels"),
					SERVICE_NAME_LABEL)
			: knet_json_str(md, "name");
	if (!svc)
		return 0; /* a slice not managed for a Service */
	se = entry(g, ns, svc);
	if (!se)
		return -ENOMEM;
	return g->slices ? knet_endpoints_add_slice(se, item)
			 : knet_endpoints_add_endpoints(se, item);
}

static int cmp_ep(const void *a, const void *b)
{
	const struct knet_endpoint *x = a, *y = b;
	int c = strcmp(x->ip, y->ip);

	return c ? c : x->port - y->port;
}

static int cmp_se(const void *a, const void *b)
{
	const struct knet_service_endpoints *x = *(void *const *)a;
	const struct knet_service_endpoints *y = *(void *const *)b;
	int c = strcmp(x->namespace, y->namespace);

	return c ? c : strcmp(x->service, y->service);
}

static int list_from(struct knet_api *api, const char *gv, const char *resource,
		     const char *ns, const char *service,
		     const struct knet_list_opts *opts, struct gather *g,
		     struct knet_error *err)
{
	struct knet_list_opts o = {0};
	char path[512], *sel = NULL;
	int r;

	if (opts)
		o = *opts;
	o.model = true; /* the items go through gather_one() only */
	/* The name goes into a selector: a ',' there would add a term. */
	if (service) {
		r = knet_api_check_name(service, err);
		if (r < 0)
			return r;
	}
	if (service && g->slices) {
		if (asprintf(&sel, "%s=%s%s%s", SERVICE_NAME_LABEL, service,
			     o.label_selector && *o.label_selector ? "," : "",
			     o.label_selector ? o.label_selector : "") < 0)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		o.label_selector = sel;
	} else if (service) {
		if (asprintf(&sel, "metadata.name=%s", service) < 0)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		o.field_selector = sel;
	}
	r = knet_api_path(path, sizeof(path), gv, ns, resource, NULL, err);
	if (r < 0) {
		free(sel);
		return r;
	}
	r = knet_api_list(api, path, &o, gather_one, g, NULL, err);
	free(sel);
	if (r == -ENOMEM)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return r;
}

int knet_endpoints_list(struct knet_api *api, const char *ns,
			const char *service, const struct knet_list_opts *opts,
			struct knet_endpoints_list **ret,
			struct knet_error *err)
{
	static const char *const slice_versions[] = {
		"discovery.k8s.io/v1",
		"discovery.k8s.io/v1beta1",
	};
	struct gather g = {0};
	int r = -ENOENT;

	g.l = calloc(1, sizeof(*g.l));
	if (!g.l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	g.slices = true;
	for (size_t i = 0; i < 2 && (r == -ENOENT || r == -EPERM); i++) {
		r = list_from(api, slice_versions[i], "endpointslices", ns,
			      service, opts, &g, err);
		if (r == -ENOENT || r == -EPERM)
			knet_api_log(api, 2, "no %s endpointslices: %s",
				     slice_versions[i], err ? err->reason : "");
	}
	/* No slices (or not allowed to read them): the core Endpoints. */
	if (r == -ENOENT || r == -EPERM) {
		knet_error_clear(err);
		g.slices = false;
		r = list_from(api, "v1", "endpoints", ns, service, opts, &g,
			      err);
	}
	if (r < 0) {
		knet_endpoints_list_free(g.l);
		return r;
	}
	g.l->source = g.slices ? "EndpointSlice" : "Endpoints";
	for (int i = 0; i < g.l->n; i++)
		if (g.l->items[i]->n)
			qsort(g.l->items[i]->eps, (size_t)g.l->items[i]->n,
			      sizeof(struct knet_endpoint), cmp_ep);
	if (g.l->n)
		qsort(g.l->items, (size_t)g.l->n, sizeof(*g.l->items), cmp_se);
	*ret = g.l;
	return 0;
}

const struct knet_service_endpoints *knet_endpoints_list_find(
	const struct knet_endpoints_list *l, const char *ns,
	const char *service)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->items[i]->namespace, ns) &&
		    !strcmp(l->items[i]->service, service))
			return l->items[i];
	return NULL;
}
