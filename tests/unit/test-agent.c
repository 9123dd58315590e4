/* SPDX-License-Identifier: MIT */
/*
 * lib/agent's pure parts: the objects install applies and the ephemeral
 * pod (what they grant and mount), the expiry label, why a pod cannot
 * start, and the pick among a namespace's agent pods.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/agent.h"
#include "knet/api.h"
#include "unit.h"

static const cJSON *find_kind(const cJSON *items, const char *kind)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, items)
	{
		const char *k = knet_json_str(o, "kind");

		if (k && !strcmp(k, kind))
			return o;
	}
	return NULL;
}

static bool has_str(const cJSON *array, const char *s)
{
	const cJSON *v;

	cJSON_ArrayForEach(v,
			   array) if (cJSON_IsString(v) &&
				      !strcmp(v->valuestring, s)) return true;
	return false;
}

/* The pod spec both the DaemonSet and the ephemeral pods use. */
static void check_pod_spec(const cJSON *spec, const char *image)
{
	const cJSON *c =
		cJSON_GetArrayItem(knet_json_get(spec, "containers"), 0);
	const cJSON *tol =
		cJSON_GetArrayItem(knet_json_get(spec, "tolerations"), 0);
	const cJSON *m, *v;
	int ro = 0;

	CHECK(knet_json_bool(spec, "hostNetwork", false));
	CHECK(knet_json_bool(spec, "hostPID", false));
	CHECK(!knet_json_bool(spec, "automountServiceAccountToken", true));
	CHECK_STR(knet_json_str(tol, "operator"), "Exists");
	CHECK(!knet_json_get(tol, "key"));
	CHECK_INT(cJSON_GetArraySize(knet_json_get(spec, "tolerations")), 1);
	CHECK_STR(knet_json_str(c, "name"), KNET_AGENT_CONTAINER);
	CHECK_STR(knet_json_str(c, "image"), image);
	CHECK(knet_json_bool(knet_json_get(c, "securityContext"), "privileged",
			     false));
	CHECK_INT(cJSON_GetArraySize(knet_json_get(c, "command")), 3);
	CHECK_STR(
		cJSON_GetArrayItem(knet_json_get(c, "command"), 0)->valuestring,
		"knet");
	CHECK_STR(
		cJSON_GetArrayItem(knet_json_get(c, "command"), 2)->valuestring,
		"serve");
	cJSON_ArrayForEach(m, knet_json_get(c, "volumeMounts"))
	{
		const char *path = knet_json_str(m, "mountPath");

		CHECK(knet_json_bool(m, "readOnly", false));
		ro += path && (!strcmp(path, "/var/run/netns") ||
			       !strcmp(path, "/sys/fs/cgroup"));
	}
	CHECK_INT(ro, 2);
	cJSON_ArrayForEach(v, knet_json_get(spec, "volumes"))
		CHECK(knet_json_path(v, "hostPath", "path", KNET_JSON_END));
}

