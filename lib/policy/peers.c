/* SPDX-License-Identifier: MIT */
/*
 * What a policy refers to right now: the pods it selects and the pods
 * each rule's peers resolve to (`knet netpol NAME`, `-o wide`).
 */
#include <string.h>

#include "policy-internal.h"

int knet_policy_selected(const struct knet_policy *p,
			 const struct knet_netpol *np, int *ret_idx)
{
	int n = 0;

	for (int i = 0; i < p->w.npods; i++) {
		const struct knet_pod *pod = p->w.pods[i];

		if (pod->meta.namespace && np->meta.namespace &&
		    !strcmp(pod->meta.namespace, np->meta.namespace) &&
		    knet_selector_matches(&np->selector, &pod->meta.labels))
			ret_idx[n++] = i;
	}
	return n;
}

int knet_policy_rule_pods(const struct knet_policy *p,
			  const struct knet_netpol *np, bool ingress, int rule,
			  int *ret_idx)
{
	const struct knet_netpol_rule *r =
		ingress ? &np->in[rule] : &np->out[rule];
	int n = 0, score;

	if (rule < 0 || rule >= (ingress ? np->n_in : np->n_out))
		return 0;
	if (r->npeers == 0)
		return -1; /* every peer, in or out of the cluster */
	for (int i = 0; i < p->w.npods; i++) {
		struct knet_policy_end e;

		knet_policy_pod_end(p, i, &e);
		for (int j = 0; j < r->npeers; j++)
			if (policy_peer_match(p, np, &r->peers[j], &e, NULL,
					      &score)) {
				ret_idx[n++] = i;
				break;
			}
	}
	return n;
}
