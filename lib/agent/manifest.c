/* SPDX-License-Identifier: MIT */
/*
 * The agent's objects, built in one place: `knet agent install` applies
 * them, `knet agent install --dry-run` prints them, deploy/knet-agent.yaml
 * is made from that print (make deploy) and scripts/check-generated keeps
 * the file from drifting.  The ephemeral pod shares the DaemonSet's pod
 * spec, so the two cannot differ in what they mount or may do.
 */
#include <stdio.h>
#include <string.h>

#include "knet/agent.h"

static const char *ns_of(const struct knet_agent_opts *o)
{
	return o && o->namespace && o->namespace[0] ? o->namespace
						    : KNET_AGENT_NAMESPACE;
}

static const char *image_of(const struct knet_agent_opts *o)
{
	return o && o->image && o->image[0] ? o->image : KNET_AGENT_IMAGE;
}

/*
 * The builders note any failure in @m instead of being checked one by
 * one: cJSON's adders return NULL on failure, and an adder given a NULL
 * parent does nothing, so building goes on harmlessly and the object is
 * dropped at the end.  State per call, not static: fan-out makes agents
 * from several threads.
 */
struct mk {
	bool bad;
};

static cJSON *ok(struct mk *m, cJSON *v)
{
	if (!v)
		m->bad = true;
	return v;
}

static cJSON *obj(struct mk *m, cJSON *parent, const char *key)
{
	return ok(m, cJSON_AddObjectToObject(parent, key));
}

static cJSON *arr(struct mk *m, cJSON *parent, const char *key)
{
	return ok(m, cJSON_AddArrayToObject(parent, key));
}

static void str(struct mk *m, cJSON *parent, const char *key, const char *v)
{
	ok(m, cJSON_AddStringToObject(parent, key, v));
}

static void flag(struct mk *m, cJSON *parent, const char *key, bool v)
{
	ok(m, cJSON_AddBoolToObject(parent, key, v));
}

static void num(struct mk *m, cJSON *parent, const char *key, double v)
{
	ok(m, cJSON_AddNumberToObject(parent, key, v));
}

static cJSON *push(struct mk *m, cJSON *array, cJSON *v)
{
	if (v && (!array || !cJSON_AddItemToArray(array, v))) {
		cJSON_Delete(v);
		v = NULL;
	}
	return ok(m, v);
}

static cJSON *push_obj(struct mk *m, cJSON *array)
{
	return push(m, array, cJSON_CreateObject());
}

static void push_str(struct mk *m, cJSON *array, const char *s)
{
	push(m, array, cJSON_CreateString(s));
}

static cJSON *get(struct mk *m, cJSON *o, const char *key)
{
	return ok(m, cJSON_GetObjectItemCaseSensitive(o, key));
}

static void push_strs(struct mk *m, cJSON *array, const char *const *v)
{
	for (; *v; v++)
		push_str(m, array, *v);
}

static cJSON *head(struct mk *m, const char *api_version, const char *kind,
		   const char *name, const char *ns)
{
	cJSON *o = ok(m, cJSON_CreateObject()), *md;

	str(m, o, "apiVersion", api_version);
	str(m, o, "kind", kind);
	md = obj(m, o, "metadata");
	if (name)
		str(m, md, "name", name);
	if (ns)
		str(m, md, "namespace", ns);
	str(m, obj(m, md, "labels"), "app.kubernetes.io/part-of", "knet");
	return o;
}

static cJSON *labels(struct mk *m, cJSON *o)
{
	return get(m, get(m, o, "metadata"), "labels");
}

/* "Privileged" in Pod Security terms: the agent shares the host's
 * network and PIDs and is privileged, which baseline forbids. */
static cJSON *namespace_obj(struct mk *m, const struct knet_agent_opts *o)
{
	cJSON *ns = head(m, "v1", "Namespace", ns_of(o), NULL);
	cJSON *l = labels(m, ns);

	str(m, l, "pod-security.kubernetes.io/enforce", "privileged");
	str(m, l, "pod-security.kubernetes.io/audit", "privileged");
	str(m, l, "pod-security.kubernetes.io/warn", "privileged");
	return ns;
}

static void rule(struct mk *m, cJSON *rules, const char *const *groups,
		 const char *const *resources, const char *const *verbs)
{
	cJSON *r = push_obj(m, rules);

	push_strs(m, arr(m, r, "apiGroups"), groups);
	push_strs(m, arr(m, r, "resources"), resources);
	push_strs(m, arr(m, r, "verbs"), verbs);
}

static const char *const read_verbs[] = {"get", "list", "watch", NULL};
static const char *const core[] = {"", NULL};

/*
 * The cluster-wide objects' name: "knet-user" for the default agent
 * namespace, "knet-user-NS" for another, so that two installs (and a
 * remove of one) stay apart.
 */