static void test_objects(void)
{
	cJSON *all = knet_agent_objects(NULL);
	const cJSON *ns, *ds, *role, *rule, *cr;
	const cJSON *l;
	char path[300];
	bool exec = false, create = false, writes = false;

	CHECK(all != NULL);
	CHECK_INT(cJSON_GetArraySize(all), 6);
	/* the namespace comes first: everything else lands in it */
	ns = cJSON_GetArrayItem(all, 0);
	CHECK_STR(knet_json_str(ns, "kind"), "Namespace");
	l = knet_json_path(ns, "metadata", "labels", KNET_JSON_END);
	CHECK_STR(knet_json_str(l, "pod-security.kubernetes.io/enforce"),
		  "privileged");
	CHECK_STR(knet_json_str(l, "app.kubernetes.io/part-of"), "knet");
	ds = find_kind(all, "DaemonSet");
	CHECK_STR(knet_json_str(knet_json_get(ds, "metadata"), "namespace"),
		  "knet-system");
	check_pod_spec(
		knet_json_path(ds, "spec", "template", "spec", KNET_JSON_END),
		"knet-agent:" KNET_VERSION);
	/* the selector must not match ephemeral pods (they'd be adopted) */
	l = knet_json_path(ds, "spec", "selector", "matchLabels",
			   KNET_JSON_END);
	CHECK_STR(knet_json_str(l, KNET_AGENT_LABEL_KIND), "daemonset");
	/* pods/exec only through the namespaced Role */
	role = find_kind(all, "Role");
	cJSON_ArrayForEach(rule, knet_json_get(role, "rules"))
	{
		if (has_str(knet_json_get(rule, "resources"), "pods/exec"))
			exec = has_str(knet_json_get(rule, "verbs"), "create");
		if (has_str(knet_json_get(rule, "resources"), "pods"))
			create =
				has_str(knet_json_get(rule, "verbs"), "create");
	}
	CHECK(exec);
	CHECK(create);
	cr = find_kind(all, "ClusterRole");
	CHECK_STR(knet_json_str(knet_json_get(cr, "metadata"), "name"),
		  "knet-user");
	cJSON_ArrayForEach(rule, knet_json_get(cr, "rules"))
	{
		const cJSON *v;

		cJSON_ArrayForEach(v, knet_json_get(rule, "verbs"))
		{
			if (strcmp(v->valuestring, "get") &&
			    strcmp(v->valuestring, "list") &&
			    strcmp(v->valuestring, "watch"))
				writes = true;
		}
		CHECK(!has_str(knet_json_get(rule, "resources"), "pods/exec"));
	}
	CHECK(!writes);
	/* paths */
	CHECK(knet_agent_object_path(ds, true, path, sizeof(path)) > 0);
	CHECK_STR(path, "/apis/apps/v1/namespaces/knet-system/daemonsets/"
			"knet-agent");
	CHECK(knet_agent_object_path(ns, true, path, sizeof(path)) > 0);
	CHECK_STR(path, "/api/v1/namespaces/knet-system");
	CHECK(knet_agent_object_path(cr, false, path, sizeof(path)) > 0);
	CHECK_STR(path, "/apis/rbac.authorization.k8s.io/v1/clusterroles");
	CHECK(knet_agent_object_path(role, true, path, sizeof(path)) > 0);
	CHECK_STR(path, "/apis/rbac.authorization.k8s.io/v1/namespaces/"
			"knet-system/roles/knet-user");
	cJSON_Delete(all);
}

static void test_options(void)
{
	struct knet_agent_opts o = {.namespace = "tools", .image = "r/k:1"};
	cJSON *l = knet_agent_objects_list(&o);
	const cJSON *items = knet_json_get(l, "items"), *o2;

	CHECK_STR(knet_json_str(l, "kind"), "List");
	CHECK_INT(cJSON_GetArraySize(items), 6);
	cJSON_ArrayForEach(o2, items)
	{
		const char *k = knet_json_str(o2, "kind");
		const cJSON *md = knet_json_get(o2, "metadata");

		if (!strcmp(k, "Namespace"))
			CHECK_STR(knet_json_str(md, "name"), "tools");
		else if (!strcmp(k, "ClusterRole") ||
			 !strcmp(k, "ClusterRoleBinding")) {
			/* apart from the default install's */
			CHECK_STR(knet_json_str(md, "name"), "knet-user-tools");
			CHECK(!knet_json_get(md, "namespace"));
		} else
			CHECK_STR(knet_json_str(md, "namespace"), "tools");
	}
	check_pod_spec(knet_json_path(find_kind(items, "DaemonSet"), "spec",
				      "template", "spec", KNET_JSON_END),
		       "r/k:1");
	cJSON_Delete(l);
	CHECK(knet_agent_namespace_reserved("default"));
	CHECK(knet_agent_namespace_reserved("kube-system"));
	CHECK(!knet_agent_namespace_reserved("knet-system"));
}

