/* SPDX-License-Identifier: MIT */
/*
 * The manifest loader (-f FILE: YAML or JSON, several documents, v1
 * Lists) and the policy engine on what it loaded: the index, verdicts
 * between the first pods (by number, by name, every port), what each
 * policy selects and its rules' peers, Service and node targets.
 */
#include <stdio.h>

#include "knet/objects.h"
#include "knet/policy.h"

#include "fuzz.h"

#define PODS_MAX 6

static void verdicts(const struct knet_policy *p, const struct knet_manifest *m)
{
	static const char *const ports[] = {NULL, "80", "http", "53"};
	struct knet_policy_end a, b;
	struct knet_policy_verdict v;
	struct knet_error err = {0};
	int npods = m->pods.n < PODS_MAX ? m->pods.n : PODS_MAX;

	for (int i = 0; i < npods; i++) {
		knet_policy_pod_end(p, i, &a);
		for (int j = 0; j < npods; j++) {
			knet_policy_pod_end(p, j, &b);
			for (size_t k = 0; k < sizeof(ports) / sizeof(*ports);
			     k++)
				knet_policy_allowed(p, &a, &b, ports[k],
						    k == 3 ? "UDP" : "TCP");
			memset(&v, 0, sizeof(v));
			if (knet_policy_check(p, &a, &b, "80", "TCP", &v,
					      &err) == 0)
				knet_policy_verdict_clear(&v);
		}
	}
}

static void targets(const struct knet_policy *p, const struct knet_manifest *m)
{
	struct knet_policy_target t;
	struct knet_error err = {0};
	char spec[320];

	for (int i = 0; i < m->services.n && i < 4; i++) {
		const struct knet_service *s = m->services.items[i];

		if (!s->meta.name)
			continue;
		snprintf(spec, sizeof(spec), "svc/%s", s->meta.name);
		memset(&t, 0, sizeof(t));
		if (knet_policy_resolve(p, spec,
					s->meta.namespace ? s->meta.namespace
							  : "default",
					s->nports ? NULL : "80", &t, &err) == 0)
			knet_policy_target_clear(&t);
	}
	for (int i = 0; i < m->nodes.n && i < 4; i++) {
		if (!m->nodes.items[i]->meta.name)
			continue;
		snprintf(spec, sizeof(spec), "node/%s",
			 m->nodes.items[i]->meta.name);
		memset(&t, 0, sizeof(t));
		if (knet_policy_resolve(p, spec, "default", NULL, &t, &err) ==
		    0)
			knet_policy_target_clear(&t);
	}
}

static void selections(const struct knet_policy *p,
		       const struct knet_manifest *m)
{
	int *idx = malloc(sizeof(*idx) * (size_t)(m->pods.n + 1));

	if (!idx)
		return;
	for (int i = 0; i < m->netpols.n && i < 8; i++) {
		const struct knet_netpol *np = m->netpols.items[i];

		knet_policy_selected(p, np, idx);
		for (int r = 0; r < np->n_in && r < 4; r++)
			knet_policy_rule_pods(p, np, true, r, idx);
		for (int r = 0; r < np->n_out && r < 4; r++)
			knet_policy_rule_pods(p, np, false, r, idx);
	}
	free(idx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knet_policy_world w = {0};
	struct knet_policy *p = NULL;
	struct knet_error err = {0};
	struct knet_manifest *m = knet_manifest_new();
	struct knet_manifest *into = knet_manifest_new();

	if (!m || !into)
		goto out;
	if (knet_manifest_load_text(m, "fuzz.yaml", (const char *)data, size,
				    "default", &err) < 0)
		goto out;
	/* --cluster -f: the files over what the cluster had (empty). */
	if (knet_manifest_merge(into, m, &err) < 0)
		goto out;
	w.namespaces = into->namespaces.items;
	w.nnamespaces = into->namespaces.n;
	w.pods = into->pods.items;
	w.npods = into->pods.n;
	w.netpols = into->netpols.items;
	w.nnetpols = into->netpols.n;
	w.services = into->services.items;
	w.nservices = into->services.n;
	w.nodes = into->nodes.items;
	w.nnodes = into->nodes.n;
	w.endpoints = into->endpoints.items;
	w.nendpoints = into->endpoints.n;
	if (knet_policy_new(&w, &p, &err) < 0)
		goto out;
	verdicts(p, into);
	targets(p, into);
	selections(p, into);
	knet_policy_free(p);
out:
	knet_manifest_free(m);
	knet_manifest_free(into);
	return 0;
}
