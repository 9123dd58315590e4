/* SPDX-License-Identifier: MIT */
#ifndef KNET_AGENT_H
#define KNET_AGENT_H

/*
 * The agent pods through which knet runs itself on a node (issue 16,
 * doc/transport-k8s.md): the installed DaemonSet's pod on that node, or
 * an ephemeral pod made as `kubectl debug node/` makes one, reused while
 * its TTL lasts.  The objects `knet agent install` applies (and deploy/
 * ships) are built here, from one place.
 *
 * Every function that talks to the cluster does so through lib/api.
 */

#include <stdbool.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "knet/base.h"

struct knet_api;

#define KNET_AGENT_NAMESPACE "knet-system"
#define KNET_AGENT_NAME	     "knet-agent"
#define KNET_AGENT_CONTAINER "agent"
#define KNET_AGENT_IMAGE     "knet-agent:" KNET_VERSION
/* What knet users are bound to (deploy/README.md). */
#define KNET_AGENT_USERS_GROUP "knet:users"
/* Labels: every agent pod; the DaemonSet's; the ephemeral ones. */
#define KNET_AGENT_LABEL_NAME	   "app.kubernetes.io/name"
#define KNET_AGENT_LABEL_KIND	   "knet.dev/agent"
#define KNET_AGENT_LABEL_EPHEMERAL "knet.dev/ephemeral"
/* Seconds since the epoch after which an ephemeral agent is deleted. */
#define KNET_AGENT_LABEL_EXPIRES "knet.dev/expires"
#define KNET_AGENT_SELECTOR	 KNET_AGENT_LABEL_NAME "=" KNET_AGENT_NAME
/* An ephemeral agent lives this long, and is reused while at least
 * KNET_AGENT_REUSE_MIN seconds of it are left (so that a run does not
 * start on a pod the next run deletes). */
#define KNET_AGENT_TTL	     300
#define KNET_AGENT_REUSE_MIN 60

struct knet_agent_ref {
	char ns[64];
	char pod[254];
	char container[64];
	bool ephemeral; /* made for this run, deleted after its TTL */
};

struct knet_agent_opts {
	const char *namespace; /* default "knet-system" */
	const char *image;     /* default "knet-agent:VERSION" */
	long wait_ms;	       /* how long to wait for Running (0: 60 s) */
	/* A new ephemeral agent's lifetime in seconds (0: KNET_AGENT_TTL);
	 * below KNET_AGENT_REUSE_MIN it is never reused (tests). */
	long ttl_s;
};

/*
 * The installed DaemonSet's pod on @node when Running and Ready there;
 * else an ephemeral agent pod on @node, reused while its TTL lasts, made
 * when there is none (and waited for until Running).  Expired ephemeral
 * agents found on the way are deleted.  Errors in words: RBAC (exit 4),
 * image pull (4), node unknown (3) or NotReady (4), the namespace
 * missing (4, naming `knet agent install`), timeout (4).
 */
int knet_agent_for_node(struct knet_api *api, const char *node,
			const struct knet_agent_opts *o,
			struct knet_agent_ref *ret, struct knet_error *err);

/*
 * knet_agent_for_node() for each of @nodes, from one list of the agent
 * namespace (a fan-out): @refs[i] and @rs[i] (0, or a negative errno
 * with @errs[i] in words) for @nodes[i].  Returns how many have one.
 */
int knet_agent_for_nodes(struct knet_api *api, const char *const *nodes, int n,
			 const struct knet_agent_opts *o,
			 struct knet_agent_ref *refs, int *rs,
			 struct knet_error *errs);
/*
 * Its pure part: @refs[i] filled for each node whose agent pod among
 * @items is usable now (a Ready DaemonSet pod, a Running ephemeral one
 * with time left), emptied (pod "") for the others.  Returns how many.
 */
int knet_agent_pick_nodes(const cJSON *items, const char *const *nodes, int n,
			  time_t now, struct knet_agent_ref *refs);
/* @pod's namespace, name and first container, or -EBADMSG. */
int knet_agent_ref_fill(struct knet_agent_ref *ret, const cJSON *pod,
			bool ephemeral, struct knet_error *err);

/* --- install, remove, list --- */

/*
 * Apply @obj (one of knet_agent_objects()) by server-side apply, field
 * manager "knet", forcing: a second install changes only what differs.
 */
int knet_agent_apply(struct knet_api *api, const cJSON *obj,
		     struct knet_error *err);
/*
 * Delete @obj (only its kind, namespace and name are read); the
 * dependents go in the background.  0 deleted, 1 there was none.
 */
int knet_agent_delete(struct knet_api *api, const cJSON *obj,
		      struct knet_error *err);
/*
 * Whether namespace @ns is knet's to change and delete: 1 when it
 * carries knet's label (install made it), 0 when it is someone else's,
 * -ENOENT when there is none.  Install leaves a namespace of someone
 * else's as it is, and remove does not delete it.
 */
