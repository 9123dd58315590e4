/* SPDX-License-Identifier: MIT */
/*
 * knet_agent_gone(): whether the agent pod a run went through is gone.
 * Deleting the pod kills what runs in it, and the exec stream then ends
 * with the killed command's status (137) rather than dropping: only the
 * pod itself tells that apart from a remote run that died by itself.
 */
#include <errno.h>

#include "knet/agent.h"
#include "knet/api.h"

int knet_agent_gone(struct knet_api *api, const struct knet_agent_ref *ref,
		    struct knet_error *err)
{
	char path[600];
	cJSON *pod = NULL;
	const char *why;
	int r;

	r = knet_api_path(path, sizeof(path), "v1", ref->ns, "pods", ref->pod,
			  err);
	if (r < 0)
		return r;
	r = knet_api_get_json(api, path, &pod, err);
	if (r == -ENOENT)
		why = "deleted";
	else if (r < 0)
		return r;
	else if (knet_json_path(pod, "metadata", "deletionTimestamp",
				KNET_JSON_END))
		why = "being deleted";
	else if (knet_agent_pod_state(pod) == KNET_AGENT_POD_GONE)
		why = "ended";
	else
		why = NULL;
	cJSON_Delete(pod);
	if (!why) {
		knet_error_clear(err);
		return 0;
	}
	knet_error_set(err, -ECONNRESET, KNET_EXIT_SYSTEM,
		       "the agent pod %s/%s went away mid-run (%s)", ref->ns,
		       ref->pod, why);
	return 1;
}