static void test_ephemeral_pod(void)
{
	struct knet_agent_opts o = {0};
	cJSON *p = knet_agent_ephemeral_pod(&o, "node-b", 1000);
	const cJSON *md = knet_json_get(p, "metadata");
	const cJSON *l = knet_json_get(md, "labels");
	const cJSON *spec = knet_json_get(p, "spec");
	char path[300];

	CHECK(p != NULL);
	CHECK_STR(knet_json_str(md, "generateName"), "knet-agent-node-b-");
	CHECK(!knet_json_get(md, "name"));
	CHECK_STR(knet_json_str(md, "namespace"), "knet-system");
	CHECK_STR(knet_json_str(l, KNET_AGENT_LABEL_NAME), "knet-agent");
	CHECK_STR(knet_json_str(l, KNET_AGENT_LABEL_EPHEMERAL), "true");
	CHECK(!knet_json_get(l, KNET_AGENT_LABEL_KIND));
	CHECK_STR(knet_json_str(spec, "nodeName"), "node-b");
	CHECK_STR(knet_json_str(spec, "restartPolicy"), "Never");
	check_pod_spec(spec, "knet-agent:" KNET_VERSION);
	CHECK(knet_agent_pod_is_ephemeral(p));
	CHECK_INT(knet_agent_pod_expires(p), 1000 + KNET_AGENT_TTL);
	CHECK(!knet_agent_pod_expired(p, 1000));
	CHECK(!knet_agent_pod_expired(p, 1000 + KNET_AGENT_TTL - 1));
	CHECK(knet_agent_pod_expired(p, 1000 + KNET_AGENT_TTL));
	CHECK(knet_agent_object_path(p, false, path, sizeof(path)) > 0);
	CHECK_STR(path, "/api/v1/namespaces/knet-system/pods");
	/* no name yet: no item path */
	CHECK(knet_agent_object_path(p, true, path, sizeof(path)) < 0);
	cJSON_Delete(p);

	o.ttl_s = 7;
	p = knet_agent_ephemeral_pod(&o, "node-c", 50);
	CHECK_INT(knet_agent_pod_expires(p), 57);
	cJSON_Delete(p);
}

/* A pod as the API lists it. */
static cJSON *pod(const char *name, const char *node, const char *phase,
		  bool ready, long long expires)
{
	char buf[1024], exp[64] = "";

	if (expires)
		snprintf(exp, sizeof(exp),
			 ",\"knet.dev/ephemeral\":\"true\","
			 "\"knet.dev/expires\":\"%lld\"",
			 expires);
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"knet-system\","
		 "\"labels\":{\"app.kubernetes.io/name\":\"knet-agent\"%s}},"
		 "\"spec\":{\"nodeName\":\"%s\",\"containers\":[{\"name\":"
		 "\"agent\"}]},\"status\":{\"phase\":\"%s\",\"conditions\":"
		 "[{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
		 name, exp, node, phase, ready ? "True" : "False");
	return cJSON_Parse(buf);
}

static void test_state(void)
{
	cJSON *p = pod("a", "node-a", "Running", true, 0);
	cJSON *q = pod("b", "node-a", "Running", false, 0);
	cJSON *r = pod("c", "node-a", "Pending", false, 0);
	cJSON *s = pod("d", "node-a", "Failed", false, 0);
	cJSON *e = pod("e", "node-a", "Running", true, 100);

	CHECK_INT(knet_agent_pod_state(p), KNET_AGENT_POD_READY);
	CHECK_INT(knet_agent_pod_state(q), KNET_AGENT_POD_RUNNING);
	CHECK_INT(knet_agent_pod_state(r), KNET_AGENT_POD_PENDING);
	CHECK_INT(knet_agent_pod_state(s), KNET_AGENT_POD_GONE);
	cJSON_AddStringToObject(cJSON_GetObjectItem(q, "metadata"),
				"deletionTimestamp", "2026-01-01T00:00:00Z");
	CHECK_INT(knet_agent_pod_state(q), KNET_AGENT_POD_GONE);
	CHECK(!knet_agent_pod_is_ephemeral(p));
	CHECK(knet_agent_pod_is_ephemeral(e));
	CHECK_INT(knet_agent_pod_expires(p), 0);
	CHECK_INT(knet_agent_pod_expires(e), 100);
	CHECK(!knet_agent_pod_expired(e, 99));
	CHECK(knet_agent_pod_expired(e, 100));
	/* a label that does not parse is expired: nobody keeps it */
	cJSON_ReplaceItemInObjectCaseSensitive(
		cJSON_GetObjectItem(cJSON_GetObjectItem(e, "metadata"),
				    "labels"),
		"knet.dev/expires", cJSON_CreateString("soon"));
	CHECK_INT(knet_agent_pod_expires(e), 0);
	CHECK(knet_agent_pod_expired(e, 1));
	cJSON_Delete(p);
	cJSON_Delete(q);
	cJSON_Delete(r);
	cJSON_Delete(s);
	cJSON_Delete(e);
}