int knet_agent_namespace_owned(struct knet_api *api, const char *ns,
			       struct knet_error *err);
/* The namespaces install refuses outright (default, kube-*). */
bool knet_agent_namespace_reserved(const char *ns);
/*
 * Every agent pod (DaemonSet and ephemeral) in @ns: the "items" array,
 * detached, which the caller frees with cJSON_Delete.  A missing
 * namespace lists nothing.
 */
int knet_agent_list_pods(struct knet_api *api, const char *ns,
			 cJSON **ret_items, struct knet_error *err);
/*
 * Delete the expired ephemeral agents among @items (all of them when
 * @all, as `knet agent remove` does).  Returns how many were deleted,
 * or a negative errno for the first failure (the others are still
 * tried).
 */
int knet_agent_reap(struct knet_api *api, const cJSON *items, time_t now,
		    bool all, struct knet_error *err);

/* --- the objects (pure: no API) --- */

/*
 * What install applies, in order: Namespace, ClusterRole,
 * ClusterRoleBinding, Role, RoleBinding, DaemonSet.  A JSON array the
 * caller frees; NULL when out of memory.
 */
cJSON *knet_agent_objects(const struct knet_agent_opts *o);
/* The same as a v1 List (`knet agent install --dry-run`, deploy/). */
cJSON *knet_agent_objects_list(const struct knet_agent_opts *o);
/*
 * The ephemeral agent pod for @node (generateName
 * "knet-agent-<node>-"), expiring at @now + its TTL.
 */
cJSON *knet_agent_ephemeral_pod(const struct knet_agent_opts *o,
				const char *node, time_t now);

/*
 * The API path of @obj (one of the objects above, or any namespaced
 * core, apps or rbac object): the collection when @item is false, the
 * object itself when true.  Length, or a negative errno.
 */
int knet_agent_object_path(const cJSON *obj, bool item, char *buf, size_t len);

/* --- reading agent pods (pure) --- */

enum knet_agent_pod_state {
	KNET_AGENT_POD_GONE,	/* being deleted, Succeeded or Failed */
	KNET_AGENT_POD_PENDING, /* not Running yet */
	KNET_AGENT_POD_RUNNING, /* Running, not Ready */
	KNET_AGENT_POD_READY,	/* Running and Ready */
};

enum knet_agent_pod_state knet_agent_pod_state(const cJSON *pod);
bool knet_agent_pod_is_ephemeral(const cJSON *pod);
/* The expiry label's time, 0 when there is none or it does not parse. */
time_t knet_agent_pod_expires(const cJSON *pod);
/* An ephemeral agent past its expiry (or without one), or gone. */
bool knet_agent_pod_expired(const cJSON *pod, time_t now);
/*
 * Why the pod cannot start, when a container waits for a reason that
 * will not pass by itself (ErrImagePull, ImagePullBackOff,
 * InvalidImageName, CreateContainerConfigError...): "image 'x' cannot
 * be pulled: <message>".  NULL when there is none.  malloc'd.
 */
char *knet_agent_pod_stuck(const cJSON *pod);

/*
 * After a remote run through @ref was killed or its stream dropped: 1
 * when the agent pod is gone (deleted, being deleted, ended), with "the
 * agent pod NS/POD went away mid-run (deleted)" in @err (exit 5); 0 when
 * it is still there; <0 when the API cannot tell.
 */
int knet_agent_gone(struct knet_api *api, const struct knet_agent_ref *ref,
		    struct knet_error *err);

/*
 * Whether the Node @node (JSON) is Ready: 0, or -EHOSTDOWN with
 * "node 'NAME' is NotReady (reason: message)" (exit 4).
 */
int knet_agent_node_ready(const cJSON *node, const char *name,
			  struct knet_error *err);

enum knet_agent_pick {
	KNET_AGENT_PICK_NONE,	   /* make an ephemeral one */
	KNET_AGENT_PICK_DAEMONSET, /* the DaemonSet's pod, Ready */
	KNET_AGENT_PICK_EPHEMERAL, /* an ephemeral one to reuse (or wait for) */
};

/*
 * Among the agent pods @items (a JSON array of Pods), the one for @node
 * at @now: the DaemonSet's Running+Ready pod there first, else the
 * ephemeral one with the most time left, when at least
 * KNET_AGENT_REUSE_MIN seconds are.  *@ret_index gets its index (-1 for
 * NONE).
 */
enum knet_agent_pick knet_agent_pick(const cJSON *items, const char *node,
				     time_t now, int *ret_index);
/*
 * Whether @pick's pod @pod can take an exec now, without waiting: the
 * DaemonSet's (Ready by knet_agent_pick), or an ephemeral one that is
 * Ready, not just Running (the node lifecycle controller marks the pods
 * of a NotReady node not Ready, and an exec there would fail on the
 * kubelet in the apiserver's words, not ours).
 */
bool knet_agent_pick_usable(enum knet_agent_pick pick, const cJSON *pod);

#endif
