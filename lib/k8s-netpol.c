/* SPDX-License-Identifier: MIT */
/* The NetworkPolicy model: a summary plus the spec for analysis. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-objects-internal.h"
#include "knet/k8s-json.h"
#include "knet/k8s-objects.h"

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

KNET_K8S_LIST_FUNCS(netpol, "networkpolicies", knet_netpol_free)

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