static void test_stuck(void)
{
	cJSON *p = cJSON_Parse(
		"{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{"
		"\"image\":\"knet-agent:9\",\"state\":{\"waiting\":{"
		"\"reason\":\"ImagePullBackOff\",\"message\":\"Back-off "
		"pulling image\"}}}]}}");
	cJSON *q = cJSON_Parse(
		"{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{"
		"\"image\":\"x\",\"state\":{\"waiting\":{\"reason\":"
		"\"ContainerCreating\"}}}]}}");
	cJSON *r = cJSON_Parse(
		"{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{"
		"\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\"}}}]}}");
	char *s = knet_agent_pod_stuck(p);

	CHECK_STR(s, "image 'knet-agent:9' cannot be pulled "
		     "(ImagePullBackOff): Back-off pulling image");
	free(s);
	CHECK(knet_agent_pod_stuck(q) == NULL);
	s = knet_agent_pod_stuck(r);
	CHECK_STR(s, "image '?' cannot be pulled (ErrImagePull)");
	free(s);
	cJSON_Delete(p);
	cJSON_Delete(q);
	cJSON_Delete(r);
}

static void test_pick(void)
{
	cJSON *items = cJSON_CreateArray();
	int at = 5;

	/* nothing: make one */
	CHECK_INT(knet_agent_pick(items, "node-a", 1000, &at),
		  KNET_AGENT_PICK_NONE);
	CHECK_INT(at, -1);
	/* 0: DaemonSet pod elsewhere; 1: ephemeral here, 100 s left;
	 * 2: ephemeral here, 30 s left (too little); 3: expired */
	cJSON_AddItemToArray(items, pod("ds-b", "node-b", "Running", true, 0));
	cJSON_AddItemToArray(items,
			     pod("eph-1", "node-a", "Running", true, 1100));
	cJSON_AddItemToArray(items,
			     pod("eph-2", "node-a", "Running", true, 1030));
	cJSON_AddItemToArray(items,
			     pod("eph-3", "node-a", "Running", true, 990));
	CHECK_INT(knet_agent_pick(items, "node-a", 1000, &at),
		  KNET_AGENT_PICK_EPHEMERAL);
	CHECK_INT(at, 1);
	/* the longest-lived one wins */
	cJSON_AddItemToArray(items,
			     pod("eph-4", "node-a", "Pending", false, 1200));
	CHECK_INT(knet_agent_pick(items, "node-a", 1000, &at),
		  KNET_AGENT_PICK_EPHEMERAL);
	CHECK_INT(at, 4);
	/* past the reuse margin: a new one */
	CHECK_INT(knet_agent_pick(items, "node-a", 1200 - 59, &at),
		  KNET_AGENT_PICK_NONE);
	/* a DaemonSet pod not Ready does not count ... */
	cJSON_AddItemToArray(items,
			     pod("ds-a0", "node-a", "Running", false, 0));
	CHECK_INT(knet_agent_pick(items, "node-a", 1000, &at),
		  KNET_AGENT_PICK_EPHEMERAL);
	/* ... a Ready one beats every ephemeral one, listed after them */
	cJSON_AddItemToArray(items, pod("ds-a", "node-a", "Running", true, 0));
	CHECK_INT(knet_agent_pick(items, "node-a", 1000, &at),
		  KNET_AGENT_PICK_DAEMONSET);
	CHECK_INT(at, 6);
	CHECK_INT(knet_agent_pick(items, "node-b", 1000, &at),
		  KNET_AGENT_PICK_DAEMONSET);
	CHECK_INT(at, 0);
	/* an unknown node has none */
	CHECK_INT(knet_agent_pick(items, "node-z", 1000, &at),
		  KNET_AGENT_PICK_NONE);
	cJSON_Delete(items);
}

