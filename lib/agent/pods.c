/* SPDX-License-Identifier: MIT */
/*
 * Reading agent pods: their state, their expiry, why one cannot start,
 * and which one a node's run uses.  Pure functions of the Pod JSON, so
 * the unit tests cover every case without a cluster.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/agent.h"
#include "knet/api.h"

static const char *label(const cJSON *pod, const char *key)
{
	return knet_json_str(
		knet_json_path(pod, "metadata", "labels", KNET_JSON_END), key);
}

bool knet_agent_pod_is_ephemeral(const cJSON *pod)
{
	const char *v = label(pod, KNET_AGENT_LABEL_EPHEMERAL);

	return v && !strcmp(v, "true");
}

time_t knet_agent_pod_expires(const cJSON *pod)
{
	const char *v = label(pod, KNET_AGENT_LABEL_EXPIRES);
	char *end;
	long long t;

	if (!v || !*v)
		return 0;
	errno = 0;
	t = strtoll(v, &end, 10);
	if (errno || *end || t <= 0)
		return 0;
	return (time_t)t;
}

static bool condition_true(const cJSON *pod, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(
		c, knet_json_path(pod, "status", "conditions", KNET_JSON_END))
	{
		const char *t = knet_json_str(c, "type");
		const char *s = knet_json_str(c, "status");

		if (t && s && !strcmp(t, type))
			return !strcmp(s, "True");
	}
	return false;
}

enum knet_agent_pod_state knet_agent_pod_state(const cJSON *pod)
{
	const char *phase =
		knet_json_str(knet_json_get(pod, "status"), "phase");

	if (knet_json_path(pod, "metadata", "deletionTimestamp", KNET_JSON_END))
		return KNET_AGENT_POD_GONE;
	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		return KNET_AGENT_POD_GONE;
	if (!phase || strcmp(phase, "Running"))
		return KNET_AGENT_POD_PENDING;
	return condition_true(pod, "Ready") ? KNET_AGENT_POD_READY
					    : KNET_AGENT_POD_RUNNING;
}

bool knet_agent_pod_expired(const cJSON *pod, time_t now)
{
	if (knet_agent_pod_state(pod) == KNET_AGENT_POD_GONE)
		return true;
	return knet_agent_pod_expires(pod) <= now;
}

/* Waiting reasons that do not pass by waiting a few seconds more. */
static const char *const stuck_reasons[] = {
	"ErrImagePull",
	"ImagePullBackOff",
	"InvalidImageName",
	"ErrImageNeverPull",
	"CreateContainerConfigError",
	"CreateContainerError",
	"RunContainerError",
	"CrashLoopBackOff",
	NULL,
};

static bool is_pull(const char *reason)
{
	return strstr(reason, "Image") != NULL;
}

char *knet_agent_pod_stuck(const cJSON *pod)
{
	const cJSON *cs;

	cJSON_ArrayForEach(cs,
			   knet_json_path(pod, "status", "containerStatuses",
					  KNET_JSON_END))
	{
		const cJSON *w =
			knet_json_path(cs, "state", "waiting", KNET_JSON_END);
		const char *reason = knet_json_str(w, "reason");
		const char *msg = knet_json_str(w, "message");
		const char *image = knet_json_str(cs, "image");
		char *s = NULL;
		int r;

		if (!reason)
			continue;
		for (int i = 0; stuck_reasons[i]; i++) {
			if (strcmp(reason, stuck_reasons[i]))
				continue;
			if (is_pull(reason))
				r = asprintf(&s,
					     "image '%s' cannot be pulled "
					     "(%s)%s%s",
					     image ? image : "?", reason,
					     msg ? ": " : "", msg ? msg : "");
			else
				r = asprintf(&s,
					     "the agent container cannot "
					     "start (%s)%s%s",
					     reason, msg ? ": " : "",
					     msg ? msg : "");
			return r < 0 ? NULL : s;
		}
	}
	return NULL;
}

static const char *pod_node(const cJSON *pod)
{
	return knet_json_str(knet_json_get(pod, "spec"), "nodeName");
}

enum knet_agent_pick knet_agent_pick(const cJSON *items, const char *node,
				     time_t now, int *ret_index)
{
	const cJSON *p;
	time_t best_left = 0;
	int i = 0, best = -1;

	*ret_index = -1;
	cJSON_ArrayForEach(p, items)
	{
		const char *n = pod_node(p);
		enum knet_agent_pod_state st = knet_agent_pod_state(p);

		if (n && !strcmp(n, node) && st != KNET_AGENT_POD_GONE) {
			if (!knet_agent_pod_is_ephemeral(p)) {
				if (st == KNET_AGENT_POD_READY) {
					*ret_index = i;
					return KNET_AGENT_PICK_DAEMONSET;
				}
			} else if (knet_agent_pod_expires(p) - now >=
					   KNET_AGENT_REUSE_MIN &&
				   knet_agent_pod_expires(p) - now >
					   best_left) {
				best_left = knet_agent_pod_expires(p) - now;
				best = i;
			}
		}
		i++;
	}
	*ret_index = best;
	return best < 0 ? KNET_AGENT_PICK_NONE : KNET_AGENT_PICK_EPHEMERAL;
}

int knet_agent_node_ready(const cJSON *node, const char *name,
			  struct knet_error *err)
{
	const cJSON *c;

	cJSON_ArrayForEach(
		c, knet_json_path(node, "status", "conditions", KNET_JSON_END))
	{
		const char *type = knet_json_str(c, "type");
		const char *st = knet_json_str(c, "status");
		const char *reason = knet_json_str(c, "reason");
		const char *msg = knet_json_str(c, "message");

		if (!type || strcmp(type, "Ready"))
			continue;
		if (st && !strcmp(st, "True"))
			return 0;
		return knet_error_set(err, -EHOSTDOWN, KNET_EXIT_API,
				      "node '%s' is NotReady (%s%s%s)", name,
				      reason ? reason
				      : st   ? st
					     : "no status",
				      msg ? ": " : "", msg ? msg : "");
	}
	/* no Ready condition yet (a node just registered): not ready */
	return knet_error_set(err, -EHOSTDOWN, KNET_EXIT_API,
			      "node '%s' is NotReady (it reports no Ready "
			      "condition)",
			      name);
}

bool knet_agent_pick_usable(enum knet_agent_pick pick, const cJSON *pod)
{
	return pick == KNET_AGENT_PICK_DAEMONSET ||
	       (pick == KNET_AGENT_PICK_EPHEMERAL &&
		knet_agent_pod_state(pod) == KNET_AGENT_POD_READY);
}
