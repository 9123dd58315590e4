/* SPDX-License-Identifier: MIT */
/* The NetworkPolicy model: a summary plus the spec for analysis. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

void knet_netpol_free(struct knet_netpol *p)
{
	if (!p)
		return;
	knet_meta_clear(&p->meta);
	free(p->pod_selector);
	cJSON_Delete(p->spec);
	free(p);
}

int knet_netpol_from_json(const cJSON *item, struct knet_netpol **ret)
{
	const cJSON *spec = knet_json_get(item, "spec"), *t;
	const cJSON *types = knet_json_get(spec, "policyTypes");
	struct knet_netpol *p;

	p = calloc(1, sizeof(*p));
	if (!p || knet_meta_from_json(item, &p->meta) < 0)
		goto oom;
	p->pod_selector =
		knet_selector_format(knet_json_get(spec, "podSelector"));
	p->spec = cJSON_Duplicate(spec ? spec : NULL, true);
	if (!p->pod_selector || (spec && !p->spec))
		goto oom;
	if (cJSON_GetArraySize(types) > 0) {
		cJSON_ArrayForEach(t, types)
		{
			if (!cJSON_IsString(t))
				continue;
			if (!strcmp(t->valuestring, "Ingress"))
				p->ingress = true;
			else if (!strcmp(t->valuestring, "Egress"))
				p->egress = true;
		}
	} else {
		/* The API's default: Ingress, plus Egress if it has rules. */
		p->ingress = true;
		p->egress = knet_json_get(spec, "egress") != NULL;
	}
	p->ingress_rules =
		p->ingress ? cJSON_GetArraySize(knet_json_get(spec, "ingress"))
			   : -1;
	p->egress_rules =
		p->egress ? cJSON_GetArraySize(knet_json_get(spec, "egress"))
			  : -1;
	*ret = p;
	return 0;
oom:
	knet_netpol_free(p);
	return -ENOMEM;
}

static int parse_netpol(const cJSON *item, void **ret)
{
	return knet_netpol_from_json(item, (struct knet_netpol **)ret);
}

static void free_netpol(void *p)
{
	knet_netpol_free(p);
}

void knet_netpol_list_free(struct knet_netpol_list *l)
{
	if (l)
		knet_k8s_items_free((void **)l->items, l->n, free_netpol);
	free(l);
}

/* List networkpolicies of @gv (a group/version) in @ns, NULL for all. */
static int list_netpol(struct knet_api *api, const char *gv, const char *ns,
		       const struct knet_list_opts *opts,
		       struct knet_netpol_list **ret, struct knet_error *err)
{
	struct knet_netpol_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, gv, ns, "networkpolicies", opts, parse_netpol,
			     (void ***)&l->items, &l->n, NULL, err);
	if (r < 0) {
		knet_netpol_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

int knet_netpol_get(struct knet_api *api, const char *ns, const char *name,
		    struct knet_netpol **ret, struct knet_error *err)
{
	return knet_k8s_get(api, "networking.k8s.io/v1", ns, "networkpolicies",
			    name, parse_netpol, (void **)ret, err);
}

int knet_netpol_list(struct knet_api *api, const char *ns,
		     const struct knet_list_opts *opts,
		     struct knet_netpol_list **ret, struct knet_error *err)
{
	return list_netpol(api, "networking.k8s.io/v1", ns, opts, ret, err);
}
