/* SPDX-License-Identifier: MIT */
/*
 * knet_agent_for_nodes(): the agent pods of a fan-out's nodes from one
 * list of the agent namespace, where knet_agent_for_node() per node
 * would list it once for each.  A node whose agent the list does not
 * give (none running there: an ephemeral one is to be made, or waited
 * for) goes the one-node way, which says in words what is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "knet/agent.h"
#include "knet/api.h"

int knet_agent_ref_fill(struct knet_agent_ref *ret, const cJSON *pod,
			bool ephemeral, struct knet_error *err)
{
	const cJSON *md = knet_json_get(pod, "metadata");
	const char *ns = knet_json_str(md, "namespace");
	const char *name = knet_json_str(md, "name");
	const cJSON *c0 = cJSON_GetArrayItem(
		knet_json_path(pod, "spec", "containers", KNET_JSON_END), 0);
	const char *c = knet_json_str(c0, "name");

	if (!ns || !name || !c ||
	    (size_t)snprintf(ret->ns, sizeof(ret->ns), "%s", ns) >=
		    sizeof(ret->ns) ||
	    (size_t)snprintf(ret->pod, sizeof(ret->pod), "%s", name) >=
		    sizeof(ret->pod) ||
	    (size_t)snprintf(ret->container, sizeof(ret->container), "%s", c) >=
		    sizeof(ret->container))
		return knet_error_set(err, -EBADMSG, KNET_EXIT_API,
				      "the agent pod has no usable name");
	ret->ephemeral = ephemeral;
	return 0;
}

int knet_agent_pick_nodes(const cJSON *items, const char *const *nodes, int n,
			  time_t now, struct knet_agent_ref *refs)
{
	int found = 0;

	for (int i = 0; i < n; i++) {
		struct knet_error e = {0};
		enum knet_agent_pick pick;
		const cJSON *pod;
		int at;

		memset(&refs[i], 0, sizeof(refs[i]));
		pick = knet_agent_pick(items, nodes[i], now, &at);
		pod = at >= 0 ? cJSON_GetArrayItem(items, at) : NULL;
		/* knet_agent_for_node()'s rule */
		if (!knet_agent_pick_usable(pick, pod))
			continue;
		if (knet_agent_ref_fill(&refs[i], pod,
					pick == KNET_AGENT_PICK_EPHEMERAL,
					&e) < 0)
			memset(&refs[i], 0, sizeof(refs[i]));
		else
			found++;
	}
	return found;
}

int knet_agent_for_nodes(struct knet_api *api, const char *const *nodes, int n,
			 const struct knet_agent_opts *o,
			 struct knet_agent_ref *refs, int *rs,
			 struct knet_error *errs)
{
	const char *ns = o && o->namespace && o->namespace[0]
				 ? o->namespace
				 : KNET_AGENT_NAMESPACE;
	struct knet_error e = {0};
	cJSON *items = NULL;
	int got = 0;

	for (int i = 0; i < n; i++)
		memset(&refs[i], 0, sizeof(refs[i]));
	/* A failed list (RBAC, no namespace): each node says it below. */
	if (knet_api_check_namespace(ns, &e) == 0 &&
	    knet_agent_list_pods(api, ns, &items, &e) == 0) {
		knet_agent_reap(api, items, time(NULL), false, &e);
		knet_agent_pick_nodes(items, nodes, n, time(NULL), refs);
	}
	cJSON_Delete(items);
	for (int i = 0; i < n; i++) {
		rs[i] = 0;
		if (!refs[i].pod[0])
			rs[i] = knet_agent_for_node(api, nodes[i], o, &refs[i],
						    &errs[i]);
		got += rs[i] == 0;
	}
	return got;
}