static const char *cluster_name(const struct knet_agent_opts *o, char *buf,
				size_t len)
{
	if (!strcmp(ns_of(o), KNET_AGENT_NAMESPACE))
		return "knet-user";
	snprintf(buf, len, "knet-user-%s", ns_of(o));
	return buf;
}

/* What knet lists, everywhere: reading only. */
static cJSON *cluster_role(struct mk *m, const char *name)
{
	cJSON *cr = head(m, "rbac.authorization.k8s.io/v1", "ClusterRole", name,
			 NULL);
	cJSON *rules = arr(m, cr, "rules");

	rule(m, rules, core,
	     (const char *const[]){"pods", "services", "endpoints", "nodes",
				   "namespaces", NULL},
	     read_verbs);
	rule(m, rules, (const char *const[]){"discovery.k8s.io", NULL},
	     (const char *const[]){"endpointslices", NULL}, read_verbs);
	rule(m, rules, (const char *const[]){"networking.k8s.io", NULL},
	     (const char *const[]){"networkpolicies", "ingresses",
				   "ingressclasses", NULL},
	     read_verbs);
	rule(m, rules, (const char *const[]){"extensions", NULL},
	     (const char *const[]){"ingresses", NULL}, read_verbs);
	return cr;
}

static cJSON *binding(struct mk *m, const char *kind, const char *role_kind,
		      const char *name, const char *ns)
{
	cJSON *b = head(m, "rbac.authorization.k8s.io/v1", kind, name, ns);
	cJSON *ref = obj(m, b, "roleRef");
	cJSON *s = push_obj(m, arr(m, b, "subjects"));

	str(m, ref, "apiGroup", "rbac.authorization.k8s.io");
	str(m, ref, "kind", role_kind);
	str(m, ref, "name", name);
	str(m, s, "apiGroup", "rbac.authorization.k8s.io");
	str(m, s, "kind", "Group");
	str(m, s, "name", KNET_AGENT_USERS_GROUP);
	return b;
}

/*
 * In the agent namespace only: exec into agent pods (the WebSocket
 * upgrade is a GET, which RBAC reads as "get"; kubectl's POST is
 * "create"), and make and delete the ephemeral agents.
 */
static cJSON *role(struct mk *m, const struct knet_agent_opts *o)
{
	cJSON *r = head(m, "rbac.authorization.k8s.io/v1", "Role", "knet-user",
			ns_of(o));
	cJSON *rules = arr(m, r, "rules");

	rule(m, rules, core, (const char *const[]){"pods", NULL},
	     (const char *const[]){"get", "list", "watch", "create", "delete",
				   NULL});
	rule(m, rules, core, (const char *const[]){"pods/exec", NULL},
	     (const char *const[]){"get", "create", NULL});
	rule(m, rules, (const char *const[]){"apps", NULL},
	     (const char *const[]){"daemonsets", NULL}, read_verbs);
	return r;
}

static void mount(struct mk *m, cJSON *mounts, cJSON *vols, const char *name,
		  const char *path, const char *type, bool propagate)
{
	cJSON *mo = push_obj(m, mounts), *v = push_obj(m, vols), *hp;

	str(m, mo, "name", name);
	str(m, mo, "mountPath", path);
	flag(m, mo, "readOnly", true);
	/* network namespaces the host makes later appear in the pod too */
	if (propagate)
		str(m, mo, "mountPropagation", "HostToContainer");
	str(m, v, "name", name);
	hp = obj(m, v, "hostPath");
	str(m, hp, "path", path);
	str(m, hp, "type", type);
}

/*
 * As `kubectl debug node/` makes its pod, plus the mounts knet needs:
 * the host's network and PIDs, privileged (setns, raw sockets,
 * conntrack), every taint tolerated, and no service-account token: the
 * agent never talks to the API, the caller resolves names.
 */
static void pod_spec(struct mk *m, cJSON *spec, const struct knet_agent_opts *o)
{
	cJSON *c, *mounts, *vols, *req;

	flag(m, spec, "hostNetwork", true);
	flag(m, spec, "hostPID", true);
	flag(m, spec, "automountServiceAccountToken", false);
	flag(m, spec, "enableServiceLinks", false);
	str(m, spec, "dnsPolicy", "ClusterFirstWithHostNet");
	num(m, spec, "terminationGracePeriodSeconds", 2);
	str(m, push_obj(m, arr(m, spec, "tolerations")), "operator", "Exists");
	c = push_obj(m, arr(m, spec, "containers"));
	str(m, c, "name", KNET_AGENT_CONTAINER);
	str(m, c, "image", image_of(o));
	str(m, c, "imagePullPolicy", "IfNotPresent");
	push_strs(m, arr(m, c, "command"),
		  (const char *const[]){"knet", "agent", "serve", NULL});
	flag(m, obj(m, c, "securityContext"), "privileged", true);
	req = obj(m, obj(m, c, "resources"), "requests");
	str(m, req, "cpu", "10m");
	str(m, req, "memory", "32Mi");
	mounts = arr(m, c, "volumeMounts");
	vols = arr(m, spec, "volumes");
	mount(m, mounts, vols, "netns", "/var/run/netns", "DirectoryOrCreate",
	      true);
	mount(m, mounts, vols, "cgroup", "/sys/fs/cgroup", "Directory", false);
}

