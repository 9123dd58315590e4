/* SPDX-License-Identifier: MIT */
/*
 * knet_agent_for_node(): the agent pod a remote run on a node goes
 * through.  The installed DaemonSet's pod when it is Ready there, else
 * an ephemeral pod pinned to the node, made once and reused by the runs
 * of the next few minutes (its expiry is a label, so any run can tell
 * and delete it after).  Waiting is a poll of the one pod: a watch
 * would cost a connection of its own for what is usually 1-3 s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "knet/agent.h"
#include "knet/api.h"

#define POLL_MS		250
#define DEFAULT_WAIT_MS 60000

/* The API's words, and then what to do about them. */
static int rbac_error(struct knet_error *err, const char *what, const char *ns)
{
	char why[KNET_ERROR_MAX];

	snprintf(why, sizeof(why), "%s", err->reason);
	return knet_error_set(err, -EPERM, KNET_EXIT_API,
			      "no permission to %s in namespace '%s', the "
			      "RBAC rule for knet users is missing (Role "
			      "knet-user of deploy/, see knet-agent(1)): %s",
			      what, ns, why);
}

static int no_namespace(struct knet_error *err, const char *ns)
{
	return knet_error_set(err, -ENOENT, KNET_EXIT_API,
			      "the agent namespace '%s' does not exist: run "
			      "'knet agent install', or 'kubectl create "
			      "namespace %s' and label it "
			      "pod-security.kubernetes.io/enforce=privileged",
			      ns, ns);
}

/* The node exists and is Ready; a user who may not read nodes gets
 * the benefit of the doubt (the pod then says what is wrong). */
static int check_node(struct knet_api *api, const char *node,
		      struct knet_error *err)
{
	char path[300];
	cJSON *n = NULL;
	int r;

