/* SPDX-License-Identifier: MIT */
/*
 * Which node is this?  The kubelet registers a Node with this host's
 * InternalIP, so the Node whose InternalIP sits on a local interface is
 * us; --node says it outright when that does not hold (NAT, several
 * nodes on one host as in the lab).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/objects.h"
#include "knet/node.h"

int knet_node_self(struct knet_api *api, const char *override, char **ret_name,
		   struct knet_error *err)
{
	struct knet_node_list *nodes = NULL;
	char *found = NULL;
	int r;

	if (override && *override) {
		/* It goes into field selectors and paths: a node name only. */
		r = knet_api_check_name(override, err);
		if (r < 0)
			return r;
		found = strdup(override);
		if (!found)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		*ret_name = found;
		return 0;
	}
	if (!api)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "which node is this? give --node NAME");
	r = knet_node_list(api, NULL, &nodes, err);
	if (r < 0)
		return r;
	for (int i = 0; i < nodes->n && !found; i++) {
		const struct knet_node *n = nodes->items[i];

		for (int j = 0; j < n->internal_ips.n && !found; j++) {
			bool local = false;

			r = knet_node_ip_is_local(n->internal_ips.v[j], &local,
						  err);
			if (r < 0)
				goto out;
			if (local)
				found = strdup(n->meta.name);
		}
	}
	if (!found) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				   "no Node has an InternalIP on this host's "
				   "interfaces; give --node NAME");
		goto out;
	}
	*ret_name = found;
	r = 0;
out:
	knet_node_list_free(nodes);
	return r;
}
