/* SPDX-License-Identifier: MIT */
/*
 * The engine over a manifest (from files or knet_manifest_fetch): every
 * kind the world holds, borrowed from @m.  knet policy and knet diagnose
 * build their engines the same way.
 */
#include "knet/policy.h"

int knet_policy_new_manifest(const struct knet_manifest *m,
			     struct knet_policy **ret, struct knet_error *err)
{
	struct knet_policy_world w = {
		.namespaces = m->namespaces.items,
		.nnamespaces = m->namespaces.n,
		.pods = m->pods.items,
		.npods = m->pods.n,
		.netpols = m->netpols.items,
		.nnetpols = m->netpols.n,
		.services = m->services.items,
		.nservices = m->services.n,
		.nodes = m->nodes.items,
		.nnodes = m->nodes.n,
		.endpoints = m->endpoints.items,
		.nendpoints = m->endpoints.n,
	};

	return knet_policy_new(&w, ret, err);
}
