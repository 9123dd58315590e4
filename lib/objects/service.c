/* SPDX-License-Identifier: MIT */
/* The Service model. */
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
#include "knet/output.h"

void knet_service_free(struct knet_service *s)
{
	if (!s)
		return;
	knet_meta_clear(&s->meta);
	free(s->type);
	knet_strv_clear(&s->cluster_ips);
	knet_strv_clear(&s->external_ips);
	knet_strv_clear(&s->lb_ingress);
	free(s->external_name);
	for (int i = 0; i < s->nports; i++) {
		free(s->ports[i].name);
		free(s->ports[i].target_port);
		free(s->ports[i].app_protocol);
	}
	free(s->ports);
	knet_labels_clear(&s->selector);
	free(s->session_affinity);
	free(s->external_traffic_policy);
	free(s);
}

/* Push the strings of a JSON array (or a lone string) into @sv. */
static int push_strings(struct knet_strv *sv, const cJSON *arr)
{
	const cJSON *it;

	if (cJSON_IsString(arr))
		return *arr->valuestring ? knet_strv_push(sv, arr->valuestring)
					 : 0;
	cJSON_ArrayForEach(it, arr) if (cJSON_IsString(it) &&
					*it->valuestring &&
					knet_strv_push(sv, it->valuestring) <
						0) return -ENOMEM;
	return 0;
}

static int parse_ports(const cJSON *spec, struct knet_service *s)
{
	const cJSON *it;
	int n = cJSON_GetArraySize(knet_json_get(spec, "ports"));

	if (!n)
		return 0;
	s->ports = calloc((size_t)n, sizeof(*s->ports));
	if (!s->ports)
		return -ENOMEM;
	cJSON_ArrayForEach(it, knet_json_get(spec, "ports"))
	{
		struct knet_service_port *p = &s->ports[s->nports++];
		const char *proto = knet_json_str(it, "protocol");
		const cJSON *tp = knet_json_get(it, "targetPort");

		p->name = knet_json_strdup(it, "name");
		p->app_protocol = knet_json_strdup(it, "appProtocol");
		snprintf(p->protocol, sizeof(p->protocol), "%s",
			 proto ? proto : "TCP");
		p->port = (int)knet_json_int(it, "port", 0);
		p->node_port = (int)knet_json_int(it, "nodePort", 0);
		if (cJSON_IsNumber(tp)) {
			if (asprintf(&p->target_port, "%d", tp->valueint) < 0)
				return -ENOMEM;
		} else if (cJSON_IsString(tp) && *tp->valuestring) {
			p->target_port = strdup(tp->valuestring);
			if (!p->target_port)
				return -ENOMEM;
		}
	}
	return 0;
}

int knet_service_from_json(const cJSON *item, struct knet_service **ret)
{
	const cJSON *spec = knet_json_get(item, "spec"), *it;
	const cJSON *sel = knet_json_get(spec, "selector");
	struct knet_service *s;
	const char *cip;

	s = calloc(1, sizeof(*s));
	if (!s || knet_meta_from_json(item, &s->meta) < 0)
		goto oom;
	s->type = strdup(knet_json_str(spec, "type") ?: "ClusterIP");
	s->external_name = knet_json_strdup(spec, "externalName");
	s->session_affinity = knet_json_strdup(spec, "sessionAffinity");
	s->external_traffic_policy =
		knet_json_strdup(spec, "externalTrafficPolicy");
	if (!s->type)
		goto oom;
	if (push_strings(&s->cluster_ips, knet_json_get(spec, "clusterIPs")) <
	    0)
		goto oom;
	cip = knet_json_str(spec, "clusterIP");
	if (!s->cluster_ips.n && cip && *cip &&
	    knet_strv_push(&s->cluster_ips, cip) < 0)
		goto oom;
	s->headless = cip && !strcmp(cip, "None");
	if (push_strings(&s->external_ips, knet_json_get(spec, "externalIPs")) <
	    0)
		goto oom;
	cJSON_ArrayForEach(it, knet_json_path(item, "status", "loadBalancer",
					      "ingress", KNET_JSON_END))
	{
		if (push_strings(&s->lb_ingress, knet_json_get(it, "ip")) < 0 ||
		    push_strings(&s->lb_ingress,
				 knet_json_get(it, "hostname")) < 0)
			goto oom;
	}
	s->has_selector = cJSON_IsObject(sel) && cJSON_GetArraySize(sel) > 0;
	if (knet_labels_from_json(sel, &s->selector) < 0 ||
	    parse_ports(spec, s) < 0)
		goto oom;
	*ret = s;
	return 0;
oom:
	knet_service_free(s);
	return -ENOMEM;
}

static int parse_service(const cJSON *item, void **ret)
{
	return knet_service_from_json(item, (struct knet_service **)ret);
}

static void free_service(void *p)
{
	knet_service_free(p);
}

void knet_service_list_free(struct knet_service_list *l)
{
	if (l)
		knet_k8s_items_free((void **)l->items, l->n, free_service);
	free(l);
}

/* List services of @gv (a group/version) in @ns, NULL for all. */
static int list_service(struct knet_api *api, const char *gv, const char *ns,
			const struct knet_list_opts *opts,
			struct knet_service_list **ret, struct knet_error *err)
{
	struct knet_service_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, gv, ns, "services", opts, parse_service,
			     (void ***)&l->items, &l->n, NULL, err);
	if (r < 0) {
		knet_service_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

int knet_service_get(struct knet_api *api, const char *ns, const char *name,
		     struct knet_service **ret, struct knet_error *err)
{
	return knet_k8s_get(api, "v1", ns, "services", name, parse_service,
			    (void **)ret, err);
}

int knet_service_list(struct knet_api *api, const char *ns,
		      const struct knet_list_opts *opts,
		      struct knet_service_list **ret, struct knet_error *err)
{
	return list_service(api, "v1", ns, opts, ret, err);
}

const struct knet_service_port *knet_service_find_port(
	const struct knet_service *svc, const char *port)
{
	char *end;
	long n = strtol(port, &end, 10);

	for (int i = 0; i < svc->nports; i++) {
		const struct knet_service_port *p = &svc->ports[i];

		if (!*end && p->port == n)
			return p;
		if (p->name && !strcmp(p->name, port))
			return p;
	}
	return NULL;
}

int knet_service_port_check(const char *port, struct knet_error *err)
{
	size_t n = strlen(port);

	/* A number: a port's, never 0 (kubectl's "web:0" is a typo). */
	if (n && strspn(port, "0123456789") == n) {
		if (n <= 5 && atol(port) >= 1 && atol(port) <= 65535)
			return 0;
	} else if (knet_api_dns_label(port, n)) {
		return 0;
	}
	/* From the command line: escaped before it reaches a terminal. */
	{
		char *safe = knet_text_escape(port, false);

		knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
			       "bad port '%s': give a number 1-65535 or a port "
			       "name (a DNS-1123 label)",
			       safe ? safe : "?");
		free(safe);
	}
	return -EINVAL;
}
