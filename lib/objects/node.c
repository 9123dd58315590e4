/* SPDX-License-Identifier: MIT */
/* The node model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

#define ROLE_PREFIX "node-role.kubernetes.io/"

void knet_node_free(struct knet_node *n)
{
	if (!n)
		return;
	knet_meta_clear(&n->meta);
	free(n->ready_reason);
	knet_strv_clear(&n->internal_ips);
	knet_strv_clear(&n->external_ips);
	free(n->hostname);
	knet_strv_clear(&n->pod_cidrs);
	free(n->kubelet_version);
	knet_strv_clear(&n->roles);
	free(n);
}

static int parse_status(const cJSON *status, struct knet_node *n)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, knet_json_get(status, "conditions"))
	{
		const char *t = knet_json_str(it, "type");

		if (!t || strcmp(t, "Ready"))
			continue;
		/* The last Ready condition wins, with its own reason only. */
		n->ready = !strcmp(knet_json_str(it, "status") ?: "", "True");
		free(n->ready_reason);
		n->ready_reason = NULL;
		if (!n->ready) {
			const char *why = knet_json_str(it, "reason");

			n->ready_reason =
				strdup(why && *why ? why : "NotReady");
			if (!n->ready_reason)
				return -ENOMEM;
		}
	}
	cJSON_ArrayForEach(it, knet_json_get(status, "addresses"))
	{
		const char *t = knet_json_str(it, "type") ?: "";
		const char *a = knet_json_str(it, "address");
		int r = 0;

		if (!a || !*a)
			continue;
		if (!strcmp(t, "InternalIP"))
			r = knet_strv_push(&n->internal_ips, a);
		else if (!strcmp(t, "ExternalIP"))
			r = knet_strv_push(&n->external_ips, a);
		else if (!strcmp(t, "Hostname") && !n->hostname &&
			 !(n->hostname = strdup(a)))
			r = -ENOMEM;
		if (r < 0)
			return r;
	}
	n->kubelet_version = knet_json_strdup(knet_json_get(status, "nodeInfo"),
					      "kubeletVersion");
	return 0;
}

int knet_node_from_json(const cJSON *item, struct knet_node **ret)
{
	const cJSON *spec = knet_json_get(item, "spec"), *it;
	struct knet_node *n;
	const char *cidr;

	n = calloc(1, sizeof(*n));
	if (!n || knet_meta_from_json(item, &n->meta) < 0)
		goto oom;
	n->unschedulable = knet_json_bool(spec, "unschedulable", false);
	cJSON_ArrayForEach(
		it,
		knet_json_get(spec,
			      "podCIDRs")) if (cJSON_IsString(it) &&
					       knet_strv_push(&n->pod_cidrs,
							      it->valuestring) <
						       0) goto oom;
	cidr = knet_json_str(spec, "podCIDR");
	if (!n->pod_cidrs.n && cidr && *cidr &&
	    knet_strv_push(&n->pod_cidrs, cidr) < 0)
		goto oom;
	for (int i = 0; i < n->meta.labels.n; i++) {
		const char *k = n->meta.labels.kv[i].key;

		if (!strncmp(k, ROLE_PREFIX, strlen(ROLE_PREFIX)) &&
		    k[strlen(ROLE_PREFIX)] &&
		    knet_strv_push(&n->roles, k + strlen(ROLE_PREFIX)) < 0)
			goto oom;
	}
	if (parse_status(knet_json_get(item, "status"), n) < 0)
		goto oom;
	*ret = n;
	return 0;
oom:
	knet_node_free(n);
	return -ENOMEM;
}

static int parse_node(const cJSON *item, void **ret)
{
	return knet_node_from_json(item, (struct knet_node **)ret);
}

static void free_node(void *p)
{
	knet_node_free(p);
}

void knet_node_list_free(struct knet_node_list *l)
{
	if (l)
		knet_k8s_items_free((void **)l->items, l->n, free_node);
	free(l);
}

/* List nodes of @gv (a group/version) in @ns, NULL for all. */
static int list_node(struct knet_api *api, const char *gv, const char *ns,
		     const struct knet_list_opts *opts,
		     struct knet_node_list **ret, struct knet_error *err)
{
	struct knet_node_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, gv, ns, "nodes", opts, parse_node,
			     (void ***)&l->items, &l->n, NULL, err);
	if (r < 0) {
		knet_node_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

int knet_node_get(struct knet_api *api, const char *name,
		  struct knet_node **ret, struct knet_error *err)
{
	return knet_k8s_get(api, "v1", NULL, "nodes", name, parse_node,
			    (void **)ret, err);
}

int knet_node_list(struct knet_api *api, const struct knet_list_opts *opts,
		   struct knet_node_list **ret, struct knet_error *err)
{
	return list_node(api, "v1", NULL, opts, ret, err);
}
