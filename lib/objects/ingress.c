/* SPDX-License-Identifier: MIT */
/* The Ingress model, from networking.k8s.io/v1 or v1beta1. */
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

#define CLASS_ANNOTATION "kubernetes.io/ingress.class"

static void path_clear(struct knet_ingress_path *p)
{
	free(p->host);
	free(p->path);
	free(p->path_type);
	free(p->service);
	free(p->port);
	free(p->resource);
}

void knet_ingress_free(struct knet_ingress *i)
{
	if (!i)
		return;
	knet_meta_clear(&i->meta);
	free(i->class_name);
	knet_strv_clear(&i->hosts);
	knet_strv_clear(&i->addresses);
	for (int k = 0; k < i->npaths; k++)
		path_clear(&i->paths[k]);
	free(i->paths);
	knet_strv_clear(&i->tls_hosts);
	knet_strv_clear(&i->tls_secrets);
	free(i);
}

/* A backend of either version into @p (service + port, or resource). */
static int parse_backend(const cJSON *b, struct knet_ingress_path *p)
{
	const cJSON *svc = knet_json_get(b, "service");
	const cJSON *res = knet_json_get(b, "resource");
	const cJSON *port;

	if (svc) { /* v1 */
		p->service = knet_json_strdup(svc, "name");
		port = knet_json_get(svc, "port");
		if (knet_json_get(port, "number")) {
			if (asprintf(&p->port, "%lld",
				     knet_json_int(port, "number", 0)) < 0)
				return -ENOMEM;
		} else {
			p->port = knet_json_strdup(port, "name");
		}
	} else if (knet_json_get(b, "serviceName")) { /* v1beta1 */
		p->service = knet_json_strdup(b, "serviceName");
		port = knet_json_get(b, "servicePort");
		if (cJSON_IsNumber(port)) {
			if (asprintf(&p->port, "%d", port->valueint) < 0)
				return -ENOMEM;
		} else if (cJSON_IsString(port)) {
			p->port = strdup(port->valuestring);
		}
	} else if (res) {
		if (asprintf(&p->resource, "%s/%s",
			     knet_json_str(res, "kind") ?: "?",
			     knet_json_str(res, "name") ?: "?") < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_paths(const cJSON *spec, struct knet_ingress *i)
{
	const cJSON *rule, *path, *def;
	int n = 1;

	cJSON_ArrayForEach(rule, knet_json_get(spec, "rules")) n +=
		cJSON_GetArraySize(
			knet_json_path(rule, "http", "paths", KNET_JSON_END))
			?: 1;
	i->paths = calloc((size_t)n, sizeof(*i->paths));
	if (!i->paths)
		return -ENOMEM;
	cJSON_ArrayForEach(rule, knet_json_get(spec, "rules"))
	{
		const char *host = knet_json_str(rule, "host");

		if (host && *host && !knet_strv_contains(&i->hosts, host) &&
		    knet_strv_push(&i->hosts, host) < 0)
			return -ENOMEM;
		cJSON_ArrayForEach(path, knet_json_path(rule, "http", "paths",
							KNET_JSON_END))
		{
			struct knet_ingress_path *p = &i->paths[i->npaths++];

			p->host = host && *host ? strdup(host) : NULL;
			p->path = knet_json_strdup(path, "path");
			p->path_type = knet_json_strdup(path, "pathType");
			if (parse_backend(knet_json_get(path, "backend"), p) <
			    0)
				return -ENOMEM;
		}
	}
	def = knet_json_get(spec, "defaultBackend")
		      ?: knet_json_get(spec, "backend");
	if (def) {
		i->paths[i->npaths].is_default = true;
		if (parse_backend(def, &i->paths[i->npaths++]) < 0)
			return -ENOMEM;
	}
	return 0;
}

int knet_ingress_from_json(const cJSON *item, struct knet_ingress **ret)
{
	const cJSON *spec = knet_json_get(item, "spec"), *it, *h;
	const char *cls;
	struct knet_ingress *i;

	i = calloc(1, sizeof(*i));
	if (!i || knet_meta_from_json(item, &i->meta) < 0)
		goto oom;
	cls = knet_json_str(spec, "ingressClassName");
	if (!cls)
		cls = knet_json_str(knet_json_path(item, "metadata",
						   "annotations",
						   KNET_JSON_END),
				    CLASS_ANNOTATION);
	if (cls && !(i->class_name = strdup(cls)))
		goto oom;
	if (parse_paths(spec, i) < 0)
		goto oom;
	cJSON_ArrayForEach(it, knet_json_path(item, "status", "loadBalancer",
					      "ingress", KNET_JSON_END))
	{
		const char *a = knet_json_str(it, "ip")
					?: knet_json_str(it, "hostname");

		if (a && *a && knet_strv_push(&i->addresses, a) < 0)
			goto oom;
	}
	cJSON_ArrayForEach(it, knet_json_get(spec, "tls")){
		cJSON_ArrayForEach(h, knet_json_get(it, "hosts")){
			const char *secret = knet_json_str(it, "secretName");

	if (cJSON_IsString(h) &&
	    (knet_strv_push(&i->tls_hosts, h->valuestring) < 0 ||
	     knet_strv_push(&i->tls_secrets, secret ? secret : "") < 0))
		goto oom;
}
}
*ret = i;
return 0;
oom : knet_ingress_free(i);
return -ENOMEM;
}

static int parse_ingress(const cJSON *item, void **ret)
{
	return knet_ingress_from_json(item, (struct knet_ingress **)ret);
}

static void free_ingress(void *p)
{
	knet_ingress_free(p);
}

void knet_ingress_list_free(struct knet_ingress_list *l)
{
	if (l)
		knet_k8s_items_free((void **)l->items, l->n, free_ingress);
	free(l);
}

/* List ingresses of @gv (a group/version) in @ns, NULL for all. */
static int list_ingress(struct knet_api *api, const char *gv, const char *ns,
			const struct knet_list_opts *opts,
			struct knet_ingress_list **ret, struct knet_error *err)
{
	struct knet_ingress_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, gv, ns, "ingresses", opts, parse_ingress,
			     (void ***)&l->items, &l->n, NULL, err);
	if (r < 0) {
		knet_ingress_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

int knet_ingress_list(struct knet_api *api, const char *ns,
		      const struct knet_list_opts *opts,
		      struct knet_ingress_list **ret, struct knet_error *err)
{
	int r;

	/* v1 since Kubernetes 1.19; v1beta1 before (and until 1.22). */
	r = list_ingress(api, "networking.k8s.io/v1", ns, opts, ret, err);
	if (r == -ENOENT)
		r = list_ingress(api, "networking.k8s.io/v1beta1", ns, opts,
				 ret, err);
	return r;
}

int knet_ingress_get(struct knet_api *api, const char *ns, const char *name,
		     struct knet_ingress **ret, struct knet_error *err)
{
	int r;

	r = knet_k8s_get(api, "networking.k8s.io/v1", ns, "ingresses", name,
			 parse_ingress, (void **)ret, err);
	/* A 404 may mean "no v1 here" as well as "no such ingress". */
	if (r == -ENOENT)
		r = knet_k8s_get(api, "networking.k8s.io/v1beta1", ns,
				 "ingresses", name, parse_ingress, (void **)ret,
				 err);
	return r;
}
