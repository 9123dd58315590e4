/* SPDX-License-Identifier: MIT */
/*
 * The agent's objects in the cluster: their API paths, applying and
 * deleting them, listing and reaping agent pods.  Through lib/api only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/agent.h"
#include "knet/api.h"

struct kind_path {
	const char *kind, *group_version, *resource;
	bool namespaced;
};

static const struct kind_path kinds[] = {
	{"Namespace", "v1", "namespaces", false},
	{"Pod", "v1", "pods", true},
	{"DaemonSet", "apps/v1", "daemonsets", true},
	{"ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", false},
	{"ClusterRoleBinding", "rbac.authorization.k8s.io/v1",
	 "clusterrolebindings", false},
	{"Role", "rbac.authorization.k8s.io/v1", "roles", true},
	{"RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings", true},
};

int knet_agent_object_path(const cJSON *obj, bool item, char *buf, size_t len)
{
	const char *kind = knet_json_str(obj, "kind");
	const cJSON *md = knet_json_get(obj, "metadata");
	const char *name = knet_json_str(md, "name");
	const char *ns = knet_json_str(md, "namespace");

	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind_path *k = &kinds[i];

		if (strcmp(kind, k->kind))
			continue;
		if ((k->namespaced && !ns) || (item && !name))
			return -EINVAL;
		return knet_api_path(buf, len, k->group_version,
				     k->namespaced ? ns : NULL, k->resource,
				     item ? name : NULL, NULL);
	}
	return -EINVAL;
}

static int path_of(const cJSON *obj, char *buf, size_t len,
		   struct knet_error *err)
{
	int r = knet_agent_object_path(obj, true, buf, len);

	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "no API path for a %s",
				      knet_json_str(obj, "kind") ?: "object");
	return 0;
}

int knet_agent_apply(struct knet_api *api, const cJSON *obj,
		     struct knet_error *err)
{
	char path[600];
	char *body;
	int r = path_of(obj, path, sizeof(path) - 40, err);

	if (r < 0)
		return r;
	strcat(path, "?fieldManager=knet&force=true");
	body = cJSON_PrintUnformatted(obj);
	if (!body)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	/* JSON is YAML: the apply patch type takes it as it is */
	r = knet_api_request(api, "PATCH", path, body,
			     "application/apply-patch+yaml", NULL, err);
	free(body);
	return r;
}

int knet_agent_delete(struct knet_api *api, const cJSON *obj,
		      struct knet_error *err)
{
	static const char body[] = "{\"kind\":\"DeleteOptions\","
				   "\"apiVersion\":\"v1\","
				   "\"propagationPolicy\":\"Background\"}";
	char path[600];
	int r = path_of(obj, path, sizeof(path), err);

	if (r < 0)
		return r;
	r = knet_api_request(api, "DELETE", path, body, NULL, NULL, err);
	if (r == -ENOENT) {
		knet_error_clear(err);
		return 1;
	}
	return r < 0 ? r : 0;
}

int knet_agent_list_pods(struct knet_api *api, const char *ns,
			 cJSON **ret_items, struct knet_error *err)
{
	char path[300];
	cJSON *doc = NULL, *items;
	int r;

	*ret_items = NULL;
	r = knet_api_path(path, sizeof(path) - 60, "v1", ns, "pods", NULL, err);
	if (r < 0)
		return r;
	/* app.kubernetes.io/name=knet-agent, encoded for the query */
	strcat(path,
	       "?labelSelector=app.kubernetes.io%2Fname%3D" KNET_AGENT_NAME);
	r = knet_api_get_json(api, path, &doc, err);
	if (r < 0)
		return r;
	items = cJSON_DetachItemFromObjectCaseSensitive(doc, "items");
	cJSON_Delete(doc);
	if (!items || !cJSON_IsArray(items)) {
		cJSON_Delete(items);
		items = cJSON_CreateArray();
		if (!items)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
	}
	*ret_items = items;
	return 0;
}

int knet_agent_reap(struct knet_api *api, const cJSON *items, time_t now,
		    bool all, struct knet_error *err)
{
	const cJSON *p;
	int n = 0, first = 0;

	cJSON_ArrayForEach(p, items)
	{
		struct knet_error e = {0};
		cJSON *o;
		int r;

		if (!knet_agent_pod_is_ephemeral(p) ||
		    (!all && !knet_agent_pod_expired(p, now)))
			continue;
		/* one already being deleted needs no second request */
		if (knet_json_path(p, "metadata", "deletionTimestamp",
				   KNET_JSON_END))
			continue;
		o = cJSON_Duplicate(p, 1);
		if (!o)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		/* a pod needs its kind for the path; list items have none */
		if (!knet_json_get(o, "kind"))
			cJSON_AddStringToObject(o, "kind", "Pod");
		r = knet_agent_delete(api, o, &e);
		cJSON_Delete(o);
		if (r == 0)
			n++;
		else if (r < 0 && !first) {
			first = r;
			*err = e;
		}
	}
	return first ? first : n;
}

int knet_agent_namespace_owned(struct knet_api *api, const char *ns,
			       struct knet_error *err)
{
	char path[300];
	cJSON *doc = NULL;
	const char *v;
	int r;

	r = knet_api_path(path, sizeof(path), "v1", NULL, "namespaces", ns,
			  err);
	if (r < 0)
		return r;
	r = knet_api_get_json(api, path, &doc, err);
	if (r == -ENOENT)
		knet_error_clear(err);
	if (r < 0)
		return r;
	v = knet_json_str(
		knet_json_path(doc, "metadata", "labels", KNET_JSON_END),
		"app.kubernetes.io/part-of");
	r = v && !strcmp(v, "knet");
	cJSON_Delete(doc);
	return r;
}

bool knet_agent_namespace_reserved(const char *ns)
{
	return !strcmp(ns, "default") || !strncmp(ns, "kube-", 5);
}