static void test_node_ready(void)
{
	cJSON *ok = cJSON_Parse("{\"status\":{\"conditions\":[{\"type\":"
				"\"MemoryPressure\",\"status\":\"False\"},"
				"{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	cJSON *bad = cJSON_Parse(
		"{\"status\":{\"conditions\":[{\"type\":\"Ready\","
		"\"status\":\"Unknown\",\"reason\":\"NodeStatusUnknown\","
		"\"message\":\"Kubelet stopped posting node status.\"}]}}");
	cJSON *none = cJSON_Parse("{\"status\":{}}");
	struct knet_error err = {0};

	CHECK_INT(knet_agent_node_ready(ok, "node-a", &err), 0);
	CHECK_INT(knet_agent_node_ready(bad, "node-b", &err), -EHOSTDOWN);
	CHECK_INT(err.exit, KNET_EXIT_API);
	CHECK_STR(err.reason, "node 'node-b' is NotReady (NodeStatusUnknown: "
			      "Kubelet stopped posting node status.)");
	CHECK_INT(knet_agent_node_ready(none, "node-c", &err), -EHOSTDOWN);
	cJSON_Delete(ok);
	cJSON_Delete(bad);
	cJSON_Delete(none);
}

/* A fan-out's nodes from one list: the usable ones filled, the rest not. */
static void test_pick_nodes(void)
{
	const char *nodes[] = {"node-a", "node-b", "node-c", "node-d",
			       "node-e"};
	struct knet_agent_ref refs[5];
	struct knet_error err = {0};
	cJSON *items = cJSON_CreateArray(), *bad;

	memset(refs, 'x', sizeof(refs));
	CHECK_INT(knet_agent_pick_nodes(items, nodes, 5, 1000, refs), 0);
	for (int i = 0; i < 5; i++)
		CHECK_STR(refs[i].pod, "");
	/* a: DaemonSet Ready; b: ephemeral Ready with time left;
	 * c: ephemeral still Pending (to wait for); d: DaemonSet not Ready;
	 * e: ephemeral Running, not Ready (its node NotReady) */
	cJSON_AddItemToArray(items, pod("ds-a", "node-a", "Running", true, 0));
	cJSON_AddItemToArray(items,
			     pod("eph-b", "node-b", "Running", true, 1200));
	cJSON_AddItemToArray(items,
			     pod("eph-c", "node-c", "Pending", false, 1200));
	cJSON_AddItemToArray(items, pod("ds-d", "node-d", "Running", false, 0));
	cJSON_AddItemToArray(items,
			     pod("eph-e", "node-e", "Running", false, 1200));
	CHECK_INT(knet_agent_pick_nodes(items, nodes, 5, 1000, refs), 2);
	CHECK_STR(refs[0].pod, "ds-a");
	CHECK_STR(refs[0].ns, "knet-system");
	CHECK_STR(refs[0].container, "agent");
	CHECK(!refs[0].ephemeral);
	CHECK_STR(refs[1].pod, "eph-b");
	CHECK(refs[1].ephemeral);
	CHECK_STR(refs[2].pod, "");
	CHECK_STR(refs[3].pod, "");
	CHECK_STR(refs[4].pod, "");
	/* b's agent expires too soon to be reused: none for b any more */
	CHECK_INT(knet_agent_pick_nodes(items, nodes, 5, 1190, refs), 1);
	CHECK_STR(refs[1].pod, "");
	/* a pod without a container is not usable */
	bad = cJSON_Parse("{\"metadata\":{\"name\":\"p\",\"namespace\":"
			  "\"n\"},\"spec\":{}}");
	CHECK_INT(knet_agent_ref_fill(&refs[0], bad, false, &err), -EBADMSG);
	CHECK_STR(err.reason, "the agent pod has no usable name");
	cJSON_Delete(bad);
	cJSON_Delete(items);
}

int main(void)
{
	test_objects();
	test_options();
	test_ephemeral_pod();
	test_state();
	test_stuck();
	test_pick();
	test_pick_nodes();
	test_node_ready();
	return unit_done("agent");
}