/* The DaemonSet's own label keeps its selector off the ephemeral pods,
 * which it would otherwise adopt and delete as surplus. */
static cJSON *daemonset(struct mk *m, const struct knet_agent_opts *o)
{
	cJSON *ds = head(m, "apps/v1", "DaemonSet", KNET_AGENT_NAME, ns_of(o));
	cJSON *spec = obj(m, ds, "spec"), *ml, *us, *tpl, *tl;

	str(m, labels(m, ds), KNET_AGENT_LABEL_NAME, KNET_AGENT_NAME);
	ml = obj(m, obj(m, spec, "selector"), "matchLabels");
	str(m, ml, KNET_AGENT_LABEL_NAME, KNET_AGENT_NAME);
	str(m, ml, KNET_AGENT_LABEL_KIND, "daemonset");
	us = obj(m, spec, "updateStrategy");
	str(m, us, "type", "RollingUpdate");
	str(m, obj(m, us, "rollingUpdate"), "maxUnavailable", "10%");
	tpl = obj(m, spec, "template");
	tl = obj(m, obj(m, tpl, "metadata"), "labels");
	str(m, tl, "app.kubernetes.io/part-of", "knet");
	str(m, tl, KNET_AGENT_LABEL_NAME, KNET_AGENT_NAME);
	str(m, tl, KNET_AGENT_LABEL_KIND, "daemonset");
	pod_spec(m, obj(m, tpl, "spec"), o);
	return ds;
}

/* The object when every adder succeeded, else NULL (and it is freed). */
static cJSON *done(struct mk *m, cJSON *o)
{
	if (m->bad) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *knet_agent_objects(const struct knet_agent_opts *o)
{
	struct mk m = {0};
	cJSON *all = ok(&m, cJSON_CreateArray());
	char buf[96];
	const char *cname = cluster_name(o, buf, sizeof(buf));

	push(&m, all, namespace_obj(&m, o));
	push(&m, all, cluster_role(&m, cname));
	push(&m, all,
	     binding(&m, "ClusterRoleBinding", "ClusterRole", cname, NULL));
	push(&m, all, role(&m, o));
	push(&m, all,
	     binding(&m, "RoleBinding", "Role", "knet-user", ns_of(o)));
	push(&m, all, daemonset(&m, o));
	return done(&m, all);
}

cJSON *knet_agent_objects_list(const struct knet_agent_opts *o)
{
	struct mk m = {0};
	cJSON *items = knet_agent_objects(o);
	cJSON *l = ok(&m, cJSON_CreateObject());

	str(&m, l, "apiVersion", "v1");
	str(&m, l, "kind", "List");
	if (!ok(&m, items) || !l || !cJSON_AddItemToObject(l, "items", items)) {
		cJSON_Delete(items);
		m.bad = true;
	}
	return done(&m, l);
}

cJSON *knet_agent_ephemeral_pod(const struct knet_agent_opts *o,
				const char *node, time_t now)
{
	struct mk m = {0};
	cJSON *p = head(&m, "v1", "Pod", NULL, ns_of(o));
	cJSON *l = labels(&m, p), *spec;
	char prefix[254], expires[24];

	/* the server adds 5 random characters; keep room for them */
	snprintf(prefix, sizeof(prefix), "%s-%.200s-", KNET_AGENT_NAME, node);
	snprintf(expires, sizeof(expires), "%lld",
		 (long long)now +
			 (o && o->ttl_s > 0 ? o->ttl_s : KNET_AGENT_TTL));
	str(&m, get(&m, p, "metadata"), "generateName", prefix);
	str(&m, l, KNET_AGENT_LABEL_NAME, KNET_AGENT_NAME);
	str(&m, l, KNET_AGENT_LABEL_EPHEMERAL, "true");
	str(&m, l, KNET_AGENT_LABEL_EXPIRES, expires);
	spec = obj(&m, p, "spec");
	str(&m, spec, "nodeName", node);
	str(&m, spec, "restartPolicy", "Never");
	/* a backstop where no knet run comes by to delete it */
	num(&m, spec, "activeDeadlineSeconds", KNET_AGENT_TTL + 3600);
	pod_spec(&m, spec, o);
	return done(&m, p);
}