	r = knet_api_path(path, sizeof(path), "v1", NULL, "nodes", node, err);
	if (r < 0)
		return r;
	r = knet_api_get_json(api, path, &n, err);
	if (r == -ENOENT)
		return knet_error_set(err, r, KNET_EXIT_NOT_FOUND,
				      "node '%s' not found", node);
	if (r == -EPERM) {
		knet_error_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	r = knet_agent_node_ready(n, node, err);
	cJSON_Delete(n);
	return r;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int delete_pod(struct knet_api *api, const char *ns, const char *name)
{
	struct knet_error e = {0};
	cJSON *o = cJSON_CreateObject(), *md;
	int r = -ENOMEM;

	md = cJSON_AddObjectToObject(o, "metadata");
	if (cJSON_AddStringToObject(o, "kind", "Pod") &&
	    cJSON_AddStringToObject(md, "namespace", ns) &&
	    cJSON_AddStringToObject(md, "name", name))
		r = knet_agent_delete(api, o, &e);
	cJSON_Delete(o);
	return r;
}

/* Until @name is Running (or cannot be), at most @wait_ms.  @made: this
 * run made the pod, and deletes it when it will not come up. */
static int wait_running(struct knet_api *api, const char *ns, const char *name,
			const char *node, long wait_ms, bool made,
			struct knet_agent_ref *ret, struct knet_error *err)
{
	long long deadline = knet_mono_ms() + wait_ms;
	char path[600], phase[64] = "Pending";
	int r;

	r = knet_api_path(path, sizeof(path), "v1", ns, "pods", name, err);
	if (r < 0)
		return r;
	for (;;) {
		cJSON *pod = NULL;
		char *stuck;
		const char *ph;

		r = knet_api_get_json(api, path, &pod, err);
		if (r == -ENOENT)
			return knet_error_set(err, r, KNET_EXIT_API,
					      "the agent pod %s/%s was deleted "
					      "while starting",
					      ns, name);
		if (r < 0)
			return r;
		switch (knet_agent_pod_state(pod)) {
		case KNET_AGENT_POD_RUNNING:
		case KNET_AGENT_POD_READY:
			r = knet_agent_ref_fill(ret, pod, true, err);
			cJSON_Delete(pod);
			return r;
		case KNET_AGENT_POD_GONE:
			ph = knet_json_str(knet_json_get(pod, "status"),
					   "phase");
			r = knet_error_set(err, -ECHILD, KNET_EXIT_API,
					   "the agent pod %s/%s on node '%s' "
					   "ended (%s) before it ran",
					   ns, name, node,
					   ph ? ph : "being deleted");
			cJSON_Delete(pod);
			if (made)
				delete_pod(api, ns, name);
			return r;
		case KNET_AGENT_POD_PENDING:
			break;
		}
		stuck = knet_agent_pod_stuck(pod);
		ph = knet_json_str(knet_json_get(pod, "status"), "phase");
		snprintf(phase, sizeof(phase), "%s", ph ? ph : "Pending");
		cJSON_Delete(pod);
		if (stuck) {
			r = knet_error_set(err, -ENOEXEC, KNET_EXIT_API,
					   "agent pod %s/%s on node '%s': %s",
					   ns, name, node, stuck);
			free(stuck);
			if (made)
				delete_pod(api, ns, name);
			return r;
		}
		if (knet_mono_ms() >= deadline) {
			if (made)
				delete_pod(api, ns, name);
			return knet_error_set(err, -ETIMEDOUT, KNET_EXIT_API,
					      "timed out: the agent pod %s/%s "
					      "on node '%s' is still %s after "
					      "%ld ms (--wait)",
					      ns, name, node, phase, wait_ms);
		}
		sleep_ms(POLL_MS);
	}
}

static int make_pod(struct knet_api *api, const struct knet_agent_opts *o,
		    const char *ns, const char *node, char *name, size_t len,
		    struct knet_error *err)
{
	cJSON *pod = knet_agent_ephemeral_pod(o, node, time(NULL));
	cJSON *made = NULL;
	char path[300], *body;
	const char *n;
	int r;

	body = pod ? cJSON_PrintUnformatted(pod) : NULL;
	cJSON_Delete(pod);
	if (!body)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_api_path(path, sizeof(path), "v1", ns, "pods", NULL, err);
	if (r >= 0)
		r = knet_api_request(api, "POST", path, body, NULL, &made, err);
	free(body);
	if (r == -EPERM)
		return rbac_error(err, "create pods", ns);
	if (r == -ENOENT)
		return no_namespace(err, ns);
	if (r < 0)
		return r;
	n = knet_json_str(knet_json_get(made, "metadata"), "name");
	if (!n || (size_t)snprintf(name, len, "%s", n) >= len)
		r = knet_error_set(err, -EBADMSG, KNET_EXIT_API,
				   "the API gave the new agent pod no name");
	cJSON_Delete(made);
	return r;
}

int knet_agent_for_node(struct knet_api *api, const char *node,
			const struct knet_agent_opts *o,
			struct knet_agent_ref *ret, struct knet_error *err)
{
	const char *ns = o && o->namespace && o->namespace[0]
				 ? o->namespace
				 : KNET_AGENT_NAMESPACE;
	long wait_ms = o && o->wait_ms > 0 ? o->wait_ms : DEFAULT_WAIT_MS;
	cJSON *items = NULL;
	const cJSON *pod;
	char name[254];
	int r, at;
	enum knet_agent_pick pick;
	bool made = false;

	memset(ret, 0, sizeof(*ret));
	r = knet_api_check_name(node, err);
	if (r < 0)
		return r;
	r = knet_api_check_namespace(ns, err);
	if (r < 0)
		return r;
	r = knet_agent_list_pods(api, ns, &items, err);
	if (r == -EPERM)
		return rbac_error(err, "list pods", ns);
	if (r < 0)
		return r;
	/* the runs clean up after each other; a failure here is not ours */
	{
		struct knet_error e = {0};

		knet_agent_reap(api, items, time(NULL), false, &e);
	}
	pick = knet_agent_pick(items, node, time(NULL), &at);
	pod = at >= 0 ? cJSON_GetArrayItem(items, at) : NULL;
	if (knet_agent_pick_usable(pick, pod)) {
		r = knet_agent_ref_fill(ret, pod,
					pick == KNET_AGENT_PICK_EPHEMERAL, err);
		cJSON_Delete(items);
		return r;
	}
	/* only now: a node with a running agent needs no second request,
	 * one without gets its name and readiness checked before waiting */
	r = check_node(api, node, err);
	if (r < 0) {
		cJSON_Delete(items);
		return r;
	}
	if (pick == KNET_AGENT_PICK_EPHEMERAL) {
		const char *n =
			knet_json_str(knet_json_get(pod, "metadata"), "name");

		snprintf(name, sizeof(name), "%s", n ? n : "");
	} else {
		r = make_pod(api, o, ns, node, name, sizeof(name), err);
		made = r >= 0;
	}
	cJSON_Delete(items);
	if (r < 0)
		return r;
	return wait_running(api, ns, name, node, wait_ms, made, ret, err);
}
