/* SPDX-License-Identifier: MIT */
/*
 * TO BE REPLACED by lib/agent (branch h-agent): a stand-in for
 * knet_agent_for_node() so that the pods/exec relay (knet __k8s-exec)
 * can be built and tested before the real one lands.  It takes the pod
 * that KNET_AGENT_POD=NS/NAME names, checks that it runs on the node,
 * and uses its first container.  Weak, so the real definition wins;
 * delete this file when lib/agent is merged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/agent.h"
#include "knet/api.h"

__attribute__((weak)) int knet_agent_for_node(struct knet_api *api,
					      const char *node,
					      const struct knet_agent_opts *o,
					      struct knet_agent_ref *ret,
					      struct knet_error *err)
{
	const char *env = getenv("KNET_AGENT_POD"), *slash, *on;
	const cJSON *containers, *first;
	struct knet_agent_ref ref = {0};
	char path[600];
	cJSON *pod = NULL;
	int r;

	(void)o;
	if (!env || !(slash = strchr(env, '/')) || slash == env ||
	    (size_t)(slash - env) >= sizeof(ref.ns) ||
	    strlen(slash + 1) >= sizeof(ref.pod))
		return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				      "no agent pod for node %s (lib/agent is "
				      "not merged yet: set "
				      "KNET_AGENT_POD=NS/NAME)",
				      node);
	snprintf(ref.ns, sizeof(ref.ns), "%.*s", (int)(slash - env), env);
	snprintf(ref.pod, sizeof(ref.pod), "%s", slash + 1);
	r = knet_api_path(path, sizeof(path), "v1", ref.ns, "pods", ref.pod,
			  err);
	if (r < 0)
		return r;
	r = knet_api_get_json(api, path, &pod, err);
	if (r < 0)
		return r;
	on = knet_json_str(knet_json_get(pod, "spec"), "nodeName");
	if (!on || strcmp(on, node)) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				   "agent pod %s/%s runs on node %s, not %s",
				   ref.ns, ref.pod, on ? on : "(none)", node);
		goto out;
	}
	containers = knet_json_path(pod, "spec", "containers", KNET_JSON_END);
	first = cJSON_IsArray(containers) ? cJSON_GetArrayItem(containers, 0)
					  : NULL;
	snprintf(ref.container, sizeof(ref.container), "%s",
		 knet_json_str(first, "name") ?: "");
	*ret = ref;
	r = 0;
out:
	cJSON_Delete(pod);
	return r;
}
